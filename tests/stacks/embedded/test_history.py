"""The history of a home: every run, test and seed recorded whole, however it ends."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest
from support.helpers import ecomctl, start, wait_for

SCALE = {"ECOMCTL_SCALE": "0.005"}


def _history(home: Path, *args: str) -> list[dict[str, Any]]:
    shown = ecomctl("history", "--json", *args, home=home)
    runs: list[dict[str, Any]] = json.loads(shown.stdout)["runs"]
    return runs


def _files(home: Path) -> list[dict[str, Any]]:
    """The records as written, each file whole JSON (no temporary file left beside them)."""
    paths = sorted((home / "history").iterdir())
    assert all(p.suffix == ".json" and not p.name.startswith(".") for p in paths), paths
    return [json.loads(p.read_text()) for p in paths]


def test_seed_run_and_test_are_recorded_with_their_layers(home: Path) -> None:
    ecomctl("seed", home=home, env=SCALE)
    ecomctl("run", home=home, env=SCALE)
    ecomctl("test", home=home, env=SCALE)
    ecomctl("run", home=home, env=SCALE)  # nothing new: up to date, recorded too
    seed, run, test, again = _history(home)

    assert [r["command"] for r in (seed, run, test, again)] == ["seed", "run", "test", "run"]
    for record in (seed, run, test, again):
        assert (record["status"], record["exit_code"]) == ("success", 0)
        assert record["stack"] == "embedded"
        assert record["started_at"] <= record["ended_at"] and record["seconds"] >= 0
    (landing,) = seed["layers"]
    assert landing["layer"] == "landing" and landing["rows_before"] is None
    assert landing["rows_after"] == sum(m["rows_after"] for m in landing["models"]) > 0

    assert [x["layer"] for x in run["layers"]] == ["bronze", "silver", "gold"]
    for layer in run["layers"]:
        assert layer["success"] and layer["nodes"] == layer["status_counts"]["success"] > 0
        assert layer["rows_before"] is None and layer["rows_after"] > 0  # every table new
        assert all(m["rows_before"] is None for m in layer["models"])

    assert [x["layer"] for x in test["layers"]] == ["bronze", "silver", "gold"]
    assert len(test["tests"]) == sum(x["nodes"] for x in test["layers"]) > 0
    assert {t["status"] for t in test["tests"]} == {"pass"}
    assert all(t["name"] and t["unique_id"].startswith("test.") for t in test["tests"])

    assert again["up_to_date"] and again["layers"] == []
    assert _history(home, "-n", "1") == [again]
    assert _history(home, "--stack", "native") == []
    table = ecomctl("history", home=home).stdout
    assert "success (up to date)" in table and "bronze" in table


def test_a_failed_run_is_recorded_with_its_error(home: Path) -> None:
    ecomctl("seed", home=home, env=SCALE)
    failed = ecomctl("run", "--layer", "gold", home=home, env=SCALE, check=False)
    assert failed.returncode == 1
    (record,) = [r for r in _history(home) if r["command"] == "run"]
    assert (record["status"], record["exit_code"]) == ("failed", 1)
    assert "silver has not been built yet" in record["error"]


def test_a_run_killed_outright_reads_as_interrupted(home: Path) -> None:
    ecomctl("seed", home=home, env=SCALE)
    proc = start(home, "run", env=SCALE)
    wait_for(proc, "model.ecom_analytics.")  # in the middle of a layer
    proc.send_signal(signal.SIGKILL)  # ecomctl alone: no handler runs, nothing more is written
    proc.wait(timeout=60)
    written = _files(home)[-1]
    assert (written["command"], written["status"], written["pid"]) == ("run", "running", proc.pid)

    shown = _history(home)[-1]
    assert (shown["status"], shown["exit_code"]) == ("interrupted", None)
    assert "killed" in shown["error"]
    ecomctl("run", home=home, env=SCALE)
    assert [r["status"] for r in _history(home)] == ["success", "interrupted", "success"]


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_and_sigterm_end_the_record_as_interrupted(
    home: Path, sig: signal.Signals, code: int
) -> None:
    ecomctl("seed", home=home, env=SCALE)
    proc = start(home, "run", env=SCALE)
    wait_for(proc, "model.ecom_analytics.")
    proc.send_signal(sig)
    assert proc.wait(timeout=120) == code
    written = _files(home)[-1]  # the record as ecomctl itself left it
    assert (written["status"], written["exit_code"]) == ("interrupted", code)
    assert written["ended_at"] is not None
