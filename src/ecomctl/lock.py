"""One ecomctl at a time per home folder: an advisory lock naming its holder.

The kernel drops a flock when its process dies, so a lock is never stuck; the file's text
still names a dead holder, which is how a take-over is noticed and reported.

Readers of the warehouse (`query` on a DuckDB layer) share a second lock, which a writer
takes whole: a writer waits for the queries under way to end (a reader never breaks a
writer), and a query while a writer holds the home is refused at once, naming the writer.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ecomctl import proc
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.home import private_home
from ecomctl.settings import HomePaths


def _holder(text: str) -> str:
    try:
        info = json.loads(text)
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info["started"]))
        return f"pid {info['pid']}, started {started}"
    except (ValueError, KeyError, TypeError):
        return "unknown holder"


def _refuse_foreign_folder(root: Path) -> None:
    """A folder holding other files (a project, a user's home, "." by mistake) is refused as a
    home before anything is written: ecomctl would make it private, `down --volumes` empty it."""
    foreign = HomePaths(root).foreign_entries()
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise EcomctlError(
            f"home {root} is not an ecomctl home (it holds {shown}): ecomctl keeps its"
            " state in a folder of its own; give a new or empty one (--home)",
            ExitStatus.USAGE,
        )


@contextmanager
def hold(root: Path, command: str, warn: Callable[[str], None]) -> Iterator[None]:
    _refuse_foreign_folder(root)
    private_home(root)
    path = root / "lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(os.pread(fd, 4096, 0).decode(errors="replace"))
            raise EcomctlError(
                f"another ecomctl ({holder}) holds {root}", ExitStatus.ENVIRONMENT
            ) from None
        left = os.pread(fd, 4096, 0).decode(errors="replace").strip()
        if left:
            warn(f"taking over the lock on {root} left by ecomctl ({_holder(left)}), which is gone")
        mine = json.dumps({"pid": os.getpid(), "started": time.time(), "command": command})
        os.ftruncate(fd, 0)
        try:
            os.pwrite(fd, mine.encode(), 0)
        except OSError as exc:
            # The flock is the lock, the name only says whose: on a full disk, `down` and the
            # commands that need no room still run.
            if exc.errno != errno.ENOSPC:
                raise
        readers = os.open(root / READERS, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _wait_for_readers(readers, warn)
            _HELD.add(Path(root).resolve())
            yield
        finally:
            _HELD.discard(Path(root).resolve())
            os.close(readers)
            # Cleared on a clean exit, so only a killed holder leaves its name behind.
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


READERS = "readers.lock"
_HELD: set[Path] = set()  # the homes this process holds: it reads them as their writer
READERS_WAIT = 600.0  # seconds a writer waits for queries under way before giving up


def _wait_for_readers(fd: int, warn: Callable[[str], None]) -> None:
    def taken() -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    if taken():
        return
    warn("waiting for the queries reading the warehouse to end ...")
    if proc.poll_until(taken, READERS_WAIT):
        return
    raise EcomctlError(
        f"queries have read the warehouse for {READERS_WAIT:.0f} s: stop them and try again",
        ExitStatus.ENVIRONMENT,
    )


def _writer(root: Path) -> str | None:
    """The holder of the home, while a live ecomctl holds it (a killed one's name is stale)."""
    try:
        text = (root / "lock").read_text().strip()
        pid = int(json.loads(text)["pid"]) if text else 0
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if pid <= 0 or not proc.exists(pid):
        return None
    return _holder(text)


@contextmanager
def reading(root: Path) -> Iterator[None]:
    """Share the warehouse with other readers; refused at once while a writer holds the home
    (or waits for the readers before it: new ones do not keep it waiting). The writer
    itself reads freely."""
    if Path(root).resolve() in _HELD:
        yield
        return
    try:
        fd = os.open(root / READERS, os.O_RDONLY)
    except FileNotFoundError:  # no writer ever ran here: nothing to share
        yield
        return
    try:
        holder = _writer(root)
        if holder is None:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _writer(root) or "unknown holder"
        if holder is not None:
            raise EcomctlError(
                f"{root} is being written by ecomctl ({holder}): query again when it ends"
                " (gold, in PostgreSQL, can be queried meanwhile)",
                ExitStatus.ENVIRONMENT,
            )
        yield
    finally:
        os.close(fd)
