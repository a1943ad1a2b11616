"""Stacks whose engines are Trino, a Spark Thrift server and PostgreSQL: compose and remote.

The remote stack takes the endpoints of servers the user already runs (settings or ECOMCTL_*
environment) and only probes them; the compose stack (compose_stack.py) runs the same three
engines itself. Layers run where the guide puts them: bronze on Trino (Iceberg), silver on
Spark Thrift, gold on Trino into its PostgreSQL catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ecomctl import engines, tables
from ecomctl.engines import SparkEndpoint, TrinoEndpoint
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.postgres import PgEndpoint
from ecomctl.services import ServiceStatus, State
from ecomctl.settings import Settings
from ecomctl.stack import QueryResult, profiles_for, query_errors, result_of, write_profiles

# The engine each layer's tables are read through (for row counts and `ecomctl query`).
ENGINE_OF_LAYER = {"landing": "trino", "bronze": "trino", "silver": "spark", "gold": "postgres"}
# How a query's unqualified names find the layer's tables (Trino: the connection's schema).
_USE_SCHEMA = {"postgres": "set search_path = {}, public", "spark": "use `{}`"}
# The services a layer's run needs: its dbt profile's engine and where its rows are counted.
SERVICES_OF_LAYER = {
    "bronze": ("trino",),
    "silver": ("spark-thrift",),
    "gold": ("trino", "postgres"),
}
_TRINO_SECRET_ENV = "DBT_ENV_SECRET_TRINO_PASSWORD"  # dbt scrubs DBT_ENV_SECRET_* from its logs


class LakeStack:
    """Trino + Spark Thrift + PostgreSQL at known endpoints."""

    name = "remote"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.paths = settings.paths
        self.notices: list[str] = []

    # -- endpoints and secrets (the compose stack overrides where they come from) -----------
    def trino_password(self) -> str | None:
        pw = self.settings.trino_password
        return None if pw is None else pw.get_secret_value()

    def pg_password(self) -> str | None:
        pw = self.settings.pg_password
        return None if pw is None else pw.get_secret_value()

    def password_hint(self) -> str:
        """A shell expression for the gold password, never the password itself."""
        return '"$PGPASSWORD"'

    def s3_endpoint(self) -> str:
        return self.settings.s3_endpoint

    def s3_credentials(self) -> tuple[str, str] | None:
        """(access key, secret key) of the lake's object store, when configured."""
        s = self.settings
        if s.s3_access_key is None or s.s3_secret_key is None:
            return None
        return s.s3_access_key, s.s3_secret_key.get_secret_value()

    def trino(self) -> TrinoEndpoint:
        s = self.settings
        return TrinoEndpoint(
            s.trino_host, s.trino_port, s.trino_user, s.trino_http_scheme, self.trino_password()
        )

    def spark(self) -> SparkEndpoint:
        s = self.settings
        return SparkEndpoint(s.spark_host, s.spark_port, s.spark_user)

    def gold_endpoint(self) -> PgEndpoint:
        s = self.settings
        return PgEndpoint(s.pg_host, s.pg_port, s.pg_user, s.pg_database)

    # -- lifecycle: none for servers the user runs; `up` checks they answer -------------------
    def up(self, layers: list[str] | None = None) -> None:
        """Check that the servers answer: all of them, or those the layers run on."""
        needed = {s for layer in layers or [] for s in SERVICES_OF_LAYER[layer]}
        down = [s for s in self._probe(needed or None) if not s.healthy]
        if down:
            first = down[0]
            raise EcomctlError(
                f"{first.name} at {first.endpoint} does not answer: {first.detail}",
                ExitStatus.UNHEALTHY,
            )

    def down(self, volumes: bool = False) -> tuple[bool, str]:
        return False, "remote stack: its servers are not ecomctl's to stop"

    def logs_text(self, service: str | None, tail: int) -> str:
        raise EcomctlError("remote stack: the logs are on your own servers", ExitStatus.USAGE)

    def follow_logs(self, service: str | None, tail: int) -> Iterator[str]:
        return iter([self.logs_text(service, tail)])

    def status(self) -> list[ServiceStatus]:
        return self._probe()

    def _probe(self, names: set[str] | None = None) -> list[ServiceStatus]:
        """Probe the servers named (all when None); a probe waits PROBE_TIMEOUT at most."""
        trino, spark, gold = self.trino(), self.spark(), self.gold_endpoint()
        probes: list[tuple[str, str, Callable[[], engines.Probe]]] = [
            ("trino", trino.url(), lambda: engines.probe_trino(trino)),
            ("spark-thrift", spark.url(), lambda: engines.probe_tcp(spark.host, spark.port)),
            ("postgres", gold.url(), lambda: engines.probe_postgres(gold, self.pg_password())),
        ]
        found = []
        for name, where, probe in probes:
            if names is not None and name not in names:
                continue
            p = probe()
            state: State = "running" if p.ok else "unreachable"
            found.append(ServiceStatus(name, state, where, p.version, p.uptime_seconds, p.detail))
        return found

    def env_vars(self) -> dict[str, str]:
        """Endpoints as ECOMCTL_* variables for `eval` in a shell; never a secret."""
        s, gold = self.settings, self.gold_endpoint()
        return {
            "ECOMCTL_STACK": self.name,
            "ECOMCTL_HOME": str(self.paths.root),
            "ECOMCTL_TRINO_URL": self.trino().url(),
            "ECOMCTL_SPARK_THRIFT_URL": self.spark().url(),
            "ECOMCTL_GOLD_URL": gold.url(),
            "ECOMCTL_PG_HOST": gold.host,
            "ECOMCTL_PG_PORT": str(gold.port),
            "ECOMCTL_PG_DATABASE": gold.database,
            "ECOMCTL_PG_USER": gold.user,
            "ECOMCTL_S3_ENDPOINT": self.s3_endpoint(),
            "ECOMCTL_LAKE_BUCKET": s.lake_bucket,
            "ECOMCTL_LAKE_CATALOG": s.lake_catalog,
            "ECOMCTL_GOLD_CATALOG": s.gold_catalog,
        }

    # -- dbt -----------------------------------------------------------------------------
    def dbt_vars(self) -> dict[str, str]:
        s = self.settings
        return {
            "lake_database": s.lake_catalog,
            "landing_database": s.landing_catalog,
            "gold_database": s.gold_catalog,
            **s.dbt_vars,
        }

    def parse_group(self, profile: str) -> str:
        # Each profile has its own catalogs and adapter here: no parse is shared.
        return profile

    def dbt_env(self) -> dict[str, str]:
        pw = self.trino_password()
        return {} if pw is None else {_TRINO_SECRET_ENV: pw}

    def profiles(self) -> dict[str, Any]:
        s, trino = self.settings, self.trino()
        lake: dict[str, Any] = {
            "type": "trino",
            "method": "none" if trino.password is None else "ldap",
            "host": trino.host,
            "port": trino.port,
            "user": trino.user,
            "http_scheme": trino.scheme,
            "threads": s.threads,
            "database": s.lake_catalog,
            "schema": "bronze",
        }
        if trino.password is not None:
            # Rendered by dbt from the child's environment: no secret in profiles.yml.
            lake["password"] = "{{ env_var('" + _TRINO_SECRET_ENV + "') }}"
        spark = self.spark()
        outputs = {
            "trino": lake,
            "spark": {
                "type": "spark",
                "method": "thrift",
                "host": spark.host,
                "port": spark.port,
                "user": spark.user,
                "schema": "silver",
                "threads": s.threads,
                "connect_retries": 3,
                "connect_timeout": 5,
            },
            "gold": {**lake, "database": s.gold_catalog, "schema": "gold"},
        }
        return profiles_for(self.name, outputs)

    def write_profiles(self) -> Path:
        return write_profiles(self.paths, self.profiles())

    # -- reading layers --------------------------------------------------------------------
    def row_counts(self, layer: str) -> dict[str, int]:
        spark = ENGINE_OF_LAYER[layer] == "spark"
        with self._cursor(layer) as cur:
            return tables.table_counts(lambda sql: engines.fetch(cur, sql), layer, spark=spark)

    def query(self, layer: str, sql: str) -> QueryResult:
        tables.identifier(layer, "layer")
        with query_errors(layer), self._cursor(layer) as cur:
            use_schema = _USE_SCHEMA.get(ENGINE_OF_LAYER[layer])
            if use_schema:
                cur.execute(use_schema.format(layer))
            cur.execute(sql)
            return result_of(cur)

    def _cursor(self, layer: str) -> Any:
        """A cursor on the engine the layer is read through (Trino: in its schema)."""
        engine = ENGINE_OF_LAYER[layer]
        if engine == "postgres":
            return engines.postgres(self.gold_endpoint(), self.pg_password())
        if engine == "spark":
            return engines.spark(self.spark())
        s = self.settings
        catalog = s.landing_catalog if layer == "landing" else s.lake_catalog
        return engines.trino(self.trino(), catalog, layer)
