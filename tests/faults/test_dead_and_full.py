"""A disk that fills during a run: one line (exit 4) naming the folder, with no dbt logging
tracebacks and no temporary file left behind, and `run` works again once space is freed,
without `down`. (Services that die during a native run: test_native_home_path.py.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.disk import fill, needs_root, small_disk
from support.faultlog import FaultLog
from support.helpers import ecomctl, run_until

SCALE = "0.003"
pytestmark = needs_root


def _gold(home: Path, env: dict[str, str]) -> list[str]:
    text = "select * from sales_values_by_category"
    doc = ecomctl("query", text, "--json", home=home, env=env).stdout
    return sorted(map(str, json.loads(doc)["rows"]))


# -- a full disk -----------------------------------------------------------------------------


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a file system of its own, small enough to fill."""
    with small_disk(tmp_path / "disk", "256m") as folder:
        yield folder


def test_a_full_disk_during_an_embedded_run_is_one_line_and_run_recovers_once_freed(
    disk: Path, faults: FaultLog
) -> None:
    home = disk / "home"
    ecomctl("seed", "--scale", SCALE, home=home)
    ecomctl("run", home=home)  # the tables exist: the next run writes more into them
    before = _gold(home, {})
    filled: list[Path] = []
    # Bronze is built: silver writes now, into a disk with no room left.
    ended = run_until(home, {}, "silver", lambda: filled.append(fill(disk)), "--full-refresh")
    run, err, seconds, errors = ended, ended.stderr, ended.seconds, ended.errors
    leftovers = [p.name for p in home.rglob("*") if ".tmp" in p.name]
    filled[0].unlink()
    again = ecomctl("run", home=home, check=False)
    after = _gold(home, {}) if again.returncode == 0 else []
    faults.record(
        "embedded: the disk fills during a run",
        {
            "exit 4": run.code == 4,
            "one error line": len(errors) == 1,
            "it says the disk is full": "no space left" in run.error.lower(),
            "it names the home": str(home) in run.error,
            "no dbt logging traceback": "Logging error" not in err and "Traceback" not in err,
            "no hang": seconds < 120,
            "no temporary file left": not leftovers,
            "run after freeing space exits 0": again.returncode == 0,
            "gold as before": after == before,
        },
        note=f"exit {run.code} in {seconds:.0f} s: {(errors or [''])[0][:120]};"
        f" left: {leftovers}; then {again.returncode} {again.stderr.strip()[-200:]}",
    )


def test_run_seed_and_a_first_up_on_a_disk_without_room_are_refused_before_any_work(
    disk: Path, faults: FaultLog
) -> None:
    home = disk / "home"
    ecomctl("seed", "--scale", SCALE, home=home)
    ecomctl("up", home=home)
    filler = fill(disk)
    refused = ecomctl("run", home=home, check=False)
    seed = ecomctl("seed", "--scale", SCALE, home=home, check=False)
    leftovers = [p.name for p in home.rglob("*") if ".tmp" in p.name]
    running = ecomctl("up", home=home, check=False)
    ecomctl("down", home=home)  # PostgreSQL's last checkpoint fails: its own files, its own mend
    stopped = ecomctl("up", home=home, check=False)
    filler.unlink()
    freed = ecomctl("up", home=home, check=False)
    faults.record(
        "embedded: no room on the disk before a run, a seed and an up",
        {
            "run exits 4": refused.returncode == 4,
            "run says where and how much": str(home) in refused.stderr and "free" in refused.stderr,
            "run in one line": len(refused.stderr.strip().splitlines()) == 1,
            "seed exits 4": seed.returncode == 4,
            "seed in one line": len(seed.stderr.strip().splitlines()) == 1,
            "up on the running stack exits 0": running.returncode == 0,
            "up on the stopped stack exits 4": stopped.returncode == 4,
            "up once space is freed exits 0": freed.returncode == 0,
            "no temporary file left": not leftovers,
        },
        note=f"{refused.stderr.strip()[:160]} | {seed.stderr.strip()[:160]}"
        f" | up: {running.returncode}, {stopped.returncode} {stopped.stderr.strip()[:160]}"
        f" | left: {leftovers} | {freed.stderr.strip()[-160:]}",
    )
