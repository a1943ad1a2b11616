"""Publish the local landing zone to the lake: Parquet on S3, registered as tables via Trino.

`ecomctl seed` validates and loads the files into the warehouse's `landing` schema (DuckDB)
first; on the compose and remote stacks this module then copies every landing table to the
lake's bucket in bulk, one Parquet file per table under a new batch prefix,

    s3://<bucket>/landing/<table>/batch=<UTC stamp>/data.parquet

and points the Trino table `<landing_catalog>.landing.<table>` at that prefix. Each publish is
a full snapshot of the landing zone (an increment re-publishes everything), `landing._rejects`
(the rows a load with --max-bad-rows set aside; empty when it refused none) included, so that
it reads the same on every stack.

All tables are uploaded before any Trino table is touched, so a failed upload leaves the
lake's tables on the previous complete batch. Earlier batch prefixes stay in the bucket:
DuckDB can write S3 objects but cannot delete them. Remove old `batch=` prefixes with your own
S3 tooling (`mc rm --recursive`, `aws s3 rm --recursive`) once nothing reads them.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from ecomctl import hints
from ecomctl.data.landing import REJECTS, SCHEMA
from ecomctl.data.olist import FILES
from ecomctl.engines import clients, duck, sql
from ecomctl.engines.endpoints import LakeEndpoints
from ecomctl.errors import EcomctlError, ExitStatus, ServiceDown, joined_lines
from ecomctl.settings import HomePaths

# DuckDB type -> the Trino type of the Hive table over the Parquet file DuckDB writes.
# TIMESTAMP is written as microseconds, hence timestamp(6).
_TRINO_TYPES = {
    "VARCHAR": "varchar",
    "DOUBLE": "double",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "TIMESTAMP": "timestamp(6)",
    "DATE": "date",
    "BOOLEAN": "boolean",
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
# S3 bucket naming rules; checked here because the name is spliced into S3 URLs and SQL.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_HOST_PORT = re.compile(r"^[A-Za-z0-9.-]+(:\d+)?$")
_NOTHING_LOADED = "nothing to publish to the lake: the landing zone is not loaded"


@dataclass(frozen=True)
class PublishResult:
    location: str  # s3://<bucket>/landing/
    batch: str  # the UTC stamp naming this publish's prefixes
    rows: dict[str, int]  # per Olist table (landing._rejects, published too, aside)
    seconds: float
    catalog: str = ""  # the Trino catalog of the landing tables
    trino_url: str = ""

    def table_location(self, table: str) -> str:
        return f"{self.location}{table}/batch={self.batch}/"

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def trino_type(duck_type: str) -> str:
    """The Trino column type for a landing column of this DuckDB type."""
    if duck_type in _TRINO_TYPES:
        return _TRINO_TYPES[duck_type]
    decimal = _DECIMAL.match(duck_type)
    if decimal:
        return f"decimal({decimal.group(1)},{decimal.group(2)})"
    raise EcomctlError(f"DuckDB type {duck_type} has no Trino type for the lake's landing tables")


def publish(stack: str, where: LakeEndpoints, paths: HomePaths) -> PublishResult:
    """Upload every landing table as Parquet under one new batch prefix, then re-point Trino."""
    started = time.monotonic()
    access_key, secret_key = _credentials(stack, where)
    endpoint = where.s3.url
    host_port, use_ssl = _endpoint(endpoint)
    bucket = _bucket(where.s3.bucket)
    location = f"s3://{bucket}/{SCHEMA}/"
    batch = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    if not paths.warehouse.exists():
        raise EcomctlError(_NOTHING_LOADED)
    # Checked before the upload, which is the long part: files that no table will point at
    # are only clutter in the bucket.
    trino = where.trino
    probe = clients.probe_trino(trino)
    if not probe.ok:
        raise ServiceDown("trino", trino.url(), f"{probe.detail}; nothing was uploaded")

    duck.ensure_extension(paths, "httpfs")
    rows: dict[str, int] = {}
    columns: dict[str, list[tuple[str, str]]] = {}
    with duck.connect(paths, read_only=True) as con:
        con.load_extension("httpfs")
        # Parameters, not SQL text: the secret never appears in a statement DuckDB could echo
        # back in an error. TEMPORARY: it lives in this connection only, never on disk.
        con.execute(
            "create temporary secret (type s3, key_id ?, secret ?, endpoint ?,"
            " url_style 'path', use_ssl ?, region ?)",
            [access_key, secret_key, host_port, use_ssl, where.s3.region],
        )
        for name in [*(spec.table for spec in FILES), REJECTS]:
            table = sql.identifier(name, "table")
            columns[table] = _landing_columns(con, table)
            url = f"{location}{table}/batch={batch}/data.parquet"
            try:
                written = con.execute(
                    f"copy (select * from {SCHEMA}.{table}) to '{url}' (format parquet)"
                ).fetchone()
            except Exception as exc:
                reason = joined_lines(str(exc), type(exc).__name__).replace(secret_key, "***")
                raise EcomctlError(
                    f"upload to S3 at {endpoint} failed for {SCHEMA}.{table}: {reason};"
                    " the lake's landing tables were not changed"
                ) from exc
            if table != REJECTS:
                rows[table] = int(written[0]) if written else 0

    _register(where, location, batch, columns)
    seconds = time.monotonic() - started
    return PublishResult(location, batch, rows, seconds, where.landing_catalog, trino.url())


def _credentials(stack: str, where: LakeEndpoints) -> tuple[str, str]:
    s3 = where.s3
    if s3.access_key and s3.secret_key:
        return s3.access_key, s3.secret_key
    if s3.keys_from == "up":
        raise EcomctlError(
            f"{stack} stack: no S3 credentials yet (they are written by `up`):"
            f" run `{hints.command('up')}` first",
            ExitStatus.UNHEALTHY,
        )
    raise EcomctlError(
        f"{stack} stack: no S3 credentials: set ECOMCTL_S3_ACCESS_KEY and ECOMCTL_S3_SECRET_KEY",
        ExitStatus.USAGE,
    )


def _endpoint(url: str) -> tuple[str, bool]:
    """(host:port, use TLS) from an endpoint URL such as http://127.0.0.1:9000."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not _HOST_PORT.match(parts.netloc):
        raise EcomctlError(
            f"S3 endpoint {url!r}: expected http://HOST:PORT or https://HOST:PORT"
            " (set ECOMCTL_S3_ENDPOINT)",
            ExitStatus.USAGE,
        )
    return parts.netloc, parts.scheme == "https"


