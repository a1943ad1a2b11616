"""The native stack's share of the bench: its services' memory while each step runs.

The native stack's services (PostgreSQL, the S3 server, the metastore, Trino, the Spark Thrift
server) are not part of any command's process tree: ecomctl starts each in a session of its
own, recorded under <home>/native/run/. A sampler thread sums the resident memory of every
process of those sessions, and of the PostgreSQL server, every 200 ms while a step runs; the
peak of that sum is the stack's cost, reported beside the command's own.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

INTERVAL = 0.2
_GONE = (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess)


def service_sessions(home: Path) -> dict[int, str]:
    """Session id -> service, for each service process ecomctl recorded (and PostgreSQL)."""
    sessions = {}
    for record in (home / "native" / "run").glob("*.json"):
        try:
            sessions[int(json.loads(record.read_text())["pid"])] = record.stem
        except (OSError, ValueError, KeyError):
            continue
    pid_file = home / "native" / "postgres" / "data" / "postmaster.pid"
    try:
        postmaster = int(pid_file.read_text().split("\n", 1)[0])
        sessions[os.getsid(postmaster)] = "postgres"
    except (OSError, ValueError):
        pass
    return sessions


def services_rss(home: Path) -> dict[str, int]:
    """Resident memory of each service now, in bytes."""
    sessions = service_sessions(home)
    found: dict[str, int] = {}
    for process in psutil.process_iter(["pid"]):
        try:
            service = sessions.get(os.getsid(process.pid))
            if service is not None:
                found[service] = found.get(service, 0) + process.memory_info().rss
        except (OSError, *_GONE):
            continue
    return found


@dataclass
class ServicePeaks:
    total: int = 0
    by_service: dict[str, int] = field(default_factory=dict)  # at the total's peak


@contextmanager
def sampling(home: Path) -> Iterator[ServicePeaks]:
    """Sample the services' memory until the block ends."""
    peaks = ServicePeaks()
    done = threading.Event()

    def run() -> None:
        while not done.is_set():
            now = services_rss(home)
            if sum(now.values()) > peaks.total:
                peaks.total = sum(now.values())
                peaks.by_service = dict(now)
            done.wait(INTERVAL)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield peaks
    finally:
        done.set()
        thread.join()
