"""The whole pipeline on the embedded stack: real DuckDB, real PostgreSQL, real dbt."""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
from support.faultlog import FaultLog
from support.fixtures import gold_rows
from support.helpers import ecomctl, hint
from support.money import product_categories, rows

from ecomctl.settings import load_settings
from ecomctl.stacks.embedded import EmbeddedStack

GOLD_TABLES = {
    "daily_sales_categories", "sales_values_by_category", "sales_by_customer_state",
    "delivery_performance_monthly", "payment_type_mix", "review_score_by_category",
}  # fmt: skip


def _stack(home: Path) -> EmbeddedStack:
    return EmbeddedStack(load_settings(home=home))


def _all_counts(home: Path) -> dict[str, dict[str, int]]:
    stack = _stack(home)
    return {layer: stack.row_counts(layer) for layer in ("landing", "bronze", "silver", "gold")}


def _gold(home: Path, sql: str) -> list[tuple[Any, ...]]:
    stack = _stack(home)
    with stack.postgres.connect() as conn:
        return list(conn.execute(sql).fetchall())


def test_run_prints_a_summary_and_where_gold_is(
    first_run: subprocess.CompletedProcess[str],
) -> None:
    out = first_run.stdout
    for layer, profile in (("bronze", "trino"), ("silver", "spark"), ("gold", "gold")):
        assert f"{layer}: dbt run on profile {profile}" in out
    assert "slowest:" in out
    assert "NEW" in out  # the first run creates every table
    assert "gold tables: postgresql://gold_reader@127.0.0.1:" in out
    password = (Path(first_run.args[-1]) / "secrets" / "postgres_password").read_text().strip()
    assert password not in out + first_run.stderr


def test_gold_tables_are_in_postgresql_with_rows(pipeline_home: Path, first_run: object) -> None:
    counts = _stack(pipeline_home).row_counts("gold")
    assert set(counts) == GOLD_TABLES
    assert all(n > 0 for n in counts.values()), counts


def _independent_monthly_category_sales(files: Path) -> dict[tuple[str, str], tuple[float, int]]:
    """Monthly delivered revenue and orders per category, straight from the CSV files."""
    category = product_categories(files)
    month = {o["order_id"]: o["order_purchase_timestamp"][:7]
             for o in rows(files, "olist_orders_dataset.csv") if o["order_status"] == "delivered"}  # fmt: skip
    sales: dict[tuple[str, str], float] = defaultdict(float)
    bills: dict[tuple[str, str], set[str]] = defaultdict(set)
    for item in rows(files, "olist_order_items_dataset.csv"):
        if item["order_id"] in month:
            key = (month[item["order_id"]], category[item["product_id"]])
            sales[key] += float(item["price"]) + float(item["freight_value"])
            bills[key].add(item["order_id"])
    return {key: (sales[key], len(bills[key])) for key in sales}


def test_monthly_sales_per_category_match_an_independent_computation(
    pipeline_home: Path, first_run: object
) -> None:
    expected = _independent_monthly_category_sales(pipeline_home / "data" / "generated")
    rows = _gold(pipeline_home, "select monthly, category, total_sales, total_bills,"
                                " values_per_bills from gold.sales_values_by_category")  # fmt: skip
    got = {(m, c): (float(s), int(b), float(v)) for m, c, s, b, v in rows}
    assert set(got) == set(expected)
    for key, (sales, bills) in expected.items():
        assert got[key][0] == pytest.approx(sales, abs=0.01), key
        assert got[key][1] == bills, key
        assert got[key][2] == pytest.approx(sales / bills, abs=0.01), key
    assert len({m for m, _ in got}) >= 12  # one row per month, not one collapsed month


def test_orders_per_customer_state_match_an_independent_computation(
    pipeline_home: Path, first_run: object
) -> None:
    files = pipeline_home / "data" / "generated"
    state = {c["customer_id"]: c["customer_state"]
             for c in rows(files, "olist_customers_dataset.csv")}  # fmt: skip
    delivered = {o["order_id"]: state[o["customer_id"]]
                 for o in rows(files, "olist_orders_dataset.csv") if o["order_status"] == "delivered"}  # fmt: skip
    orders: dict[str, set[str]] = defaultdict(set)
    for item in rows(files, "olist_order_items_dataset.csv"):
        if item["order_id"] in delivered:
            orders[delivered[item["order_id"]]].add(item["order_id"])
    got = dict(
        _gold(pipeline_home, "select customer_state, total_bills from gold.sales_by_customer_state")
    )
    assert got == {s: len(ids) for s, ids in orders.items()}