def _bucket(name: str) -> str:
    if not _BUCKET.match(name):
        raise EcomctlError(
            f"invalid lake bucket {name!r}: 3-63 lower-case letters, digits, dots and hyphens"
            " (set ECOMCTL_LAKE_BUCKET)",
            ExitStatus.USAGE,
        )
    return name


def _landing_columns(con: Any, table: str) -> list[tuple[str, str]]:
    """(name, Trino type) of a landing table's columns, in order."""
    found = con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = ? and table_name = ? order by ordinal_position",
        [SCHEMA, table],
    ).fetchall()
    if not found:
        raise EcomctlError(f"no landing table {table}: {_NOTHING_LOADED}")
    return [(sql.identifier(name, "column"), trino_type(kind)) for name, kind in found]


def _register(
    where: LakeEndpoints, location: str, batch: str, columns: dict[str, list[tuple[str, str]]]
) -> None:
    catalog = sql.identifier(where.landing_catalog, "landing catalog")
    trino = where.trino
    done: list[str] = []
    step = "setting the session"
    try:
        with clients.trino(trino, catalog=catalog) as cur:
            # The Hive connector refuses a timestamp(6) column unless the session's precision
            # is microseconds (its default is milliseconds, which would also truncate reads).
            clients.fetch(cur, f"set session {catalog}.timestamp_precision = 'MICROSECONDS'")
            step = f"creating schema {catalog}.{SCHEMA}"
            clients.fetch(
                cur,
                f"create schema if not exists {catalog}.{SCHEMA} with (location = '{location}')",
            )
            # Not atomic: each table is dropped and created again (a moment without the table),
            # and the tables are re-pointed one after another. Acceptable: ecomctl's own readers
            # (`run`) take the same home lock as `seed`, the files of a batch never change after
            # upload, and DROP of an external table removes metadata only, so a failure part-way
            # is repaired by publishing again. Trino's Hive connector has no statement that
            # moves a table's location in place.
            for table, cols in columns.items():
                step = f"registering {catalog}.{SCHEMA}.{table}"
                name = f"{catalog}.{SCHEMA}.{table}"
                column_list = ", ".join(f'"{c}" {kind}' for c, kind in cols)
                clients.fetch(cur, f"drop table if exists {name}")
                clients.fetch(
                    cur,
                    f"create table {name} ({column_list}) with (external_location ="
                    f" '{location}{table}/batch={batch}/', format = 'PARQUET')",
                )
                done.append(table)
    except EcomctlError:
        raise
    except Exception as exc:
        moved = f"; already on batch {batch}: {', '.join(done)}" if done else ""
        raise EcomctlError(
            f"trino at {trino.url()}: {step}: {joined_lines(str(exc), type(exc).__name__)}{moved}"
            " (the files are uploaded: publishing again re-points every table)"
        ) from exc
