"""`seed --increment --from DIR` refuses what would corrupt landing, in one line, and leaves
landing exactly as it was; `seed --increment` on a landing zone of your files says what to run
instead."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from support.cli import Ran, cli

from ecomctl.data import generator, landing
from ecomctl.data.olist import BY_TABLE
from ecomctl.settings import HomePaths


def _seed(home: Path, *args: str) -> Ran:
    return cli("seed", *args, "--home", str(home), "--json")


def _checksums(home: Path) -> dict[str, tuple[int, int]]:
    """Rows and a checksum of every landing table, the loader's own tables included."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        tables = [
            str(name)
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'landing'"
            ).fetchall()
        ]
        found = {}
        for table in sorted(tables):
            row = con.execute(
                f"select count(*), coalesce(sum(hash(*columns(*)))::hugeint, 0) from landing.{table}"
            ).fetchone()
            assert row is not None
            found[table] = (int(row[0]), int(row[1]))
        return found


@pytest.fixture(scope="module")
def later(olist_files: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A later day of the test files' data set, as a user's new extract."""
    folder = tmp_path_factory.mktemp("later")
    generator.generate_increment(folder, 0.02, 7, 1)
    return folder


@pytest.fixture
def from_files(olist_files: Path, tmp_path: Path) -> Path:
    """A home whose landing was loaded from files (`seed --from`)."""
    home = tmp_path / "home"
    assert _seed(home, "--from", str(olist_files)).code == 0
    return home


def test_an_increment_of_generated_days_is_refused_on_your_files_and_says_what_instead(
    from_files: Path,
) -> None:
    before = _checksums(from_files)
    refused = _seed(from_files, "--increment")
    assert refused.code == 2
    error = refused.document()["error"]
    assert "landing holds your files from" in error
    # The hint as printed: this home given by --home, the folder left to the user.
    assert f" --home {from_files} seed --increment --from DIR`" in error
    assert _checksums(from_files) == before


def test_the_same_folder_appended_twice_is_refused_the_second_time(
    from_files: Path, later: Path
) -> None:
    first = _seed(from_files, "--increment", "--from", str(later))
    assert first.code == 0, first
    assert first.document()["loaded"]["orders"] > 0
    before = _checksums(from_files)

    again = _seed(from_files, "--increment", "--from", str(later))
    assert again.code == 1
    error = again.document()["error"]
    assert "already loaded into landing (the same content, from" in error and str(later) in error
    assert "nothing was appended" in error
    assert _checksums(from_files) == before


def test_the_base_folder_appended_again_is_refused(from_files: Path, olist_files: Path) -> None:
    before = _checksums(from_files)
    again = _seed(from_files, "--increment", "--from", str(olist_files))
    assert again.code == 1
    assert "already loaded into landing" in again.document()["error"]
    assert _checksums(from_files) == before


def test_a_bad_value_is_named_by_file_line_and_column_and_appends_nothing(
    from_files: Path, later: Path, tmp_path: Path
) -> None:
    bad = shutil.copytree(later, tmp_path / "bad")
    items = bad / BY_TABLE["order_items"].filename
    header, first, *rest = items.read_text().splitlines()
    fields = first.split(",")
    fields[5] = "cheap"  # price
    items.write_text("\n".join([header, first, ",".join(fields), *rest]) + "\n")
    before = _checksums(from_files)

    refused = _seed(from_files, "--increment", "--from", str(bad))
    assert refused.code == 1
    error = refused.document()["error"]
    assert error.startswith(f"{items}: line 3: column price: Could not convert string")
    assert "\n" not in error
    assert _checksums(from_files) == before

    kept = _seed(from_files, "--increment", "--from", str(bad), "--max-bad-rows", "1")
    assert kept.code == 0, kept
    assert kept.document()["rejects_by_file"] == {items.name: 1}
    with duckdb.connect(str(from_files / "warehouse.duckdb"), read_only=True) as con:
        rejects = con.execute("select file, line, column_name from landing._rejects").fetchall()
    assert rejects == [(items.name, 3, "price")]


def test_a_new_version_of_an_order_is_counted_as_an_update(
    from_files: Path, olist_files: Path, tmp_path: Path
) -> None:
    orders = BY_TABLE["orders"].filename
    header, first = (olist_files / orders).read_text().splitlines()[:2]
    folder = tmp_path / "update"
    folder.mkdir()
    (folder / orders).write_text(f"{header}\n{first.replace(first.split(',')[2], 'canceled', 1)}\n")

    appended = _seed(from_files, "--increment", "--from", str(folder)).document()
    assert (appended["updated_orders"], appended["new_orders"]) == (1, 0)
    assert appended["loaded"] == {"orders": 1}


def test_nothing_loaded_yet_asks_for_a_full_load_and_makes_no_landing(
    later: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    refused = _seed(home, "--increment", "--from", str(later))
    assert refused.code == 1
    error = refused.document()["error"]
    assert error.startswith("no landing data to append to: load your files first with `")
    assert error.endswith(f" --home {home} seed --from DIR`")
    assert landing.row_counts(HomePaths(home)) == {}


def test_a_folder_that_is_not_there_is_a_usage_error(from_files: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    refused = _seed(from_files, "--increment", "--from", str(missing))
    assert refused.code == 2
    assert refused.document()["error"] == f"--from {missing}: not a folder"