def test_a_second_run_with_nothing_new_does_nothing_and_says_so(
    pipeline_home: Path, first_run: object
) -> None:
    before = _all_counts(pipeline_home)
    second = ecomctl("run", home=pipeline_home)
    assert "everything is up to date" in second.stdout
    assert f"`{hint(pipeline_home, 'run --force')}`" in second.stdout
    assert "dbt run" not in second.stdout  # no layer ran
    doc = json.loads(ecomctl("run", "--json", home=pipeline_home).stdout)
    assert doc["success"] and doc["up_to_date"] and doc["layers"] == []
    assert doc["built_at"] and doc["gold_url"]
    assert _all_counts(pipeline_home) == before


def test_a_gold_table_dropped_from_outside_is_built_again(
    pipeline_home: Path, first_run: object, faults: FaultLog
) -> None:
    before = _all_counts(pipeline_home)
    with _stack(pipeline_home).postgres.connect() as conn:  # as gold's owner, from outside
        conn.execute("drop table gold.payment_type_mix")
    again = ecomctl("run", home=pipeline_home, check=False)
    faults.record(
        "a gold table dropped from outside, then run",
        {
            "exit 0": again.returncode == 0,
            "it says which table is missing": "gold.payment_type_mix is missing: building 1 model"
            in again.stderr + again.stdout,
            "not up to date": "up to date" not in again.stdout,
            "every table as before": _all_counts(pipeline_home) == before,
        },
        note=(again.stderr + again.stdout).strip()[:120],
    )


def test_force_builds_every_model_though_nothing_changed(
    pipeline_home: Path, first_run: object
) -> None:
    before = _all_counts(pipeline_home)
    doc = json.loads(ecomctl("run", "--force", "--json", home=pipeline_home).stdout)
    models = {n["unique_id"] for layer in doc["layers"] for n in layer["nodes"]}
    assert [layer["layer"] for layer in doc["layers"]] == ["bronze", "silver", "gold"]
    assert len(models) == 9 + 7 + len(GOLD_TABLES)
    assert "NEW" not in ecomctl("run", "--force", home=pipeline_home).stdout
    assert _all_counts(pipeline_home) == before


def test_dbt_tests_pass_on_every_layer(pipeline_home: Path, first_run: object) -> None:
    proc = ecomctl("test", home=pipeline_home)
    for layer in ("bronze", "silver", "gold"):
        assert f"{layer}: dbt test on profile" in proc.stdout
    assert "pass" in proc.stdout and "FAIL" not in proc.stdout


def test_layer_and_select_limit_what_runs(pipeline_home: Path, first_run: object) -> None:
    bronze = ecomctl("run", "--layer", "bronze", home=pipeline_home)
    assert "bronze: dbt run" in bronze.stdout
    assert "silver:" not in bronze.stdout and "gold tables" not in bronze.stdout

    one = ecomctl(
        "run", "--layer", "gold", "--select", "sales_values_by_category", home=pipeline_home
    )
    assert "model.ecom_analytics.sales_values_by_category" in one.stderr
    assert "daily_sales_categories" not in one.stderr + one.stdout
    assert "success 1 " in one.stdout


def test_query_reads_every_layer(pipeline_home: Path, first_run: object) -> None:
    for layer, table in (("landing", "orders"), ("bronze", "orders"), ("silver", "fact_orders"),
                         ("gold", "sales_values_by_category")):  # fmt: skip
        proc = ecomctl("query", f"select count(*) as n from {table}", "--layer", layer,
                       "--format", "csv", home=pipeline_home)  # fmt: skip
        header, value = proc.stdout.split()
        assert header == "n" and int(value) > 0
    refused = ecomctl(
        "query", "delete from sales_values_by_category", home=pipeline_home, check=False
    )
    assert refused.returncode == 1 and "read-only" in refused.stderr


def test_docs_site_is_generated(pipeline_home: Path, first_run: object) -> None:
    proc = ecomctl("docs", home=pipeline_home)
    site = Path(proc.stdout.split("docs: ", 1)[1].strip()).parent
    assert (site / "index.html").exists()
    assert "fact_order_items" in (site / "manifest.json").read_text()
    assert "sales_values_by_category" in (site / "catalog.json").read_text()


def test_run_seeds_first_when_landing_is_empty(tmp_path: Path) -> None:
    home = tmp_path / "home"
    try:
        proc = ecomctl("run", "--layer", "bronze", home=home, env={"ECOMCTL_SCALE": "0.002"})
        assert "landing zone is empty: seeding" in proc.stderr
        assert _stack(home).row_counts("bronze")["orders"] > 0
    finally:
        ecomctl("down", home=home, check=False)


