"""The lake keeps what its retention says and nothing else: after a full refresh and after an
incremental run, every file they leave under a bronze or silver table's folder is one a live
Iceberg snapshot uses, and `query --as-of` reads a kept run's state exactly as it was then."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from support.helpers import TEST_SCALE
from support.native import native

from ecomctl.engines import clients, iceberg, s3
from ecomctl.settings import Settings
from ecomctl.stacks.lake import LakeStack

pytestmark = pytest.mark.native

KEEP = {"ECOMCTL_LAKE_KEEP_RUNS": "2"}  # so that the third run expires the first one's
ORDERS = "select order_id, order_status, _loaded_at from {} order by order_id"
FACTS = "select order_id, items_count, payments_value, _loaded_at from {} order by order_id"
# A `table` model: rebuilt on every run, replaced in place (dbt/macros/lake_hygiene.sql).
CUSTOMERS = "select * from {} order by customer_id"


def _stack(home: Path) -> LakeStack:
    from ecomctl.stacks import get_stack

    stack = get_stack(Settings(stack="native", home=home))
    assert isinstance(stack, LakeStack)
    return stack


def _key(url: str) -> str:
    """An object's key in the bucket, whichever scheme (s3, s3a) its writer used."""
    return re.sub(r"^s3[an]?://[^/]+/", "", url)


def _unreferenced(home: Path) -> dict[str, list[str]]:
    """Per layer, the objects under its folder that no live snapshot of a table uses: data
    and delete files no live manifest lists, manifests, manifest lists and metadata files the
    tables' metadata no longer names, and folders of tables that no longer exist."""
    where = _stack(home).where()
    found: dict[str, list[str]] = {}
    with clients.trino(where.trino, where.lake_catalog) as cur:

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return clients.fetch(cur, sql)

        for layer in iceberg.LAKE_LAYERS:
            prefix = iceberg.location(rows, layer)
            assert prefix is not None
            # Keys ending in / are folder markers (empty objects the metastore makes), not files.
            stray = {k for k in s3.list_objects(where.s3, prefix) if not k.endswith("/")}
            for table in iceberg.tables(rows, layer):
                t = f'"{layer}"."{table}'
                live = {
                    _key(r[0])
                    for r in rows(
                        f'select data_file.file_path from {t}$all_entries" where status <> 2'
                    )
                }
                live |= {_key(r[0]) for r in rows(f'select path from {t}$all_manifests"')}
                live |= {_key(r[0]) for r in rows(f'select manifest_list from {t}$snapshots"')}
                live |= {_key(r[0]) for r in rows(f'select file from {t}$metadata_log_entries"')}
                snapshots = len(rows(f'select snapshot_id from {t}$snapshots"'))
                folder = next(iter(live)).rsplit("/metadata/", 1)[0].rsplit("/data/", 1)[0] + "/"
                # Trino's statistics files, named in the metadata only: one per snapshot at most.
                stats = {k for k in stray if k.startswith(folder) and k.endswith(".stats")}
                assert len(stats) <= snapshots, (table, stats)
                stray -= live | stats
            if stray:
                found[layer] = sorted(stray)
    return found


def _left_since(home: Path, earlier: dict[str, list[str]]) -> dict[str, list[str]]:
    """What is unreferenced now and was not before: what the runs between left. The home is
    the session's shared one, where an earlier test kills Trino mid-statement, which may leave
    a table's folder that no table names (remove_orphan_files looks inside live tables only;
    docs/reliability.md)."""
    now = {layer: sorted(set(keys) - set(earlier.get(layer, []))) for layer, keys in
           _unreferenced(home).items()}  # fmt: skip
    return {layer: keys for layer, keys in now.items() if keys}


def _lake(home: Path) -> dict[str, dict[str, Any]]:
    doc = json.loads(native("lake", "--json", home=home).stdout)
    return {layer["layer"]: layer for layer in doc["layers"]}


