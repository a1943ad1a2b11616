"""Stacks whose engines are Trino, a Spark Thrift server and PostgreSQL: compose and remote.

The remote stack takes the endpoints of servers the user already runs (settings or ECOMCTL_*
environment) and only probes them; the compose stack (compose_stack.py) runs the same three
engines itself. Layers run where the guide puts them: bronze on Trino (Iceberg), silver on
Spark Thrift, gold on Trino into its PostgreSQL catalog.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ecomctl import engines, tables
from ecomctl.engines import SparkEndpoint, TrinoEndpoint
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.postgres import PgEndpoint
from ecomctl.services import ServiceStatus
from ecomctl.settings import Settings
from ecomctl.stack import QueryResult, profiles_for, result_of, write_profiles

# The engine each layer's tables are read through (for row counts and `ecomctl query`).
ENGINE_OF_LAYER = {"landing": "trino", "bronze": "trino", "silver": "spark", "gold": "postgres"}
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
        down = [s for s in self.status() if not s.healthy and (not needed or s.name in needed)]
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
        trino, spark, gold = self.trino(), self.spark(), self.gold_endpoint()
        probes = [
            ("trino", trino.url(), engines.probe_trino(trino)),
            ("spark-thrift", spark.url(), engines.probe_tcp(spark.host, spark.port)),
            ("postgres", gold.url(), engines.probe_postgres(gold, self.pg_password())),
        ]
        return [
            ServiceStatus(
                name,
                "running" if p.ok else "unreachable",
                where,
                p.version,
                p.uptime_seconds,
                p.detail,
            )
            for name, where, p in probes
        ]

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
        engine = ENGINE_OF_LAYER[layer]
        if engine == "postgres":
            with engines.postgres(self.gold_endpoint(), self.pg_password()) as cur:
                return tables.table_counts(lambda sql: engines.fetch(cur, sql), layer)
        if engine == "spark":
            with engines.spark(self.spark()) as cur:
                return tables.table_counts(lambda sql: engines.fetch(cur, sql), layer, spark=True)
        with engines.trino(self.trino(), self._catalog_of(layer)) as cur:
            return tables.table_counts(lambda sql: engines.fetch(cur, sql), layer)

    def query(self, layer: str, sql: str) -> QueryResult:
        tables.identifier(layer, "layer")
        engine = ENGINE_OF_LAYER[layer]
        try:
            if engine == "postgres":
                with engines.postgres(self.gold_endpoint(), self.pg_password()) as cur:
                    cur.execute(f"set search_path = {layer}, public")
                    return _run(cur, sql)
            if engine == "spark":
                with engines.spark(self.spark()) as cur:
                    cur.execute(f"use `{layer}`")
                    return _run(cur, sql)
            with engines.trino(self.trino(), self._catalog_of(layer), layer) as cur:
                return _run(cur, sql)
        except EcomctlError:
            raise
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise EcomctlError(f"query on {layer}: {first}") from exc

    def _catalog_of(self, layer: str) -> str:
        s = self.settings
        return s.landing_catalog if layer == "landing" else s.lake_catalog


def _run(cursor: Any, sql: str) -> QueryResult:
    cursor.execute(sql)
    return result_of(cursor.description, cursor.fetchall() if cursor.description else [])