def test_a_failing_test_and_a_failing_model_exit_1_with_where_to_look(tmp_path: Path) -> None:
    home = tmp_path / "home"
    try:
        ecomctl("run", "--layer", "bronze", home=home, env={"ECOMCTL_SCALE": "0.002"})
        with duckdb.connect(str(home / "warehouse.duckdb")) as con:
            con.execute("insert into bronze.orders select * from bronze.orders limit 1")
            con.execute("alter table landing.sellers rename column seller_city to city")

        failed_test = ecomctl("test", "--layer", "bronze", home=home, check=False)
        assert failed_test.returncode == 1
        assert "FAIL" in failed_test.stdout and "orders" in failed_test.stdout

        failed_model = ecomctl("run", "--layer", "bronze", "--select", "sellers", "--full-refresh",
                               home=home, check=False)  # fmt: skip
        assert failed_model.returncode == 1
        assert "ERROR model.ecom_analytics.sellers" in failed_model.stdout
        compiled = failed_model.stdout.split("compiled SQL: ", 1)[1].split()[0]
        assert Path(compiled).name == "sellers.sql" and Path(compiled).exists()
    finally:
        ecomctl("down", home=home, check=False)


def test_gold_is_readable_with_a_plain_postgres_client(
    pipeline_home: Path, first_run: object
) -> None:
    endpoint = _stack(pipeline_home).postgres.endpoint()
    password = (pipeline_home / "secrets" / "postgres_password").read_text().strip()
    with psycopg.connect(endpoint.url(), password=password) as conn:
        (n,) = conn.execute("select count(*) from gold.sales_values_by_category").fetchone() or (0,)
    assert n > 0


def _query(home: Path, layer: str, sql: str) -> list[list[Any]]:
    found = ecomctl("query", sql, "--layer", layer, "--json", home=home)
    rows: list[list[Any]] = json.loads(found.stdout)["rows"]
    return rows


def _assert_updated_orders_delivered_late(home: Path, updated: int) -> None:
    """The orders an increment updated have two versions in landing; bronze and silver hold
    one row each, the latest: delivered, after the promised date."""
    twice = [r[0] for r in _query(home, "landing", "select order_id from orders"
                                  " group by order_id having count(*) > 1")]  # fmt: skip
    assert len(twice) == updated
    ids = ", ".join(f"'{order_id}'" for order_id in twice)
    assert _query(home, "bronze", f"select count(*) from orders where order_id in ({ids})") == [
        [updated]
    ]
    silver = _query(
        home,
        "silver",
        "select order_id, count(*), min(order_status), bool_or(is_delivered_on_time)"
        f" from fact_orders where order_id in ({ids}) group by order_id order by order_id",
    )
    assert silver == [[order_id, 1, "delivered", False] for order_id in sorted(twice)]


def test_an_increment_is_picked_up_incrementally_and_matches_a_full_refresh(tmp_path: Path) -> None:
    home = tmp_path / "home"
    tiny = {"ECOMCTL_SCALE": "0.005"}
    try:
        ecomctl("run", home=home, env=tiny)
        before = _all_counts(home)
        added = ecomctl("seed", "--increment", "--json", home=home)
        batch = json.loads(added.stdout)
        assert batch["batch"] == 1
        new_orders, updated = batch["new_orders"], batch["updated_orders"]
        assert new_orders > 0 and updated > 0
        # What this load appended, not landing's totals (`rows`): new and updated orders.
        assert batch["loaded"]["orders"] == new_orders + updated
        for table, appended in batch["loaded"].items():
            assert batch["rows"][table] == before["landing"][table] + appended
        assert f"{new_orders} new orders, {updated} earlier orders updated" in added.stderr

        run = ecomctl("run", home=home)
        after = _all_counts(home)
        assert after["bronze"]["orders"] == before["bronze"]["orders"] + new_orders
        assert after["silver"]["fact_orders"] == before["silver"]["fact_orders"] + new_orders
        assert f"+{new_orders}" in run.stdout  # the row-count diff shows the new orders
        # Only what the increment touched was built: tables it did not append to stay out,
        # of the work and of the row-count diff.
        changed = {t for t, n in batch["rows"].items() if n != before["landing"][t]}
        assert "geolocation" not in changed and "changed since the last run: " in run.stderr
        assert "geolocation" not in run.stdout and "dim_sellers" not in run.stdout
        assert "sales_values_by_category" in run.stdout
        _assert_updated_orders_delivered_late(home, updated)
        ecomctl("test", home=home)
        gold = gold_rows(home)

        ecomctl("run", "--full-refresh", home=home)
        assert _all_counts(home) == after  # incremental == rebuilt from scratch
        assert gold_rows(home) == gold
    finally:
        ecomctl("down", home=home, check=False)
