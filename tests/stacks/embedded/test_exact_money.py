"""Money in gold is exact to the cent: sums are decimal sums, and a mean of money is the exact
quotient rounded once, half away from zero (docs/data-model.md). The generated data holds a
half-cent mean on purpose (148.73 over 2 orders = 74.365, which is 74.37), and the dbt test
gold_money_is_exact_to_the_cent fails a project that divides in floating point."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from support.helpers import ecomctl

from ecomctl.resources import bundled
from ecomctl.settings import load_settings
from ecomctl.stacks.embedded import EmbeddedStack

TINY = {"ECOMCTL_SCALE": "0.005"}
CENT = Decimal("0.01")
EXACT_TEST = "gold_money_is_exact_to_the_cent"
Key = tuple[str, ...]


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _landing_sales(files: Path) -> dict[str, dict[Key, tuple[Decimal, int]]]:
    """Delivered items' price + freight and distinct orders, per (month, category), per
    (day, category) and per customer state, summed as exact decimals from the CSV files."""
    english = {r["product_category_name"]: r["product_category_name_english"]
               for r in _rows(files, "product_category_name_translation.csv")}  # fmt: skip
    category = {}
    for p in _rows(files, "olist_products_dataset.csv"):
        pt = p["product_category_name"]
        category[p["product_id"]] = "unknown" if not pt else english.get(pt, pt)
    state = {c["customer_id"]: c["customer_state"]
             for c in _rows(files, "olist_customers_dataset.csv")}  # fmt: skip
    delivered = {o["order_id"]: o for o in _rows(files, "olist_orders_dataset.csv")
                 if o["order_status"] == "delivered"}  # fmt: skip
    sales: dict[str, dict[Key, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    bills: dict[str, dict[Key, set[str]]] = defaultdict(lambda: defaultdict(set))
    for item in _rows(files, "olist_order_items_dataset.csv"):
        order = delivered.get(item["order_id"])
        if order is None:
            continue
        bought, cat = order["order_purchase_timestamp"], category[item["product_id"]]
        for report, key in (
            ("monthly", (bought[:7], cat)),
            ("daily", (bought[:10], cat)),
            ("state", (state[order["customer_id"]],)),
        ):
            sales[report][key] += Decimal(item["price"]) + Decimal(item["freight_value"])
            bills[report][key].add(order["order_id"])
    return {
        report: {key: (total, len(bills[report][key])) for key, total in by_key.items()}
        for report, by_key in sales.items()
    }


def _mean(total: Decimal, count: int) -> Decimal:
    return (total / count).quantize(CENT, rounding=ROUND_HALF_UP)  # half away from zero


def _is_half_cent(total: Decimal, count: int) -> bool:
    return (total * 100 / count) % 1 == Decimal("0.5")


def _gold(home: Path, sql: str) -> dict[Key, tuple[Decimal, ...]]:
    with EmbeddedStack(load_settings(home=home)).postgres.connect() as conn:
        rows = conn.execute(sql).fetchall()
    return {tuple(str(v) for v in row[:-2]): (row[-2], row[-1]) for row in rows}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home seeded at a tiny scale and run once on the bundled project."""
    home = tmp_path_factory.mktemp("money") / "home"
    ecomctl("run", home=home, env=TINY)
    try:
        yield home
    finally:
        ecomctl("down", home=home, check=False)


def test_gold_money_equals_an_exact_decimal_computation_half_cents_included(
    built: Path,
) -> None:
    landing = _landing_sales(built / "data" / "generated")
    monthly = _gold(built, "select monthly, category, total_sales, values_per_bills"
                           " from gold.sales_values_by_category")  # fmt: skip
    states = _gold(built, "select customer_state, total_sales, values_per_bills"
                          " from gold.sales_by_customer_state")  # fmt: skip
    daily = _gold(built, "select daily, category, sales, bills from gold.daily_sales_categories")
    for got, report in ((monthly, "monthly"), (states, "state")):
        expected = {
            key: (total, _mean(total, count)) for key, (total, count) in landing[report].items()
        }
        assert got == expected, report
    assert {key: sales for key, (sales, _) in daily.items()} == {
        key: total for key, (total, _) in landing["daily"].items()
    }

    half_cents = {key: (total, count) for key, (total, count) in landing["monthly"].items()
                  if _is_half_cent(total, count)}  # fmt: skip
    assert half_cents, "the generated data has no half-cent mean"
    pair = [
        key
        for key, (total, count) in half_cents.items()
        if (total, count) == (Decimal("148.73"), 2)
    ]
    assert len(pair) == 1 and pair[0][0] == "2016-09", half_cents
    assert monthly[pair[0]] == (Decimal("148.73"), Decimal("74.37"))  # 74.365, half up

    checked = json.loads(ecomctl("test", "--layer", "gold", "--json", home=built).stdout)
    statuses = {n["unique_id"]: n["status"] for layer in checked["layers"] for n in layer["nodes"]}
    assert statuses[f"test.ecom_analytics.{EXACT_TEST}"] == "pass"


def test_the_exact_money_test_fails_a_project_that_divides_in_floating_point(
    built: Path, tmp_path: Path
) -> None:
    project = tmp_path / "float"
    ecomctl("init", str(project), cwd=tmp_path)
    macros = project / "macros" / "gold.sql"
    text = (bundled("dbt") / "macros" / "gold.sql").read_text()
    start = text.index("{% macro money_divide(numerator, denominator) -%}")
    end = text.index("{%- endmacro %}", start)
    old_float_division = "{{ money(safe_divide(numerator, denominator)) }}\n"
    macros.write_text(text[:start] + text[start:].split("-%}", 1)[0] + "-%}\n    "
                      + old_float_division + text[end:])  # fmt: skip
    ecomctl("run", "--project-dir", str(project), home=built)
    floated = ecomctl("query", "select values_per_bills from sales_values_by_category"
                      " where monthly = '2016-09' and total_sales = 148.73", "--json", home=built)  # fmt: skip
    assert json.loads(floated.stdout)["rows"] == [[74.36]]  # the float division's wrong cent

    failed = ecomctl("test", "--project-dir", str(project), home=built, check=False)
    assert failed.returncode == 1
    assert EXACT_TEST in failed.stdout + failed.stderr
