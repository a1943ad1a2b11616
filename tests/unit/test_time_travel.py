"""Reading the lake as a run left it: which names are read at a snapshot, how a run is found
in the history, and the stacks that cannot travel in time saying so."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import cli

from ecomctl import history
from ecomctl.engines.iceberg import as_of
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.settings import HomePaths

SNAPSHOTS = {"bronze": {"orders": 11}, "silver": {"fact_orders": 22, "dim_dates": 33}}


def _at(sql: str) -> str:
    return as_of(sql, "iceberg", SNAPSHOTS, "#2")


def test_layer_qualified_tables_are_read_at_the_runs_snapshot() -> None:
    assert _at(
        "select count(*) from silver.fact_orders f join bronze.orders o using (order_id)"
    ) == (
        'select count(*) from "iceberg"."silver"."fact_orders" FOR VERSION AS OF 22 f'
        ' join "iceberg"."bronze"."orders" FOR VERSION AS OF 11 o using (order_id)'
    )


def test_catalog_qualified_quoted_and_spaced_names_are_read_at_the_snapshot_too() -> None:
    assert _at('select * from ICEBERG.Silver . "dim_dates"') == (
        'select * from "iceberg"."silver"."dim_dates" FOR VERSION AS OF 33'
    )


def test_strings_comments_columns_and_other_catalogs_are_left_alone() -> None:
    sql = (
        "select o.order_id, 'bronze.orders' as s -- silver.fact_orders\n"
        "from hive.bronze.orders o /* bronze.orders */ where x.y = 1"
    )
    assert _at(sql) == sql


def test_a_table_the_run_did_not_leave_is_a_usage_error() -> None:
    with pytest.raises(EcomctlError) as caught:
        _at("select * from silver.dim_products")
    assert caught.value.status == ExitStatus.USAGE
    assert "silver.dim_products had no snapshot after that run" in caught.value.message


def _run(paths: HomePaths, snapshots: dict[str, dict[str, int]] | None) -> history.Recorder:
    with history.recording(paths, "run", "native", ["run"]) as record:
        record.start()
        if snapshots is not None:
            record.snapshots(snapshots)
    return record


def test_runs_are_found_by_number_or_id_and_keep_their_snapshots(tmp_path: Path) -> None:
    paths = HomePaths(tmp_path)
    _run(paths, None)
    second = _run(paths, SNAPSHOTS)
    runs = history.read(paths)
    assert history.find(runs, "2") == (2, runs[1])
    assert history.find(runs, second.record["id"]) == (2, runs[1])
    assert runs[1]["snapshots"] == SNAPSHOTS
    assert "snapshots" not in runs[0]
    for missing in ("3", "0", "nope"):
        with pytest.raises(EcomctlError) as caught:
            history.find(runs, missing)
        assert caught.value.status == ExitStatus.USAGE


def test_the_retention_counts_only_runs_that_left_snapshots(tmp_path: Path) -> None:
    paths = HomePaths(tmp_path)
    for n in range(4):
        _run(paths, {"bronze": {"orders": n}} if n != 2 else None)
    runs = history.read(paths)
    assert history.with_snapshots(runs, "native", 2) == [
        {"bronze": {"orders": 1}},
        {"bronze": {"orders": 3}},
    ]
    assert history.with_snapshots(runs, "native", 0) == []
    assert history.with_snapshots(runs, "compose", 5) == []


def test_the_embedded_stack_refuses_as_of_in_one_line(tmp_path: Path) -> None:
    ran = cli("query", "select 1", "--as-of", "1", "--home", str(tmp_path / "home"))
    assert ran.code == ExitStatus.USAGE
    assert ran.stderr.strip().count("\n") == 0
    assert "--as-of is not available on the embedded stack" in ran.stderr


def test_the_embedded_stack_has_no_lake_to_show(tmp_path: Path) -> None:
    ran = cli("lake", "--home", str(tmp_path / "home"))
    assert ran.code == ExitStatus.USAGE
    assert "the embedded stack has no lake" in ran.stderr
