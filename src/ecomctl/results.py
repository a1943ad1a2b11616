"""What every stack reports about its services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# running/ready/completed/empty count as healthy: a one-shot job that exited 0 did its work,
# and an in-process engine with no database yet (empty) works as soon as one is made.
State = Literal[
    "running", "ready", "completed", "empty", "starting", "unhealthy", "exited", "stopped",
    "unreachable",
]  # fmt: skip


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    state: State
    endpoint: str
    version: str = ""
    uptime_seconds: float | None = None
    detail: str = ""
    # What stands between another local user and the service (texts: ecomctl/protection.py).
    protection: str = ""

    @property
    def healthy(self) -> bool:
        return self.state in ("running", "ready", "completed", "empty")
