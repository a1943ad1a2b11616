"""Services that die while a command works, named within about a second.

A dead S3 server or metastore shows up at first as another engine's error (a Trino query on
bronze failing) or as no answer at all (Trino retrying S3 for many minutes). The process
itself tells at once: the runner says which services it started are gone (a look at /proc,
no probe), and the first one, in start order (a dependency before what depends on it), is
the one reported, with the tail of its log.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ecomctl.errors import ServiceDied
from ecomctl.runners import logs
from ecomctl.runners.common import LOG_TAIL

EVERY = 1.0  # seconds between looks: cheap (a few files under /proc), and soon enough


class ServiceWatch:
    """Looks, at most once a second, whether a service the stack started has died.

    gone: the runner's services whose processes have ended since it started them, in start
    order, each with its log (empty on a stack whose services ecomctl does not run). doing:
    what the command does now, for the message ("during silver").
    """

    def __init__(self, gone: Callable[[], dict[str, Path]]) -> None:
        self._gone = gone
        self._next = 0.0
        self.doing = ""

    def check(self, now: bool = False) -> None:
        """Raise ServiceDied for the first service that died (now: whatever the last look)."""
        moment = time.monotonic()
        if not now and moment < self._next:
            return
        self._next = moment + EVERY
        for name, log in self._gone().items():
            raise ServiceDied(name, self.doing, logs.tail(log, LOG_TAIL))
