"""A native home whose path has a space, a quote and a non-ASCII letter: the whole pipeline
runs in it, and nothing is written outside the home and the download cache."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from support.faultlog import FaultLog
from support.helpers import ecomctl
from support.native import NATIVE, UP_TIMEOUT

from ecomctl.proc import exists

pytestmark = pytest.mark.native

HOSTILE = "home dir 'q' é"
TINY = {**NATIVE, "ECOMCTL_SCALE": "0.005"}
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


def test_a_home_path_with_a_space_a_quote_and_an_accent(tmp_path: Path, faults: FaultLog) -> None:
    parent = tmp_path / "parent"
    home, cwd = parent / HOSTILE, tmp_path / "cwd"
    cwd.mkdir()
    parent.mkdir()
    user_home = Path(os.environ.get("HOME", "/root"))
    cache = Path(os.environ.get("ECOMCTL_CACHE_DIR", user_home / ".cache" / "ecomctl"))
    tmp = Path("/tmp")

    def places() -> set[str]:
        return (
            _entries(tmp, 3, (tmp_path.parents[1],))  # pytest's own folders aside
            | _entries(user_home, 2, (cache,))
            | _entries(cwd, 5)
            | _entries(parent, 1)
        )

    before = places()
    results = {}
    try:
        for args in (
            ["up"],
            ["seed"],
            ["run"],
            ["test"],
            ["query", "select count(*) from payment_type_mix", "--layer", "gold"],
        ):
            results[args[0]] = ecomctl(
                *args, home=home, env=TINY, cwd=cwd, check=False, timeout=UP_TIMEOUT
            )
    finally:
        results["down"] = ecomctl("down", home=home, env=TINY, cwd=cwd, check=False)
    ports = json.loads((home / "native" / "ports.json").read_text())
    ours = set(ports.values())
    new = sorted(p for p in places() - before if not _others(p, ours))
    print("new outside the home:", *new, sep="\n")  # shown with the failure
    why = [
        f"{cmd} exited {r.returncode}: {r.stderr.strip()[-300:]}"
        for cmd, r in results.items()
        if r.returncode
    ]
    faults.record(
        "a native home path with a space, a quote and an accent",
        {
            **{f"{cmd} exits 0": r.returncode == 0 for cmd, r in results.items()},
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
