"""`history` and `report`: the home's runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecomctl.cli.context import Invocation
from ecomctl.cli.options import command
from ecomctl.errors import ExitStatus

app = typer.Typer()


@command(app, "ecomctl history", "ecomctl history -n 5 --json", "ecomctl history --snapshots")
def history(
    call: Invocation,
    stack: Annotated[
        str | None,
        typer.Option("--stack", metavar="NAME", help="Only the runs on this stack [default: all]."),
    ] = None,
    last: Annotated[
        int,
        typer.Option("--last", "-n", min=0, metavar="N", help="The last N runs (0: every one)."),
    ] = 20,
    snapshots: Annotated[
        bool,
        typer.Option(
            "--snapshots", help="Also each run's lake snapshot per bronze and silver table."
        ),
    ] = False,
) -> None:
    """List the home's runs (run, test, seed), oldest first: their number (for `query
    --as-of`), when, how they ended, each layer's time and rows."""
    screen = call.start("history")
    from ecomctl.commands import history as work

    found = work.runs(last, stack, call.found_home, **call.flags())
    if not call.json_flag:
        screen.runs(found.runs, found.numbers, snapshots)
    runs = [{"number": n, **r} for n, r in zip(found.numbers, found.runs, strict=True)]
    call.finish(ExitStatus.SUCCESS, home=str(found.home), runs=runs)


@command(app, "ecomctl report --open", "ecomctl report -o gold.html")
def report(
    call: Invocation,
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
) -> None:
    """Write one HTML file, viewable offline: gold as charts and tables, the last run, the dbt
    tests' results, and the history of the home's runs."""
    screen = call.start("report")
    from ecomctl.commands import history as work

    path = work.report(call.open_stack(), output)
    screen.out.print(str(path), markup=False, highlight=False)
    if open_:
        import webbrowser

        if not webbrowser.open(path.as_uri()):
            screen.err.print("no web browser found here: open the file yourself")
    call.finish(ExitStatus.SUCCESS, path=str(path))
