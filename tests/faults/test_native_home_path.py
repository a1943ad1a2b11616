"""One native home, two kinds of hardship, one `up` (each native start costs a minute of CI):

- its path has a space, a quote and a non-ASCII letter: the whole pipeline runs in it, and
  nothing is written outside the home and the download cache;
- S3, the metastore and PostgreSQL are each SIGKILLed during a run: each is named within
  seconds (exit 3), never a model's error nor a wait of many minutes, and after `up` the next
  `run` builds the same gold as the embedded stack from the same seed.
- its disk fills during a run (the home's parent is a tmpfs of the test's own, so mounting
  needs root) and stays full a while: one line (exit 4) within seconds, no temporary file
  left; once space is freed, `up` and `run` work again without `down`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support.disk import fill, needs_root, small_disk
from support.faultlog import FaultLog
from support.fixtures import gold_rows
from support.helpers import Ended, ecomctl, run_until
from support.native import NATIVE, UP_TIMEOUT, pid_of

from ecomctl.proc import exists

pytestmark = [pytest.mark.native, needs_root]

HOSTILE = "home dir 'q' é"
SCALE = "0.005"
TINY = {**NATIVE, "ECOMCTL_SCALE": SCALE}
DEAD_WITHIN = 60.0  # seconds from the kill (or the disk filling) to ecomctl's exit
FULL_FOR = 15.0  # seconds the disk stays full after the run ended: the servers see it too
_SOCKET = re.compile(r"seaweedfs-.*-(\d+)\.sock")


def _entries(root: Path, depth: int, skip: tuple[Path, ...] = ()) -> set[str]:
    """Every path under root, down to depth levels (the folders in skip left out)."""
    found: set[str] = set()
    if depth == 0 or not root.is_dir() or root in skip:
        return found
    try:
        children = list(root.iterdir())
    except OSError:  # a folder of another user's
        return found
    for child in children:
        if child in skip:
            continue
        found.add(str(child))
        if child.is_dir() and not child.is_symlink():
            found |= _entries(child, depth - 1, skip)
    return found


def _others(path: str, ours: set[int]) -> bool:
    """What another program made meanwhile: a live JVM's perf-data file or attach socket,
    another S3 server's socket."""
    name = Path(path).name
    pid = name.removeprefix(".java_pid")
    if ("/hsperfdata_" in path or name.startswith(".java_pid")) and pid.isdigit():
        return exists(int(pid))
    socket = _SOCKET.fullmatch(name)
    return socket is not None and int(socket.group(1)) not in ours


def _engines_share(name: str) -> bool:
    """A /tmp folder a JVM, Hive or Spark writes into by default, whoever made it first."""
    return name.startswith(("hsperfdata_", "hive", "spark", "blockmgr", "jetty")) or name in (
        os.environ.get("USER", "root"),
        "root",
    )


def _sigkill(home: Path, service: str) -> Callable[[], None]:
    def kill() -> None:
        time.sleep(2)  # the layer's first statements reach the engines
        if service == "postgres":
            pid = int((home / "native/postgres/data/postmaster.pid").read_text().split()[0])
        else:
            pid = pid_of(home, service)
        os.kill(pid, signal.SIGKILL)

    return kill


def _record_death(faults: FaultLog, service: str, layer: str, ended: Ended) -> None:
    said = "\n".join(ended.errors)
    faults.record(
        f"native: {service} SIGKILLed during {layer}",
        {
            "exit 3": ended.code == 3,
            "one error line": len(ended.errors) == 1,
            f"it names {service}": said.startswith(f"ecomctl: {service} is stopped"),
            f"it says during {layer}": f"during {layer}" in said,
            f"within {DEAD_WITHIN:.0f} s": ended.seconds < DEAD_WITHIN,
        },
        note=f"exit {ended.code} {ended.seconds:.0f} s after the kill: {said[:120]}",
    )


def _record_full_disk(faults: FaultLog, home: Path, ended: Ended) -> None:
    said = "\n".join(ended.errors)
    leftovers = [str(p) for p in home.rglob("*.tmp-*")]
    faults.record(
        "native: the disk fills during silver",
        {
            "exit 4": ended.code == 4,
            "one error line": len(ended.errors) == 1,
            "it says the disk is full": "no space left on device" in said,
            "it names the home": str(home) in said,
            "no dbt logging traceback": "Logging error" not in ended.stderr
            and "Traceback" not in ended.stderr,
            f"within {DEAD_WITHIN:.0f} s": ended.seconds < DEAD_WITHIN,
            "no temporary file left": not leftovers,
        },
        note=f"exit {ended.code} in {ended.seconds:.0f} s: {said[:120]}; left: {leftovers}",
    )


