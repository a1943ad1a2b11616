"""`seed`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ecomctl.cli.context import invocation_of
from ecomctl.cli.options import HomeOpt, JsonOpt, QuietOpt, StackOpt, examples
from ecomctl.errors import ExitStatus

app = typer.Typer()


@app.command(
    epilog=examples(
        "ecomctl seed                      # generated data at scale 0.1",
        "ecomctl seed --scale 1 --seed 7",
        "ecomctl seed --from ~/olist        # your real Olist CSV files",
        "ecomctl seed --increment           # one more day, for an incremental run",
    )
)
def seed(
    ctx: typer.Context,
    home: HomeOpt = None,
    scale: Annotated[
        float | None,
        typer.Option(
            metavar="F",
            help="Size; 1 = the real data set's rows [env ECOMCTL_SCALE; default 0.1].",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", metavar="N", help="Generator seed [env ECOMCTL_SEED; default 42]."),
    ] = None,
    from_dir: Annotated[
        Path | None,
        typer.Option("--from", metavar="DIR", help="Load your real Olist CSV files from DIR."),
    ] = None,
    increment: Annotated[
        bool, typer.Option("--increment", help="Append one more day of new orders.")
    ] = False,
    max_bad_rows: Annotated[
        int | None,
        typer.Option(
            "--max-bad-rows", min=0, metavar="N", help="Load good rows, set up to N bad ones aside."
        ),
    ] = None,
    stack: StackOpt = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Generate Olist-shaped files (or take yours with --from) and load the landing zone
    (on the lake stacks: then publish it to the lake as Parquet)."""
    call = invocation_of(ctx)
    screen = call.start("seed", json_, quiet)
    from ecomctl.commands import data
    from ecomctl.outputs import json_docs, watch

    st = call.open_stack(home=home, stack=stack, scale=scale, seed=seed)
    with call.recording(st) as record, watch.stack_events(screen) as events:
        done = data.seed(st, from_dir, increment, max_bad_rows, events, record)
    screen.seeded(done.result, st.paths.warehouse)
    lake: dict[str, Any] = {}
    if done.published is not None:
        screen.published(done.published)
        lake = {"lake": json_docs.published(done.published)}
    call.finish(ExitStatus.SUCCESS, **json_docs.seed(done.result), **lake)
