"""`docs` and `init`: the dbt project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecomctl.cli.context import invocation_of
from ecomctl.cli.options import HomeOpt, JsonOpt, ProjectOpt, QuietOpt, StackOpt, examples
from ecomctl.errors import ExitStatus

app = typer.Typer()


@app.command(epilog=examples("ecomctl docs", "ecomctl docs --serve --port 8081"))
def docs(
    ctx: typer.Context,
    home: HomeOpt = None,
    stack: StackOpt = None,
    project_dir: ProjectOpt = None,
    serve: Annotated[bool, typer.Option("--serve", help="Serve the site on 127.0.0.1.")] = False,
    port: Annotated[
        int, typer.Option(min=1, max=65535, metavar="PORT", help="Port for --serve.")
    ] = 8080,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Generate the dbt docs site for the project (and serve it on 127.0.0.1)."""
    call = invocation_of(ctx)
    screen = call.start("docs", json_, quiet)
    from ecomctl.commands import project
    from ecomctl.outputs import watch

    st = call.open_stack(home=home, stack=stack, dbt_project=project_dir)
    with watch.stack_events(screen) as events:
        site = project.docs(st, events)
    screen.out.print(f"docs: {site / 'index.html'}")
    if serve:
        project.serve(site, port, lambda url: screen.err.print(f"serving {url} (Ctrl-C stops)"))
    call.finish(ExitStatus.SUCCESS, site=str(site / "index.html"))


@app.command(
    epilog=examples("ecomctl init", "ecomctl init my-dbt && ecomctl run --project-dir my-dbt")
)
def init(
    ctx: typer.Context,
    folder: Annotated[
        Path | None,
        typer.Argument(
            metavar="DIR",
            help="A new or empty folder [default ./ecomctl-dbt].",
            show_default=False,
        ),
    ] = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Copy the bundled dbt project into FOLDER, to edit and run as your own."""
    call = invocation_of(ctx)
    screen = call.start("init", json_, quiet)
    from ecomctl.commands import project

    made = project.init(folder)
    screen.initialised(made.given, made.files)
    call.finish(ExitStatus.SUCCESS, path=str(made.path), files=made.files)
