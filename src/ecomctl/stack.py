"""A stack: its services, where each layer's tables live, and the dbt profiles it runs on.

The embedded stack lives here: DuckDB in-process for landing, bronze and silver, and an
embedded PostgreSQL server for gold, written by DuckDB through an attached database (as Trino
writes into its PostgreSQL catalog in the guide's architecture). The compose and remote stacks
(Trino, Spark Thrift, PostgreSQL) are in lake_stack.py and compose_stack.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ecomctl import duck, tables
from ecomctl.errors import EcomctlError, ExitStatus, reason
from ecomctl.postgres import EmbeddedPostgres, PgEndpoint
from ecomctl.services import ServiceStatus
from ecomctl.settings import HomePaths, Settings

# Each layer runs on one of the guide's three profiles.
PROFILE_OF_LAYER = {"bronze": "trino", "silver": "spark", "gold": "gold"}
# The DuckDB catalog of warehouse.duckdb, passed to dbt as var lake_database.
LAKE_DATABASE = "warehouse"
GOLD_CATALOG = "de_psql"
QUERY_LAYERS = ("landing", "bronze", "silver", "gold")


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


class Stack(Protocol):
    """What the commands and the pipeline need of every stack."""

    name: str
    settings: Settings
    paths: HomePaths
    notices: list[str]  # what `up` changed that the user must know (a moved port)

    def up(self, layers: list[str] | None = None) -> None: ...  # layers: what must answer
    def down(self, volumes: bool = False) -> tuple[bool, str]: ...  # (stopped any, message)
    def status(self) -> list[ServiceStatus]: ...
    def env_vars(self) -> dict[str, str]: ...
    def gold_endpoint(self) -> PgEndpoint: ...
    def password_hint(self) -> str: ...
    def dbt_vars(self) -> dict[str, str]: ...
    def parse_group(self, profile: str) -> str: ...
    def dbt_env(self) -> dict[str, str]: ...
    def profiles(self) -> dict[str, Any]: ...
    def write_profiles(self) -> Path: ...
    def row_counts(self, layer: str) -> dict[str, int]: ...
    def query(self, layer: str, sql: str) -> QueryResult: ...
    def logs_text(self, service: str | None, tail: int) -> str: ...
    def follow_logs(self, service: str | None, tail: int) -> Iterator[str]: ...


def profiles_for(target: str, outputs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """profiles.yml's shape: each of the guide's profiles with one target, named after the stack."""
    return {
        profile: {"target": target, "outputs": {target: output}}
        for profile, output in outputs.items()
    }


def write_profiles(paths: HomePaths, profiles: dict[str, Any]) -> Path:
    """Render profiles.yml (JSON is YAML) into the home folder; it holds no secret."""
    folder = paths.dbt
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "profiles.yml"
    path.write_text(json.dumps(profiles, indent=2) + "\n")
    return path


class EmbeddedStack:
    name = "embedded"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.paths = settings.paths
        self.postgres = EmbeddedPostgres(self.paths, settings.pg_start_timeout)
        self.notices = self.postgres.notices

    # -- lifecycle -----------------------------------------------------------------------
    def up(self, layers: list[str] | None = None) -> None:
        duck.ensure_extension(self.paths, "postgres")
        self.postgres.ensure_running()

    def down(self, volumes: bool = False) -> tuple[bool, str]:
        if volumes:
            raise EcomctlError(
                "--volumes is for the compose stack; the embedded stack's data is the home"
                f" folder {self.paths.root}",
                ExitStatus.USAGE,
            )
        stopped = self.postgres.stop()
        return stopped, "postgres stopped" if stopped else "postgres was not running"

    def password_hint(self) -> str:
        return f"$(cat {self.postgres.password_file})"

    def logs_text(self, service: str | None, tail: int) -> str:
        self._check_service(service)
        if not self.postgres.log.exists():
            return ""
        lines = self.postgres.log.read_text(errors="replace").splitlines()
        return "\n".join(lines[-tail:] if tail else [])

    def follow_logs(self, service: str | None, tail: int) -> Iterator[str]:
        import time

        self._check_service(service)
        self.postgres.log.parent.mkdir(parents=True, exist_ok=True)
        self.postgres.log.touch()
        yield self.logs_text(service, tail) + "\n"
        with self.postgres.log.open(errors="replace") as handle:
            handle.seek(0, 2)
            while True:
                line = handle.readline()
                if line:
                    yield line
                else:
                    time.sleep(0.5)

    def _check_service(self, service: str | None) -> None:
        if service not in (None, "postgres"):
            raise EcomctlError(
                f"no service {service!r} on the embedded stack: its one server is postgres",
                ExitStatus.USAGE,
            )

    def status(self) -> list[ServiceStatus]:
        import duckdb

        warehouse = self.paths.warehouse
        # In-process, so always available; a missing file only means nothing was seeded yet.
        lake = ServiceStatus(
            "duckdb",
            "ready",
            str(warehouse),
            f"DuckDB {duckdb.__version__}",
            detail="in-process" if warehouse.exists() else "no warehouse yet: `ecomctl seed`",
        )
        return [lake, self.postgres.status()]

    def env_vars(self) -> dict[str, str]:
        """Endpoints as ECOMCTL_* variables for `eval` in a shell; never a secret.

        Before the first `up` no port is chosen yet, and a read-only command does not choose
        one: the PostgreSQL lines are left out then.
        """
        base = {
            "ECOMCTL_STACK": self.name,
            "ECOMCTL_HOME": str(self.paths.root),
            "ECOMCTL_WAREHOUSE": str(self.paths.warehouse),
        }
        if not self.postgres.port_file.exists():
            return base
        gold = self.postgres.endpoint()
        return {
            **base,
            "ECOMCTL_GOLD_URL": gold.url(),
            "ECOMCTL_PG_HOST": gold.host,
            "ECOMCTL_PG_PORT": str(gold.port),
            "ECOMCTL_PG_DATABASE": gold.database,
            "ECOMCTL_PG_USER": gold.user,
            "ECOMCTL_PG_PASSWORD_FILE": str(self.postgres.password_file),
        }

    def gold_endpoint(self) -> PgEndpoint:
        return self.postgres.endpoint()

    # -- dbt -----------------------------------------------------------------------------
    def dbt_vars(self) -> dict[str, str]:
        return {"lake_database": LAKE_DATABASE}

    def parse_group(self, profile: str) -> str:
        """Profiles on the same adapter type share one parse: here all three are DuckDB."""
        return "duckdb"

    def dbt_env(self) -> dict[str, str]:
        # libpq reads PGPASSWORD, so the password is in no profile, SQL string or log line.
        return {"PGPASSWORD": self.postgres.password()}

    def profiles(self) -> dict[str, Any]:
        base = {
            "type": "duckdb",
            "path": str(self.paths.warehouse),
            "threads": self.settings.threads,
            "config_options": duck.config(self.paths),
        }
        gold_attach = [
            {"path": self.postgres.endpoint().conninfo(), "type": "postgres", "alias": GOLD_CATALOG}
        ]
        outputs = {
            "trino": {**base, "schema": "bronze"},
            "spark": {**base, "schema": "silver"},
            "gold": {**base, "schema": "gold", "attach": gold_attach},
        }
        return profiles_for(self.name, outputs)

    def write_profiles(self) -> Path:
        return write_profiles(self.paths, self.profiles())

    # -- reading layers --------------------------------------------------------------------
    def row_counts(self, layer: str) -> dict[str, int]:
        if layer == "gold":
            if self.postgres.server_pid() is None:
                return {}
            with self.postgres.connect() as conn:
                return tables.table_counts(lambda sql: conn.execute(sql).fetchall(), layer)
        return duck.table_counts(self.paths, layer)

    def query(self, layer: str, sql: str) -> QueryResult:
        """Run one read-only statement where the layer lives."""
        tables.identifier(layer, "layer")
        with query_errors(layer):
            if layer == "gold":
                return self._query_gold(sql)
            return self._query_lake(layer, sql)

    def _query_gold(self, sql: str) -> QueryResult:
        self.up()
        with self.postgres.connect(autocommit=False) as conn:
            conn.read_only = True
            conn.execute("set search_path = gold, public")
            return result_of(conn.execute(sql))

    def _query_lake(self, layer: str, sql: str) -> QueryResult:
        if not self.paths.warehouse.exists():
            raise EcomctlError(f"no warehouse at {self.paths.warehouse}: run `ecomctl seed`")
        con = duck.connect(self.paths, read_only=True)
        try:
            con.execute(f"set schema = '{layer}'")
            return result_of(con.execute(sql))
        finally:
            con.close()


def result_of(cursor: Any) -> QueryResult:
    """The columns and rows of the statement a DB-API cursor just ran."""
    if not cursor.description:
        return QueryResult([], [])
    return QueryResult(
        [str(d[0]) for d in cursor.description], [tuple(r) for r in cursor.fetchall()]
    )


@contextmanager
def query_errors(layer: str) -> Iterator[None]:
    """A failing user query becomes one line naming the layer (ecomctl's own errors pass)."""
    try:
        yield
    except EcomctlError:
        raise
    except Exception as exc:
        raise EcomctlError(f"query on {layer}: {reason(exc)}") from exc


def get_stack(settings: Settings) -> Stack:
    if settings.stack == "compose":
        from ecomctl.compose_stack import ComposeStack

        return ComposeStack(settings)
    if settings.stack == "remote":
        from ecomctl.lake_stack import LakeStack

        return LakeStack(settings)
    return EmbeddedStack(settings)
