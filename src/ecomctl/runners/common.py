"""What every runner that starts services shares: loopback ports, the `--only` closure, the
one wait for health."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from ecomctl.errors import EcomctlError, ExitStatus, ServiceFailed
from ecomctl.graphs import reachable
from ecomctl.proc import poll_until
from ecomctl.results import ServiceStatus
from ecomctl.runners.base import Events

LOOPBACK = "127.0.0.1"
LOG_TAIL = 50
POLL_SECONDS = 1.0

Failure = tuple[str, str]  # (service, why)


# -- ports --------------------------------------------------------------------------------
def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As PostgreSQL itself does: connections of a stopped server lingering in TIME_WAIT
        # must not count as the port being taken; only a listener does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def valid_port(value: object) -> int | None:
    """A port number as a file of the home holds it (text or a JSON number), or None when it
    is no port (garbage, or out of 1-65535: a socket would refuse it with a traceback)."""
    try:
        port = int(str(value).strip())
    except ValueError:
        return None
    return port if 0 < port < 65536 else None


def free_port(host: str = LOOPBACK) -> int:
    """A port no one listens on now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


# -- which services a service needs ---------------------------------------------------------
@dataclass(frozen=True)
class ServiceGraph:
    depends_on: dict[str, list[str]]  # every service, in start order -> what it needs first

    def closure(self, names: list[str]) -> list[str]:
        """The services named and everything they depend on, in start order."""
        for name in names:
            if name not in self.depends_on:
                known = ", ".join(self.depends_on)
                raise EcomctlError(
                    f"--only {name!r}: no such service (services: {known})", ExitStatus.USAGE
                )
        wanted = reachable(names, self.depends_on)
        return [s for s in self.depends_on if s in wanted]


# -- health ---------------------------------------------------------------------------------
def failed_service(states: list[ServiceStatus]) -> Failure | None:
    """The first service that will not become healthy by waiting longer."""
    for s in states:
        if s.state == "unhealthy":
            return s.name, "unhealthy (its health check keeps failing)"
        if s.state == "exited":
            return s.name, f"exited ({s.detail})" if s.detail else "exited"
    return None


def wait_until_healthy(
    read_states: Callable[[], list[ServiceStatus]],
    limit: float,
    events: Events,
    logs_of: Callable[[str], str],
    failure: Callable[[list[ServiceStatus]], Failure | None] = failed_service,
    poll: float = POLL_SECONDS,
) -> list[ServiceStatus]:
    """Read the services' states until all are healthy; raise ServiceFailed, with the
    service's last log lines, when one fails or `limit` seconds pass first."""
    begin = time.monotonic()
    last: list[ServiceStatus] = []

    def all_healthy() -> list[ServiceStatus] | None:
        states = read_states()
        events.services(states, time.monotonic() - begin)
        failed = failure(states)
        if failed is not None:
            raise ServiceFailed(failed[0], failed[1], logs_of(failed[0]))
        last[:] = states
        return states if all(s.healthy for s in states) else None

    healthy = poll_until(all_healthy, limit, poll)
    if healthy is not None:
        return healthy
    late = next(s for s in last if not s.healthy)
    detail = f", {late.detail}" if late.detail else ""
    raise ServiceFailed(
        late.name,
        f"not healthy after {limit:.0f} s (state {late.state}{detail})",
        logs_of(late.name),
    )
