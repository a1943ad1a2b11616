"""The guide's architecture for real: bronze on Trino into Iceberg, silver on the Spark Thrift
server with Iceberg merge, gold from Trino into PostgreSQL, all through one Hive Metastore and
one S3 server, as local processes (`--stack native`). Its gold must equal the embedded stack's,
row for row and to the cent, for the same seed."""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support.faultlog import FaultLog
from support.helpers import TEST_SCALE, ecomctl
from support.money import exact_mean, is_half_cent, landing_sales
from support.native import endpoints, native, pid_of, services
from support.net import LOOPBACK, listening_addresses

pytestmark = pytest.mark.native

GOLD_TABLES = (
    "daily_sales_categories", "sales_values_by_category", "sales_by_customer_state",
    "delivery_performance_monthly", "payment_type_mix", "review_score_by_category",
)  # fmt: skip
BRONZE_TABLES = (
    "customers", "geolocation", "order_items", "order_payments", "order_reviews", "orders",
    "products", "sellers", "category_translation",
)  # fmt: skip
SILVER_TABLES = (
    "dim_customers", "dim_dates", "dim_products", "dim_sellers", "fact_order_items",
    "fact_orders", "fact_payments",
)  # fmt: skip
JVMS = ("metastore", "trino", "spark-thrift")
MISSING = "gold.payment_type_mix, silver.dim_sellers are missing"


def _query(home: Path, sql: str, layer: str = "gold", stack: str = "native") -> list[list[Any]]:
    proc = ecomctl("query", sql, "--layer", layer, "--stack", stack, "--json", home=home)
    rows: list[list[Any]] = json.loads(proc.stdout)["rows"]
    return rows


