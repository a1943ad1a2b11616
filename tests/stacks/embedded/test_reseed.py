"""What `run` takes from landing: a replaced landing zone is rebuilt from, never mixed with
the old one, and an appended one is picked up whatever the clock or the time zone says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.fixtures import gold_rows
from support.helpers import TEST_SCALE, ecomctl

SCALE = ["--scale", str(TEST_SCALE)]
_gold = gold_rows


def _changes(run: Any, layer: str) -> dict[str, int]:
    doc = json.loads(run.stdout)
    return {
        n["unique_id"].rsplit(".", 1)[1]: n["change"]
        for lay in doc["layers"]
        if lay["layer"] == layer
        for n in lay["nodes"]
        if n["resource_type"] == "model"
    }


@pytest.mark.parametrize("reseed", ["--seed 7", "--from <seed 7 files>"])
def test_run_after_a_reseed_equals_a_fresh_run_on_the_new_data(
    reseed: str, tmp_path: Path, olist_files: Path, fresh_seed_7: Path
) -> None:
    home = tmp_path / "home"
    try:
        ecomctl("seed", *SCALE, home=home)  # seed 42
        ecomctl("run", home=home)
        if reseed.startswith("--seed"):
            ecomctl("seed", *SCALE, "--seed", "7", home=home)
        else:
            ecomctl("seed", "--from", str(olist_files), home=home)
        again = ecomctl("run", "--json", home=home)
        assert (
            "landing was replaced since the last run (seed): rebuilding bronze, silver, gold"
            in (again.stderr)
        )
        assert _gold(home) == _gold(fresh_seed_7)
        # And the run after that has nothing to do.
        assert json.loads(ecomctl("run", "--json", home=home).stdout)["up_to_date"]
    finally:
        ecomctl("down", home=home, check=False)


def test_a_reseed_refuses_a_partial_run_of_a_layer_built_from_the_old_data(tmp_path: Path) -> None:
    home = tmp_path / "home"
    try:
        ecomctl("seed", *SCALE, home=home)
        ecomctl("run", "--layer", "bronze", home=home)
        ecomctl("seed", *SCALE, "--seed", "7", home=home)
        proc = ecomctl("run", "--layer", "bronze", "--select", "orders", home=home, check=False)
        assert proc.returncode == 2
        assert "landing was replaced since bronze was built" in proc.stderr
        assert "without --select" in proc.stderr
    finally:
        ecomctl("down", home=home, check=False)


@pytest.mark.parametrize(
    "clock",
    [
        {"TZ": "America/Sao_Paulo"},  # behind UTC: a local stamp would look older
        {"LD_PRELOAD": "", "FAKETIME": "-2d"},  # the clock set back two days (libfaketime)
    ],
    ids=["TZ behind UTC", "clock set back"],
)
def test_an_increment_is_picked_up_whatever_the_clock_or_the_zone(
    clock: dict[str, str], tmp_path: Path
) -> None:
    home = tmp_path / "home"
    env = dict(clock)
    if "FAKETIME" in env:
        env["LD_PRELOAD"] = _libfaketime()
    try:
        seeded = json.loads(ecomctl("seed", *SCALE, "--json", home=home, env={"TZ": "UTC"}).stdout)
        ecomctl("run", home=home, env={"TZ": "UTC"})
        appended = json.loads(ecomctl("seed", "--increment", "--json", home=home, env=env).stdout)
        run = ecomctl("run", "--json", home=home, env=env)
        new_orders = appended["new_orders"]
        assert appended["rows"]["orders"] - seeded["rows"]["orders"] == appended["loaded"]["orders"]
        assert new_orders > 0
        assert _changes(run, "bronze")["orders"] == new_orders
        incremental = _gold(home)
        ecomctl("run", "--full-refresh", home=home)
        assert _gold(home) == incremental
    finally:
        ecomctl("down", home=home, check=False)


def _libfaketime() -> str:
    found = sorted(Path("/usr/lib").rglob("libfaketime.so.1"))
    assert found, "libfaketime not found: apt-get install faketime (.ci/run does)"
    return str(found[0])
