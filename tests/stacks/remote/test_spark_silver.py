"""The silver layer for real on Spark: ecomctl's remote stack against a Spark Thrift server.

The embedded run (`first_run`) built landing, bronze and silver in DuckDB. Its landing and
bronze tables are exported to Parquet and registered on a real Spark Thrift server (started
from the pyspark wheel on 127.0.0.1, see spark_thrift.py); then ecomctl's production code
(`get_stack` of a `remote` stack, `pipeline.run_layers`) builds and tests silver there through
dbt-spark's thrift method. Silver on Spark must equal silver on DuckDB: both were built from
the same bronze rows by the same models.

Plain Parquet tables, since Iceberg and Delta jars cannot be fetched here; hence the dbt vars
`silver_materialized: table` and `silver_file_format: parquet` (no merge without a table
format).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from support.helpers import ecomctl
from support.spark_thrift import SparkThrift

from ecomctl.engines import duck
from ecomctl.settings import load_settings
from ecomctl.stacks import get_stack
from ecomctl.stacks.base import Stack
from ecomctl.transform import pipeline
from ecomctl.transform.pipeline import LayerReport

pytestmark = pytest.mark.spark

SILVER_MODELS = (
    "dim_customers",
    "dim_dates",
    "dim_products",
    "dim_sellers",
    "fact_order_items",
    "fact_orders",
    "fact_payments",
)
RECONCILIATION_TESTS = (
    "silver_delivered_orders_consistent",
    "silver_item_sales_match_landing",
    "silver_payments_match_landing",
)
# Where the lake's layers live on Spark: its session catalog's databases of the same names.
LAKE_SCHEMAS = ("landing", "bronze")


def duckdb_rows(home: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duck.connect(load_settings(home=home).paths, read_only=True)
    try:
        return [tuple(row) for row in con.execute(sql).fetchall()]
    finally:
        con.close()


@pytest.fixture(scope="module")
def spark_lake(
    first_run: subprocess.CompletedProcess[str],
    pipeline_home: Path,
    spark_thrift_server: SparkThrift,
    tmp_path_factory: pytest.TempPathFactory,
) -> SparkThrift:
    """The embedded run's landing and bronze, as Parquet tables `landing.*` and `bronze.*`."""
    assert first_run.returncode == 0, first_run.stderr
    files = tmp_path_factory.mktemp("spark_lake")
    statements: list[str] = []
    con = duck.connect(load_settings(home=pipeline_home).paths, read_only=True)
    try:
        for schema in LAKE_SCHEMAS:
            statements.append(f"create database if not exists `{schema}`")
            listed = con.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [schema],
            ).fetchall()
            for (table,) in listed:
                folder = files / schema / table
                folder.mkdir(parents=True)
                # DuckDB writes TIMESTAMP as int64 microseconds without a zone, DECIMAL as
                # Parquet decimals: Spark reads them as timestamp_ntz and decimal(p, s), the
                # types a Trino-written Iceberg lake has on Spark too.
                con.execute(
                    f'copy "{schema}"."{table}" to \'{folder / "data.parquet"}\' (format parquet)'
                )
                statements.append(
                    f"create table `{schema}`.`{table}` using parquet location '{folder}'"
                )
    finally:
        con.close()
    spark_thrift_server.execute_all(statements)
    return spark_thrift_server


@pytest.fixture(scope="module")
def spark_stack(spark_lake: SparkThrift, tmp_path_factory: pytest.TempPathFactory) -> Stack:
    """A remote stack whose Spark Thrift endpoint is the test server.

    It gets a home of its own: its profiles.yml and dbt target must not replace those of the
    embedded home that other tests share.
    """
    settings = load_settings(
        home=tmp_path_factory.mktemp("remote") / "home",
        stack="remote",
        spark_host=spark_lake.host,
        spark_port=spark_lake.port,
        dbt_vars={"silver_materialized": "table", "silver_file_format": "parquet"},
    )
    return get_stack(settings)


@pytest.fixture(scope="module")
def silver_run(spark_stack: Stack) -> LayerReport:
    (report,) = pipeline.run_layers(spark_stack, ["silver"])
    return report


@pytest.fixture(scope="module")
def silver_tests(spark_stack: Stack, silver_run: LayerReport) -> LayerReport:
    (report,) = pipeline.run_layers(spark_stack, ["silver"], command="test")
    return report


@pytest.fixture(scope="module")
def silver_rerun(spark_stack: Stack, silver_tests: LayerReport) -> dict[str, Any]:
    """`ecomctl run --stack remote --layer silver` as a user runs it, on the same home.

    After the dbt tests, so that those check the first build. No Trino or PostgreSQL is given:
    a silver run needs only the Spark Thrift server.
    """
    env = {
        "ECOMCTL_STACK": "remote",
        "ECOMCTL_SPARK_PORT": str(spark_stack.settings.spark_port),
        "ECOMCTL_DBT_VARS": json.dumps(spark_stack.settings.dbt_vars),
    }
    proc = ecomctl("run", "--layer", "silver", "--json", home=spark_stack.paths.root, env=env)
    document: dict[str, Any] = json.loads(proc.stdout)
    return document


