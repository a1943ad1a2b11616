"""What a whole `run` builds after a change: dbt's own graph (the manifest of a real run, the
shared pipeline home's) and a copy of the bundled project, edited as a user would edit it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from ecomctl.resources import bundled
from ecomctl.transform import changes, project
from ecomctl.transform.built import Inputs

LANDING = {"orders": "1/2026-12-01 10:00:00/100", "geolocation": "1/2026-12-01 10:00:00/50"}


@pytest.fixture
def manifest(pipeline_home: Path, first_run: object) -> dict[str, Any]:
    found = changes.last_manifest(pipeline_home / "dbt")
    assert found is not None
    return found


@pytest.fixture
def dbt_copy(tmp_path: Path) -> Path:
    target = tmp_path / "dbt"
    shutil.copytree(bundled("dbt"), target, ignore=shutil.ignore_patterns(*project.BUILD_ARTEFACTS))
    return target


def _now(folder: Path, landing: dict[str, str] = LANDING, target: str = "t") -> Inputs:
    return Inputs(dict(landing), changes.project_files(folder), target)


def _after(dbt_copy: Path, manifest: dict[str, Any], edit: str, **now: Any) -> changes.Plan:
    before = _now(dbt_copy)
    if edit:
        path = dbt_copy / edit
        path.write_text(path.read_text() + "\n-- edited\n" if edit.endswith(".sql") else
                        path.read_text() + "\n# edited\n")  # fmt: skip
    return changes.plan(before, _now(dbt_copy, **now), manifest)


def test_nothing_changed_means_nothing_to_build(dbt_copy: Path, manifest: dict[str, Any]) -> None:
    done = _after(dbt_copy, manifest, "")
    assert done.up_to_date and done.models == frozenset()


def test_an_edited_gold_model_builds_it_alone(dbt_copy: Path, manifest: dict[str, Any]) -> None:
    done = _after(dbt_copy, manifest, "models/gold/payment_type_mix.sql")
    assert done.models == frozenset({"payment_type_mix"})
    assert "payment_type_mix" in done.why


def test_an_edited_silver_model_builds_it_and_what_is_built_from_it(
    dbt_copy: Path, manifest: dict[str, Any]
) -> None:
    done = _after(dbt_copy, manifest, "models/silver/fact_payments.sql")
    assert done.models is not None and "fact_payments" in done.models
    assert "payment_type_mix" in done.models  # gold reads the payments
    assert not done.models & {"orders", "dim_sellers", "fact_order_items"}


def test_a_models_properties_file_counts_as_the_model(
    dbt_copy: Path, manifest: dict[str, Any]
) -> None:
    done = _after(dbt_copy, manifest, "models/gold/sales_by_customer_state.yml")
    assert done.models == frozenset({"sales_by_customer_state"})


def test_an_appended_landing_table_builds_what_reads_it_and_nothing_else(
    dbt_copy: Path, manifest: dict[str, Any]
) -> None:
    grown = {**LANDING, "orders": "1/2026-12-02 10:00:00/120"}
    done = _after(dbt_copy, manifest, "", landing=grown)
    assert done.models is not None
    assert {"orders", "fact_orders", "delivery_performance_monthly"} <= done.models
    assert not done.models & {"geolocation", "sellers", "products", "dim_sellers"}
    assert "orders" in done.why


def test_a_new_model_is_built(dbt_copy: Path, manifest: dict[str, Any]) -> None:
    before = _now(dbt_copy)
    (dbt_copy / "models" / "gold" / "orders_per_day.sql").write_text("select 1 as n\n")
    done = changes.plan(before, _now(dbt_copy), manifest)
    assert done.models == frozenset({"orders_per_day"})


@pytest.mark.parametrize("edit", ["tests/gold/gold_sales_match_landing.sql", "models/overview.md"])
def test_tests_and_documentation_build_nothing(
    edit: str, dbt_copy: Path, manifest: dict[str, Any]
) -> None:
    assert _after(dbt_copy, manifest, edit).up_to_date


@pytest.mark.parametrize(
    "edit",
    ["macros/gold.sql", "dbt_project.yml", "models/landing/_landing__sources.yml"],
)
def test_a_macro_the_project_file_or_the_sources_build_everything(
    edit: str, dbt_copy: Path, manifest: dict[str, Any]
) -> None:
    done = _after(dbt_copy, manifest, edit)
    assert done.models is None and edit in done.why


def test_a_removed_model_replaced_landing_or_other_engines_build_everything(
    dbt_copy: Path, manifest: dict[str, Any]
) -> None:
    before = _now(dbt_copy)
    replaced = {t: "2" + v[1:] for t, v in LANDING.items()}
    assert changes.plan(before, _now(dbt_copy, landing=replaced), manifest).why == (
        "landing was replaced"
    )
    assert changes.plan(before, _now(dbt_copy, target="elsewhere"), manifest).models is None
    (dbt_copy / "models" / "gold" / "payment_type_mix.sql").unlink()
    gone = changes.plan(before, _now(dbt_copy), manifest)
    assert gone.models is None and "was removed" in gone.why
    assert changes.plan(None, before, manifest).models is None  # no earlier whole run
    assert changes.plan(before, before, None).models is None  # no graph to follow


def test_threads_and_memory_do_not_change_where_dbt_writes() -> None:
    def profile(path: str, threads: int, memory: str) -> dict[str, Any]:
        options = {"memory_limit": memory, "autoload_known_extensions": True}
        output = {"type": "duckdb", "path": path, "threads": threads, "config_options": options}
        return {"p": {"outputs": {"o": output}}}

    fp = changes.target_fingerprint
    plain, faster = profile("w.duckdb", 1, "1GB"), profile("w.duckdb", 8, "4GB")
    assert fp(plain, {}) == fp(faster, {}) != fp(profile("x.duckdb", 1, "1GB"), {})
    assert fp(plain, {}) != fp(plain, {"lake_database": "other"})
