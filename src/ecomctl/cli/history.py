"""`history` and `report`: the home's runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecomctl.cli.context import invocation_of
from ecomctl.cli.options import HomeOpt, JsonOpt, QuietOpt, StackOpt, examples
from ecomctl.errors import ExitStatus

app = typer.Typer()


@app.command(epilog=examples("ecomctl history", "ecomctl history -n 5 --json"))
def history(
    ctx: typer.Context,
    home: HomeOpt = None,
    stack: Annotated[
        str | None,
        typer.Option("--stack", metavar="NAME", help="Only the runs on this stack [default: all]."),
    ] = None,
    last: Annotated[
        int,
        typer.Option("--last", "-n", min=0, metavar="N", help="The last N runs (0: every one)."),
    ] = 20,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """List the home's runs (run, test, seed), oldest first: when, how they ended, each layer's
    time and rows."""
    call = invocation_of(ctx)
    screen = call.start("history", json_, quiet)
    from ecomctl.commands import history as work

    found = work.runs(last, stack is not None, **call.flags(home=home, stack=stack))
    if not json_:
        screen.runs(found.runs)
    call.finish(ExitStatus.SUCCESS, home=str(found.home), runs=found.runs)


@app.command(epilog=examples("ecomctl report --open", "ecomctl report -o gold.html"))
def report(
    ctx: typer.Context,
    home: HomeOpt = None,
    stack: StackOpt = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write it here [default: report.html in the home].",
        ),
    ] = None,
    open_: Annotated[bool, typer.Option("--open", help="Open it in the web browser.")] = False,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Write one HTML file, viewable offline: gold as charts and tables, the last run, the dbt
    tests' results, and the history of the home's runs."""
    call = invocation_of(ctx)
    screen = call.start("report", json_, quiet)
    from ecomctl.commands import history as work

    path = work.report(call.open_stack(home=home, stack=stack), output)
    screen.out.print(str(path), markup=False, highlight=False)
    if open_:
        import webbrowser

        if not webbrowser.open(path.as_uri()):
            screen.err.print("no web browser found here: open the file yourself")
    call.finish(ExitStatus.SUCCESS, path=str(path))
