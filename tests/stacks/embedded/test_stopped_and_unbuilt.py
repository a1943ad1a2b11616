"""What a user meets before the pipeline is whole or while its server is stopped: `test`
before `run` names the layers to build (and builds nothing); `tables` lists what each layer
holds; a query naming another layer's table says which layer has it; a stopped PostgreSQL
gives one line naming it and `ecomctl up` (exit 3) for every command that reads gold."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.helpers import ecomctl, hint

TINY = {"ECOMCTL_SCALE": "0.002"}


def _one_error(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("ecomctl: ")]
    assert len(errors) == 1, stderr
    return errors[0]


@pytest.fixture(scope="module")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home on which one whole run finished (its PostgreSQL left running)."""
    home = tmp_path_factory.mktemp("built") / "home"
    try:
        ecomctl("run", home=home, env=TINY)
        yield home
    finally:
        ecomctl("down", home=home, check=False)


def test_test_in_an_empty_folder_names_the_layers_to_build_and_runs_nothing(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    proc = ecomctl("test", home=home, check=False)
    assert proc.returncode == 1
    assert _one_error(proc.stderr) == (
        "ecomctl: nothing tested: bronze, silver, gold are not built yet;"
        f" `{hint(home, 'run')}` builds them, then `{hint(home, 'test')}`"
    )
    assert "PASS" not in proc.stdout and "ERROR" not in proc.stdout  # dbt never ran
    # Nothing seeded, no server started, no dbt target written.
    assert not (home / "warehouse.duckdb").exists()
    assert not (home / "postgres").exists()
    assert not (home / "dbt" / "target").exists()


def test_test_after_seed_increment_names_the_layers_older_than_landing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    try:
        ecomctl("run", home=home, env=TINY)
        ecomctl("seed", "--increment", home=home, env=TINY)
        stale = ecomctl("test", home=home, check=False)
        assert stale.returncode == 1
        assert _one_error(stale.stderr) == (
            "ecomctl: nothing tested: bronze, silver, gold are older than landing (`seed` loaded"
            f" it since); `{hint(home, 'run')}` builds them, then `{hint(home, 'test')}`"
        )
        one = ecomctl("test", "--layer", "silver", "--json", home=home, check=False)
        assert one.returncode == 1
        assert json.loads(one.stdout)["error"].startswith("nothing tested: silver is older")

        ecomctl("run", home=home, env=TINY)  # the hint, followed
        assert ecomctl("test", "--layer", "gold", home=home, check=False).returncode == 0
    finally:
        ecomctl("down", home=home, check=False)


def test_tables_lists_each_layers_tables(built_home: Path) -> None:
    doc = json.loads(ecomctl("tables", "--json", home=built_home).stdout)
    layers = doc["layers"]
    assert list(layers) == ["landing", "bronze", "silver", "gold"]
    assert "orders" in layers["landing"] and "orders" in layers["bronze"]
    assert "fact_orders" in layers["silver"] and "payment_type_mix" in layers["gold"]
    assert "orders" not in layers["gold"]

    shown = ecomctl("tables", "--layer", "gold", home=built_home).stdout.splitlines()
    assert shown[0].split() == ["layer", "table"]
    assert sorted(line.split()[1] for line in shown[1:]) == sorted(layers["gold"])
    assert all(line.split()[0] == "gold" for line in shown[1:])


def test_a_query_of_another_layers_table_says_which_layer_has_it(built_home: Path) -> None:
    proc = ecomctl("query", "select count(*) from orders", home=built_home, check=False)
    assert proc.returncode == 1
    assert _one_error(proc.stderr) == (
        'ecomctl: query on gold: relation "orders" does not exist;'
        " orders is a table of landing and bronze: query it with --layer bronze"
    )
    hinted = ecomctl("query", "select count(*) from orders", "--layer", "bronze", home=built_home)
    assert hinted.returncode == 0

    nowhere = ecomctl("query", "select * from nosuch", "--layer", "silver", home=built_home,
                      check=False)  # fmt: skip
    assert nowhere.returncode == 1
    assert _one_error(nowhere.stderr).endswith(
        f"no layer has a table nosuch: `{hint(built_home, 'tables')}` lists each layer's"
    )


def test_a_stopped_postgres_gives_exit_3_and_the_up_hint_wherever_gold_is_read(
    built_home: Path,
) -> None:
    ecomctl("down", home=built_home)
    try:
        for args in (
            ("query", "select 1"),
            ("report",),
            ("tables",),
            ("tables", "--layer", "gold"),
        ):
            proc = ecomctl(*args, home=built_home, check=False)
            assert proc.returncode == 3, args
            error = _one_error(proc.stderr)
            assert (
                error.startswith("ecomctl: postgres of ")
                and f"`{hint(built_home, 'up')}` starts it" in error
            )
            assert "Traceback" not in proc.stderr and "psycopg" not in proc.stderr
        # The lake layers are DuckDB, in-process: they need no server.
        for layer in ("landing", "bronze", "silver"):
            ecomctl("query", "select 1", "--layer", layer, home=built_home)
        ecomctl("tables", "--layer", "bronze", home=built_home)
        status = ecomctl("status", "--json", home=built_home, check=False)
        assert status.returncode == 1  # status reports; it starts nothing (docs/ci.md)
        services = {s["name"]: s for s in json.loads(status.stdout)["services"]}
        postgres = services["postgres"]
        assert f"`{hint(built_home, 'up')}` starts it" in postgres["detail"]
    finally:
        ecomctl("up", home=built_home)
