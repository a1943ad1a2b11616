"""Processes known by pid and start time, and the one loop that waits for a condition.

A pid alone names a process only while it lives: after it ends the number may go to another
program. The start time the kernel gives (/proc/<pid>/stat, in clock ticks since boot) tells
ours from a stranger's, so a record of (pid, start time) finds its own process, or nothing.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def system_program(name: str) -> str | None:
    """The path of an administration program (useradd, iptables), found on PATH or in the sbin
    folders, which root's PATH may lack (a CI job's, `sudo`'s, PATH=/usr/bin:/bin)."""
    import shutil

    return shutil.which(
        name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    )


def stat(pid: int) -> tuple[str, int] | None:
    """(state, start time in clock ticks since boot) of a live process; None when gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (command) "
    return fields[0], int(fields[19])


def started(pid: int) -> int | None:
    """When the process started (clock ticks since boot; Linux), None where unknown."""
    found = stat(pid)
    return None if found is None else found[1]


def exists(pid: int) -> bool:
    """A process has this pid (maybe not ours: see alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    return True


def alive(pid: int, start: int | None = None) -> bool:
    """The process runs (not a zombie) and, when its start time is known, is the one that
    started then, not another that took its pid since."""
    if pid <= 0:
        return False
    found = stat(pid)
    if found is None:  # gone, or no /proc to ask (not Linux)
        return start is None and exists(pid)
    return found[0] not in ("Z", "X") and start in (None, found[1])


def uptime(pid: int) -> float | None:
    """Seconds since the process started, from the kernel's clock ticks since boot."""
    found = stat(pid)
    if found is None:
        return None
    try:
        since_boot = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError):
        return None
    return max(0.0, since_boot - found[1] / os.sysconf("SC_CLK_TCK"))


def poll_until(check: Callable[[], T | None], seconds: float, every: float = 0.1) -> T | None:
    """Call check until it returns something other than None (or False), at most `seconds`
    long; its last answer. It is called once more at the deadline, so a slow check that
    succeeds then is not lost."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found is not None and found is not False:
            return found
        if time.monotonic() >= deadline:
            return None
        time.sleep(every)


def stop_group(
    pgid: int, running: Callable[[], bool], grace: float, kill_wait: float = 10.0
) -> None:
    """SIGTERM the process group, then SIGKILL it when it still runs after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, kill_wait)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        if poll_until(lambda: not running(), wait):
            return
