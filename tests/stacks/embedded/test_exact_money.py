"""Money in gold is exact to the cent: sums are decimal sums, and a mean of money is the exact
quotient rounded once, half away from zero (docs/data-model.md). The generated data holds a
half-cent mean on purpose (148.73 over 2 orders = 74.365, which is 74.37), and the dbt test
gold_money_is_exact_to_the_cent fails a project that divides in floating point."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from support.helpers import ecomctl
from support.money import exact_mean, is_half_cent, landing_sales

from ecomctl.resources import bundled
from ecomctl.settings import load_settings
from ecomctl.stacks.embedded import EmbeddedStack

TINY = {"ECOMCTL_SCALE": "0.005"}
EXACT_TEST = "gold_money_is_exact_to_the_cent"


def _gold(home: Path, sql: str) -> dict[tuple[str, ...], tuple[Decimal, ...]]:
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
    landing = landing_sales(built / "data" / "generated")
    monthly = _gold(built, "select monthly, category, total_sales, values_per_bills"
                           " from gold.sales_values_by_category")  # fmt: skip
    states = _gold(built, "select customer_state, total_sales, values_per_bills"
                          " from gold.sales_by_customer_state")  # fmt: skip
    daily = _gold(built, "select daily, category, sales, bills from gold.daily_sales_categories")
    for got, report in ((monthly, "monthly"), (states, "state")):
        expected = {
            key: (total, exact_mean(total, count))
            for key, (total, count) in landing[report].items()
        }
        assert got == expected, report
    assert {key: sales for key, (sales, _) in daily.items()} == {
        key: total for key, (total, _) in landing["daily"].items()
    }

    half_cents = {key: (total, count) for key, (total, count) in landing["monthly"].items()
                  if is_half_cent(total, count)}  # fmt: skip
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
