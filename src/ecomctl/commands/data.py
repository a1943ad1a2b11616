"""`seed`, and the landing a run needs: generated or the user's files, published to the lake."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ecomctl import home
from ecomctl.commands import writing
from ecomctl.stacks.base import Events, Stack

if TYPE_CHECKING:  # types only: `status` and `query` need none of these modules
    from ecomctl.data.publish import PublishResult
    from ecomctl.data.seeding import SeedResult
    from ecomctl.history import Recorder


# Room a seed takes: landing's files and tables, about 400 MB at scale 1 (the real data set's
# 120 MB of CSV, loaded into the warehouse), and a floor for the history and the rejects.
ROOM_FOR_SEED = 32 * home.MB
ROOM_PER_SCALE = 400 * home.MB


@dataclass(frozen=True)
class Seeded:
    result: SeedResult
    published: PublishResult | None  # None on a stack without a lake


def seed(
    stack: Stack,
    from_dir: Path | None,
    increment: bool,
    max_bad_rows: int | None,
    events: Events,
    record: Recorder | None = None,
) -> Seeded:
    """Load the landing zone (generated files, the user's, or one more day), then publish it
    to the stack's lake if it has one."""
    from ecomctl.data import landing, seeding

    s, paths = stack.settings, stack.paths
    whole = not increment and from_dir is None
    home.check_room(paths.root, ROOM_FOR_SEED + int(whole * s.scale * ROOM_PER_SCALE), "seed")
    with home.room_errors(paths.root), writing(stack, "seed", events, record):
        before, started = landing.row_counts(paths), time.monotonic()
        if increment and from_dir is not None:
            events.notice(f"appending your files from {from_dir} to landing ...")
            result = seeding.increment_from(paths, from_dir, max_bad_rows)
        elif increment:
            events.notice("appending one more day: new orders, and updates of earlier ones ...")
            result = seeding.increment(paths)
        else:
            what = f"generated data (scale {s.scale}, seed {s.seed})"
            events.notice(f"seeding landing from {'your files' if from_dir else what} ...")
            result = seeding.seed(paths, s.scale, s.seed, from_dir, max_bad_rows)
        # Inside the lock: `run` must never read the lake's tables while they are re-pointed.
        published = stack.publish_landing(events)
        if record is not None:
            record.landing(before, landing.row_counts(paths), time.monotonic() - started)
    return Seeded(result, published)


def ensure_landing(stack: Stack, layers: list[str], events: Events) -> None:
    """Seed generated data when landing is empty, and publish it to the stack's lake.

    Only bronze reads landing: a run of later layers needs none of it.
    """
    from ecomctl.data import landing, seeding

    if "bronze" not in layers or stack.row_counts("landing"):
        return
    s = stack.settings
    if not landing.row_counts(stack.paths):
        events.notice(
            f"landing zone is empty: seeding generated data first (scale {s.scale}, seed {s.seed})"
        )
        result = seeding.seed(stack.paths, s.scale, s.seed)
        events.notice(f"landing: {result.total_rows:,} rows from {result.source}")
    stack.publish_landing(events)
