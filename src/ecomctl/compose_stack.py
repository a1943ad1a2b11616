"""The compose stack: the guide's architecture under Docker Compose, driven through python-on-whales.

The compose project (compose/compose.yaml, bundled in the wheel) is read through
`docker compose config`, so which services exist, which are one-shot jobs, their health checks
and ports come from the file, never from a list kept here. Credentials live in a `.env` that
`up` generates in the home folder (0600) on first use.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ecomctl import project
from ecomctl.engines import SparkEndpoint, TrinoEndpoint
from ecomctl.errors import EcomctlError, ExitStatus, ServiceFailed, first_line, reason
from ecomctl.lake_stack import LakeStack
from ecomctl.postgres import PgEndpoint, port_is_free
from ecomctl.services import ServiceStatus, State
from ecomctl.settings import Settings

LOOPBACK = "127.0.0.1"
LOG_TAIL = 50
GOLD_DATABASE = "analytics"
SECRET_NAMES = ("POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD")
_POLL_SECONDS = 1.0
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

    def closure(self, names: list[str]) -> list[str]:
        """The services named and everything they depend on, in file order."""
        wanted: set[str] = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            if name in wanted:
                continue
            if name not in self.services:
                known = ", ".join(self.services)
                raise EcomctlError(
                    f"--only {name!r}: no such service (services: {known})", ExitStatus.USAGE
                )
            wanted.add(name)
            todo.extend(self.services[name].depends_on)
        return [s for s in self.services if s in wanted]


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


class ComposeStack(LakeStack):
    name = "compose"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.env_file = self.paths.compose / ".env"
        self.compose_file = settings.compose_file or project.bundled("compose") / "compose.yaml"

    # -- credentials: generated once per home, kept in a 0600 .env --------------------------
    def ensure_env(self) -> Path:
        """Write the .env: secrets kept from earlier runs (or generated now), ports from settings."""
        folder = self.env_file.parent
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        _write_env(self.env_file, self._env_values(self._read_env()))
        return self.env_file

    def _read_env(self) -> dict[str, str]:
        if not self.env_file.exists():
            return {}
        pairs = (
            line.split("=", 1)
            for line in self.env_file.read_text().splitlines()
            if "=" in line and not line.startswith("#")
        )
        return {k.strip(): v.strip() for k, v in pairs}

    def _env_values(self, current: dict[str, str]) -> dict[str, str]:
        s = self.settings
        kept = {name: current.get(name) or secrets.token_urlsafe(24) for name in SECRET_NAMES}
        return {
            "POSTGRES_USER": s.pg_user,
            "POSTGRES_PASSWORD": kept["POSTGRES_PASSWORD"],
            "MINIO_ROOT_USER": current.get("MINIO_ROOT_USER") or "ecomctl",
            "MINIO_ROOT_PASSWORD": kept["MINIO_ROOT_PASSWORD"],
            "LAKE_BUCKET": s.lake_bucket,
            "TRINO_PORT": str(s.trino_port),
            "SPARK_THRIFT_PORT": str(s.spark_port),
            "POSTGRES_PORT": str(s.pg_port),
            "MINIO_PORT": str(s.minio_port),
            "MINIO_CONSOLE_PORT": str(s.minio_console_port),
            "SPARK_MASTER_UI_PORT": str(s.spark_master_ui_port),
            "METABASE_PORT": str(s.metabase_port),
        }

    def pg_password(self) -> str | None:
        return self._read_env().get("POSTGRES_PASSWORD") or None

    def trino_password(self) -> str | None:
        return None  # Trino in the compose stack listens on loopback only, without auth

    def s3_credentials(self) -> tuple[str, str] | None:
        env = self._read_env()
        if not env.get("MINIO_ROOT_PASSWORD"):
            return None
        return env.get("MINIO_ROOT_USER", "ecomctl"), env["MINIO_ROOT_PASSWORD"]

    def s3_endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.settings.minio_port}"

    def password_hint(self) -> str:
        return f"$(sed -n 's/^POSTGRES_PASSWORD=//p' {self.env_file})"

    # -- endpoints: always this machine's loopback, at the published ports -------------------
    def trino(self) -> TrinoEndpoint:
        return TrinoEndpoint(LOOPBACK, self.settings.trino_port, self.settings.trino_user)

    def spark(self) -> SparkEndpoint:
        return SparkEndpoint(LOOPBACK, self.settings.spark_port, self.settings.spark_user)

    def gold_endpoint(self) -> PgEndpoint:
        s = self.settings
        # compose/compose.yaml creates gold's database under this name (Trino's de_psql too).
        return PgEndpoint(LOOPBACK, s.pg_port, s.pg_user, GOLD_DATABASE)

    # -- docker ----------------------------------------------------------------------------
    def docker(self, env_file: Path | None = None) -> Any:
        from python_on_whales import DockerClient

        return DockerClient(
            compose_files=[self.compose_file],
            compose_env_files=[env_file or self.env_file],
            compose_project_name=self.settings.compose_project,
            compose_profiles=list(self.settings.compose_profiles),
        )

    def preflight(self) -> None:
        """Docker CLI, daemon and Compose v2 present: else one line and exit 4."""
        if shutil.which("docker") is None:
            raise EcomctlError(
                "docker CLI not found on PATH: install Docker Engine (docs/compose.md)",
                ExitStatus.ENVIRONMENT,
            )
        server = _docker_cli("version", "--format", "{{.Server.Version}}")
        if server.returncode != 0:
            where = os.environ.get("DOCKER_HOST", "the default socket")
            raise EcomctlError(
                f"docker daemon not reachable at {where}: {_first_line(server)}",
                ExitStatus.ENVIRONMENT,
            )
        compose = _docker_cli("compose", "version", "--short")
        version = compose.stdout.strip().lstrip("v")
        if compose.returncode != 0 or not version.startswith("2"):
            found = version or _first_line(compose)
            raise EcomctlError(
                f"Docker Compose v2 is needed (`docker compose version`: {found})",
                ExitStatus.ENVIRONMENT,
            )

    def project(self) -> ComposeProject:
        """The compose project's services; with placeholder secrets when `up` never ran here."""
        with self._env_for_reading() as env_file:
            proc = subprocess.run(
                [*self._compose_cmd(env_file), "config", "--format", "json"],
                capture_output=True,
                text=True,
                check=False,
            )
        if proc.returncode != 0:
            raise EcomctlError(
                f"compose file {self.compose_file}: {_first_line(proc)}", ExitStatus.ENVIRONMENT
            )
        return parse_config(json.loads(proc.stdout))

    def _compose_cmd(self, env_file: Path | None = None) -> list[str]:
        return [str(part) for part in self.docker(env_file).client_config.docker_compose_cmd]

    @contextmanager
    def _env_for_reading(self) -> Iterator[Path]:
        """The .env, or one with placeholder secrets when `up` never ran (nothing is kept)."""
        if self.env_file.exists():
            yield self.env_file
            return
        with tempfile.TemporaryDirectory() as tmp:
            placeholders = {name: "not-generated-yet" for name in SECRET_NAMES}
            yield _write_env(Path(tmp) / ".env", self._env_values(placeholders))

    # -- lifecycle -------------------------------------------------------------------------
    def up(self, layers: list[str] | None = None) -> None:
        self.start()  # every service: the stack's own are few and start together

    def start(
        self,
        only: list[str] | None = None,
        timeout: float | None = None,
        wait: bool = True,
        on_change: Callable[[list[ServiceStatus], float], None] | None = None,
        on_build: Callable[[list[str], Path], None] | None = None,
    ) -> list[ServiceStatus]:
        """Build missing local images, start the services (and their dependencies) and wait
        until all are healthy. The build does not count against the timeout."""
        self.preflight()
        self.ensure_env()
        proj = self.project()
        targets = proj.closure(only or list(proj.services))
        self._check_ports(proj, targets)
        self._build_missing(proj, targets, on_build)
        log = self.paths.compose / "up.log"
        with log.open("w") as out:
            # Our own process, not a library call: on a timeout we stop waiting for it.
            runner = subprocess.Popen(
                [*self._compose_cmd(), "up", "--detach", *(only or [])],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        if not wait:
            return self.states(proj, targets)
        limit = timeout or self.settings.compose_timeout
        begin = time.monotonic()
        try:
            while True:
                states = self.states(proj, targets)
                if on_change is not None:
                    on_change(states, time.monotonic() - begin)
                failed = self._failure(proj, states, runner, log)
                if failed is not None:
                    raise self._failed(failed[0], failed[1])
                if all(s.healthy for s in states):
                    runner.wait(timeout=30)
                    return states
                if time.monotonic() - begin > limit:
                    late = next(s for s in states if not s.healthy)
                    raise self._failed(
                        late.name,
                        f"not healthy after {limit:.0f} s (state {late.state}{', ' + late.detail if late.detail else ''})",
                    )
                time.sleep(_POLL_SECONDS)
        finally:
            if runner.poll() is None:
                # compose may still wait on a dependency; the containers stay as they are.
                os.killpg(runner.pid, signal.SIGTERM)
                runner.wait(timeout=30)

    def _build_missing(
        self,
        proj: ComposeProject,
        targets: list[str],
        on_build: Callable[[list[str], Path], None] | None,
    ) -> None:
        """Build the images made from compose/ that this machine does not have yet.

        compose would build them inside `up` too, but silently and within the health wait's
        timeout; a first build downloads for minutes.
        """
        docker = self.docker()
        missing = [
            name for name in targets
            if proj.services[name].built and not docker.image.exists(proj.services[name].image)
        ]  # fmt: skip
        if not missing:
            return
        log = self.paths.compose / "build.log"
        if on_build is not None:
            on_build([proj.services[name].image for name in missing], log)
        with log.open("w") as out:
            built = subprocess.run(
                [*self._compose_cmd(), "build", *missing],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        if built.returncode != 0:
            text = log.read_text(errors="replace")
            raise ServiceFailed(
                missing[0],
                f"building its image failed: {_last_line(text, 'no output')} (log: {log})",
                "\n".join(text.splitlines()[-LOG_TAIL:]),
            )

    def _failure(
        self,
        proj: ComposeProject,
        states: list[ServiceStatus],
        runner: subprocess.Popen[bytes],
        log: Path,
    ) -> tuple[str, str] | None:
        for s in states:
            if s.state == "unhealthy":
                return s.name, "unhealthy (its health check keeps failing)"
            if s.state == "exited":
                kind = "one-shot job failed" if proj.services[s.name].one_shot else "exited"
                return s.name, f"{kind} ({s.detail})"
        code = runner.poll()
        if code not in (None, 0):
            # compose gave up (an image that cannot be pulled, a dependency that failed).
            why = _last_line(log.read_text(errors="replace"), f"exit code {code}")
            stuck = next((s.name for s in states if not s.healthy), "compose")
            return stuck, f"docker compose up failed: {why}"
        return None

    def _failed(self, service: str, reason: str) -> ServiceFailed:
        return ServiceFailed(service, reason, self.logs_text(service, LOG_TAIL))

    def _check_ports(self, proj: ComposeProject, targets: list[str]) -> None:
        ours = {
            port
            for s in self.states(proj, targets)
            if s.state != "stopped"
            for _, port, _ in proj.services[s.name].ports
        }
        for name in targets:
            for host_ip, port, _ in proj.services[name].ports:
                if port in ours:
                    continue  # published by this stack's own running container
                if not port_is_free(port, host_ip):
                    raise EcomctlError(
                        f"port {port} on {host_ip} (service {name}) is taken by another program:"
                        " free it or choose another port (ECOMCTL_*_PORT, docs/compose.md)",
                        ExitStatus.ENVIRONMENT,
                    )

    def states(
        self, proj: ComposeProject | None = None, only: list[str] | None = None
    ) -> list[ServiceStatus]:
        proj = proj or self.project()
        names = only or list(proj.services)
        containers = {
            c.config.labels.get("com.docker.compose.service"): c for c in self._containers()
        }
        now = datetime.now(UTC)
        return [_service_status(proj.services[n], containers.get(n), now) for n in names]

    def _containers(self) -> list[Any]:
        if not self.env_file.exists():
            return []  # `up` never ran for this home: nothing of ours can exist
        from python_on_whales.exceptions import DockerException

        try:
            return list(self.docker().compose.ps(all=True))
        except DockerException as exc:
            raise EcomctlError(f"docker compose ps: {reason(exc)}", ExitStatus.ENVIRONMENT) from exc

    def status(self) -> list[ServiceStatus]:
        self.preflight()
        return self.states()

    def down(self, volumes: bool = False) -> tuple[bool, str]:
        self.preflight()
        if not self.env_file.exists():
            return False, "compose stack: nothing started from this home"
        stopped = bool(self._containers())
        self.docker().compose.down(volumes=volumes, remove_orphans=True, quiet=True)
        if volumes:
            return stopped, "compose stack removed, its volumes too"
        return stopped, "compose stack stopped (volumes kept)"

    def logs_text(self, service: str | None, tail: int) -> str:
        if not self.env_file.exists():
            return ""
        services = [] if service is None else [service]
        try:
            return str(
                self.docker().compose.logs(
                    services, tail=str(tail), no_log_prefix=service is not None
                )
            )
        except Exception as exc:  # logs are help for a failure, not a reason for another
            return f"(no logs: {reason(exc)})"

    def follow_logs(self, service: str | None, tail: int) -> Iterator[str]:
        services = [] if service is None else [service]
        for _, chunk in self.docker().compose.logs(
            services, tail=str(tail), follow=True, stream=True
        ):
            yield chunk.decode(errors="replace")


def _service_status(spec: ServiceSpec, container: Any, now: datetime) -> ServiceStatus:
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


def _docker_cli(*args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["docker", *args], capture_output=True, text=True, timeout=30, check=False
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(["docker", *args], 1, "", "no answer in 30 s")


def _first_line(proc: subprocess.CompletedProcess[str]) -> str:
    return first_line(proc.stderr or proc.stdout, f"exit code {proc.returncode}")


def _last_line(text: str, default: str) -> str:
    """A log's last line that says something: where compose and docker build say why."""
    lines = text.strip().splitlines()
    return lines[-1].strip() if lines else default


def _write_env(path: Path, values: dict[str, str]) -> Path:
    """Replace path with KEY=value lines, mode 0600 from the start (it holds passwords)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".env.")
    with os.fdopen(fd, "w") as handle:
        handle.write(
            "# Written by `ecomctl up --stack compose`; the passwords are this install's own.\n"
        )
        handle.writelines(f"{k}={v}\n" for k, v in values.items())
    os.replace(tmp, path)
    return path
