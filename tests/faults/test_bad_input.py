"""`ecomctl seed --from DIR` with bad files: a one-line error naming file and line, a non-zero
exit, and the landing zone exactly as it was before the command."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from support.faultlog import FaultLog, counts, rows_lost
from support.helpers import ecomctl

from ecomctl.data.olist import BY_TABLE


def _file(d: Path, table: str) -> Path:
    return d / BY_TABLE[table].filename


def _header(table: str) -> str:
    return ",".join(BY_TABLE[table].column_names)


def _append(path: Path, text: str | bytes) -> None:
    data = text.encode() if isinstance(text, str) else text
    with path.open("ab") as handle:
        handle.write(data)


def _unlink(d: Path, *tables: str) -> None:
    for table in tables:
        _file(d, table).unlink()


def _second_row(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig").splitlines()[1]


def _empty_first_key(path: Path) -> None:
    """The first data row (line 2) with its key column (the first) left empty."""
    header, first, *rest = path.read_text(encoding="utf-8-sig").splitlines()
    path.write_text("\n".join([header, "," + first.split(",", 1)[1], *rest]) + "\n")


HEX = "f" * 32
# (break the folder, what the one-line error must contain)
CASES: dict[str, tuple[Callable[[Path], object], list[str]]] = {
    "missing file": (
        lambda d: _file(d, "sellers").unlink(),
        ["file not found: olist_sellers_dataset.csv", "1 of the 9 Olist files"],
    ),
    "three missing files": (
        lambda d: _unlink(d, "sellers", "orders", "products"),
        [
            "file not found: olist_orders_dataset.csv, olist_products_dataset.csv,"
            " olist_sellers_dataset.csv",
            "3 of the 9 Olist files; a load needs all 9",
        ],
    ),
    "missing column": (
        lambda d: _file(d, "sellers").write_text(
            "seller_id,seller_zip_code_prefix,seller_city\nx,01000,y\n"
        ),
        ["line 1", "missing column(s) seller_state"],
    ),
    "extra column": (
        lambda d: _file(d, "sellers").write_text(_header("sellers") + ",rating\nx,01000,y,SP,5\n"),
        ["line 1", "unexpected column(s) rating"],
    ),
    "row with too few fields": (
        lambda d: _append(_file(d, "sellers"), f"{HEX},01000,sao paulo\n"),
        ["olist_sellers_dataset.csv", "line ", "Expected Number of Columns: 4 Found: 3"],
    ),
    "value not a number": (
        lambda d: _append(
            _file(d, "order_items"), f"{HEX},1,{HEX},{HEX},2018-01-01 00:00:00,cheap,1.00\n"
        ),
        ["olist_order_items_dataset.csv", "line ", "column price", "cheap"],
    ),
    "value not a timestamp": (
        lambda d: _append(
            _file(d, "orders"), f"{HEX},{HEX},delivered,yesterday,,,,2018-01-01 00:00:00\n"
        ),
        ["olist_orders_dataset.csv", "line ", "column order_purchase_timestamp", "yesterday"],
    ),
    "empty file": (lambda d: _file(d, "sellers").write_text(""), ["line 1", "empty"]),
    "header-only file": (
        lambda d: _file(d, "sellers").write_text(_header("sellers") + "\n"),
        ["line 2", "only a header"],
    ),
    "bytes that are not UTF-8": (
        lambda d: _append(_file(d, "sellers"), HEX.encode() + b",01000,s\xe3o paulo,SP\n"),
        ["olist_sellers_dataset.csv", "line ", "not utf-8"],
    ),
    "duplicate primary key": (
        lambda d: _append(_file(d, "orders"), _second_row(_file(d, "orders")) + "\n"),
        ["olist_orders_dataset.csv", "duplicate key order_id=", "data rows"],
    ),
    "empty primary key": (
        lambda d: _empty_first_key(_file(d, "sellers")),
        ["olist_sellers_dataset.csv", "line 2", "column seller_id", "empty key"],
    ),
    "a 10 MB value": (
        lambda d: _append(_file(d, "sellers"), f"{HEX},01000,{'x' * 10_000_000},SP\n"),
        ["olist_sellers_dataset.csv", "line ", "column seller_city", "2,000,000 bytes a line"],
    ),
    "a file of another data set": (
        lambda d: _file(d, "orders").write_text(
            "passenger_id,survived,pclass,name\n1,0,3,Braund\n"
        ),
        ["olist_orders_dataset.csv", "line 1", "header does not match"],
    ),
}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, olist_files: Path) -> Path:
    home = tmp_path_factory.mktemp("badinput") / "home"
    ecomctl("seed", "--from", str(olist_files), home=home)
    return home


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_is_refused_and_landing_is_kept(
    case: str, seeded: Path, olist_files: Path, tmp_path: Path, faults: FaultLog
) -> None:
    before = counts(seeded)
    folder = shutil.copytree(olist_files, tmp_path / "files")
    break_it, expected = CASES[case]
    break_it(folder)
    proc = ecomctl("seed", "--from", str(folder), home=seeded, check=False)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ecomctl: ")]
    message = errors[0].split(str(folder) + "/")[-1] if errors else proc.stderr
    first = errors[0].lower() if errors else ""
    survived = {
        "exit 1": proc.returncode == 1,
        "one error line": len(errors) == 1,
        f"an error that says {expected}": all(part.lower() in first for part in expected),
    }
    faults.record(
        f"seed --from: {case}", survived, rows_lost(before, counts(seeded)), message[:110]
    )
    assert counts(seeded) == before


def test_max_bad_rows_sets_bad_rows_aside_and_still_fails_beyond_n(
    seeded: Path, olist_files: Path, tmp_path: Path, faults: FaultLog
) -> None:
    folder = shutil.copytree(olist_files, tmp_path / "files")
    _append(_file(folder, "orders"), f"{HEX},{HEX},delivered,yesterday,,,,2018-01-01 00:00:00\n")
    _append(_file(folder, "sellers"), f"{'e' * 32},01000,sao paulo\n")
    _append(_file(folder, "orders"), _second_row(_file(folder, "orders")) + "\n")
    before = counts(seeded)

    too_many = ecomctl(
        "seed", "--from", str(folder), "--max-bad-rows", "2", home=seeded, check=False
    )
    refused = {
        "exit 1": too_many.returncode == 1,
        "says 3 bad rows": "3 bad rows" in too_many.stderr,
    }
    faults.record(
        "seed --max-bad-rows 2 with 3 bad rows", refused, rows_lost(before, counts(seeded))
    )

    loaded = ecomctl("seed", "--from", str(folder), "--max-bad-rows", "3", home=seeded)
    assert "3 bad rows set aside in landing._rejects" in loaded.stderr
    with duckdb.connect(str(seeded / "warehouse.duckdb"), read_only=True) as con:
        rejects = con.execute(
            "select file, line, reason from landing._rejects order by file, line"
        ).fetchall()
        good_orders = con.execute("select count(*) from landing.orders").fetchone()
    files = sorted(r[0] for r in rejects)
    assert files == [
        "olist_orders_dataset.csv",
        "olist_orders_dataset.csv",
        "olist_sellers_dataset.csv",
    ]
    assert any(r[1] and "convert" in r[2].lower() for r in rejects)  # with its line
    assert any("duplicate key" in r[2] for r in rejects)
    assert good_orders == (before["landing.orders"],)
    faults.record("seed --max-bad-rows 3 with 3 bad rows", True, rows_lost(before, counts(seeded)))


def test_an_empty_key_is_set_aside_visibly_with_max_bad_rows(
    olist_files: Path, tmp_path: Path, faults: FaultLog
) -> None:
    folder = shutil.copytree(olist_files, tmp_path / "files")
    sellers = _file(folder, "sellers")
    rows = len(sellers.read_text().splitlines()) - 1
    _empty_first_key(sellers)
    home = tmp_path / "home"
    loaded = ecomctl("seed", "--from", str(folder), "--max-bad-rows", "1", home=home)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        reasons = [r for (r,) in con.execute("select reason from landing._rejects").fetchall()]
        (kept,) = con.execute("select count(*) from landing.sellers").fetchone() or (0,)
    faults.record(
        "seed --max-bad-rows 1 with an empty seller_id",
        {
            "says 1 bad row set aside": "1 bad row set aside" in loaded.stderr,
            "the reject says empty key (seller_id)": reasons == ["empty key (seller_id)"],
            "every other seller kept": kept == rows - 1,
        },
        note=f"{kept} of {rows} sellers kept; rejects: {reasons}",
    )


def test_a_short_row_is_one_bad_row(olist_files: Path, tmp_path: Path, faults: FaultLog) -> None:
    # 3 of a review's 7 fields: DuckDB notes it once per missing column.
    folder = shutil.copytree(olist_files, tmp_path / "files")
    _append(_file(folder, "order_reviews"), f"{HEX},{HEX},5\n")
    home = tmp_path / "home"
    loaded = ecomctl("seed", "--from", str(folder), "--max-bad-rows", "1", home=home, check=False)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rejects = con.execute("select line, reason from landing._rejects").fetchall()
    faults.record(
        "seed --max-bad-rows 1 with one short row",
        {
            "exit 0": loaded.returncode == 0,
            "says 1 bad row set aside": "1 bad row set aside" in loaded.stderr,
            "one reject, with its line": len(rejects) == 1 and bool(rejects[0][0]),
        },
        note=f"rejects: {rejects}; {loaded.stderr.strip()[-120:]}",
    )


def test_old_mac_line_endings_load_as_any_others(
    seeded: Path, olist_files: Path, tmp_path: Path, faults: FaultLog
) -> None:
    folder = shutil.copytree(olist_files, tmp_path / "files")
    for path in folder.iterdir():  # CR alone ends every line (and every line in a value)
        path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    home = tmp_path / "home"
    loaded = ecomctl("seed", "--from", str(folder), home=home, check=False)

    def landing(home: Path) -> dict[str, int]:  # the data, not the loads' own records
        return {t: n for t, n in counts(home).items() if t.startswith("landing.") and "._" not in t}

    rows = landing(home) if loaded.returncode == 0 else {}
    faults.record(
        "seed --from files with CR-only line endings",
        {
            "exit 0": loaded.returncode == 0,
            "no traceback": "Traceback" not in loaded.stderr,
            "the same landing rows as with LF": rows == landing(seeded),
        },
        note=loaded.stderr.strip()[-120:],
    )


def test_a_port_out_of_range_in_a_port_file(tmp_path: Path, faults: FaultLog) -> None:
    home = tmp_path / "home"
    port_file = home / "postgres" / "port"
    port_file.parent.mkdir(parents=True)
    port_file.write_text("99999\n")
    try:
        up = ecomctl("up", home=home, check=False)
    finally:
        ecomctl("down", home=home, check=False)
    faults.record(
        "99999 in the home's PostgreSQL port file",
        {
            "up exits 0": up.returncode == 0,
            "no traceback": "Traceback" not in up.stderr,
            "it names the file and what it held": f"{port_file} held no port number ('99999'"
            in up.stderr,
            "a port in range is chosen": 0 < int(port_file.read_text()) < 65536,
        },
        note=up.stderr.strip()[-120:],
    )
