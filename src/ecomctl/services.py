"""What every stack reports about its services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

State = Literal["running", "stopped", "ready"]


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    state: State
    endpoint: str
    version: str = ""
    uptime_seconds: float | None = None
    detail: str = ""

    @property
    def healthy(self) -> bool:
        return self.state in ("running", "ready")