def _comparable(value: Any) -> Any:
    """Numbers compared as numbers to the cent (one engine writes 5, another 5.0)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _table(home: Path, table: str, stack: str) -> list[tuple[Any, ...]]:
    rows = _query(home, f"select * from {table}", stack=stack)
    return sorted((tuple(_comparable(v) for v in row) for row in rows), key=repr)


@pytest.fixture(scope="module")
def native_run(native_home: Path) -> dict[str, Any]:
    """Seed (the embedded pipeline's scale and seed) and run every layer on the native stack."""
    native("seed", "--scale", str(TEST_SCALE), home=native_home)
    doc: dict[str, Any] = json.loads(native("run", "--json", home=native_home).stdout)
    return doc


def test_every_service_is_healthy_on_loopback_and_says_its_java(native_home: Path) -> None:
    found = services(native_home)
    assert set(found) == {"postgres", "s3", "metastore", "trino", "spark-thrift"}
    assert all(s["healthy"] for s in found.values()), found
    assert found["trino"]["version"] == "Trino 476"
    assert "Java 2" in found["trino"]["detail"]  # 24 or newer
    for jvm in ("metastore", "spark-thrift"):
        assert "Java 17" in found[jvm]["detail"] or "Java 21" in found[jvm]["detail"], found[jvm]
    for service in found.values():
        assert service["endpoint"].startswith("127.0.0.1:")
    sessions = {pid_of(native_home, s) for s in ("s3", *JVMS)}
    addresses = listening_addresses(names={"postgres"}, sessions=sessions)
    assert addresses and addresses <= LOOPBACK, addresses


def test_run_builds_each_layer_on_the_guides_engine(native_run: dict[str, Any]) -> None:
    assert native_run["ok"] is True
    adapters = {layer["layer"]: layer["adapter"] for layer in native_run["layers"]}
    assert adapters == {"bronze": "trino", "silver": "spark", "gold": "trino"}
    built = {
        n["unique_id"].rsplit(".", 1)[1] for layer in native_run["layers"] for n in layer["nodes"]
    }
    assert built == set(BRONZE_TABLES) | set(SILVER_TABLES) | set(GOLD_TABLES)


@pytest.mark.parametrize("table", GOLD_TABLES)
def test_gold_equals_the_embedded_stacks_gold_row_for_row(
    native_run: dict[str, Any],
    native_home: Path,
    pipeline_home: Path,
    first_run: subprocess.CompletedProcess[str],
    table: str,
) -> None:
    on_native = _table(native_home, table, "native")
    on_embedded = _table(pipeline_home, table, "embedded")
    assert on_native, f"gold.{table} is empty"
    assert on_native == on_embedded


def test_bronze_and_silver_are_iceberg_tables_with_snapshots(
    native_run: dict[str, Any], native_home: Path
) -> None:
    for table in BRONZE_TABLES:
        # Read through Trino: only Iceberg tables have a $snapshots metadata table.
        rows = _query(native_home, f'select count(*) from "{table}$snapshots"', "bronze")
        assert rows[0][0] >= 1, f"bronze.{table}"
    for table in SILVER_TABLES:
        # Read through Spark, which wrote them: Iceberg's metadata table of the session catalog.
        sql = f"select count(*) from spark_catalog.silver.{table}.snapshots"
        assert _query(native_home, sql, "silver")[0][0] >= 1, f"silver.{table}"


def test_silver_on_spark_equals_silver_on_duckdb(
    native_run: dict[str, Any], native_home: Path, pipeline_home: Path, first_run: object
) -> None:
    for table in SILVER_TABLES:
        sql = f"select count(*) from {table}"
        native_rows = _query(native_home, sql, "silver")
        embedded_rows = _query(pipeline_home, sql, "silver", stack="embedded")
        assert native_rows == embedded_rows, table
    money = "select round(sum(payment_value), 2) from fact_payments"
    assert _comparable(_query(native_home, money, "silver")[0][0]) == _comparable(
        _query(pipeline_home, money, "silver", stack="embedded")[0][0]
    )


def test_the_dbt_tests_of_every_layer_pass(
    native_run: dict[str, Any], native_home: Path, tmp_path: Path
) -> None:
    report = tmp_path / "junit.xml"
    doc = json.loads(native("test", "--json", "--junit-xml", str(report), home=native_home).stdout)
    counts = {layer["layer"]: layer["status_counts"] for layer in doc["layers"]}
    assert doc["ok"] is True, counts
    assert all(set(c) == {"pass"} for c in counts.values()), counts
    suites = report.read_text()
    assert suites.count("<testcase ") == sum(sum(c.values()) for c in counts.values())
    assert 'failures="0"' in suites and 'errors="0"' in suites


def test_a_rerun_with_nothing_new_does_nothing_and_forced_adds_no_rows_anywhere(
    native_run: dict[str, Any], native_home: Path
) -> None:
    assert json.loads(native("run", "--json", home=native_home).stdout)["up_to_date"]
    doc = json.loads(native("run", "--force", "--json", home=native_home).stdout)
    changes = {
        n["unique_id"]: n["change"]
        for layer in doc["layers"]
        for n in layer["nodes"]
        if n["resource_type"] == "model"
    }
    assert changes and set(changes.values()) == {0}, changes


def test_a_silver_and_a_gold_table_dropped_from_outside_are_built_again(
    native_run: dict[str, Any], native_home: Path, faults: FaultLog
) -> None:
    from ecomctl.engines import clients

    before = {t: _table(native_home, t, "native") for t in GOLD_TABLES}
    where = endpoints(native_home)
    # As ecomctl's own Trino login, from outside: the lake's table and gold's, both gone.
    with clients.trino(where.trino, where.lake_catalog) as cur:
        for table in (f"{where.lake_catalog}.silver.dim_sellers",
                      f"{where.gold_catalog}.gold.payment_type_mix"):  # fmt: skip
            cur.execute(f"drop table {table}")
            cur.fetchall()
    again = native("run", home=native_home, check=False)
    said = again.stderr + again.stdout
    sellers = _query(native_home, "select count(*) from dim_sellers", "silver")[0][0]
    after = {t: _table(native_home, t, "native") for t in GOLD_TABLES}
    faults.record(
        "native: a silver and a gold table dropped from outside, then run",
        {
            "exit 0": again.returncode == 0,
            "it says which tables are missing": MISSING in said,
            "not up to date": "up to date" not in again.stdout,
            "dim_sellers is back": sellers > 0,
            "gold as before": after == before,
        },
        note=next((line for line in said.splitlines() if "missing" in line), said[-160:]),
    )


def test_logs_show_each_service_and_refuse_an_unknown_one(native_home: Path) -> None:
    trino = native("logs", "trino", "--tail", "5", home=native_home).stdout.splitlines()
    assert 0 < len(trino) <= 5
    every = native("logs", "--tail", "2", home=native_home).stdout
    for service in ("postgres", "s3", "metastore", "trino", "spark-thrift"):
        assert f"{service} | " in every, service
    wrong = native("logs", "nope", home=native_home, check=False)
    assert wrong.returncode == 2 and "no service 'nope' on the native stack" in wrong.stderr


def test_query_and_status_env_on_the_native_stack(native_run: object, native_home: Path) -> None:
    assert _query(native_home, "select count(*) from orders", "landing")[0][0] > 0
    env = native("status", "-o", "env", home=native_home).stdout
    assert "ECOMCTL_STACK=native" in env and "ECOMCTL_TRINO_URL=https://127.0.0.1:" in env
    readers = native_home / "native" / "secrets" / "gold_reader_password"
    assert f"ECOMCTL_PG_PASSWORD_FILE={readers}" in env and readers.is_file()
    spark_reader = native_home / "native" / "secrets" / "spark_reader_password"
    assert "ECOMCTL_SPARK_USER=reader" in env
    assert f"ECOMCTL_SPARK_PASSWORD_FILE={spark_reader}" in env and spark_reader.is_file()
    secrets = (native_home / "native" / "secrets").glob("*")
    for secret in secrets:
        if secret.suffix != ".json":
            assert secret.read_text().strip() not in env


def test_an_increment_then_run_equals_a_full_refresh(
    native_run: dict[str, Any], native_home: Path
) -> None:
    native("seed", "--increment", home=native_home)
    incremental = json.loads(native("run", "--json", home=native_home).stdout)
    grown = {
        n["unique_id"]: n["change"]
        for layer in incremental["layers"]
        for n in layer["nodes"]
        if n["resource_type"] == "model" and n["change"]
    }
    assert any("fact_orders" in node for node in grown), grown  # silver's merge took the day
    after_increment = {t: _table(native_home, t, "native") for t in GOLD_TABLES}
    native("run", "--full-refresh", home=native_home)
    after_refresh = {t: _table(native_home, t, "native") for t in GOLD_TABLES}
    assert after_increment == after_refresh


def test_a_reseed_then_run_equals_a_fresh_run_on_the_new_data(
    native_run: dict[str, Any], native_home: Path, olist_files: Path, fresh_seed_7: Path
) -> None:
    # Landing replaced by other data (the seed-7 files): the next run rebuilds every layer.
    native("seed", "--from", str(olist_files), home=native_home)
    rerun = native("run", home=native_home)
    assert "landing was replaced since the last run (seed)" in rerun.stderr
    for table in GOLD_TABLES:
        assert _table(native_home, table, "native") == _table(fresh_seed_7, table, "embedded")
    # Back to the session's data for the tests that come after, on every layer too.
    native("seed", "--scale", str(TEST_SCALE), home=native_home)
    native("run", home=native_home)


def test_gold_money_is_exact_to_the_cent_half_cents_included(
    native_run: dict[str, Any], native_home: Path
) -> None:
    """Trino's decimal division and Spark's decimal sums give gold the exact decimal means,
    the generated half cent (148.73 over 2 orders) rounded half away from zero to 74.37."""
    landing = landing_sales(native_home / "data" / "generated")
    for report, sql in (
        ("monthly", "select monthly, category, total_sales, values_per_bills"
                    " from sales_values_by_category"),
        ("state", "select customer_state, total_sales, values_per_bills"
                  " from sales_by_customer_state"),
    ):  # fmt: skip
        got = {
            tuple(row[:-2]): (Decimal(str(row[-2])), Decimal(str(row[-1])))
            for row in _query(native_home, sql)
        }
        expected = {k: (total, exact_mean(total, n)) for k, (total, n) in landing[report].items()}
        assert got == expected, report
    pair = [k for k, sums in landing["monthly"].items() if sums == (Decimal("148.73"), 2)]
    assert len(pair) == 1 and pair[0][0] == "2016-09" and is_half_cent(*landing["monthly"][pair[0]])
    doc = json.loads(native("test", "--layer", "gold", "--json", home=native_home).stdout)
    statuses = {n["unique_id"]: n["status"] for layer in doc["layers"] for n in layer["nodes"]}
    assert statuses["test.ecom_analytics.gold_money_is_exact_to_the_cent"] == "pass"
