"""`seed --increment --from DIR` on the native stack: your new files appended to the lake's
landing, picked up by the next incremental run on Trino and Spark exactly as a full refresh
over all the files builds them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.extracts import later_days
from support.fixtures import gold_rows
from support.native import native

from ecomctl.data import generator

pytestmark = pytest.mark.native

SCALE, SEED = 0.005, 11


def _to_the_cent(gold: dict[str, list[str]]) -> dict[str, list[str]]:
    """Trino sums in parallel, so a float's last digits vary from run to run: cents do not."""
    rounded = {}
    for table, rows in gold.items():
        values = ([round(v, 2) if isinstance(v, float) else v for v in json.loads(r)] for r in rows)
        rounded[table] = sorted(json.dumps(row) for row in values)
    return rounded


def test_appended_files_then_an_incremental_run_equal_a_full_refresh(
    native_home: Path, tmp_path: Path
) -> None:
    base = tmp_path / "base"
    generator.generate(base, scale=SCALE, seed=SEED)
    later = later_days(tmp_path / "later", SCALE, SEED, (1, 2))
    native("seed", "--from", str(base), home=native_home)
    native("run", home=native_home)

    added = json.loads(
        native("seed", "--increment", "--from", str(later), "--json", home=native_home).stdout
    )
    # The tables the files grew went to the lake whole (with the others, as every seed does).
    assert added["rows"].items() <= added["lake"]["rows"].items()
    run = native("run", home=native_home)
    assert "changed since the last run: " in run.stderr
    incremental = _to_the_cent(gold_rows(native_home, "native"))

    native("run", "--full-refresh", home=native_home)
    assert _to_the_cent(gold_rows(native_home, "native")) == incremental
