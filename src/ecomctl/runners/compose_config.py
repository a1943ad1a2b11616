"""The compose project as `docker compose config` renders it (which services, what each
depends on and how, published ports, one-shot jobs, images built here), and a container's
state read against it. Pure: no Docker here, the runner (compose.py) asks it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ecomctl.results import ServiceStatus, State
from ecomctl.runners.common import ServiceGraph

# Without a health check, a container that stays up this long is taken as started well.
SETTLE_SECONDS = 3.0


@dataclass(frozen=True)
class ServiceSpec:
    """One service of the compose project, as `docker compose config` renders it."""

    name: str
    image: str
    ports: list[tuple[str, int, int]]  # (host ip, host port, container port)
    depends_on: dict[str, str]  # service -> condition
    one_shot: bool = False
    built: bool = False  # made from a Dockerfile in compose/, not pulled


@dataclass
class ComposeProject:
    services: dict[str, ServiceSpec] = field(default_factory=dict)

    @property
    def graph(self) -> ServiceGraph:
        return ServiceGraph({n: list(s.depends_on) for n, s in self.services.items()})

    def closure(self, names: list[str]) -> list[str]:
        """The services named and everything they depend on, in file order."""
        return self.graph.closure(names)


def parse_config(config: dict[str, Any]) -> ComposeProject:
    services: dict[str, Any] = config.get("services") or {}
    conditions = {
        name: {d: str((c or {}).get("condition", "service_started")) for d, c in deps.items()}
        for name, svc in services.items()
        for deps in [svc.get("depends_on") or {}]
    }
    # A one-shot job is what another service waits on to complete, not to be healthy.
    one_shot = {
        d for deps in conditions.values() for d, c in deps.items()
        if c == "service_completed_successfully"
    }  # fmt: skip
    specs: dict[str, ServiceSpec] = {}
    for name, svc in services.items():
        ports = [
            (str(p.get("host_ip") or "0.0.0.0"), int(p["published"]), int(p["target"]))
            for p in svc.get("ports") or []
            if p.get("published")
        ]
        specs[name] = ServiceSpec(
            name,
            str(svc.get("image", "")),
            ports,
            conditions[name],
            one_shot=name in one_shot,
            built="build" in svc,
        )
    return ComposeProject(specs)


def service_status(spec: ServiceSpec, container: Any, now: datetime) -> ServiceStatus:
    endpoint = ", ".join(f"{ip}:{port}" for ip, port, _ in spec.ports) or "-"
    version = spec.image.rsplit(":", 1)[-1] if ":" in spec.image else spec.image
    if container is None:
        return ServiceStatus(spec.name, "stopped", endpoint, version, detail="not created")
    facts = container.state
    status = str(facts.status)
    health = facts.health.status if facts.health is not None else None
    started = facts.started_at
    uptime = (now - started).total_seconds() if status == "running" and started else None
    if status == "exited":
        code = int(facts.exit_code or 0)
        if spec.one_shot and code == 0:
            return ServiceStatus(spec.name, "completed", endpoint, version, detail="exit code 0")
        return ServiceStatus(spec.name, "exited", endpoint, version, detail=f"exit code {code}")
    if status == "running":
        if health in ("starting", "unhealthy"):
            return ServiceStatus(spec.name, health, endpoint, version, uptime, f"health: {health}")
        if health == "healthy":
            return ServiceStatus(spec.name, "running", endpoint, version, uptime, "healthy")
        # Without a health check, staying up a few seconds is the only sign it started well.
        settled = uptime is not None and uptime >= SETTLE_SECONDS
        state: State = "running" if settled else "starting"
        return ServiceStatus(spec.name, state, endpoint, version, uptime, "no health check")
    return ServiceStatus(spec.name, "starting", endpoint, version, detail=status)
