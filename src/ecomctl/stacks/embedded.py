"""The embedded stack (the default): DuckDB in-process for landing, bronze and silver, and an
embedded PostgreSQL server for gold, written by DuckDB through an attached database (as Trino
writes into its PostgreSQL catalog in the guide's architecture).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ecomctl import hints, lock, protection
from ecomctl.engines import duck, sql
from ecomctl.engines.endpoints import PgEndpoint, PgLogin
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.results import ServiceStatus
from ecomctl.runners.postgres.runner import PostgresServices
from ecomctl.runners.postgres.server import EmbeddedPostgres
from ecomctl.settings import Settings
from ecomctl.stacks.base import (
    DbtTarget,
    Endpoints,
    Events,
    QueryResult,
    UpOptions,
    profiles_for,
    query_errors,
)

if TYPE_CHECKING:  # types only: the embedded stack publishes nothing and has no lake
    from ecomctl.data.publish import PublishResult
    from ecomctl.engines.iceberg import LayerSize, Snapshots, Upkeep

# The DuckDB catalog of warehouse.duckdb, passed to dbt as var lake_database.
LAKE_DATABASE = "warehouse"
GOLD_CATALOG = "de_psql"


class EmbeddedStack:
    name = "embedded"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.paths = settings.paths
        self.postgres = EmbeddedPostgres(
            self.paths.root,
            self.paths.postgres,
            self.paths.secrets / "postgres_password",
            settings.pg_start_timeout,
        )
        self.services = PostgresServices(self.postgres)

    # -- lifecycle: the runner's ------------------------------------------------------------
    def up(self, opts: UpOptions, events: Events) -> list[ServiceStatus]:
        opts.refuse_custom("the embedded stack has one server")
        duck.ensure_extension(self.paths, "postgres")
        self.services.start(opts, events)
        return self.status()

    def down(self, remove_data: bool) -> tuple[bool, str]:
        stopped, message = self.services.stop(remove_data=False)
        if not remove_data:
            return stopped, message
        # A reset: everything this home holds goes (its lock aside, held by this command);
        # the next command starts afresh, with new secrets.
        import shutil

        for entry in self.paths.root.iterdir() if self.paths.root.is_dir() else []:
            if entry.name == "lock":
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        self.postgres.forget_account()
        return stopped, f"embedded stack reset: postgres stopped, {self.paths.root} emptied"

    def logs(self, service: str | None, tail: int, follow: bool) -> Iterator[str]:
        return self.services.logs(service, tail, follow)

    def gone(self) -> dict[str, Path]:
        return self.services.gone()

    def status(self) -> list[ServiceStatus]:
        from importlib.metadata import version  # not duckdb itself: status stays quick

        warehouse = self.paths.warehouse
        # In-process, so always available; a missing file only means nothing was seeded yet.
        made = warehouse.exists()
        lake = ServiceStatus(
            "duckdb",
            "ready" if made else "empty",
            str(warehouse),
            f"DuckDB {version('duckdb')}",
            detail="in-process"
            if made
            else f"no warehouse yet: `{hints.command('seed')}` or `{hints.command('run')}`",
            protection=protection.DUCKDB,
        )
        return [lake, *self.services.states()]

    def endpoints(self) -> Endpoints:
        """Endpoints as ECOMCTL_* variables; never a secret.

        Before the first `up` no port is chosen yet, and a read-only command does not choose
        one: the PostgreSQL lines are left out then.
        """
        base = {
            "ECOMCTL_STACK": self.name,
            "ECOMCTL_HOME": str(self.paths.root),
            "ECOMCTL_WAREHOUSE": str(self.paths.warehouse),
        }
        # Readers get the read-only login; the superuser's password stays with ecomctl.
        hint = f"$(cat {shlex.quote(str(self.postgres.reader_password_file))})"
        if not self.postgres.port_file.exists():
            return Endpoints(base, None, hint)
        gold = self.postgres.reader_endpoint()
        variables = {
            **base,
            "ECOMCTL_GOLD_URL": gold.url(),
            "ECOMCTL_PG_HOST": gold.host,
            "ECOMCTL_PG_PORT": str(gold.port),
            "ECOMCTL_PG_DATABASE": gold.database,
            "ECOMCTL_PG_USER": gold.user,
            "ECOMCTL_PG_PASSWORD_FILE": str(self.postgres.reader_password_file),
        }
        return Endpoints(variables, gold.url(), hint)

    def publish_landing(self, events: Events) -> PublishResult | None:
        return None  # dbt reads landing where `seed` loaded it

    # -- dbt -----------------------------------------------------------------------------
    def dbt_target(self) -> DbtTarget:
        base = {
            "type": "duckdb",
            "path": duck.home_relative(self.paths, self.paths.warehouse),
            "threads": self.settings.threads,
            "config_options": {
                **duck.config(self.paths, in_home=True),
                "memory_limit": self.settings.duckdb_memory_limit,
            },
        }
        gold: PgEndpoint = self.postgres.endpoint()
        gold_attach = [{"path": gold.conninfo(), "type": "postgres", "alias": GOLD_CATALOG}]
        outputs = {
            "trino": {**base, "schema": "bronze"},
            "spark": {**base, "schema": "silver"},
            "gold": {**base, "schema": "gold", "attach": gold_attach},
        }
        return DbtTarget(
            profiles=profiles_for(self.name, outputs),
            vars={"lake_database": LAKE_DATABASE},
            # libpq reads PGPASSWORD, so the password is in no profile, SQL string or log line.
            env={"PGPASSWORD": self.postgres.password()},
            # All three profiles are DuckDB: they compile the project alike, so one parse serves.
            parse_groups=dict.fromkeys(outputs, "duckdb"),
            # The parse's profile (bronze's) names no home: one parse serves every home.
            shared_parse=True,
        )

    def gold_owner(self) -> PgLogin:
        return PgLogin(self.postgres.endpoint(), self.postgres.password())  # dbt writes as it

    # -- reading layers --------------------------------------------------------------------
    def row_counts(self, layer: str) -> dict[str, int]:
        if layer == "gold":
            if self.postgres.server_pid() is None:
                return {}
            with self.postgres.connect() as conn:
                return sql.table_counts(lambda text: conn.execute(text).fetchall(), layer)
        return duck.table_counts(self.paths, layer)

    def tables(self, layer: str) -> list[str]:
        self._check_home()
        if layer != "gold":
            with lock.reading(self.paths.root):
                return duck.table_names(self.paths, layer)
        self._check_gold_running()
        with self.postgres.connect() as conn:
            return sql.table_names(lambda text: conn.execute(text).fetchall(), layer)

    def query(self, layer: str, statement: str) -> QueryResult:
        """Run one read-only statement where the layer lives. A read-only command: it never
        makes a home or starts the server."""
        sql.identifier(layer, "layer")
        self._check_home()
        with query_errors(layer):
            if layer == "gold":
                return self._query_gold(statement)
            return self._query_lake(layer, statement)

    def _check_home(self) -> None:
        if not self.paths.root.is_dir():
            raise EcomctlError(
                f"no ecomctl home at {self.paths.root}: run `{hints.command('run')}` here first, or point"
                " at your home with --home DIR or ECOMCTL_HOME",
                ExitStatus.USAGE,
            )

    def _check_gold_running(self) -> None:
        if self.postgres.server_pid() is None:
            raise EcomctlError(
                f"postgres of {self.paths.root} is not running: `{hints.command('up')}` starts it"
                " (query never does)",
                ExitStatus.UNHEALTHY,
            )

    def _query_gold(self, statement: str) -> QueryResult:
        self._check_gold_running()
        # The readers' login, in a read-only transaction, one statement: a prepared statement
        # cannot hold a second (`commit; drop ...` is refused by the server itself).
        import psycopg

        try:
            conn = self.postgres.connect(reader=True)
        except psycopg.OperationalError as exc:
            if "password authentication failed" not in str(exc):
                raise
            raise EcomctlError(
                f"gold's read-only login does not exist yet in {self.paths.root}: run"
                f" `{hints.command('up')}` once to create it (query never changes the home)",
                ExitStatus.UNHEALTHY,
            ) from exc
        with conn:
            return sql.read_only_statement(conn, "gold", statement)

    def _query_lake(self, layer: str, statement: str) -> QueryResult:
        if not self.paths.warehouse.exists():
            raise EcomctlError(
                f"no warehouse at {self.paths.warehouse}: run `{hints.command('seed')}`"
            )
        with lock.reading(self.paths.root), duck.connect(self.paths, read_only=True) as con:
            con.execute(f"set schema = '{layer}'")
            return sql.result_of(con.execute(statement))

    # -- no lake: DuckDB's tables keep no snapshots ----------------------------------------
    def lake_snapshots(self) -> Snapshots:
        return {}

    def keep_lake(self, kept: list[Snapshots]) -> list[Upkeep]:
        return []

    def lake_sizes(self) -> list[LayerSize]:
        return []

    def query_as_of(self, statement: str, run: Callable[[], tuple[str, Snapshots]]) -> QueryResult:
        raise EcomctlError(
            "--as-of is not available on the embedded stack: its DuckDB tables keep no earlier"
            " versions (the lake stacks' Iceberg tables do: --stack native, compose or remote)",
            ExitStatus.USAGE,
        )
