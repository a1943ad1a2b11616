"""What state each native service is in: its recorded process, and a probe of what it serves
(Trino: a query that runs; S3: the lake's bucket; the others: their port accepts)."""

from __future__ import annotations

import socket
from collections.abc import Callable

from ecomctl import hints, proc
from ecomctl.engines import clients, s3
from ecomctl.engines.endpoints import S3Endpoint, TrinoEndpoint
from ecomctl.errors import reason
from ecomctl.results import ServiceStatus, State
from ecomctl.runners.common import LOOPBACK
from ecomctl.runners.native import pins
from ecomctl.runners.native.processes import Supervisor

VERSIONS = {
    "s3": "S3",
    "metastore": f"Hive Metastore {pins.METASTORE_VERSION}",
    "trino": f"Trino {pins.TRINO_VERSION}",
    "spark-thrift": "Spark Thrift",
}


def state(
    name: str,
    port: int | None,
    supervisor: Supervisor,
    lake: Callable[[], S3Endpoint],
    trino: Callable[[], TrinoEndpoint],
) -> ServiceStatus:
    """The state of a supervised service (every one but PostgreSQL)."""
    endpoint = f"{LOOPBACK}:{port}" if port else "-"
    version = VERSIONS[name]
    pid = supervisor.pid(name)
    if pid is None:
        code = supervisor.exit_code(name)
        if code is not None:
            return ServiceStatus(name, "exited", endpoint, version, detail=f"exit code {code}")
        gone = supervisor.recorded(name)
        detail = "not started" if gone is None else f"its process (pid {gone}) is gone"
        up = f"`{hints.command('up')}` starts it"
        return ServiceStatus(name, "stopped", endpoint, version, detail=f"{detail}: {up}")
    uptime = proc.uptime(pid)
    answer = probe(name, port or 0, lake, trino)
    runs_on = supervisor.noted(name, "runs_on")
    runs_on = f", {runs_on}" if runs_on else ""
    version = supervisor.noted(name, "version") or version
    healthy: State = "running" if answer.ok else "starting"
    return ServiceStatus(
        name, healthy, endpoint, answer.version or version, uptime, f"pid {pid}{runs_on}"
    )


def probe(
    name: str, port: int, lake: Callable[[], S3Endpoint], trino: Callable[[], TrinoEndpoint]
) -> clients.Probe:
    if name == "trino":
        # Started is not ready: until its node has registered, queries fail with
        # NO_NODES_AVAILABLE. A query that runs (over HTTPS, as ecomctl's login) is the proof.
        return clients.probe_trino_query(trino())
    if name == "s3":
        where = lake()
        try:
            if not s3.ensure_bucket(where):
                return clients.Probe(False, detail=f"no bucket {where.bucket} yet")
            # Healthy is writable: after a full disk, SeaweedFS answers reads but not writes.
            if not s3.can_write(where):
                return clients.Probe(False, detail="it refuses writes (is its disk full?)")
        except OSError as exc:
            return clients.Probe(False, detail=reason(exc))
        return clients.Probe(True)
    return _tcp(port)


def _tcp(port: int) -> clients.Probe:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1.0):
            return clients.Probe(True, detail="accepting connections")
    except OSError as exc:
        return clients.Probe(False, detail=reason(exc))
