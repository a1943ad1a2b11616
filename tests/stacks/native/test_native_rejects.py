"""`landing._rejects` on the lake: the rows a load with --max-bad-rows set aside are published
with the landing zone, so `query --layer landing` reads the same rows on the native stack as on
the embedded one, and an empty table when a load refused nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from support.helpers import ecomctl
from support.native import native

from ecomctl.data.olist import BY_TABLE

pytestmark = pytest.mark.native

REJECTS = "select file, line, column_name, reason, raw_line from _rejects order by file, reason"


def _rejects(home: Path, stack: str) -> list[list[Any]]:
    found = ecomctl("query", REJECTS, "--layer", "landing", "--stack", stack, "--json", home=home)
    rows: list[list[Any]] = json.loads(found.stdout)["rows"]
    return rows


def test_rejects_read_the_same_on_native_as_on_embedded_and_empty_after_a_clean_load(
    native_home: Path, olist_files: Path, tmp_path: Path
) -> None:
    folder = shutil.copytree(olist_files, tmp_path / "files")
    hex_id = "f" * 32
    with (folder / BY_TABLE["orders"].filename).open("a") as orders:
        orders.write(f"{hex_id},{hex_id},delivered,yesterday,,,,2018-01-01 00:00:00\n")
    with (folder / BY_TABLE["sellers"].filename).open("a") as sellers:
        sellers.write(f"{'e' * 32},01000,sao paulo\n")  # a field short
    bad = ("--from", str(folder), "--max-bad-rows", "2")

    native("seed", *bad, home=native_home)
    embedded = tmp_path / "embedded"
    ecomctl("seed", *bad, home=embedded)

    on_native = _rejects(native_home, "native")
    assert [row[0] for row in on_native] == [
        BY_TABLE["orders"].filename, BY_TABLE["sellers"].filename,
    ]  # fmt: skip
    assert on_native == _rejects(embedded, "embedded")

    native("seed", "--from", str(olist_files), home=native_home)
    assert _rejects(native_home, "native") == []
