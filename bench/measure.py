"""Wall time and peak memory of one command and every process it starts.

The peak is of the summed resident set size (RSS) of the command's process tree, sampled
from /proc (through psutil) every ~50 ms; pages shared between processes count once per
process, so it is an upper bound of what the tree held at once. A short peak between two
samples is caught by the kernel's own high-water mark of each process (VmHWM in
/proc/PID/status, read at each sample): the reported peak is the higher of the sampled sum
and the largest single process's high-water mark. (getrusage's ru_maxrss cannot serve: it
keeps the forking parent's size across exec, so every command would weigh the bench's own.) The PostgreSQL server is not part of any command's cost, even when
a command starts it (it outlives the command, reparented to init): its processes, the
postmaster and its backends, are summed apart.

The machine may be shared: each measurement also says how many cores other work kept busy
on average meanwhile (all busy CPU time less the command's own, from /proc/stat and
getrusage), so that numbers taken on a loaded machine can be told apart.
"""

from __future__ import annotations

import contextlib
import os
import resource
import select
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psutil

INTERVAL = 0.05
# The name of every PostgreSQL server process (postmaster, backends, the bootstrap backend
# that initdb runs): they are counted apart, never in a command's tree.
SERVER_NAME = "postgres"
_GONE = (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess)


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_rss: int  # bytes: the command's process tree, without PostgreSQL server processes
    server_peak_rss: int  # bytes: the PostgreSQL server's processes, 0 when none ran
    returncode: int
    stdout: str
    stderr: str
    # Cores kept busy by other processes (the PostgreSQL server included), on average.
    other_cores: float = 0.0
    peak_breakdown: dict[str, int] = field(default_factory=dict)  # "pid program": RSS at peak
    killed: str = ""  # why the bench killed it, if it did
    started_at: datetime = field(default_factory=datetime.now)  # wall clock, local time

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.killed


def _busy_seconds() -> float:
    """CPU time the whole machine spent busy since boot (guest time is inside user time)."""
    t = psutil.cpu_times()
    return float(t.user + t.nice + t.system + t.irq + t.softirq + t.steal)


def _children_cpu_seconds() -> float:
    """CPU time of this process's waited-for children and their waited-for descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _rss(process: psutil.Process) -> tuple[str, int]:
    with process.oneshot():
        return process.name(), process.memory_info().rss


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except _GONE:
        return []


def _postmaster(pid_file: Path | None) -> psutil.Process | None:
    """The server's postmaster, from its pid file (the server may start during a command)."""
    if pid_file is None:
        return None
    try:
        return psutil.Process(int(pid_file.read_text().split("\n", 1)[0]))
    except (OSError, ValueError, *_GONE):
        return None


def _label(process: psutil.Process) -> str:
    """A short name for a process: its program and first arguments."""
    try:
        words = process.cmdline()[:3]
    except _GONE:
        return "?"
    return " ".join(Path(w).name if w.startswith("/") else w for w in words)[:60]


@dataclass
class _Peaks:
    tree: int = 0
    server: int = 0
    single: int = 0  # the highest high-water mark of one process of the tree
    breakdown: dict[str, int] = field(default_factory=dict)  # at the tree's peak


def _high_water_mark(pid: int) -> int:
    """Peak RSS of a process since its exec, in bytes (0 when gone)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def sample(root: psutil.Process, server_pid_file: Path | None, peaks: _Peaks) -> int:
    """Add one sample of root's tree (without server processes) and of the server to peaks;
    return the tree's RSS."""
    tree: dict[psutil.Process, int] = {}
    server: dict[int, int] = {}
    for process in _tree(root):
        try:
            name, rss = _rss(process)
        except _GONE:
            continue
        if name == SERVER_NAME:
            server[process.pid] = rss
        else:
            tree[process] = rss
            peaks.single = max(peaks.single, _high_water_mark(process.pid))
    postmaster = _postmaster(server_pid_file)
    if postmaster is not None:
        for process in _tree(postmaster):
            try:
                server[process.pid] = _rss(process)[1]
            except _GONE:
                continue
    total = sum(tree.values())
    if total > peaks.tree:
        peaks.tree = total
        peaks.breakdown = {f"{p.pid} {_label(p)}": rss for p, rss in tree.items()}
    peaks.server = max(peaks.server, sum(server.values()))
    return total


def _kill_tree(root: psutil.Process) -> None:
    for process in reversed(_tree(root)):
        with contextlib.suppress(*_GONE):
            process.kill()


def measure(
    command: Sequence[str | os.PathLike[str]],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    server_pid_file: Path | None = None,
    timeout: float | None = None,
    memory_limit: int | None = None,
) -> Measurement:
    """Run command to its end; return its wall time, peaks and output.

    The command's tree is killed when it runs past timeout seconds or when its RSS passes
    memory_limit bytes (the machine is shared: a runaway step must not take it down).
    """
    # Output goes to files, not pipes: a chatty command must never block on a full pipe.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        busy, own = _busy_seconds(), _children_cpu_seconds()
        started_at = datetime.now()
        started = time.perf_counter()
        child = subprocess.Popen(
            [os.fspath(part) for part in command], stdout=out, stderr=err, env=env, cwd=cwd
        )
        root = psutil.Process(child.pid)
        # A pidfd turns readable when the child exits: the end is seen at once, not at the
        # next sample.
        exited = select.poll()
        pidfd = os.pidfd_open(child.pid)
        exited.register(pidfd, select.POLLIN)
        peaks = _Peaks()
        killed = ""
        try:
            while True:
                tree = sample(root, server_pid_file, peaks)
                if exited.poll(INTERVAL * 1000):
                    break
                if memory_limit is not None and tree > memory_limit:
                    killed = f"killed above {memory_limit / 1024**3:.1f} GB"
                elif timeout is not None and time.perf_counter() - started > timeout:
                    killed = f"killed after {timeout:.0f} s"
                if killed:
                    _kill_tree(root)
                    break
            _, status = os.waitpid(child.pid, 0)
        finally:
            os.close(pidfd)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        others = (_busy_seconds() - busy) - (_children_cpu_seconds() - own)
        out.seek(0)
        err.seek(0)
        return Measurement(
            seconds=seconds,
            peak_rss=max(peaks.tree, peaks.single),
            server_peak_rss=peaks.server,
            returncode=child.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            other_cores=max(0.0, others / seconds) if seconds > 0 else 0.0,
            peak_breakdown=peaks.breakdown,
            killed=killed,
            started_at=started_at,
        )