def _bytes(label: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    for layer in iceberg.LAKE_LAYERS:
        print(
            f"{label}: {layer} {before[layer]['bytes']:,} -> {after[layer]['bytes']:,} bytes,"
            f" {before[layer]['files']} -> {after[layer]['files']} files,"
            f" {before[layer]['snapshots']} -> {after[layer]['snapshots']} snapshots"
        )


def _rows(home: Path, sql: str, *args: str) -> list[list[Any]]:
    doc = json.loads(native("query", sql, "--layer", "bronze", "--json", *args, home=home).stdout)
    rows: list[list[Any]] = doc["rows"]
    return rows


def _last_run(home: Path) -> dict[str, Any]:
    runs = json.loads(native("history", "--json", home=home).stdout)["runs"]
    run: dict[str, Any] = [r for r in runs if r["command"] == "run"][-1]
    return run


@pytest.fixture(scope="module")
def built(native_home: Path) -> Path:
    native("seed", "--scale", str(TEST_SCALE), home=native_home)
    native("run", home=native_home, env=KEEP)
    return native_home


def test_a_full_refresh_leaves_only_what_live_snapshots_use(built: Path) -> None:
    before, unreferenced = _lake(built), _unreferenced(built)
    native("run", "--full-refresh", home=built, env=KEEP)
    after = _lake(built)
    _bytes("full refresh", before, after)
    assert _left_since(built, unreferenced) == {}
    assert all(after[layer]["tables"] == before[layer]["tables"] for layer in iceberg.LAKE_LAYERS)


def test_an_increment_keeps_the_last_runs_readable_and_removes_the_rest(built: Path) -> None:
    *before_that, previous = _runs_with_snapshots(built)
    # The last run before it that left bronze.orders at another snapshot.
    first = next(r for r in reversed(before_that) if _orders(r) != _orders(previous))
    orders_then = _rows(built, ORDERS.format("bronze.orders"))
    facts_then = _rows(built, FACTS.format("silver.fact_orders"))
    customers_then = _rows(built, CUSTOMERS.format("silver.dim_customers"))
    before, unreferenced = _lake(built), _unreferenced(built)
    native("seed", "--increment", home=built)
    native("run", home=built, env=KEEP)
    after = _lake(built)
    _bytes("incremental run", before, after)
    assert _left_since(built, unreferenced) == {}

    # The run before this one, exactly as it was; today's state without --as-of.
    as_of = ("--as-of", str(previous["number"]))
    assert _rows(built, ORDERS.format("bronze.orders"), *as_of) == orders_then
    assert _rows(built, FACTS.format("silver.fact_orders"), *as_of) == facts_then
    assert _rows(built, CUSTOMERS.format("silver.dim_customers"), *as_of) == customers_then
    unqualified = native("query", "select count(*) from orders", *as_of, home=built, check=False)
    assert unqualified.returncode == 2, unqualified.stderr
    assert "name every table by its layer" in unqualified.stderr
    now = _rows(built, ORDERS.format("bronze.orders"))
    assert len(now) > len(orders_then)
    assert len(_rows(built, FACTS.format("silver.fact_orders"))) > len(facts_then)
    assert len(_rows(built, CUSTOMERS.format("silver.dim_customers"))) > len(customers_then)

    # Two runs kept (KEEP): every snapshot older than the previous run's is expired.
    where = _stack(built).where()
    kept = _orders(previous)
    with clients.trino(where.trino, where.lake_catalog) as cur:
        live = dict(
            clients.fetch(cur, 'select snapshot_id, committed_at from bronze."orders$snapshots"')
        )
    assert kept in live and len(live) > 1, live
    assert all(at >= live[kept] - timedelta(seconds=2) for at in live.values()), live
    assert _orders(first) not in live
    gone = native(
        "query",
        ORDERS.format("bronze.orders"),
        "--as-of",
        str(first["number"]),
        home=built,
        check=False,
    )
    assert gone.returncode == 1, gone.stderr
    assert "that run's snapshots are gone" in gone.stderr


def _runs_with_snapshots(home: Path) -> list[dict[str, Any]]:
    runs = json.loads(native("history", "--json", "-n", "0", home=home).stdout)["runs"]
    return [r for r in runs if r.get("snapshots")]


def _orders(run: dict[str, Any]) -> int:
    snapshot: int = run["snapshots"]["bronze"]["orders"]
    return snapshot