def test_a_hostile_home_path_services_killed_and_a_full_disk_during_runs(
    tmp_path: Path, faults: FaultLog
) -> None:
    parent = tmp_path / "parent"
    home, cwd = parent / HOSTILE, tmp_path / "cwd"
    cwd.mkdir()
    with small_disk(parent, "1g"):
        _hardships(tmp_path, parent, home, cwd, faults)


def _hardships(tmp_path: Path, parent: Path, home: Path, cwd: Path, faults: FaultLog) -> None:
    user_home = Path(os.environ.get("HOME", "/root"))
    cache = Path(os.environ.get("ECOMCTL_CACHE_DIR", user_home / ".cache" / "ecomctl"))
    tmp = Path("/tmp")
    # Folders other programs had in /tmp before the test (the shell's that runs the suite
    # writes its jobs there) are theirs; the ones the engines share by default are watched.
    theirs = [p for p in tmp.iterdir() if p.is_dir() and not _engines_share(p.name)]

    def places() -> set[str]:
        return (
            _entries(tmp, 3, (tmp_path.parents[1], *theirs))  # pytest's own folders aside
            | _entries(user_home, 2, (cache,))
            | _entries(cwd, 5)
            | _entries(parent, 1, (home,))  # the home itself is made by the test
        )

    def step(label: str, *args: str) -> subprocess.CompletedProcess[str]:
        results[label] = ecomctl(*args, home=home, env=TINY, cwd=cwd, check=False,
                                 timeout=UP_TIMEOUT)  # fmt: skip
        return results[label]

    before = places()
    results: dict[str, subprocess.CompletedProcess[str]] = {}
    native_gold: dict[str, list[str]] = {}
    try:
        step("up", "up")
        step("seed", "seed")
        # Each killed run stops where the service died; the next continues from there.
        for service, layer in (("s3", "silver"), ("metastore", "silver"), ("postgres", "gold")):
            ended = run_until(home, TINY, layer, _sigkill(home, service))
            _record_death(faults, service, layer, ended)
            step(f"up after {service} died", "up")
        filled: list[Path] = []
        ended = run_until(home, TINY, "silver", lambda: filled.append(fill(parent)))
        _record_full_disk(faults, home, ended)
        time.sleep(FULL_FOR)
        filled[0].unlink()
        step("up after freeing space", "up")  # no `down`: what was stopped, it starts
        if step("run", "run").returncode == 0:
            native_gold = gold_rows(home, "native")
        step("test", "test")
        step("query", "query", "select count(*) from payment_type_mix", "--layer", "gold")
    finally:
        results["down"] = ecomctl("down", home=home, env=TINY, cwd=cwd, check=False)
    ports = json.loads((home / "native" / "ports.json").read_text())
    ours = set(ports.values())
    new = sorted(p for p in places() - before if not _others(p, ours))
    print("new outside the home:", *new, sep="\n")  # shown with the failure
    # The same seed on the embedded stack: what the native gold must equal, to the cent.
    embedded = tmp_path / "embedded"
    ecomctl("seed", "--scale", SCALE, home=embedded)
    ecomctl("run", home=embedded)
    embedded_gold = gold_rows(embedded)
    ecomctl("down", home=embedded)  # its PostgreSQL outlives the run
    why = [
        f"{cmd} exited {r.returncode}: {r.stderr.strip()[-300:]}"
        for cmd, r in results.items()
        if r.returncode
    ]
    faults.record(
        "a native home path with a space, a quote and an accent",
        {
            **{f"{cmd} exits 0": r.returncode == 0 for cmd, r in results.items()},
            "gold after the kills equals the embedded stack's": native_gold == embedded_gold,
            "nothing new in /tmp": not [p for p in new if p.startswith("/tmp/")],
            "nothing new in the user's home": not [p for p in new if p.startswith(str(user_home))],
            "nothing new in the folder it ran from": not [p for p in new if p.startswith(str(cwd))],
            "nothing beside the home": not [p for p in new if p.startswith(str(parent))],
            "no home with the quote cut": not (parent / HOSTILE.replace("'", "")).exists(),
            "no S3 server's socket of this home left": not [
                p for port in ours for p in tmp.glob(f"seaweedfs-*-{port}.sock")
            ],
        },
        note="; ".join([*why, f"new: {', '.join(new[:5])}"] if new else why),
    )
