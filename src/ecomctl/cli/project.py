"""`docs` and `init`: the dbt project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecomctl.cli.context import Invocation
from ecomctl.cli.options import ProjectOpt, command
from ecomctl.errors import ExitStatus

app = typer.Typer()


@command(app, "ecomctl docs", "ecomctl docs --serve --port 8081")
def docs(
    call: Invocation,
    project_dir: ProjectOpt = None,
    serve: Annotated[bool, typer.Option("--serve", help="Serve the site on 127.0.0.1.")] = False,
    port: Annotated[
        int, typer.Option(min=1, max=65535, metavar="PORT", help="Port for --serve.")
    ] = 8080,
) -> None:
    """Generate the dbt docs site for the project (and serve it on 127.0.0.1)."""
    screen = call.start("docs")
    from ecomctl.commands import project
    from ecomctl.outputs import watch

    st = call.open_stack(dbt_project=project_dir)
    with watch.stack_events(screen) as events:
        site = project.docs(st, events)
    screen.out.print(f"docs: {site / 'index.html'}")
    if serve:
        project.serve(site, port, lambda url: screen.err.print(f"serving {url} (Ctrl-C stops)"))
    call.finish(ExitStatus.SUCCESS, site=str(site / "index.html"))


@command(app, "ecomctl init", "ecomctl init my-dbt && ecomctl run --project-dir my-dbt", home=False)
def init(
    call: Invocation,
    folder: Annotated[
        Path | None,
        typer.Argument(
            metavar="DIR",
            help="A new or empty folder [default ./ecomctl-dbt].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Copy the bundled dbt project into FOLDER, to edit and run as your own."""
    screen = call.start("init")
    from ecomctl.commands import project

    made = project.init(folder)
    screen.initialised(made.given, made.files)
    call.finish(ExitStatus.SUCCESS, path=str(made.path), files=made.files)
