"""The Olist file generator: deterministic, proportional to scale, coherent, and as dirty as
the real data set. Every check reads the written files back (DuckDB with the types of
olist.py, Python's csv module, raw bytes)."""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ecomctl.data import generator
from ecomctl.data.generator import reference
from ecomctl.data.olist import BY_TABLE, FILES, OlistFile

SCALE = 0.01  # big enough for the shares to be close to the real ones
SCALES = (SCALE, generator.MIN_SCALE)  # coherence must hold down to the smallest data set
UFS = {
    "AC", "AL", "AM", "AP", "BA", "CE", "DF", "ES", "GO", "MA", "MG", "MS", "MT", "PA", "PB",
    "PE", "PI", "PR", "RJ", "RN", "RO", "RR", "RS", "SC", "SE", "SP", "TO",
}  # fmt: skip
HEX32 = "[0-9a-f]{32}"  # regexp_full_match: the whole id


def _scaled(real: int, scale: float, minimum: int = 0) -> int:
    return max(minimum, math.floor(real * max(scale, generator.MIN_SCALE) + 0.5))


def _read_csv(path: Path, spec: OlistFile) -> str:
    columns = ", ".join(f"'{c.name}': '{c.type}'" for c in spec.columns)
    return (
        f"read_csv('{path}', header = true, auto_detect = false, delim = ',', quote = '\"',"
        f" escape = '\"', columns = {{{columns}}}, timestampformat = '%Y-%m-%d %H:%M:%S')"
    )


