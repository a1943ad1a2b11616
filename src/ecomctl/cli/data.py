"""`seed`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ecomctl.cli.context import Invocation
from ecomctl.cli.options import StackOpt, command
from ecomctl.errors import ExitStatus

app = typer.Typer()

ScaleOpt = Annotated[
    float | None,
    typer.Option(
        metavar="F", help="Size; 1 = the real data set's rows [env ECOMCTL_SCALE; default 0.1]."
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option("--seed", metavar="N", help="Generator seed [env ECOMCTL_SEED; default 42]."),
]
FromOpt = Annotated[
    Path | None,
    typer.Option(
        "--from",
        metavar="DIR",
        help="Load your real Olist CSV files from DIR (with --increment: append them).",
    ),
]
IncrementOpt = Annotated[
    bool,
    typer.Option(
        "--increment", help="Append one more day of new orders (or, with --from, your new files)."
    ),
]
MaxBadRowsOpt = Annotated[
    int | None,
    typer.Option(
        "--max-bad-rows", min=0, metavar="N", help="Load good rows, set up to N bad ones aside."
    ),
]


@command(
    app,
    "ecomctl seed                      # generated data at scale 0.1",
    "ecomctl seed --scale 1 --seed 7",
    "ecomctl seed --from ~/olist        # your real Olist CSV files",
    "ecomctl seed --increment           # one more day, for an incremental run",
    "ecomctl seed --increment --from ~/olist-day2  # append your new files",
)
def seed(
    call: Invocation,
    scale: ScaleOpt = None,
    seed: SeedOpt = None,
    from_dir: FromOpt = None,
    increment: IncrementOpt = False,
    max_bad_rows: MaxBadRowsOpt = None,
    stack: StackOpt = None,
) -> None:
    """Generate Olist-shaped files (or take yours with --from) and load the landing zone
    (on the lake stacks: then publish it to the lake as Parquet)."""
    screen = call.start("seed")
    from ecomctl.commands import data
    from ecomctl.outputs import json_docs, watch

    st = call.open_stack(stack=stack, scale=scale, seed=seed)
    with call.recording(st) as record, watch.stack_events(screen) as events:
        done = data.seed(st, from_dir, increment, max_bad_rows, events, record)
    screen.seeded(done.result, st.paths.warehouse)
    lake: dict[str, Any] = {}
    if done.published is not None:
        screen.published(done.published)
        lake = {"lake": json_docs.published(done.published)}
    call.finish(ExitStatus.SUCCESS, **json_docs.seed(done.result), **lake)
