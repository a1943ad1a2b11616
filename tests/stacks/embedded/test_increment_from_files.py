"""`seed --increment --from DIR`: a folder of new real-format Olist files appended to a landing
zone loaded from files, picked up by the next `run` as if every file had been loaded at once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from support.extracts import concatenate, later_days
from support.fixtures import gold_rows
from support.helpers import ecomctl

from ecomctl.data import generator

SCALE, SEED = 0.005, 11
DAYS = (1, 2, 3)  # three later days of orders, in one folder: a user's new extract


def test_appended_files_then_run_equal_one_load_of_all_files(tmp_path: Path) -> None:
    base = tmp_path / "base"
    generator.generate(base, scale=SCALE, seed=SEED)
    later = later_days(tmp_path / "later", SCALE, SEED, DAYS)
    everything = shutil.copytree(base, tmp_path / "everything")
    concatenate(later, everything)
    appended, fresh = tmp_path / "appended", tmp_path / "fresh"
    try:
        ecomctl("seed", "--from", str(base), home=appended)
        ecomctl("run", home=appended)
        before = gold_rows(appended)

        added = json.loads(
            ecomctl("seed", "--increment", "--from", str(later), "--json", home=appended).stdout
        )
        assert added["appended"] is True and added["batch"] is None
        assert added["source"] == str(later) and added["updated_orders"] == 0
        assert set(added["loaded"]) == set(generator.INCREMENT_TABLES)
        assert added["new_orders"] == added["loaded"]["orders"] > 0
        run = ecomctl("run", home=appended)
        assert "changed since the last run: " in run.stderr
        incremental = gold_rows(appended)
        assert incremental != before  # the new orders reached gold

        ecomctl("seed", "--from", str(everything), home=fresh)
        ecomctl("run", home=fresh)
        assert gold_rows(fresh) == incremental  # all six gold tables, exactly
    finally:
        for home in (appended, fresh):
            ecomctl("down", home=home, check=False)