class Files:
    """Generated files at one scale, as DuckDB tables named after the landing tables."""

    def __init__(self, folder: Path, scale: float, rows: dict[str, int]) -> None:
        self.folder, self.scale, self.rows = folder, scale, rows
        self.increments: dict[int, Path] = {}  # batch -> folder, once loaded as b<batch>_*
        self.con = duckdb.connect()
        for spec in FILES:
            self.con.execute(
                f"CREATE TABLE {spec.table} AS"
                f" SELECT * FROM {_read_csv(folder / spec.filename, spec)}"
            )

    def one(self, sql: str) -> Any:
        row = self.con.execute(sql).fetchone()
        assert row is not None
        return row[0]

    def all(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def column(self, sql: str) -> list[Any]:
        return [row[0] for row in self.all(sql)]

    def quirk(self, real: int, minimum: int = 0) -> int:
        return _scaled(real, self.scale, minimum)


def _generate(folder: Path, scale: float, seed: int = 7) -> Files:
    rows = generator.generate(folder, scale=scale, seed=seed)
    return Files(folder, scale, rows)


@pytest.fixture(scope="module", params=SCALES, ids=lambda s: f"scale={s}")
def files(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Files:
    return _generate(tmp_path_factory.mktemp("olist"), request.param)


@pytest.fixture(scope="module")
def stats(tmp_path_factory: pytest.TempPathFactory) -> Files:
    """The files at SCALE only, for checks of shares that tiny data sets cannot meet."""
    return _generate(tmp_path_factory.mktemp("olist_stats"), SCALE)


def _file_bytes(folder: Path) -> dict[str, bytes]:
    return {spec.filename: (folder / spec.filename).read_bytes() for spec in FILES}


# --- Row counts ------------------------------------------------------------------------------


def test_scale_1_has_the_real_row_counts() -> None:
    assert generator.expected_rows(1) == {f.table: f.rows_at_scale_1 for f in FILES}


@pytest.mark.parametrize("scale", [0.5, 0.1, 0.01, 0.0123, 0.002])
def test_rows_are_proportional_to_scale(scale: float) -> None:
    minimum = {"products": 40, "sellers": 10}
    expected = {f.table: _scaled(f.rows_at_scale_1, scale, minimum.get(f.table, 1)) for f in FILES}
    expected["category_translation"] = 71
    assert generator.expected_rows(scale) == expected


def test_scales_below_the_minimum_give_the_minimum_data_set() -> None:
    smallest = generator.expected_rows(generator.MIN_SCALE)
    assert generator.expected_rows(generator.MIN_SCALE / 100) == smallest
    assert smallest["orders"] == smallest["customers"] == 99
    assert smallest["sellers"] >= 10 and smallest["products"] >= 40


@pytest.mark.parametrize("scale", [0, -1, math.nan, math.inf])
def test_rejects_a_scale_that_is_not_a_positive_number(scale: float, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale"):
        generator.generate(tmp_path, scale=scale)


def test_files_hold_the_rows_reported(files: Files) -> None:
    assert files.rows == generator.expected_rows(files.scale)
    for spec in FILES:
        assert files.one(f"SELECT count(*) FROM {spec.table}") == files.rows[spec.table]


def test_scale_1_writes_the_real_row_counts(tmp_path: Path) -> None:
    rows = generator.generate(tmp_path, scale=1, seed=1)
    assert rows == {f.table: f.rows_at_scale_1 for f in FILES}
    for spec in FILES:
        with (tmp_path / spec.filename).open(encoding="utf-8-sig", newline="") as handle:
            assert sum(1 for _ in csv.reader(handle)) - 1 == spec.rows_at_scale_1, spec.filename


# --- Determinism -----------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    generator.generate(tmp_path / "a", scale=0.002, seed=3)
    generator.generate(tmp_path / "b", scale=0.002, seed=3)
    assert _file_bytes(tmp_path / "a") == _file_bytes(tmp_path / "b")


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    generator.generate(tmp_path / "a", scale=0.002, seed=3)
    generator.generate(tmp_path / "b", scale=0.002, seed=4)
    a, b = _file_bytes(tmp_path / "a"), _file_bytes(tmp_path / "b")
    translation = BY_TABLE["category_translation"].filename
    assert a[translation] == b[translation]
    assert all(a[name] != b[name] for name in a if name != translation)


# --- CSV format ------------------------------------------------------------------------------


def test_translation_file_has_a_bom_and_crlf_line_endings(files: Files) -> None:
    raw = (files.folder / BY_TABLE["category_translation"].filename).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfproduct_category_name,product_category_name_english\r\n")
    assert raw.endswith(b"\r\n")
    assert raw.count(b"\n") == raw.count(b"\r\n") == 72


@pytest.mark.parametrize("spec", [f for f in FILES if f.table != "category_translation"])
def test_files_are_minimal_quoted_lf_csv_without_bom(files: Files, spec: OlistFile) -> None:
    _assert_minimal_quoted_lf_csv(files.folder / spec.filename, spec)


def _assert_minimal_quoted_lf_csv(path: Path, spec: OlistFile) -> None:
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == spec.column_names
    assert {len(row) for row in rows} == {len(spec.columns)}
    # Writing the parsed rows back with minimal quoting and LF must give the very same bytes:
    # quotes only where needed, doubled inside, no "NULL" text, LF after every row.
    again = io.StringIO(newline="")
    csv.writer(again, lineterminator="\n").writerows(rows)
    assert again.getvalue() == text
    assert "NULL" not in text


def test_missing_values_are_empty_fields(files: Files) -> None:
    text = (files.folder / BY_TABLE["orders"].filename).read_text(encoding="utf-8")
    assert ",," in text  # canceled or undelivered orders lack dates


def test_timestamps_and_amounts_are_formatted_like_the_real_files(files: Files) -> None:
    timestamp = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
    amount = re.compile(r"^\d+\.\d{2}$")
    for table, formats in {
        "orders": {c.name: timestamp for c in BY_TABLE["orders"].columns if c.type == "TIMESTAMP"},
        "order_items": {"shipping_limit_date": timestamp, "price": amount, "freight_value": amount},
        "order_payments": {"payment_value": amount},
        "order_reviews": {"review_creation_date": timestamp, "review_answer_timestamp": timestamp},
    }.items():
        path = files.folder / BY_TABLE[table].filename
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                for column, pattern in formats.items():
                    assert row[column] == "" or pattern.match(row[column]), (table, column, row)


# --- Keys, ids and references ----------------------------------------------------------------


@pytest.mark.parametrize("spec", [f for f in FILES if f.key])
def test_true_keys_are_unique(files: Files, spec: OlistFile) -> None:
    key = ", ".join(spec.key)
    assert files.one(f"SELECT count(*) - count(DISTINCT ({key})) FROM {spec.table}") == 0


def test_ids_are_32_lowercase_hex_characters(files: Files) -> None:
    for spec in FILES:
        for column in (
            c.name for c in spec.columns if c.name.endswith("_id") and c.type == "VARCHAR"
        ):
            bad = files.one(
                f"SELECT count(*) FROM {spec.table}"
                f" WHERE NOT regexp_full_match({column}, '{HEX32}')"
            )
            assert bad == 0, (spec.table, column)


def test_one_customer_row_per_order(files: Files) -> None:
    assert files.one("SELECT count(*) FROM orders ANTI JOIN customers USING (customer_id)") == 0
    assert files.one("SELECT count(DISTINCT customer_id) FROM orders") == files.rows["customers"]
    # customer_unique_id repeats for returning customers.
    people = files.one("SELECT count(DISTINCT customer_unique_id) FROM customers")
    assert people == files.quirk(96_096, 1) < files.rows["customers"]


@pytest.mark.parametrize(
    ("child", "column", "parent"),
    [
        ("order_items", "order_id", "orders"),
        ("order_items", "product_id", "products"),
        ("order_items", "seller_id", "sellers"),
        ("order_payments", "order_id", "orders"),
        ("order_reviews", "order_id", "orders"),
    ],
)
def test_references_resolve(files: Files, child: str, column: str, parent: str) -> None:
    assert files.one(f"SELECT count(*) FROM {child} ANTI JOIN {parent} USING ({column})") == 0


def test_every_product_and_seller_sells(files: Files) -> None:
    for parent, column in (("products", "product_id"), ("sellers", "seller_id")):
        assert (
            files.one(f"SELECT count(*) FROM {parent} ANTI JOIN order_items USING ({column})") == 0
        )


def test_customer_and_seller_zips_come_from_geolocation(files: Files) -> None:
    for table, prefix in (("customers", "customer"), ("sellers", "seller")):
        orphans = files.one(
            f"SELECT count(*) FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM geolocation g"
            f" WHERE g.geolocation_zip_code_prefix = t.{prefix}_zip_code_prefix"
            f" AND g.geolocation_state = t.{prefix}_state)"
        )
        assert orphans == 0, table


def test_product_categories_come_from_the_translation_file_but_two(files: Files) -> None:
    untranslated = files.column(
        "SELECT DISTINCT product_category_name FROM products ANTI JOIN category_translation"
        " USING (product_category_name) WHERE product_category_name IS NOT NULL ORDER BY 1"
    )
    assert untranslated == ["pc_gamer", "portateis_cozinha_e_preparadores_de_alimentos"]


# --- Places ----------------------------------------------------------------------------------


def test_zip_prefixes_are_five_digit_strings_many_with_a_leading_zero(files: Files) -> None:
    for table, column in (
        ("geolocation", "geolocation_zip_code_prefix"),
        ("customers", "customer_zip_code_prefix"),
        ("sellers", "seller_zip_code_prefix"),
    ):
        assert (
            files.one(
                f"SELECT count(*) FROM {table} WHERE NOT regexp_full_match({column}, '[0-9]{{5}}')"
            )
            == 0
        )
    zero_share = files.one("SELECT avg((customer_zip_code_prefix LIKE '0%')::INT) FROM customers")
    assert zero_share > 0.08


def test_states_are_the_27_ufs_with_sp_dominant(files: Files) -> None:
    customer_states = files.column(
        "SELECT customer_state FROM customers GROUP BY 1 ORDER BY count(*) DESC, 1"
    )
    assert set(customer_states) == UFS
    assert customer_states[0] == "SP"
    seller_states = files.column(
        "SELECT seller_state FROM sellers GROUP BY 1 ORDER BY count(*) DESC, 1"
    )
    assert set(seller_states) <= UFS and seller_states[0] == "SP"
    assert set(files.column("SELECT DISTINCT geolocation_state FROM geolocation")) == UFS


def test_geolocation_has_exact_duplicates_and_accent_variants(files: Files) -> None:
    duplicates = files.one(
        "SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT * FROM geolocation))"
        " FROM geolocation"
    )
    assert 0.15 < duplicates / files.rows["geolocation"] < 0.4
    spellings = files.all(
        "SELECT geolocation_zip_code_prefix,"
        " list(DISTINCT geolocation_city ORDER BY geolocation_city)"
        " FROM geolocation GROUP BY 1 HAVING count(DISTINCT geolocation_city) > 1"
    )
    assert spellings, "no zip with two spellings of its city"
    assert any(cities == ["sao paulo", "são paulo"] for _, cities in spellings)
    for _, cities in spellings:
        assert len({_plain(city) for city in cities}) == 1, cities
    # Accents also as combining marks (decomposed, NFD), as some real rows have them.
    decomposed = files.all(
        "SELECT geolocation_city FROM geolocation"
        " WHERE geolocation_city <> nfc_normalize(geolocation_city)"
    )
    assert decomposed, "no city written with combining marks"
    assert all(
        unicodedata.combining(ch) for (city,) in decomposed for ch in city if ord(ch) > 0x2FF
    )
    lat_min, lat_max, lng_min, lng_max = files.all(
        "SELECT min(geolocation_lat), max(geolocation_lat), min(geolocation_lng),"
        " max(geolocation_lng) FROM geolocation"
    )[0]
    assert -34 < lat_min < lat_max < 6 and -74 < lng_min < lng_max < -34


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def test_customer_and_seller_cities_match_their_zip(files: Files) -> None:
    for table, prefix in (("customers", "customer"), ("sellers", "seller")):
        mismatches = files.one(
            f"SELECT count(*) FROM {table} t WHERE {prefix}_city NOT IN (SELECT"
            f" strip_accents(geolocation_city) FROM geolocation g"
            f" WHERE g.geolocation_zip_code_prefix = t.{prefix}_zip_code_prefix)"
        )
        assert mismatches == 0, table


# --- Orders ----------------------------------------------------------------------------------


def test_every_status_is_present(files: Files) -> None:
    counts = dict(files.all("SELECT order_status, count(*) FROM orders GROUP BY 1"))
    assert set(counts) == set(reference.STATUSES)
    assert min(counts.values()) >= 2
    assert max(counts, key=lambda status: counts[status]) == "delivered"


def test_nearly_all_orders_are_delivered(stats: Files) -> None:
    assert 0.95 < stats.one("SELECT avg((order_status = 'delivered')::INT) FROM orders") < 0.98


def test_purchases_span_september_2016_to_october_2018(files: Files) -> None:
    first, last = files.all(
        "SELECT strftime(min(order_purchase_timestamp), '%Y-%m'),"
        " strftime(max(order_purchase_timestamp), '%Y-%m') FROM orders"
    )[0]
    assert (first, last) == ("2016-09", "2018-10")


def test_delivered_orders_have_their_dates_in_order(files: Files) -> None:
    assert files.one("SELECT count(*) FROM orders WHERE order_estimated_delivery_date IS NULL") == 0
    wrong = files.one(
        "SELECT count(*) FROM orders WHERE order_status = 'delivered' AND NOT ("
        " order_approved_at > order_purchase_timestamp"
        " AND order_delivered_carrier_date > order_purchase_timestamp"
        " AND order_delivered_customer_date > order_delivered_carrier_date)"
        " IS TRUE"
    )
    assert wrong == 0


def test_undelivered_orders_miss_dates(files: Files) -> None:
    missing = dict(
        files.all(
            "SELECT order_status, bool_and(order_delivered_customer_date IS NULL) FROM orders"
            " WHERE order_status NOT IN ('delivered', 'canceled') GROUP BY 1"
        )
    )
    assert all(missing.values())
    assert files.one(
        "SELECT bool_and(order_approved_at IS NULL) FROM orders WHERE order_status = 'created'"
    )


def test_some_deliveries_are_late(stats: Files) -> None:
    late = stats.one(
        "SELECT avg((order_delivered_customer_date > order_estimated_delivery_date)::INT)"
        " FROM orders WHERE order_status = 'delivered'"
    )
    assert 0.04 < late < 0.15


# --- Items -----------------------------------------------------------------------------------


def test_item_numbers_run_from_1_within_each_order(files: Files) -> None:
    gaps = files.one(
        "SELECT count(*) FROM (SELECT order_id, max(order_item_id) AS n, count(*) AS c,"
        " min(order_item_id) AS first FROM order_items GROUP BY 1) WHERE n <> c OR first <> 1"
    )
    assert gaps == 0
    assert files.one("SELECT max(order_item_id) FROM order_items") >= 2


def test_about_a_tenth_of_orders_have_several_items(stats: Files) -> None:
    share = stats.one(
        "SELECT avg((n > 1)::INT) FROM (SELECT count(*) AS n FROM order_items GROUP BY order_id)"
    )
    assert 0.07 < share < 0.13


def test_some_orders_have_no_items(files: Files) -> None:
    statuses = files.column(
        "SELECT order_status FROM orders ANTI JOIN order_items USING (order_id) ORDER BY 1"
    )
    assert len(statuses) == max(files.quirk(775), files.quirk(3, 1))
    assert set(statuses) <= {"unavailable", "canceled", "created"}


def test_prices_have_cents_and_are_positive(files: Files) -> None:
    assert files.one("SELECT min(price) > 0 AND min(freight_value) >= 0 FROM order_items")
    assert files.one("SELECT bool_and(round(price, 2) = price) FROM order_items")


# --- Payments --------------------------------------------------------------------------------


def test_payments_pay_items_and_freight_to_the_cent(files: Files) -> None:
    assert _payments_off_items(files) == []


def _payments_off_items(files: Files, prefix: str = "") -> list[tuple[Any, ...]]:
    """Orders whose payments differ from their items' price + freight by a cent or more."""
    return files.all(
        f"WITH paid AS (SELECT order_id, sum(payment_value) AS v FROM {prefix}order_payments"
        " GROUP BY 1),"
        f" due AS (SELECT order_id, sum(price + freight_value) AS v FROM {prefix}order_items"
        " GROUP BY 1)"
        " SELECT due.order_id, due.v, paid.v FROM due JOIN paid USING (order_id)"
        " WHERE abs(due.v - paid.v) >= 0.005"
    )


def test_exactly_one_order_has_items_but_no_payment(files: Files) -> None:
    unpaid = files.column("SELECT order_id FROM orders ANTI JOIN order_payments USING (order_id)")
    assert len(unpaid) == 1
    assert files.one(f"SELECT count(*) FROM order_items WHERE order_id = '{unpaid[0]}'") >= 1


def test_not_defined_payments_are_zero_on_canceled_orders(files: Files) -> None:
    rows = files.all(
        "SELECT o.order_status, p.payment_value, p.payment_sequential FROM order_payments p"
        " JOIN orders o USING (order_id) WHERE p.payment_type = 'not_defined'"
    )
    assert len(rows) == files.quirk(3, 1)
    assert all(row == ("canceled", 0.0, 1) for row in rows)


def test_all_payment_types_occur(files: Files) -> None:
    types = set(files.column("SELECT DISTINCT payment_type FROM order_payments"))
    assert types == {"credit_card", "boleto", "voucher", "debit_card", "not_defined"}


def test_payment_type_shares_are_the_real_ones(stats: Files) -> None:
    shares = dict(
        stats.all(
            "SELECT payment_type, count(*) / sum(count(*)) OVER () FROM order_payments GROUP BY 1"
        )
    )
    assert 0.70 < shares["credit_card"] < 0.78
    assert 0.15 < shares["boleto"] < 0.23
    assert 0.03 < shares["voucher"] < 0.09
    assert 0.003 < shares["debit_card"] < 0.03


def test_some_orders_pay_several_times(files: Files) -> None:
    gaps = files.one(
        "SELECT count(*) FROM (SELECT order_id, max(payment_sequential) AS n, count(*) AS c,"
        " min(payment_sequential) AS first FROM order_payments GROUP BY 1)"
        " WHERE n <> c OR first <> 1"
    )
    assert gaps == 0
    assert files.one("SELECT max(payment_sequential) FROM order_payments") >= 2
    assert (
        files.one(
            "SELECT count(*) FROM order_payments"
            " WHERE payment_sequential > 1 AND payment_type <> 'voucher'"
        )
        == 0
    )


def test_zero_installments_and_zero_values_occur(files: Files) -> None:
    zero_installments = files.one(
        "SELECT count(*) FROM order_payments WHERE payment_installments = 0"
    )
    assert zero_installments == files.quirk(2, 1)
    assert files.one("SELECT count(*) FROM order_payments WHERE payment_value = 0") >= 1
    assert files.one(
        "SELECT min(payment_installments) >= 0 AND max(payment_installments) <= 24"
        " FROM order_payments"
    )


# --- Products --------------------------------------------------------------------------------


def test_some_products_have_no_category_nor_description(files: Files) -> None:
    rows = files.all(
        "SELECT product_name_lenght, product_description_lenght, product_photos_qty FROM products"
        " WHERE product_category_name IS NULL"
    )
    assert len(rows) == files.quirk(610, 1)
    assert set(rows) == {(None, None, None)}
    assert (
        files.one(
            "SELECT count(*) FROM products"
            " WHERE product_category_name IS NOT NULL AND product_name_lenght IS NULL"
        )
        == 0
    )


def test_translation_file_has_71_real_looking_pairs(files: Files) -> None:
    pairs = dict(files.all("SELECT * FROM category_translation"))
    assert len(pairs) == 71
    assert pairs["beleza_saude"] == "health_beauty"
    assert pairs["informatica_acessorios"] == "computers_accessories"
    assert pairs["cama_mesa_banho"] == "bed_bath_table"
    assert all(re.fullmatch("[a-z0-9_]+", name) for pair in pairs.items() for name in pair)


# --- Reviews ---------------------------------------------------------------------------------


def test_review_scores_are_1_to_5_mostly_5(files: Files) -> None:
    scores = dict(files.all("SELECT review_score, count(*) FROM order_reviews GROUP BY 1"))
    assert set(scores) <= {1, 2, 3, 4, 5}
    assert max(scores, key=lambda score: scores[score]) == 5


def test_review_ids_repeat_across_orders(files: Files) -> None:
    shared = files.all(
        "SELECT review_id, count(DISTINCT order_id), count(DISTINCT"
        " (review_score, review_comment_message, review_creation_date))"
        " FROM order_reviews GROUP BY 1 HAVING count(*) > 1"
    )
    assert len(shared) == files.quirk(789, 1)
    assert all(orders == 2 and contents == 1 for _, orders, contents in shared)


def test_some_orders_have_several_reviews(files: Files) -> None:
    several = files.one(
        "SELECT count(*) FROM (SELECT order_id FROM order_reviews GROUP BY 1 HAVING count(*) > 1)"
    )
    assert several >= 1
    reviewed = files.one("SELECT count(DISTINCT order_id) FROM order_reviews")
    assert reviewed == files.rows["order_reviews"] - files.quirk(551, 1)


def test_reviews_follow_purchases(files: Files) -> None:
    early = files.one(
        "SELECT count(*) FROM order_reviews r JOIN orders o USING (order_id)"
        " WHERE r.review_creation_date < o.order_purchase_timestamp::DATE"
        " OR r.review_answer_timestamp <= r.review_creation_date"
    )
    assert early == 0


def test_review_comments_are_mostly_empty(stats: Files) -> None:
    title, message = stats.all(
        "SELECT avg((review_comment_title IS NULL)::INT),"
        " avg((review_comment_message IS NULL)::INT) FROM order_reviews"
    )[0]
    assert 0.84 < title < 0.92
    assert 0.52 < message < 0.66


def test_review_comments_hold_newlines_quotes_commas_and_accents(files: Files) -> None:
    messages = files.column(
        "SELECT review_comment_message FROM order_reviews WHERE review_comment_message IS NOT NULL"
    )
    for needle in ("\r\n", '"', ",", "ã", "é", "ç"):
        assert any(needle in m for m in messages), repr(needle)
    assert any("\n" in m and "\r\n" not in m for m in messages)


# --- Increments ------------------------------------------------------------------------------

INCREMENT_SPECS = [BY_TABLE[table] for table in generator.INCREMENT_TABLES]
# Id columns whose values an increment creates (products and sellers are the base's).
NEW_IDS = (
    ("orders", "order_id"),
    ("customers", "customer_id"),
    ("customers", "customer_unique_id"),
    ("order_reviews", "review_id"),
)


def _load_increment(files: Files, batch: int, folder: Path) -> dict[str, int]:
    """Generate batch beside the base files and load it as tables `b<batch>_<table>`."""
    rows = generator.generate_increment(folder, files.scale, 7, batch)
    files.increments[batch] = folder
    for spec in INCREMENT_SPECS:
        files.con.execute(
            f"CREATE OR REPLACE TABLE b{batch}_{spec.table} AS"
            f" SELECT * FROM {_read_csv(folder / spec.filename, spec)}"
        )
    return rows


@pytest.fixture(scope="module")
def increments(files: Files, tmp_path_factory: pytest.TempPathFactory) -> Files:
    """The base files (seed 7) with batches 1 and 2 of the same scale and seed loaded beside."""
    for batch in (1, 2):
        rows = _load_increment(files, batch, tmp_path_factory.mktemp(f"increment{batch}"))
        assert rows == {
            spec.table: files.one(f"SELECT count(*) FROM b{batch}_{spec.table}")
            for spec in INCREMENT_SPECS
        }
    return files


def test_increment_is_deterministic_and_batches_differ(tmp_path: Path) -> None:
    for name, batch in (("a", 1), ("b", 1), ("c", 2)):
        generator.generate_increment(tmp_path / name, 0.002, 3, batch)
    written = {p.name for p in (tmp_path / "a").iterdir()}
    assert written == {spec.filename for spec in INCREMENT_SPECS}
    a, b, c = (
        {spec.filename: (tmp_path / name / spec.filename).read_bytes() for spec in INCREMENT_SPECS}
        for name in "abc"
    )
    assert a == b
    assert all(a[name] != c[name] for name in a)


@pytest.mark.parametrize("batch", [0, -1, 1.5, True])
def test_increment_rejects_a_batch_below_1(batch: Any, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="batch"):
        generator.generate_increment(tmp_path, 0.01, 7, batch)


@pytest.mark.parametrize(("scale", "orders"), [(1, 136), (10, 1_360), (0.1, 14), (0.001, 5)])
def test_an_increment_is_a_real_day_of_orders_at_least_a_few(scale: float, orders: int) -> None:
    # ~99,000 real orders over two years; even the smallest data set gets a few a day.
    assert generator.increment_orders(scale) == orders


def test_increment_has_one_customer_per_order_and_items_per_order_like_the_base(
    increments: Files,
) -> None:
    orders = increments.one("SELECT count(*) FROM b1_orders")
    assert orders == generator.increment_orders(increments.scale)
    assert increments.one("SELECT count(*) FROM b1_customers") == orders
    assert (
        increments.one("SELECT count(*) FROM b1_orders ANTI JOIN b1_customers USING (customer_id)")
        == 0
    )
    assert orders <= increments.one("SELECT count(*) FROM b1_order_items") < 2 * orders


@pytest.mark.parametrize("spec", INCREMENT_SPECS, ids=lambda spec: spec.table)
def test_increment_keys_are_unique_even_with_the_base_and_other_batches(
    increments: Files, spec: OlistFile
) -> None:
    key = ", ".join(spec.key)
    union = " UNION ALL ".join(
        f"SELECT {key} FROM {prefix}{spec.table}" for prefix in ("", "b1_", "b2_")
    )
    assert increments.one(f"SELECT count(*) - count(DISTINCT ({key})) FROM ({union})") == 0


@pytest.mark.parametrize(("table", "column"), NEW_IDS)
def test_increment_ids_are_disjoint_from_the_base_and_other_batches(
    increments: Files, table: str, column: str
) -> None:
    for one, other in (
        (table, f"b1_{table}"),
        (table, f"b2_{table}"),
        (f"b1_{table}", f"b2_{table}"),
    ):
        shared = increments.one(
            f"SELECT count(*) FROM (SELECT {column} FROM {one} INTERSECT SELECT {column} FROM {other})"
        )
        assert shared == 0, (one, other)
    bad = increments.one(
        f"SELECT count(*) FROM b1_{table} WHERE NOT regexp_full_match({column}, '{HEX32}')"
    )
    assert bad == 0


@pytest.mark.parametrize(
    ("child", "column", "parent"),
    [
        ("b1_order_items", "order_id", "b1_orders"),
        ("b1_order_items", "product_id", "products"),
        ("b1_order_items", "seller_id", "sellers"),
        ("b1_order_payments", "order_id", "b1_orders"),
        ("b1_order_reviews", "order_id", "b1_orders"),
        ("b1_orders", "customer_id", "b1_customers"),
    ],
)
def test_increment_references_resolve_against_the_base(
    increments: Files, child: str, column: str, parent: str
) -> None:
    orphans = increments.one(f"SELECT count(*) FROM {child} ANTI JOIN {parent} USING ({column})")
    assert orphans == 0


def test_increment_customers_live_at_base_zips(increments: Files) -> None:
    orphans = increments.one(
        "SELECT count(*) FROM b1_customers c WHERE NOT EXISTS (SELECT 1 FROM geolocation g"
        " WHERE g.geolocation_zip_code_prefix = c.customer_zip_code_prefix"
        " AND g.geolocation_state = c.customer_state"
        " AND strip_accents(g.geolocation_city) = c.customer_city)"
    )
    assert orphans == 0


def test_each_batch_is_the_next_day_after_the_base(increments: Files) -> None:
    last = increments.one("SELECT max(order_purchase_timestamp)::DATE FROM orders")
    for batch in (1, 2):
        days = increments.column(
            f"SELECT DISTINCT order_purchase_timestamp::DATE - DATE '{last}' FROM b{batch}_orders"
        )
        assert days == [batch]


def test_increment_dates_follow_their_purchase(increments: Files) -> None:
    wrong = increments.one(
        "SELECT count(*) FROM b1_orders WHERE order_status = 'delivered' AND NOT ("
        " order_approved_at > order_purchase_timestamp"
        " AND order_delivered_carrier_date > order_approved_at"
        " AND order_delivered_customer_date > order_delivered_carrier_date"
        " AND order_estimated_delivery_date > order_purchase_timestamp) IS TRUE"
    )
    assert wrong == 0
    early = increments.one(
        "SELECT count(*) FROM b1_order_reviews r JOIN b1_orders o USING (order_id)"
        " WHERE r.review_creation_date < o.order_purchase_timestamp::DATE"
    )
    assert early == 0


def test_increment_payments_pay_items_and_freight_and_every_order_pays(increments: Files) -> None:
    assert _payments_off_items(increments, "b1_") == []
    unpaid = increments.one(
        "SELECT count(*) FROM b1_orders ANTI JOIN b1_order_payments USING (order_id)"
    )
    assert unpaid == 0


@pytest.mark.parametrize("spec", INCREMENT_SPECS, ids=lambda spec: spec.table)
def test_increment_files_have_the_base_format(increments: Files, spec: OlistFile) -> None:
    _assert_minimal_quoted_lf_csv(increments.increments[1] / spec.filename, spec)
