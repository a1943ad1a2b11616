"""One ecomctl at a time per home folder: an advisory lock naming its holder.

The kernel drops a flock when its process dies, so a lock is never stuck; the file's text
still names a dead holder, which is how a take-over is noticed and reported.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ecomctl.errors import EcomctlError, ExitStatus


def _holder(text: str) -> str:
    try:
        info = json.loads(text)
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info["started"]))
        return f"pid {info['pid']}, started {started}"
    except (ValueError, KeyError, TypeError):
        return "unknown holder"


@contextmanager
def hold(root: Path, command: str, warn: Callable[[str], None]) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
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
        os.pwrite(fd, mine.encode(), 0)
        try:
            yield
        finally:
            # Cleared on a clean exit, so only a killed holder leaves its name behind.
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