def failures_text(report: LayerReport) -> str:
    lines = [f"{n.name}: {n.status} {n.message}" for n in report.failures()]
    return "\n".join([report.error, *lines])


def normalized(rows: Sequence[Sequence[Any]]) -> Counter[tuple[Any, ...]]:
    """Rows as a multiset, comparable across engines.

    PyHive returns dates as 'YYYY-MM-DD' text, and averages of doubles may differ in the last
    bits with the order Spark and DuckDB add them in.
    """

    def value(v: Any) -> Any:
        if isinstance(v, float):
            return round(v, 9)
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
            return v.isoformat()
        return v

    return Counter(tuple(value(v) for v in row) for row in rows)


def test_landing_and_bronze_keep_their_types_on_spark(spark_lake: SparkThrift) -> None:
    """Timestamps stay timestamps (not int64 microseconds), money stays exact decimals."""
    landing = {r[0]: r[1] for r in spark_lake.execute("describe `landing`.`orders`")}
    bronze = {r[0]: r[1] for r in spark_lake.execute("describe `bronze`.`order_items`")}
    assert landing["order_purchase_timestamp"] == "timestamp_ntz"
    assert landing["_loaded_at"] == "timestamp_ntz"
    assert bronze["shipping_limit_date"] == "timestamp_ntz"
    assert bronze["price"] == "decimal(14,2)"


def test_every_silver_model_builds_on_spark(silver_run: LayerReport) -> None:
    assert silver_run.success, failures_text(silver_run)
    assert silver_run.adapter == "spark"
    models = {n.name: n.status for n in silver_run.nodes if n.resource_type == "model"}
    assert models == dict.fromkeys(SILVER_MODELS, "success")


def test_silver_row_counts_on_spark_equal_duckdb(
    silver_run: LayerReport, spark_stack: Stack, pipeline_home: Path
) -> None:
    """Counted through Spark Thrift by the stack itself, and reported as the run's diff."""
    on_duckdb = duck.table_counts(load_settings(home=pipeline_home).paths, "silver")
    on_spark = spark_stack.row_counts("silver")
    assert set(on_spark) == set(SILVER_MODELS)
    assert on_spark == on_duckdb
    assert {d.name: d.rows_after for d in silver_run.diffs} == on_duckdb
    assert all(d.rows_before is None for d in silver_run.diffs)  # Spark had no silver yet


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("fact_order_items", "item_total_value"),
        ("fact_order_items", "freight_value"),
        ("fact_payments", "payment_value"),
        ("fact_orders", "payments_value"),
    ],
)
def test_money_sums_agree_to_the_cent(
    silver_run: LayerReport, spark_lake: SparkThrift, pipeline_home: Path, table: str, column: str
) -> None:
    """Exact decimals on both engines: equal, not merely close."""
    sql = f"select sum({column}) from silver.{table}"
    ((on_spark,),) = spark_lake.execute(sql)
    ((on_duckdb,),) = duckdb_rows(pipeline_home, sql)
    assert on_duckdb > 0
    assert on_spark == on_duckdb


@pytest.mark.parametrize("table", SILVER_MODELS)
def test_silver_rows_on_spark_equal_duckdb(
    silver_run: LayerReport, spark_lake: SparkThrift, pipeline_home: Path, table: str
) -> None:
    """Row for row: catches dialect differences (day of week, month labels, date arithmetic,
    accents, NULL handling) that counts and sums would not."""
    columns = [str(r[0]) for r in duckdb_rows(pipeline_home, f"describe silver.{table}")]
    select = f"select {', '.join(columns)} from silver.{table}"
    on_spark = normalized(spark_lake.execute(select))
    on_duckdb = normalized(duckdb_rows(pipeline_home, select))
    only_spark = list((on_spark - on_duckdb).elements())[:3]
    only_duckdb = list((on_duckdb - on_spark).elements())[:3]
    assert on_spark == on_duckdb, f"only on Spark: {only_spark}\nonly on DuckDB: {only_duckdb}"


def test_silver_dbt_tests_pass_on_spark(silver_tests: LayerReport) -> None:
    """Including the reconciliation tests, which read landing straight from Spark."""
    assert silver_tests.success, failures_text(silver_tests)
    ran = {n.name: n.status for n in silver_tests.nodes if n.resource_type == "test"}
    assert set(RECONCILIATION_TESTS) <= set(ran)
    assert set(ran.values()) == {"pass"}


def test_a_second_run_from_the_cli_rebuilds_silver_in_place(
    silver_run: LayerReport, silver_rerun: dict[str, Any]
) -> None:
    """Tables, not merges, on plain Parquet: a rerun replaces each table with the same rows."""
    (layer,) = silver_rerun["layers"]
    assert silver_rerun["stack"] == "remote" and layer["adapter"] == "spark"
    assert layer["success"] is True, layer
    first = {d.name: d.rows_after for d in silver_run.diffs}
    rerun = {
        n["unique_id"].rsplit(".", 1)[-1]: (n["rows_before"], n["rows_after"])
        for n in layer["nodes"]
        if n["resource_type"] == "model"
    }
    assert rerun == {name: (rows, rows) for name, rows in first.items()}
