"""Services run by Docker Compose (the compose stack), driven through python-on-whales.

The compose project (compose/compose.yaml, bundled in the wheel) is read through
`docker compose config`, so which services exist, which are one-shot jobs, their health checks
and ports come from the file, never from a list kept here. Credentials live in a `.env` that
`up` generates in the home folder (0600) on first use.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ecomctl import home, protection
from ecomctl.engines.endpoints import (
    LakeEndpoints,
    PgEndpoint,
    S3Endpoint,
    SparkEndpoint,
    TrinoEndpoint,
)
from ecomctl.errors import EcomctlError, ExitStatus, ServiceFailed, first_line, reason
from ecomctl.resources import bundled
from ecomctl.results import ServiceStatus
from ecomctl.runners import engine_conf
from ecomctl.runners.base import Events, UpOptions
from ecomctl.runners.common import (
    LOG_TAIL,
    LOOPBACK,
    Failure,
    failed_service,
    port_is_free,
    wait_until_healthy,
)
from ecomctl.runners.compose_config import ComposeProject, parse_config, service_status
from ecomctl.runners.engine_conf import EngineHosts
from ecomctl.settings import Settings

GOLD_DATABASE = "analytics"
SECRET_NAMES = ("POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD", "GOLD_WRITER_PASSWORD")


class ComposeServices:
    """The compose project's services on this machine's Docker engine, for one home."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.paths = settings.paths
        self.env_file = self.paths.compose / ".env"
        self.conf_dir = self.paths.compose / "conf"
        self.compose_file = settings.compose_file or bundled("compose") / "compose.yaml"

    # -- where the engines are: this machine's loopback, at the published ports -------------
    def endpoints(self) -> LakeEndpoints:
        s, env = self.settings, self._read_env()
        minio_password = env.get("MINIO_ROOT_PASSWORD") or None
        return LakeEndpoints(
            # Trino listens on loopback only, without authentication.
            trino=TrinoEndpoint(LOOPBACK, s.trino_port, s.trino_user),
            spark=SparkEndpoint(LOOPBACK, s.spark_port, s.spark_user),
            # compose/compose.yaml creates gold's database under this name (Trino's de_psql too).
            gold=PgEndpoint(LOOPBACK, s.pg_port, s.pg_user, GOLD_DATABASE),
            gold_password=env.get("POSTGRES_PASSWORD") or None,
            s3=S3Endpoint(
                f"http://{LOOPBACK}:{s.minio_port}",
                s.lake_bucket,
                s.s3_region,
                env.get("MINIO_ROOT_USER", "ecomctl") if minio_password else None,
                minio_password,
                keys_from="up",
            ),
            password_hint=f"$(sed -n 's/^POSTGRES_PASSWORD=//p' {shlex.quote(str(self.env_file))})",
            lake_catalog=s.lake_catalog,
            landing_catalog=s.landing_catalog,
            gold_catalog=s.gold_catalog,
        )

    # -- credentials: generated once per home, kept in a 0600 .env --------------------------
    def ensure_env(self) -> Path:
        """Write the .env (secrets kept from earlier runs or generated now, ports from settings)
        and the engines' configuration it points the services at."""
        home.private_dir(self.env_file.parent)
        engine_conf.render(self.conf_dir, self.engine_hosts())
        _write_env(self.env_file, self._env_values(self._read_env()))
        return self.env_file

    def engine_hosts(self) -> EngineHosts:
        """The engines as the compose network names them, at their container ports."""
        return EngineHosts(
            metastore_host="hive-metastore",
            metastore_port=9083,
            metastore_bind_host="0.0.0.0",
            s3_endpoint="http://minio:9000",
            postgres_host="postgres",
            postgres_port=5432,
            lake_bucket=self.settings.lake_bucket,
        )

    def _read_env(self) -> dict[str, str]:
        if not self.env_file.exists():
            return {}
        pairs = (
            line.split("=", 1)
            for line in self.env_file.read_text().splitlines()
            if "=" in line and not line.startswith("#")
        )
        return {k.strip(): v.strip() for k, v in pairs}

    def _env_values(self, current: dict[str, str], conf_dir: Path | None = None) -> dict[str, str]:
        s = self.settings
        kept = {name: current.get(name) or secrets.token_urlsafe(24) for name in SECRET_NAMES}
        return {
            "POSTGRES_USER": s.pg_user,
            "POSTGRES_PASSWORD": kept["POSTGRES_PASSWORD"],
            "MINIO_ROOT_USER": current.get("MINIO_ROOT_USER") or "ecomctl",
            "MINIO_ROOT_PASSWORD": kept["MINIO_ROOT_PASSWORD"],
            "GOLD_WRITER_PASSWORD": kept["GOLD_WRITER_PASSWORD"],
            "LAKE_BUCKET": s.lake_bucket,
            "TRINO_PORT": str(s.trino_port),
            "SPARK_THRIFT_PORT": str(s.spark_port),
            "POSTGRES_PORT": str(s.pg_port),
            "MINIO_PORT": str(s.minio_port),
            "MINIO_CONSOLE_PORT": str(s.minio_console_port),
            "SPARK_MASTER_UI_PORT": str(s.spark_master_ui_port),
            "METABASE_PORT": str(s.metabase_port),
            "ECOMCTL_CONF_DIR": str(conf_dir or self.conf_dir),
        }

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
            conf = engine_conf.render(Path(tmp) / "conf", self.engine_hosts())
            yield _write_env(Path(tmp) / ".env", self._env_values(placeholders, conf))

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, opts: UpOptions, events: Events) -> list[ServiceStatus]:
        """Build missing local images, start the services (and their dependencies) and wait
        until all are healthy. The build does not count against the timeout."""
        self.preflight()
        self.ensure_env()
        proj = self.project()
        targets = proj.closure(opts.only or list(proj.services))
        self._check_ports(proj, targets)
        self._build_missing(proj, targets, events)
        log = self.paths.compose / "up.log"
        with log.open("w") as out:
            # Our own process, not a library call: on a timeout we stop waiting for it.
            runner = subprocess.Popen(
                [*self._compose_cmd(), "up", "--detach", *(opts.only or [])],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        if not opts.wait:
            return self._states(proj, targets)
        try:
            states = wait_until_healthy(
                lambda: self._states(proj, targets),
                opts.timeout or self.settings.compose_timeout,
                events,
                lambda service: self._logs_text(service, LOG_TAIL),
                lambda states: self._failure(proj, states, runner, log),
            )
            runner.wait(timeout=30)
            return states
        finally:
            if runner.poll() is None:
                # compose may still wait on a dependency; the containers stay as they are.
                os.killpg(runner.pid, signal.SIGTERM)
                runner.wait(timeout=30)

    def _build_missing(self, proj: ComposeProject, targets: list[str], events: Events) -> None:
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
        events.building([proj.services[name].image for name in missing], log)
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
    ) -> Failure | None:
        failed = failed_service(states)
        if failed is not None:
            name, why = failed
            if proj.services[name].one_shot and why.startswith("exited"):
                why = "one-shot job failed" + why.removeprefix("exited")
            return name, why
        code = runner.poll()
        if code not in (None, 0):
            # compose gave up (an image that cannot be pulled, a dependency that failed).
            why = _last_line(log.read_text(errors="replace"), f"exit code {code}")
            stuck = next((s.name for s in states if not s.healthy), "compose")
            return stuck, f"docker compose up failed: {why}"
        return None

    def _check_ports(self, proj: ComposeProject, targets: list[str]) -> None:
        ours = {
            port
            for s in self._states(proj, targets)
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

    def _states(
        self, proj: ComposeProject | None = None, only: list[str] | None = None
    ) -> list[ServiceStatus]:
        proj = proj or self.project()
        names = only or list(proj.services)
        containers = {
            c.config.labels.get("com.docker.compose.service"): c for c in self._containers()
        }
        now = datetime.now(UTC)
        return [
            dataclasses.replace(
                service_status(proj.services[n], containers.get(n), now),
                protection=protection.compose(n),
            )
            for n in names
        ]

    def _containers(self) -> list[Any]:
        if not self.env_file.exists():
            return []  # `up` never ran for this home: nothing of ours can exist
        import time

        from python_on_whales.exceptions import DockerException

        # A busy engine can fail one `compose ps` (seen in CI under load): a poll is retried
        # twice before the engine is called unusable.
        failure = ""
        for pause in (1.0, 1.0, 0.0):
            try:
                return list(self.docker().compose.ps(all=True))
            except DockerException as exc:
                failure = reason(exc)
                time.sleep(pause)
        raise EcomctlError(f"docker compose ps: {failure}", ExitStatus.ENVIRONMENT)

    def states(self) -> list[ServiceStatus]:
        self.preflight()
        return self._states()

    def gone(self) -> dict[str, Path]:
        return {}  # containers: Docker restarts or reports them (`states`), not a pid of ours

    def stop(self, remove_data: bool) -> tuple[bool, str]:
        self.preflight()
        if not self.env_file.exists():
            return False, "compose stack: nothing started from this home"
        stopped = bool(self._containers())
        self.docker().compose.down(volumes=remove_data, remove_orphans=True, quiet=True)
        if remove_data:
            return stopped, "compose stack removed, its volumes too"
        return stopped, "compose stack stopped (volumes kept)"

    def logs(self, service: str | None, tail: int, follow: bool) -> Iterator[str]:
        self.preflight()  # no daemon is exit 4 here too, not an empty log
        if not follow:
            return iter([self._logs_text(service, tail)])
        return self._follow(service, tail)

    def _logs_text(self, service: str | None, tail: int) -> str:
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

    def _follow(self, service: str | None, tail: int) -> Iterator[str]:
        services = [] if service is None else [service]
        for _, chunk in self.docker().compose.logs(
            services, tail=str(tail), follow=True, stream=True
        ):
            yield chunk.decode(errors="replace")


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
    header = "# Written by `ecomctl up --stack compose`; the passwords are this install's own.\n"
    return home.write_private(path, header + "".join(f"{k}={v}\n" for k, v in values.items()))
