"""One parse of the dbt project shared by the homes of a machine.

dbt's first parse in a home reads every macro, model and properties file: about 2.6 s of a
first run at scale 1, against 0.4 s for a partial parse from the file it leaves behind
(`partial_parse.msgpack`). That file holds nothing of the home: the project as parsed,
checked by dbt against the project's files (their checksums), the vars, the profile's and
target's names, the names of the connection's fields and dbt's version before any use. A
stack whose profiles differ between homes only in what no parse reads (paths, the gold
server's address) shares it: a new home starts from the last parse any home made of the
same project with the same dbt, and dbt parses only what differs, or all of it when its
checks fail (then that parse is the one kept).
"""

from __future__ import annotations

import hashlib
import os
import time
from importlib import metadata
from pathlib import Path

from ecomctl.home import copy_whole, private_dir

FILE = "partial_parse.msgpack"
# Parses kept: one per dbt version, project folder and parse group (about 1 MB each); a
# machine that saw more (clones, upgrades, projects of its own) keeps the ones used last.
KEPT = 16


def _slot(cache: Path, project_dir: Path, group: str) -> Path:
    """The cache's file for a project (by its folder) parsed by one dbt for one parse group."""
    key = "\0".join([metadata.version("dbt-core"), str(project_dir.resolve()), group])
    return cache / "dbt-parse" / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.msgpack"


def restore(cache: Path, project_dir: Path, group: str, target: Path) -> bool:
    """Give target (a parse's target folder) the shared parse when it has none of its own."""
    mine, shared = target / FILE, _slot(cache, project_dir, group)
    if mine.exists() or not shared.is_file():
        return False
    target.mkdir(parents=True, exist_ok=True)
    copy_whole(shared, mine)  # its time kept: _same sees the copy as equal
    _used(shared)
    return True


def keep(cache: Path, project_dir: Path, group: str, target: Path) -> None:
    """Share target's parse, when it differs from the shared one (a copy, replaced whole)."""
    mine, shared = target / FILE, _slot(cache, project_dir, group)
    if not mine.is_file() or (shared.is_file() and _same(mine, shared)):
        return
    private_dir(shared.parent)
    copy_whole(mine, shared)  # readers never see a half-written file
    _used(shared)
    _prune(shared.parent)


def _used(path: Path) -> None:
    """Mark path as used now: its access time (set here: mounts seldom keep it), not its
    modification time, which tells a home's parse from the shared one."""
    os.utime(path, (time.time(), path.stat().st_mtime))


def _prune(folder: Path) -> None:
    """Keep the KEPT parses kept or given last."""
    found = sorted(folder.glob("*.msgpack"), key=lambda p: p.stat().st_atime, reverse=True)
    for old in found[KEPT:]:
        old.unlink(missing_ok=True)


def _same(a: Path, b: Path) -> bool:
    one, other = a.stat(), b.stat()
    return (one.st_size, one.st_mtime_ns) == (other.st_size, other.st_mtime_ns)
