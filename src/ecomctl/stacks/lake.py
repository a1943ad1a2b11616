"""Stacks whose engines are Trino, a Spark Thrift server and PostgreSQL, over an S3 lake.

One class for every such stack, composed from where the engines are (`LakeEndpoints`: from
settings, or loopback with generated secrets) and who runs them (`Services`: nobody, Docker
Compose, local processes). Layers run where the guide puts them: bronze on Trino (Iceberg),
silver on Spark Thrift (Iceberg), gold on Trino into its PostgreSQL catalog.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ecomctl import hints
from ecomctl.data import publish
from ecomctl.data.publish import PublishResult
from ecomctl.engines import clients, iceberg, s3, sql
from ecomctl.engines.endpoints import LakeEndpoints, PgLogin, TrinoEndpoint
from ecomctl.errors import EcomctlError, ExitStatus, ServiceDown, reason
from ecomctl.layers import ENGINES_OF_LAYER
from ecomctl.results import ServiceStatus
from ecomctl.runners.base import Services
from ecomctl.runners.watch import ServiceWatch
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

# How a query's unqualified names find the layer's tables (Trino: the connection's schema).
_USE_SCHEMA = {"postgres": "set search_path = {}, public", "spark": "use `{}`"}
_TRINO_SECRET_ENV = "DBT_ENV_SECRET_TRINO_PASSWORD"  # dbt scrubs DBT_ENV_SECRET_* from its logs
_SPARK_SECRET_ENV = "DBT_ENV_SECRET_SPARK_PASSWORD"
_CA_ENV = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
# Trino's answer to a name without catalog or schema, which --as-of leaves unset on purpose.
_NO_SESSION_SCHEMA = ("MISSING_SCHEMA_NAME", "MISSING_CATALOG_NAME")
# A lake someone else runs may have writers of its own: its snapshots and unreferenced files
# are left for a week (Trino's own default minimum) before the upkeep after a run removes them.
_THEIR_LAKE_MIN_AGE = 7 * 24 * 3600.0


class LakeStack:
    def __init__(
        self,
        name: str,
        settings: Settings,
        endpoints: Callable[[], LakeEndpoints],
        services: Services,
        theirs: bool = False,
    ) -> None:
        self.name = name
        self.settings = settings
        self.paths = settings.paths
        self.where = endpoints
        self.services = services
        # Whose services these are says what to do about one that does not answer, and
        # whether the lake is ecomctl's own (native, compose): there nothing but ecomctl, under
        # the home's lock, writes it, so the upkeep may remove what no kept snapshot uses at once.
        self.theirs = theirs

    # -- lifecycle: the runner's ------------------------------------------------------------
    def up(self, opts: UpOptions, events: Events) -> list[ServiceStatus]:
        # (A service that fails to start is up's to report, with its exit code.)
        with self._answering(dead_first=False):
            return self.services.start(opts, events)

    def down(self, remove_data: bool) -> tuple[bool, str]:
        return self.services.stop(remove_data)

    def status(self) -> list[ServiceStatus]:
        return self.services.states()

    def gone(self) -> dict[str, Path]:
        return self.services.gone()

    def logs(self, service: str | None, tail: int, follow: bool) -> Iterator[str]:
        return self.services.logs(service, tail, follow)

    def endpoints(self) -> Endpoints:
        """Endpoints as ECOMCTL_* variables for `eval` in a shell; never a secret."""
        where = self.where()
        gold = where.gold_reader or where.gold
        spark = where.spark_reader or where.spark
        variables = {
            "ECOMCTL_STACK": self.name,
            "ECOMCTL_HOME": str(self.paths.root),
            "ECOMCTL_TRINO_URL": where.trino.url(),
            "ECOMCTL_SPARK_THRIFT_URL": spark.url(),
            "ECOMCTL_SPARK_USER": spark.user,
            "ECOMCTL_GOLD_URL": gold.url(),
            "ECOMCTL_PG_HOST": gold.host,
            "ECOMCTL_PG_PORT": str(gold.port),
            "ECOMCTL_PG_DATABASE": gold.database,
            "ECOMCTL_PG_USER": gold.user,
            "ECOMCTL_S3_ENDPOINT": where.s3.url,
            "ECOMCTL_LAKE_BUCKET": where.s3.bucket,
            "ECOMCTL_LAKE_CATALOG": where.lake_catalog,
            "ECOMCTL_GOLD_CATALOG": where.gold_catalog,
        }
        if where.gold_reader_password_file is not None:  # as the embedded stack gives it
            variables["ECOMCTL_PG_PASSWORD_FILE"] = str(where.gold_reader_password_file)
        if where.spark_reader_password_file is not None:
            variables["ECOMCTL_SPARK_PASSWORD_FILE"] = str(where.spark_reader_password_file)
        # Trino for readers: its reading login where there is one, and the CA it is signed by.
        trino = where.trino_reader or where.trino
        variables["ECOMCTL_TRINO_USER"] = trino.user
        if trino.ca_bundle is not None:
            variables["ECOMCTL_TRINO_CA_BUNDLE"] = str(trino.ca_bundle)
        if where.trino_reader_password_file is not None:
            variables["ECOMCTL_TRINO_PASSWORD_FILE"] = str(where.trino_reader_password_file)
        return Endpoints(variables, gold.url(), where.password_hint)

    def publish_landing(self, events: Events) -> PublishResult:
        """Put the local landing zone into the lake: Parquet on S3, tables through Trino."""
        where = self.where()
        events.notice(f"publishing landing to {where.s3.url} (bucket {where.s3.bucket}) ...")
        with self._answering():
            return publish.publish(self.name, where, self.paths)

    # -- dbt -----------------------------------------------------------------------------
    def dbt_target(self) -> DbtTarget:
        where, threads = self.where(), self.settings.threads
        trino = where.trino
        lake: dict[str, Any] = {
            "type": "trino",
            "method": "none" if trino.password is None else "ldap",
            "host": trino.host,
            "port": trino.port,
            "user": trino.user,
            "http_scheme": trino.scheme,
            "threads": threads,
            **({"cert": str(trino.ca_bundle)} if trino.ca_bundle else {}),
            "database": where.lake_catalog,
            "schema": "bronze",
            "session_properties": {
                "query_max_run_time": clients.trino_duration(self.settings.statement_timeout)
            },
        }
        if trino.password is not None:
            # Rendered by dbt from the child's environment: no secret in profiles.yml.
            lake["password"] = "{{ env_var('" + _TRINO_SECRET_ENV + "') }}"
        spark = where.spark
        # dbt-spark hands auth, user and password to pyhive; the password comes from the
        # child's environment, never profiles.yml.
        spark_login = (
            {}
            if spark.password is None
            else {"auth": "CUSTOM", "password": "{{ env_var('" + _SPARK_SECRET_ENV + "') }}"}
        )
        outputs = {
            "trino": lake,
            "spark": {
                "type": "spark",
                "method": "thrift",
                "host": spark.host,
                "port": spark.port,
                "user": spark.user,
                "schema": "silver",
                "threads": threads,
                "connect_retries": 3,
                "connect_timeout": 5,
                **spark_login,
            },
            "gold": {**lake, "database": where.gold_catalog, "schema": "gold"},
        }
        return DbtTarget(
            profiles=profiles_for(self.name, outputs),
            vars={
                "lake_database": where.lake_catalog,
                "landing_database": where.landing_catalog,
                "gold_database": where.gold_catalog,
                **self.settings.dbt_vars,
            },
            env={
                **({} if trino.password is None else {_TRINO_SECRET_ENV: trino.password}),
                **({} if spark.password is None else {_SPARK_SECRET_ENV: spark.password}),
                # requests lets these replace the CA dbt-trino gives it (`cert`): the same CA.
                **({} if trino.ca_bundle is None else dict.fromkeys(_CA_ENV, str(trino.ca_bundle))),
            },
            # Each profile has its own catalogs and adapter here: no parse is shared.
            parse_groups={profile: profile for profile in outputs},
        )

    def gold_owner(self) -> PgLogin:
        """The login of Trino's PostgreSQL catalog, which creates gold's tables."""
        where = self.where()
        return where.gold_writer or PgLogin(where.gold, where.gold_password)

    # -- reading layers --------------------------------------------------------------------
    def row_counts(self, layer: str) -> dict[str, int]:
        engine = ENGINES_OF_LAYER[layer].read_on
        with (
            self._answering(),
            query_errors(f"{layer} (counting rows on {engine})"),
            self._cursor(layer) as cur,
        ):
            return sql.table_counts(lambda text: clients.fetch(cur, text), layer, engine == "spark")

    def tables(self, layer: str) -> list[str]:
        engine = ENGINES_OF_LAYER[layer].read_on
        with self._answering(), query_errors(layer), self._cursor(layer) as cur:
            return sql.table_names(lambda text: clients.fetch(cur, text), layer, engine == "spark")

    def query(self, layer: str, statement: str) -> QueryResult:
        sql.identifier(layer, "layer")
        where = self.where()
        if layer == "gold" and where.gold_reader is not None:
            reader = clients.postgres_connection(where.gold_reader, where.gold_reader_password)
            with self._answering(), query_errors(layer), reader as conn:
                return sql.read_only_statement(conn, layer, statement)
        engine = ENGINES_OF_LAYER[layer].read_on
        # The layer's read-only login, where there is one: Spark's server and Trino's access
        # control refuse it every write, which reads as the embedded stack's refusal.
        if engine == "spark" and where.spark_reader is not None:
            reading = clients.spark(where.spark_reader)
        else:
            reading = self._cursor(layer, where.trino_reader if engine == "trino" else None)
        with self._answering(), query_errors(layer), _read_only(layer), reading as cur:
            use_schema = _USE_SCHEMA.get(engine)
            if use_schema:
                cur.execute(use_schema.format(layer))
            cur.execute(statement)
            return sql.result_of(cur)

    # -- the lake's snapshots ----------------------------------------------------------------
    def lake_snapshots(self) -> iceberg.Snapshots:
        with query_errors("the lake (its snapshots, on trino)"), self._lake() as cur:
            return iceberg.current_snapshots(lambda text: clients.fetch(cur, text))

    def keep_lake(self, kept: list[iceberg.Snapshots]) -> list[iceberg.Upkeep]:
        min_age = _THEIR_LAKE_MIN_AGE if self.theirs else 0.0
        with query_errors("the lake (expiring snapshots, on trino)"), self._lake() as cur:
            return iceberg.keep_only(lambda text: clients.fetch(cur, text), kept, min_age, min_age)

    def lake_sizes(self) -> list[iceberg.LayerSize]:
        where = self.where()
        sizes: list[iceberg.LayerSize] = []
        with query_errors("the lake (its size, on trino and S3)"), self._lake() as cur:
            execute = functools.partial(clients.fetch, cur)
            for layer in iceberg.LAKE_LAYERS:
                prefix = iceberg.location(execute, layer)
                found = s3.list_objects(where.s3, prefix) if prefix else {}
                sizes.append(iceberg.LayerSize(
                    layer, len(iceberg.tables(execute, layer)),
                    iceberg.snapshot_count(execute, layer), len(found), sum(found.values()),
                ))  # fmt: skip
        return sizes

    def query_as_of(
        self, statement: str, run: Callable[[], tuple[str, iceberg.Snapshots]]
    ) -> QueryResult:
        """statement over bronze and silver as the run left them, on Trino. The session has no
        catalog: a name not rewritten to a snapshot fails instead of reading today's tables."""
        label, snapshots = run()
        where = self.where()
        text = iceberg.as_of(statement, where.lake_catalog, snapshots, label)
        reader = clients.trino(
            where.trino_reader or where.trino, None, max_run_time=self.settings.statement_timeout
        )
        with query_errors(f"the lake as of run {label}"), _read_only("the lake"), reader as cur:
            try:
                cur.execute(text)
                return sql.result_of(cur)
            except Exception as exc:
                if "snapshot ID does not exist" in str(exc):
                    raise EcomctlError(
                        f"--as-of {label}: that run's snapshots are gone (expired: the lake keeps"
                        f" the last {self.settings.lake_keep_runs} runs', lake_keep_runs; or the"
                        " table was rebuilt since by a full refresh)"
                    ) from exc
                if getattr(exc, "error_name", "") not in _NO_SESSION_SCHEMA:
                    raise
                raise EcomctlError(
                    f"--as-of {label}: name every table by its layer (bronze.orders,"
                    " silver.fact_orders): only those are read as the run left them",
                    ExitStatus.USAGE,
                ) from exc

    def _lake(self) -> Any:
        where = self.where()
        return clients.trino(
            where.trino, where.lake_catalog, max_run_time=self.settings.statement_timeout
        )

    @contextmanager
    def _answering(self, dead_first: bool = True) -> Iterator[None]:
        """A service that does not answer says how to start it on this stack. dead_first: any
        failure is first blamed on a service whose process died, if one did (Trino's error
        about a query on bronze, when the metastore is gone, is not the news)."""
        try:
            yield
        except EcomctlError as exc:
            if dead_first:
                ServiceWatch(self.services.gone, self.paths.root).check(now=True)
            if not isinstance(exc, ServiceDown):
                raise
            up = hints.command("up")
            if self.theirs:
                raise exc.hinted(
                    f"it is yours to start; `{up}` checks them", "does not answer"
                ) from exc
            raise exc.hinted(f"start it with `{up}`") from exc

    def _cursor(self, layer: str, trino: TrinoEndpoint | None = None) -> Any:
        """A cursor on the engine the layer is read through (Trino: in its schema, as trino
        when given, else as the stack's own login)."""
        where = self.where()
        engine = ENGINES_OF_LAYER[layer].read_on
        if engine == "postgres":
            return clients.postgres(where.gold, where.gold_password)
        if engine == "spark":
            return clients.spark(where.spark)
        catalog = where.landing_catalog if layer == "landing" else where.lake_catalog
        return clients.trino(trino or where.trino, catalog, layer, self.settings.statement_timeout)


@contextmanager
def _read_only(layer: str) -> Iterator[None]:
    """Trino's refusal of a write by the reading login, said as the embedded stack says its
    own (exit 1, one line naming the layer): `query` reads, never writes."""
    try:
        yield
    except Exception as exc:
        if getattr(exc, "error_name", "") != "PERMISSION_DENIED":
            raise
        raise EcomctlError(f"query on {layer}: read-only: {reason(exc)}") from exc
