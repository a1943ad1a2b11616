"""`lake`: what the lake stacks' bronze and silver keep."""

from __future__ import annotations

from dataclasses import asdict

import typer

from ecomctl.cli.context import Invocation
from ecomctl.cli.options import command
from ecomctl.errors import ExitStatus

app = typer.Typer()


@command(app, "ecomctl lake --stack native", "ecomctl lake --json")
def lake(call: Invocation) -> None:
    """Show the lake's bronze and silver: tables, Iceberg snapshots kept, and the files and
    bytes under each layer's S3 folder. Each run keeps the snapshots of the last
    lake_keep_runs runs (default 5) and removes the rest."""
    screen = call.start("lake")
    from ecomctl.commands import lake as work

    sizes = work.sizes(call.open_stack())
    if not call.json_flag:
        screen.lake(sizes)
    call.finish(ExitStatus.SUCCESS, layers=[asdict(s) for s in sizes])
