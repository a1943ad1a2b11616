"""Processes known by pid and start time, and the one wait loop, on real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from ecomctl import proc


def _sleeper(*, new_group: bool = False) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sleep", "60"], start_new_session=new_group)


def test_a_running_process_is_alive_as_the_one_started_then() -> None:
    child = _sleeper()
    try:
        start = proc.started(child.pid)
        assert start is not None
        assert proc.exists(child.pid)
        assert proc.alive(child.pid)
        assert proc.alive(child.pid, start)
        assert not proc.alive(child.pid, start + 1)  # another process that took its pid
    finally:
        child.kill()
        child.wait()


def test_an_ended_process_is_not_alive_even_before_it_is_reaped() -> None:
    child = _sleeper()
    start = proc.started(child.pid)
    child.kill()
    # Not reaped yet: a zombie, which still has its pid, is not alive.
    assert proc.poll_until(lambda: (proc.stat(child.pid) or ("?",))[0] == "Z", 10)
    assert proc.exists(child.pid)
    assert not proc.alive(child.pid, start)
    child.wait()
    assert proc.stat(child.pid) is None
    assert proc.started(child.pid) is None
    assert not proc.alive(child.pid, start)


def test_no_pid_names_no_process() -> None:
    assert not proc.alive(0)
    assert not proc.alive(-1)


def test_uptime_counts_from_the_process_start() -> None:
    child = _sleeper()
    try:
        young = proc.uptime(child.pid)
        assert young is not None and 0.0 <= young < 10.0
        mine = proc.uptime(os.getpid())
        assert mine is not None and mine >= young - 0.05  # (clock ticks: 10 ms steps)
    finally:
        child.kill()
        child.wait()
    assert proc.uptime(child.pid) is None


def test_poll_until_returns_the_first_answer_as_soon_as_there_is_one(tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    threading.Timer(0.3, lambda: flag.write_text("done")).start()
    began = time.monotonic()
    found = proc.poll_until(lambda: flag.read_text() if flag.exists() else None, 10, every=0.05)
    assert found == "done"
    assert time.monotonic() - began < 5


def test_poll_until_gives_up_at_the_deadline_with_none() -> None:
    calls: list[float] = []

    def never() -> bool:
        calls.append(time.monotonic())
        return False  # False reads as "not yet", as None does

    began = time.monotonic()
    assert proc.poll_until(never, 0.5, every=0.1) is None
    took = time.monotonic() - began
    assert 0.5 <= took < 3
    assert len(calls) >= 3


def test_poll_until_asks_once_more_at_the_deadline() -> None:
    """A condition that holds by the deadline is seen, even between two regular calls."""
    began = time.monotonic()
    assert proc.poll_until(lambda: time.monotonic() - began >= 0.5, 0.5, every=0.4) is True


def test_stop_group_ends_a_group_with_sigterm() -> None:
    child = _sleeper(new_group=True)
    began = time.monotonic()
    proc.stop_group(child.pid, lambda: child.poll() is None, grace=10)
    assert child.returncode == -15
    assert time.monotonic() - began < 5


def test_stop_group_kills_a_group_that_ignores_sigterm(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    script = f"import signal, time, pathlib; signal.signal(signal.SIGTERM, signal.SIG_IGN); pathlib.Path({str(ready)!r}).touch(); time.sleep(60)"
    child = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    assert proc.poll_until(ready.exists, 30)
    began = time.monotonic()
    proc.stop_group(child.pid, lambda: child.poll() is None, grace=0.5)
    assert child.returncode == -9
    assert 0.5 <= time.monotonic() - began < 10


def test_stop_group_of_a_group_that_is_gone_does_nothing() -> None:
    child = _sleeper(new_group=True)
    child.kill()
    child.wait()
    proc.stop_group(child.pid, lambda: False, grace=0.1)
