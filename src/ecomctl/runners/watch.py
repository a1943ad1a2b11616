"""Services that die, or a disk that fills, while a command works: named within about a
second.

A dead S3 server or metastore shows up at first as another engine's error (a Trino query on
bronze failing) or as no answer at all (Trino retrying S3 for many minutes). The process
itself tells at once: the runner says which services it started are gone (a look at /proc,
no probe), and the first one, in start order (a dependency before what depends on it), is
the one reported, with the tail of its log.

A full disk is the same: the native stack's servers answer it with retries (Trino's S3 writes
back off for minutes) and PostgreSQL by shutting itself down. The home's free space, looked at
with the processes, ends the command in one line (exit 4) before any of that.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ecomctl import home
from ecomctl.errors import EcomctlError, ExitStatus, ServiceDied
from ecomctl.runners import logs
from ecomctl.runners.common import LOG_TAIL

EVERY = 1.0  # seconds between looks: cheap (a few files under /proc), and soon enough


class ServiceWatch:
    """Looks, at most once a second, whether the home's disk is full or a service the stack
    started has died.

    gone: the runner's services whose processes have ended since it started them, in start
    order, each with its log (empty on a stack whose services ecomctl does not run). room:
    the home, whose file system holds the warehouse or the services' data. doing: what the
    command does now, for the message ("during silver").
    """

    def __init__(self, gone: Callable[[], dict[str, Path]], room: Path) -> None:
        self._gone = gone
        self._room = room
        self._next = 0.0
        self.doing = ""

    def check(self, now: bool = False, said: str = "") -> None:
        """Raise for a full disk (exit 4: a full disk also stops servers, so it comes first),
        then ServiceDied for the first service that died (now: whatever the last look). said:
        an error that ended the work, whose words may say the disk is full."""
        moment = time.monotonic()
        if not now and moment < self._next:
            return
        self._next = moment + EVERY
        full = home.disk_full(self._room, said)
        if full is not None:
            raise EcomctlError(full, ExitStatus.ENVIRONMENT)
        for name, log in self._gone().items():
            raise ServiceDied(name, self.doing, logs.tail(log, LOG_TAIL))
