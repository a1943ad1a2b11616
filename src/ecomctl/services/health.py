"""One wait for health, for every runner that starts services itself."""

from __future__ import annotations

import time
from collections.abc import Callable

from ecomctl.errors import ServiceFailed
from ecomctl.services.base import Events
from ecomctl.services.status import ServiceStatus

LOG_TAIL = 50
POLL_SECONDS = 1.0

Failure = tuple[str, str]  # (service, why)


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
    while True:
        states = read_states()
        elapsed = time.monotonic() - begin
        events.services(states, elapsed)
        failed = failure(states)
        if failed is not None:
            raise ServiceFailed(failed[0], failed[1], logs_of(failed[0]))
        if all(s.healthy for s in states):
            return states
        if elapsed > limit:
            late = next(s for s in states if not s.healthy)
            detail = f", {late.detail}" if late.detail else ""
            raise ServiceFailed(
                late.name,
                f"not healthy after {limit:.0f} s (state {late.state}{detail})",
                logs_of(late.name),
            )
        time.sleep(poll)
