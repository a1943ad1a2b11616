"""Ctrl-C or SIGTERM during silver: bronze stays built and recorded, the last line says where
the run stopped, and the next run continues from there, compared with the last whole run."""

from __future__ import annotations

import json
import signal
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from support.helpers import ecomctl, hint, start

SCALE = {"ECOMCTL_SCALE": "0.005"}


def _records(home: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((home / "history").glob("*.json"))]


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_run_stopped_during_silver_keeps_bronze_and_the_next_run_continues(
    home: Path, sig: signal.Signals, code: int
) -> None:
    ecomctl("seed", home=home, env=SCALE)
    ecomctl("run", home=home, env=SCALE)
    whole_run = _records(home)[-1]
    ecomctl("seed", "--increment", home=home, env=SCALE)

    proc = start(home, "run", "--json", env=SCALE)
    assert proc.stderr is not None
    for line in proc.stderr:  # off a terminal, each layer's name is a line as it starts
        if line.strip() == "silver":
            proc.send_signal(sig)
            break
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    last = err.strip().splitlines()[-1]
    assert last.endswith(
        f"during silver (bronze finished): the next `{hint(home, 'run')}` continues from silver"
    ), err
    doc = json.loads(out)
    assert (doc["exit_code"], doc["stopped_during"], doc["finished_layers"]) == (
        code,
        "silver",
        ["bronze"],
    )
    stopped = _records(home)[-1]
    assert (stopped["status"], stopped["exit_code"]) == ("interrupted", code)
    assert [x["layer"] for x in stopped["layers"]] == ["bronze"]
    assert stopped["layers"][0]["success"] and stopped["layers"][0]["rows_after"]

    then = json.loads(ecomctl("run", "--json", home=home, env=SCALE).stdout)
    assert then["why"] == "continuing the run stopped during silver (bronze finished)"
    assert [x["layer"] for x in then["layers"]] == ["silver", "gold"]
    built_at = datetime.fromisoformat(then["built_at"])  # the whole run's end, not this one's
    started = [datetime.fromisoformat(r["started_at"]) for r in (whole_run, stopped)]
    assert started[0] < built_at < started[1]

    # What it built is what building everything builds: no model gains or loses a row.
    again = json.loads(ecomctl("run", "--force", "--json", home=home, env=SCALE).stdout)
    changed = [
        n["unique_id"]
        for layer in again["layers"]
        for n in layer["nodes"]
        if n["resource_type"] == "model" and n["rows_before"] != n["rows_after"]
    ]
    assert again["success"] and not changed
