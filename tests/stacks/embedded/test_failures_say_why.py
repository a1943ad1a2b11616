"""When a run or a test fails, the user sees why: the database's own words (not dbt's
"Runtime Error in model ..." heading) on the terminal, with -q, in --json, in GitHub's
annotations; a selection that matches nothing is a usage error; a layer run before the
layer it is built from says so once."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from support.helpers import ecomctl, hint

TINY = {"ECOMCTL_SCALE": "0.002"}


@pytest.fixture(scope="module")
def broken_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home whose landing.sellers lost a column bronze.sellers reads."""
    home = tmp_path_factory.mktemp("broken") / "home"
    ecomctl("run", "--layer", "bronze", home=home, env=TINY)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("alter table landing.sellers rename column seller_city to city")
    try:
        yield home
    finally:
        ecomctl("down", home=home, check=False)


def _run_sellers(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return ecomctl(
        "run", "--layer", "bronze", "--select", "sellers", "--full-refresh", *args,
        home=home, env=env, check=False,
    )  # fmt: skip


def test_the_terminal_shows_the_databases_own_words(broken_model: Path) -> None:
    proc = _run_sellers(broken_model)
    assert proc.returncode == 1
    out: str = proc.stdout
    line = next(ln for ln in out.splitlines() if "ERROR model.ecom_analytics.sellers" in ln)
    assert "seller_city" in line and "Runtime Error" not in line, line


def test_quiet_still_prints_each_failure(broken_model: Path) -> None:
    proc = _run_sellers(broken_model, "-q")
    assert proc.stdout == ""
    err: str = proc.stderr
    assert "bronze: ERROR model.ecom_analytics.sellers" in err and "seller_city" in err, err


def test_a_failed_run_document_carries_the_error_at_the_top_and_per_layer(
    broken_model: Path,
) -> None:
    doc = json.loads(_run_sellers(broken_model, "--json").stdout)
    assert doc["ok"] is False and doc["exit_code"] == 1
    assert doc["error"].startswith("bronze: ") and "seller_city" in doc["error"]
    assert "\n" not in doc["error"]
    assert "1 of 1 nodes failed" in doc["layers"][0]["error"]


def test_github_annotations_carry_the_cause(broken_model: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    out: str = _run_sellers(broken_model, env=env).stdout
    annotation = next(ln for ln in out.splitlines() if ln.startswith("::error "))
    assert "seller_city" in annotation and "Runtime Error" not in annotation


def test_a_select_that_matches_nothing_is_a_usage_error_naming_it(
    pipeline_home: Path, first_run: object
) -> None:
    proc = ecomctl("run", "--select", "sales_value_by_category", home=pipeline_home, check=False)
    assert proc.returncode == 2
    assert "--select sales_value_by_category: selects nothing in bronze, silver, gold" in (
        proc.stderr
    )
    assert "does not match any enabled nodes" in proc.stderr  # dbt's own words
    assert "gold tables:" not in proc.stdout  # no success banner


def test_gold_before_silver_says_once_that_silver_is_not_built(tmp_path: Path) -> None:
    home = tmp_path / "home"
    try:
        ecomctl("seed", home=home, env=TINY)
        proc = ecomctl("run", "--layer", "gold", "--json", home=home, check=False)
        assert proc.returncode == 1
        doc = json.loads(proc.stdout)
        assert doc["error"].startswith("silver has not been built yet, and gold is built from it")
        errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("ecomctl:")]
        assert len(errors) == 1
    finally:
        ecomctl("down", home=home, check=False)


def test_status_of_a_stopped_server_says_which_in_its_document(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ecomctl("up", home=home)
    ecomctl("down", home=home)
    doc = json.loads(ecomctl("status", "--json", home=home, check=False).stdout)
    assert doc["ok"] is False and doc["error"].startswith("postgres is stopped: ")


def test_query_never_starts_the_server(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ecomctl("up", home=home)
    ecomctl("down", home=home)
    proc = ecomctl("query", "select 1", home=home, check=False)
    assert proc.returncode == 3
    assert f"is not running: `{hint(home, 'up')}` starts it (query never does)" in proc.stderr
    assert not (home / "postgres" / "data" / "postmaster.pid").exists()


def test_duckdbs_memory_limit_reaches_dbt_and_a_run_past_it_says_how_to_raise_it(
    tmp_path: Path,
) -> None:
    """The limit (1 GB unless set) bounds DuckDB in dbt's child; a run that needs more than
    a tiny one fails with DuckDB's words and the setting's name, and keeps what was built."""
    home = tmp_path / "home"
    try:
        ecomctl("run", home=home, env=TINY)
        profiles = json.loads((home / "dbt" / "profiles.yml").read_text())
        assert profiles["trino"]["outputs"]["embedded"]["config_options"]["memory_limit"] == "1GB"
        small = {**TINY, "ECOMCTL_DUCKDB_MEMORY_LIMIT": "2MB"}
        proc = ecomctl("run", "--force", "--json", home=home, env=small, check=False)
        assert proc.returncode == 1, proc.stderr
        # A layer whose work passes 2 MB fails (on this tiny data, not always bronze).
        errors = [layer["error"] for layer in json.loads(proc.stdout)["layers"] if layer["error"]]
        said = [
            e for e in errors if "Out of Memory Error" in e and "ECOMCTL_DUCKDB_MEMORY_LIMIT" in e
        ]
        assert said and all("2MB" in e for e in said), errors
        bad = ecomctl("run", home=home, env={**TINY, "ECOMCTL_DUCKDB_MEMORY_LIMIT": "lots"},
                      check=False)  # fmt: skip
        assert bad.returncode == 2 and "duckdb_memory_limit" in bad.stderr, bad.stderr
        again = json.loads(ecomctl("run", "--json", home=home, env=TINY).stdout)
        assert again["ok"] and all(layer["success"] for layer in again["layers"])
    finally:
        ecomctl("down", home=home, check=False)
