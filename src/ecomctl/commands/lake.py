"""`lake`, and the lake's upkeep after each run: what bronze and silver hold on S3, how many
snapshots they keep, and which runs' snapshots they keep (settings.lake_keep_runs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecomctl.stacks.base import Events, Stack

if TYPE_CHECKING:
    from ecomctl.engines.iceberg import LayerSize, Upkeep
    from ecomctl.history import Recorder


def sizes(stack: Stack) -> list[LayerSize]:
    """Each lake layer's tables, snapshots, files and bytes."""
    from ecomctl.errors import EcomctlError, ExitStatus

    found = stack.lake_sizes()
    if not found:
        raise EcomctlError(
            f"lake: the {stack.name} stack has no lake (its bronze and silver are DuckDB tables"
            " in warehouse.duckdb); the lake stacks are native, compose and remote",
            ExitStatus.USAGE,
        )
    return found


def after_run(
    stack: Stack, record: Recorder | None, succeeded: bool, events: Events
) -> list[Upkeep]:
    """Record each lake table's snapshot as the run left it; after a run that succeeded,
    expire the snapshots older than the last lake_keep_runs runs' and remove the files only
    they used. A failed run expires nothing: the runs before it stay readable."""
    from ecomctl import history

    found = stack.lake_snapshots()
    if not found:
        return []  # no lake, or nothing in it yet
    if record is not None:
        record.snapshots(found)
    if not succeeded:
        return []
    keep = stack.settings.lake_keep_runs
    kept = [*history.with_snapshots(history.read(stack.paths), stack.name, keep - 1), found]
    done = stack.keep_lake(kept)
    expired = sum(u.snapshots_before - u.snapshots_after for u in done)
    events.notice(
        f"lake: kept the snapshots of the last {len(kept)} run(s) (lake_keep_runs = {keep}),"
        f" expired {expired}"
    )
    return done
