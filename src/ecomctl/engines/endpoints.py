"""Where the engines listen and how to log in: the facts a stack hands to clients and to dbt.

Passwords are held here only for the connections ecomctl makes itself; `url()` and
`conninfo()` never include them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from ecomctl.settings import Settings


@dataclass(frozen=True)
class PgEndpoint:
    host: str
    port: int
    user: str
    database: str

    def url(self) -> str:
        """A connection URL without the password (it stays in its 0600 file)."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"

    def conninfo(self) -> str:
        """A libpq keyword string without the password (libpq reads PGPASSWORD)."""
        return f"host={self.host} port={self.port} dbname={self.database} user={self.user}"


@dataclass(frozen=True)
class PgLogin:
    """A PostgreSQL login ecomctl connects with itself (the password is never shown)."""

    endpoint: PgEndpoint
    password: str | None = field(repr=False)


@dataclass(frozen=True)
class TrinoEndpoint:
    host: str
    port: int
    user: str
    scheme: str = "http"
    password: str | None = field(default=None, repr=False)
    ca_bundle: Path | None = None  # the PEM file that signed its certificate (HTTPS)

    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


@dataclass(frozen=True)
class SparkEndpoint:
    host: str
    port: int
    user: str
    password: str | None = field(default=None, repr=False)  # None: a server without logins

    def url(self) -> str:
        return f"thrift://{self.host}:{self.port}"


@dataclass(frozen=True)
class S3Endpoint:
    url: str  # http://HOST:PORT
    bucket: str
    region: str
    access_key: str | None = None
    secret_key: str | None = None
    # Where the keys come from when they are missing: "settings" (yours) or "up" (ecomctl's
    # own runners generate them when they first start the S3 server).
    keys_from: str = "settings"


@dataclass(frozen=True)
class LakeEndpoints:
    """Trino, Spark Thrift, gold's PostgreSQL and the lake's S3, with their secrets."""

    trino: TrinoEndpoint
    spark: SparkEndpoint
    gold: PgEndpoint
    gold_password: str | None
    s3: S3Endpoint
    password_hint: str  # a shell expression for gold's password, never the password itself
    # The login handed to readers, where ecomctl runs gold's server (read-only, gold only);
    # else readers are given gold itself.
    gold_reader: PgEndpoint | None = None
    gold_reader_password: str | None = None
    gold_reader_password_file: Path | None = None  # where the reader's password is kept
    # The Spark login `query` reads silver with, where the server has a read-only one.
    spark_reader: SparkEndpoint | None = None
    spark_reader_password_file: Path | None = None  # where ecomctl keeps its password
    # The login that owns gold's tables (Trino's gold catalog's), where ecomctl runs the server.
    gold_writer: PgLogin | None = None
    # The Trino login `query` reads landing and bronze with (SELECT only); None: trino itself.
    trino_reader: TrinoEndpoint | None = None
    trino_reader_password_file: Path | None = None  # where the reader's password is kept
    # Trino catalogs: Iceberg for bronze and silver, Hive for landing, PostgreSQL for gold.
    lake_catalog: str = "iceberg"
    landing_catalog: str = "hive"
    gold_catalog: str = "de_psql"


def from_settings(settings: Settings) -> LakeEndpoints:
    """The endpoints of servers the user runs, as settings (or ECOMCTL_*) give them."""
    s, secret = settings, _secret

    def trino(user: str, password: SecretStr | None) -> TrinoEndpoint:
        return TrinoEndpoint(
            s.trino_host, s.trino_port, user, s.trino_http_scheme, secret(password),
            s.trino_ca_bundle,
        )  # fmt: skip

    reader = s.trino_reader_user
    return LakeEndpoints(
        trino=trino(s.trino_user, s.trino_password),
        trino_reader=None if reader is None else trino(reader, s.trino_reader_password),
        spark=SparkEndpoint(s.spark_host, s.spark_port, s.spark_user, secret(s.spark_password)),
        gold=PgEndpoint(s.pg_host, s.pg_port, s.pg_user, s.pg_database),
        gold_password=secret(s.pg_password),
        s3=S3Endpoint(
            s.s3_endpoint, s.lake_bucket, s.s3_region, s.s3_access_key, secret(s.s3_secret_key)
        ),
        password_hint='"$PGPASSWORD"',
        spark_reader=None
        if s.spark_reader_user is None
        else SparkEndpoint(
            s.spark_host, s.spark_port, s.spark_reader_user, secret(s.spark_reader_password)
        ),
        lake_catalog=s.lake_catalog,
        landing_catalog=s.landing_catalog,
        gold_catalog=s.gold_catalog,
    )


def _secret(value: SecretStr | None) -> str | None:
    return None if value is None else value.get_secret_value()
