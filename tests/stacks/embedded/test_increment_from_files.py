"""`seed --increment --from DIR`: a folder of new real-format Olist files appended to a landing
zone loaded from files, picked up by the next `run` as if every file had been loaded at once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from support.fixtures import gold_rows
from support.helpers import ecomctl

from ecomctl.data import generator

SCALE, SEED = 0.005, 11
DAYS = (1, 2, 3)  # three later days of orders, in one folder: a user's new extract


def _later_days(folder: Path) -> Path:
    """The generator's next days (new orders with their customers, items, payments and
    reviews; the base's products and sellers), as one folder of Olist files."""
    for day in DAYS:
        written = folder.parent / f"day-{day}"
        generator.generate_increment(written, SCALE, SEED, day)
        _concatenate(written, folder)
    return folder


def _concatenate(source: Path, into: Path) -> None:
    """Append each file of source to the file of the same name in into (its header once)."""
    into.mkdir(exist_ok=True)
    for path in sorted(source.glob("*.csv")):
        target = into / path.name
        if not target.exists():
            shutil.copyfile(path, target)
            continue
        _header, rows = path.read_bytes().split(b"\n", 1)
        existing = target.read_bytes()
        target.write_bytes(existing + (b"" if existing.endswith(b"\n") else b"\n") + rows)


def test_appended_files_then_run_equal_one_load_of_all_files(tmp_path: Path) -> None:
    base = tmp_path / "base"
    generator.generate(base, scale=SCALE, seed=SEED)
    later = _later_days(tmp_path / "later")
    everything = shutil.copytree(base, tmp_path / "everything")
    _concatenate(later, everything)
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
