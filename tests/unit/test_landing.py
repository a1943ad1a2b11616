"""Loading the landing zone: one bulk, typed, atomic load of the 9 Olist files."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from ecomctl.data import landing
from ecomctl.data.olist import BY_TABLE, FILES
from ecomctl.errors import EcomctlError
from ecomctl.settings import HomePaths


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _landing_rows(paths: HomePaths) -> dict[str, int]:
    return landing.row_counts(paths)


def test_loads_every_file_with_its_row_count(olist_files: Path, tmp_path: Path) -> None:
    paths = HomePaths(tmp_path / "home")
    counts = landing.load(paths, olist_files).rows
    assert set(counts) == {f.table for f in FILES}
    for spec in FILES:
        with (olist_files / spec.filename).open("rb") as handle:
            import csv
            import io

            text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
            data_rows = sum(1 for _ in csv.reader(text)) - 1
        assert counts[spec.table] == data_rows, spec.filename


def test_bom_crlf_multiline_quotes_and_leading_zero_zips(tmp_path: Path, olist_files: Path) -> None:
    src = _copy(olist_files, tmp_path / "files")
    translation = BY_TABLE["category_translation"]
    (src / translation.filename).write_bytes(
        b"\xef\xbb\xbfproduct_category_name,product_category_name_english\r\n"
        b'beleza_saude,health_beauty\r\npc_x,"pcs, and more"\r\n'
    )
    reviews = BY_TABLE["order_reviews"]
    (src / reviews.filename).write_text(
        ",".join(reviews.column_names) + "\n"
        + "a" * 32 + "," + "b" * 32 + ',5,,"linha 1\nlinha ""2"", fim",2018-01-01 00:00:00,\n'
    )  # fmt: skip
    customers = BY_TABLE["customers"]
    (src / customers.filename).write_text(
        ",".join(customers.column_names)
        + "\n"
        + "c" * 32
        + ","
        + "d" * 32
        + ",01310,são paulo,SP\n"
    )
    paths = HomePaths(tmp_path / "home")
    landing.load(paths, src)
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    assert con.execute("select * from landing.category_translation order by 1").fetchall()[0][
        :2
    ] == ("beleza_saude", "health_beauty")
    assert con.execute(
        "select product_category_name_english from landing.category_translation where product_category_name = 'pc_x'"
    ).fetchone() == ("pcs, and more",)
    row = con.execute(
        "select review_comment_message, review_answer_timestamp from landing.order_reviews"
    ).fetchone()
    assert row is not None
    message, answered = row
    assert message == 'linha 1\nlinha "2", fim'
    assert answered is None  # an empty timestamp is NULL, not an error
    assert con.execute("select customer_zip_code_prefix from landing.customers").fetchone() == (
        "01310",
    )


def _orders_file(folder: Path, rows: list[str]) -> Path:
    folder.mkdir()
    spec = BY_TABLE["orders"]
    (folder / spec.filename).write_text("\n".join([",".join(spec.column_names), *rows]) + "\n")
    return folder


def test_an_append_may_bring_a_new_version_of_a_key_but_never_one_key_twice(
    olist_files: Path, tmp_path: Path
) -> None:
    paths = HomePaths(tmp_path / "home")
    landing.load(paths, olist_files)
    with (olist_files / BY_TABLE["orders"].filename).open() as handle:
        first = handle.readlines()[1].strip()
    order_id = first.split(",")[0].strip('"')
    later = first.replace(first.split(",")[2], "delivered", 1)

    appended = landing.load(paths, _orders_file(tmp_path / "update", [later]), append=True)
    assert appended.loaded == {"orders": 1}
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        versions = con.execute(
            "select count(distinct _loaded_at) from landing.orders where order_id = ?", [order_id]
        ).fetchone()
    assert versions == (2,)

    twice = _orders_file(tmp_path / "twice", [later, later])
    with pytest.raises(EcomctlError, match=f"duplicate key order_id={order_id}"):
        landing.load(paths, twice, append=True)
