"""Killed processes, a second ecomctl on the same home, and services failing underneath."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.faultlog import FaultLog, counts, landing_checksums, rows_lost
from support.helpers import ecomctl

SCALE = {"ECOMCTL_SCALE": "0.005"}


def _start(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ecomctl", *args, "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1", **SCALE},
        start_new_session=True,  # its own process group: the dbt child is killed with it
    )


def _wait_for(proc: subprocess.Popen[str], text: str, limit: float = 180) -> None:
    assert proc.stderr is not None
    deadline = time.monotonic() + limit
    for line in proc.stderr:
        if text in line:
            return
        assert time.monotonic() < deadline, f"no {text!r} within {limit} s"
    raise AssertionError(f"exited before printing {text!r}")


def _kill(proc: subprocess.Popen[str], group: bool = True) -> None:
    """SIGKILL ecomctl (and with group, its dbt child too), and wait until all are gone."""
    if group:
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.kill()
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError("processes of the killed ecomctl are still alive")


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    """Row counts of an uninterrupted seed + run at the fault suite's scale."""
    home = tmp_path_factory.mktemp("reference") / "home"
    ecomctl("run", home=home, env=SCALE)
    try:
        yield counts(home)
    finally:
        ecomctl("down", home=home, check=False)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "home"
    try:
        yield path
    finally:
        ecomctl("down", home=path, check=False)


def test_sigkill_during_seed(
    home: Path, tmp_path: Path, reference: dict[str, int], faults: FaultLog
) -> None:
    # Seeds 42 and 43 give data sets of the same size: only their checksums tell them apart.
    other = tmp_path / "seed-43"
    ecomctl("seed", "--seed", "43", home=other, env=SCALE)
    new = landing_checksums(other)
    ecomctl("seed", home=home, env=SCALE)
    old = landing_checksums(home)
    assert old != new and {t: n for t, (n, _) in old.items()} == {t: n for t, (n, _) in new.items()}
    seen = []
    for delay in (0.3, 0.6, 0.9):
        proc = _start(home, "seed", "--seed", "43")  # the other data set, killed while loading
        time.sleep(delay)
        _kill(proc)
        now = landing_checksums(home)
        # Whole old landing or whole new landing, never a mix of half-written tables.
        assert now in (old, new), {t: (old[t], new[t], now.get(t)) for t in old}
        seen.append("old" if now == old else "new")
    ecomctl("seed", home=home, env=SCALE)
    ecomctl("run", home=home, env=SCALE)
    faults.record(
        "SIGKILL of seed while loading (x3)",
        counts(home) == reference,
        rows_lost(reference, counts(home)),
        f"landing after each kill: {', '.join(seen)} data set, whole",
    )


@pytest.mark.parametrize("layer", ["bronze", "silver", "gold"])
def test_sigkill_during_a_layer(
    layer: str, home: Path, reference: dict[str, int], faults: FaultLog
) -> None:
    ecomctl("run", home=home, env=SCALE)
    assert counts(home) == reference
    # A full refresh rebuilds every table: a half-written one would show other row counts.
    proc = _start(home, "run", "--full-refresh")
    _wait_for(proc, layer)  # the layer's heading
    _wait_for(proc, "model.ecom_analytics.")  # its first model is done, the others under way
    _kill(proc)
    at_kill = counts(home)
    torn = {
        t: (reference.get(t), at_kill.get(t)) for t in reference if at_kill.get(t) != reference[t]
    }
    after = ecomctl("run", home=home, env=SCALE, check=False)
    survived = not torn and after.returncode == 0 and counts(home) == reference
    faults.record(
        f"SIGKILL of run --full-refresh during {layer}",
        survived,
        rows_lost(reference, counts(home)),
        f"changed at the kill: {torn}"
        if torn
        else after.stderr.strip()[-80:]
        if after.returncode
        else "",
    )


def test_a_second_ecomctl_on_the_same_home_exits_at_once(home: Path, faults: FaultLog) -> None:
    ecomctl("seed", home=home, env=SCALE)
    first = _start(home, "run")
    try:
        _wait_for(first, "model.ecom_analytics.")
        started = time.monotonic()
        second = ecomctl("run", home=home, check=False)
        quick = time.monotonic() - started < 30
        message = f"another ecomctl (pid {first.pid}, started "
        refused = second.returncode == 4 and message in second.stderr and str(home) in second.stderr
        seed = ecomctl("seed", home=home, check=False)
        status = ecomctl("status", home=home, check=False)
        survived = refused and quick and seed.returncode == 4 and status.returncode == 0
        faults.record(
            "a second run and seed while a run holds the home",
            survived,
            note=second.stderr.strip()[:80],
        )
    finally:
        first.wait(timeout=300)
    assert first.returncode == 0


def test_a_lock_left_by_a_dead_process_is_taken_over(home: Path, faults: FaultLog) -> None:
    ecomctl("seed", home=home, env=SCALE)
    proc = _start(home, "run")
    _wait_for(proc, "model.ecom_analytics.")
    # Only ecomctl itself is killed: its dbt child must not live on holding the warehouse.
    _kill(proc, group=False)
    again = ecomctl("run", home=home)
    took_over = (
        f"left by ecomctl (pid {proc.pid}" in again.stderr and "which is gone" in again.stderr
    )
    faults.record("a lock left by a killed run", took_over)


def test_postgres_killed_from_outside(
    home: Path, reference: dict[str, int], faults: FaultLog
) -> None:
    ecomctl("run", home=home, env=SCALE)
    pid = int((home / "postgres" / "data" / "postmaster.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):  # the kernel reaps it asynchronously
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    status = ecomctl("status", home=home, check=False)
    reported = status.returncode == 1 and "process is gone" in status.stdout
    rerun = ecomctl("run", home=home, env=SCALE)
    survived = reported and rerun.returncode == 0 and counts(home) == reference
    faults.record(
        "PostgreSQL SIGKILLed under a running stack", survived, rows_lost(reference, counts(home))
    )
