"""Killed processes, a second ecomctl on the same home, and services failing underneath."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.faultlog import FaultLog, counts, landing_checksums, rows_lost
from support.helpers import ecomctl, kill_group, start, wait_for

from ecomctl.proc import exists, poll_until

SCALE = {"ECOMCTL_SCALE": "0.005"}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    """Row counts of an uninterrupted seed + run at the fault suite's scale."""
    home = tmp_path_factory.mktemp("reference") / "home"
    ecomctl("run", home=home, env=SCALE)
    try:
        yield counts(home)
    finally:
        ecomctl("down", home=home, check=False)


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
        proc = start(
            home, "seed", "--seed", "43", env=SCALE
        )  # the other data set, killed while loading
        time.sleep(delay)
        kill_group(proc)
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
    proc = start(home, "run", "--full-refresh", env=SCALE)
    wait_for(proc, layer)  # the layer's heading
    wait_for(proc, "model.ecom_analytics.")  # its first model is done, the others under way
    kill_group(proc)
    at_kill = counts(home)
    torn = {
        t: (reference.get(t), at_kill.get(t)) for t in reference if at_kill.get(t) != reference[t]
    }
    after = ecomctl("run", home=home, env=SCALE, check=False)
    survived = {
        "no table changed at the kill": not torn,
        "the next run exits 0": after.returncode == 0,
        "then the reference's row counts": counts(home) == reference,
    }
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


def test_a_run_killed_midway_is_never_taken_for_up_to_date(home: Path) -> None:
    ecomctl("run", home=home, env=SCALE)
    proc = start(home, "run", "--force", env=SCALE)
    wait_for(proc, "model.ecom_analytics.")
    kill_group(proc)
    after = ecomctl("run", home=home, env=SCALE)
    assert "up to date" not in after.stdout
    assert "gold" in after.stderr  # it built every layer again


def test_a_second_ecomctl_on_the_same_home_exits_at_once(home: Path, faults: FaultLog) -> None:
    ecomctl("seed", home=home, env=SCALE)
    first = start(home, "run", env=SCALE)
    try:
        wait_for(first, "model.ecom_analytics.")
        started = time.monotonic()
        second = ecomctl("run", home=home, check=False)
        quick = time.monotonic() - started < 30
        message = f"another ecomctl (pid {first.pid}, started "
        seed = ecomctl("seed", home=home, check=False)
        status = ecomctl("status", home=home, check=False)
        survived = {
            "the second run exits 4": second.returncode == 4,
            "it names the holder": message in second.stderr,
            "it names the home": str(home) in second.stderr,
            "it exits within 30 s": quick,
            "seed exits 4": seed.returncode == 4,
            "status exits 0": status.returncode == 0,
        }
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
    proc = start(home, "run", env=SCALE)
    wait_for(proc, "model.ecom_analytics.")
    # Only ecomctl itself is killed: its dbt child must not live on holding the warehouse.
    kill_group(proc, group=False)
    again = ecomctl("run", home=home)
    took_over = {
        "names the killed run": f"left by ecomctl (pid {proc.pid}" in again.stderr,
        "says it is gone": "which is gone" in again.stderr,
    }
    faults.record("a lock left by a killed run", took_over)


def test_postgres_killed_from_outside(
    home: Path, reference: dict[str, int], faults: FaultLog
) -> None:
    ecomctl("run", home=home, env=SCALE)
    pid = int((home / "postgres" / "data" / "postmaster.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)
    poll_until(lambda: not exists(pid), 5, every=0.05)  # the kernel reaps it asynchronously
    status = ecomctl("status", home=home, check=False)
    rerun = ecomctl("run", home=home, env=SCALE)
    survived = {
        "status exits 1": status.returncode == 1,
        "status says the process is gone": "process is gone" in status.stdout,
        "the next run exits 0": rerun.returncode == 0,
        "then the reference's row counts": counts(home) == reference,
    }
    faults.record(
        "PostgreSQL SIGKILLed under a running stack", survived, rows_lost(reference, counts(home))
    )


def test_postgres_sigkilled_during_gold_exits_3_with_one_line_and_a_document(
    home: Path, reference: dict[str, int], faults: FaultLog
) -> None:
    ecomctl("run", home=home, env=SCALE)
    proc = start(home, "run", "--full-refresh", "--json", env=SCALE)
    wait_for(proc, "gold")
    wait_for(proc, "model.ecom_analytics.")
    server = int((home / "postgres" / "data" / "postmaster.pid").read_text().split("\n")[0])
    os.kill(server, signal.SIGKILL)
    out, err = proc.communicate(timeout=300)
    errors = [line for line in err.splitlines() if line.startswith("ecomctl:")]
    doc = json.loads(out) if out.strip() else {}
    again = ecomctl("run", home=home, check=False)
    survived = {
        "exit 3": proc.returncode == 3,
        "a document with exit_code 3": doc.get("exit_code") == 3,
        "one error line": len(errors) == 1,
        "the error names postgres": "postgres" in (errors or [""])[0],
        "no traceback": "Traceback" not in err,
        "the next run exits 0": again.returncode == 0,
        "then the reference's row counts": counts(home) == reference,
    }
    faults.record(
        "PostgreSQL SIGKILLed during gold",
        survived,
        rows_lost(reference, counts(home)),
        note=f"exit {proc.returncode}; " + (errors or [err.strip()[-80:]])[0][:80],
    )


def test_readers_never_break_a_writer(home: Path, faults: FaultLog) -> None:
    ecomctl("run", home=home, env=SCALE)
    # A long query holds the warehouse when the run starts: the run waits for it.
    long_query = start(home, "query", "--layer", "landing",
                       "select sum(hash(i)) as s from range(400000000) t(i)")  # fmt: skip
    time.sleep(1.0)
    run = start(home, "run", "--full-refresh", env=SCALE)
    during: list[subprocess.CompletedProcess[str]] = []
    while run.poll() is None and len(during) < 14:
        query = ("query", "select count(*) as n from orders", "--layer", "landing")
        during.append(ecomctl(*query, home=home, check=False))
    run.communicate(timeout=600)
    long_query.communicate(timeout=120)
    refused = [q for q in during if q.returncode != 0]
    clean = all(
        q.returncode == 4 and "is being written by ecomctl (pid " in q.stderr for q in refused
    )
    survived = {
        "the run exits 0": run.returncode == 0,
        "the long query exits 0": long_query.returncode == 0,
        "a refused query exits 4 and says who writes": clean,
    }
    faults.record(
        "queries of the warehouse before and during a run",
        survived,
        note=f"run exit {run.returncode}; {len(during) - len(refused)} of {len(during)} queries"
        f" answered, the rest told who writes" + ("" if clean else f"; {refused[0].stderr[:60]}"),
    )
