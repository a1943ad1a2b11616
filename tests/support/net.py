"""Which addresses a program listens on, read from /proc as `ss -ltnp` would."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

# 127.0.0.1 as /proc/net/tcp writes it, and as /proc/net/tcp6 writes it v4-mapped.
LOOPBACK = {"0100007F", "0000000000000000FFFF00000100007F"}


def _sockets(proc: Path) -> set[str]:
    inodes = set()
    for fd in (proc / "fd").iterdir():
        target = str(fd.readlink())
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _session(proc: Path) -> int:
    text = (proc / "stat").read_text()
    return int(text[text.rindex(")") + 2 :].split()[3])


def listening_addresses(names: Collection[str] = (), sessions: Collection[int] = ()) -> set[str]:
    """Local addresses of every listening TCP socket of the processes with these command
    names, or in these sessions (a service started in a session of its own, and its children)."""
    inodes: set[str] = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "comm").read_text().strip() in names or _session(proc) in sessions:
                inodes |= _sockets(proc)
        except OSError:
            continue
    found = set()
    for name in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{name}").read_text().splitlines()[1:]:
            parts = line.split()
            if parts[3] == "0A" and parts[9] in inodes:
                found.add(parts[1].rsplit(":", 1)[0])
    return found
