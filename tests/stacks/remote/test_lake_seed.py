"""Publishing landing to a lake (`seed` on the lake stacks): Parquet on S3, one Hive
external table per landing table registered through Trino. Run against real servers: the
native stack's S3 server (SeaweedFS) and Trino 476, reached as `--stack remote` reaches yours."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from support.helpers import TEST_SCALE, ecomctl
from support.native import remote_env

from ecomctl.data import landing, seeding
from ecomctl.data import publish as lake_seed
from ecomctl.data.olist import FILES
from ecomctl.engines import clients, duck
from ecomctl.engines.endpoints import TrinoEndpoint
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.settings import HomePaths, load_settings
from ecomctl.stacks import get_stack
from ecomctl.stacks.base import NoEvents
from ecomctl.stacks.lake import LakeStack
from ecomctl.transform import pipeline

pytestmark = pytest.mark.native

BUCKET = "lake"
LANDING_TABLES = sorted(f.table for f in FILES)
PUBLISHED = sorted([*LANDING_TABLES, landing.REJECTS])  # the rejects go to the lake too
_LOCATION = re.compile(r"external_location = '([^']+)'")


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # http://127.0.0.1:<port>
    access_key: str
    secret_key: str

    @contextmanager
    def reader(self, paths: HomePaths) -> Iterator[Any]:
        """A DuckDB connection that reads the bucket over S3, as any S3 client would."""
        duck.ensure_extension(paths, "httpfs")
        with duckdb.connect(config=duck.config(paths)) as con:
            con.load_extension("httpfs")
            con.execute(
                "create temporary secret (type s3, key_id ?, secret ?, endpoint ?,"
                " url_style 'path', use_ssl false)",
                [self.access_key, self.secret_key, self.endpoint.removeprefix("http://")],
            )
            yield con


@dataclass(frozen=True)
class Lake:
    """The servers the tests publish to: S3 and Trino, as remote settings name them."""

    settings: dict[str, str]

    @property
    def trino(self) -> TrinoEndpoint:
        s = self.settings
        return TrinoEndpoint(
            "127.0.0.1", int(s["ECOMCTL_TRINO_PORT"]), s["ECOMCTL_TRINO_USER"], "https",
            s["ECOMCTL_TRINO_PASSWORD"], Path(s["ECOMCTL_TRINO_CA_BUNDLE"]),
        )  # fmt: skip

    def s3(self) -> S3Server:
        s = self.settings
        return S3Server(
            s["ECOMCTL_S3_ENDPOINT"], s["ECOMCTL_S3_ACCESS_KEY"], s["ECOMCTL_S3_SECRET_KEY"]
        )

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        with clients.trino(self.trino, "hive") as cur:
            return clients.fetch(cur, sql)


@pytest.fixture(scope="module")
def lake(native_home: Path) -> Lake:
    return Lake(remote_env(native_home))


@pytest.fixture(scope="module")
def s3(lake: Lake) -> S3Server:
    return lake.s3()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home folder whose local landing zone is loaded (generated data)."""
    # The native stack's scale and seed: the lake's landing tables keep the same rows.
    home = tmp_path_factory.mktemp("lake_seed") / "home"
    seeding.seed(HomePaths(home), scale=TEST_SCALE, seed=42)
    return home


def _stack(home: Path, lake: Lake, **overrides: Any) -> LakeStack:
    """The stack ecomctl builds for `--stack remote` pointed at the lake's servers."""
    s = lake.settings
    settings: dict[str, Any] = {
        "home": home, "stack": "remote", "trino_port": lake.trino.port,
        "trino_http_scheme": "https", "trino_user": lake.trino.user,
        "trino_password": lake.trino.password, "trino_ca_bundle": lake.trino.ca_bundle,
        "s3_endpoint": s["ECOMCTL_S3_ENDPOINT"], "s3_access_key": s["ECOMCTL_S3_ACCESS_KEY"],
        "s3_secret_key": s["ECOMCTL_S3_SECRET_KEY"], "lake_bucket": BUCKET,
    }  # fmt: skip
    stack = get_stack(load_settings(**{**settings, **overrides}))
    assert isinstance(stack, LakeStack)
    return stack


def _registered(lake: Lake) -> dict[str, tuple[list[str], str]]:
    """Table -> (column definitions, external location) of hive.landing's tables in Trino."""
    found = {}
    for (table,) in lake.fetch("show tables from hive.landing"):
        ddl = lake.fetch(f"show create table hive.landing.{table}")[0][0]
        columns = [
            f'"{name}" {kind}' for name, kind, *_ in lake.fetch(f"describe hive.landing.{table}")
        ]
        location = _LOCATION.search(ddl)
        # The metastore keeps locations without their trailing slash; ecomctl writes one.
        found[str(table)] = (columns, location.group(1).rstrip("/") + "/" if location else "")
    return found


def _objects(s3: S3Server, paths: HomePaths) -> list[str]:
    """Every object under the bucket's landing/ prefix, listed over S3."""
    with s3.reader(paths) as reader:
        listed = reader.execute(f"select file from glob('s3://{BUCKET}/landing/**')")
        return sorted(file for (file,) in listed.fetchall())


def _assert_same_as_landing(
    s3: S3Server, paths: HomePaths, result: lake_seed.PublishResult
) -> None:
    """What went up is the landing table: same rows, same column names and types."""
    with s3.reader(paths) as reader:
        local = duck.connect(paths, read_only=True)
        try:
            for table in LANDING_TABLES:
                parquet = f"read_parquet('{result.table_location(table)}data.parquet', hive_partitioning = false)"
                assert reader.execute(f"select count(*) from {parquet}").fetchone() == (
                    result.rows[table],
                )
                assert reader.execute(f"describe select * from {parquet}").fetchall() == (
                    local.execute(f"describe landing.{table}").fetchall()
                )
        finally:
            local.close()


def test_each_landing_table_becomes_one_parquet_object_under_a_new_batch_prefix(
    home: Path, s3: S3Server, lake: Lake
) -> None:
    paths = HomePaths(home)
    result = _stack(home, lake).publish_landing(NoEvents())

    assert result.location == f"s3://{BUCKET}/landing/"
    assert re.fullmatch(r"\d{8}T\d{6}\.\d{6}Z", result.batch)
    batch_objects = [o for o in _objects(s3, paths) if f"/batch={result.batch}/" in o]
    assert batch_objects == [f"{result.table_location(t)}data.parquet" for t in PUBLISHED]
    _assert_same_as_landing(s3, paths, result)
    # Every landing table is published whole; `rows` counts the Olist tables.
    assert result.rows == landing.row_counts(paths)


def test_trino_gets_the_landing_schema_and_one_external_parquet_table_per_batch_folder(
    home: Path, s3: S3Server, lake: Lake
) -> None:
    result = _stack(home, lake).publish_landing(NoEvents())

    schema = lake.fetch("show create schema hive.landing")[0][0]
    assert "location = 's3://lake/landing'" in schema  # the metastore drops the slash
    registered = _registered(lake)
    assert sorted(registered) == PUBLISHED
    for table, (_, location) in registered.items():
        assert location == result.table_location(table)
        rows = lake.fetch(f"select count(*) from hive.landing.{table}")[0][0]
        # Trino reads the files it points at (this load refused no row: _rejects is empty).
        assert rows == result.rows.get(table, 0), table

    orders, _ = registered["orders"]
    assert orders[:4] == [
        '"order_id" varchar', '"customer_id" varchar', '"order_status" varchar',
        '"order_purchase_timestamp" timestamp(6)',
    ]  # fmt: skip
    assert orders[-1] == '"_loaded_at" timestamp(6)'  # the load stamp travels with the rows
    items, _ = registered["order_items"]
    assert '"order_item_id" integer' in items
    assert '"price" double' in items and '"freight_value" double' in items
    payments, _ = registered["order_payments"]
    assert '"payment_value" double' in payments
    customers, _ = registered["customers"]
    assert '"customer_zip_code_prefix" varchar' in customers  # leading zeros kept
    # Every landing column is declared, in the landing table's order.
    for spec in FILES:
        names = [c.split()[0].strip('"') for c in registered[spec.table][0]]
        assert names == [*spec.column_names, "_loaded_at"]


def test_landing_timestamps_keep_their_microseconds_through_trino(
    home: Path, s3: S3Server, lake: Lake
) -> None:
    _stack(home, lake).publish_landing(NoEvents())

    local = duck.connect(HomePaths(home), read_only=True)
    try:
        expected = local.execute("select max(_loaded_at) from landing.orders").fetchone()
    finally:
        local.close()
    assert expected is not None and expected[0].microsecond  # DuckDB stamps to the microsecond
    got = lake.fetch("select max(_loaded_at) from hive.landing.orders")[0][0]
    assert got == expected[0]


@pytest.mark.parametrize(
    ("duckdb_type", "trino_type"),
    [
        ("VARCHAR", "varchar"), ("DOUBLE", "double"), ("BIGINT", "bigint"),
        ("INTEGER", "integer"), ("TIMESTAMP", "timestamp(6)"), ("DATE", "date"),
        ("DECIMAL(18,2)", "decimal(18,2)"), ("BOOLEAN", "boolean"),
    ],
)  # fmt: skip
def test_landing_column_types_map_to_trino_types(duckdb_type: str, trino_type: str) -> None:
    assert lake_seed.trino_type(duckdb_type) == trino_type


def test_a_type_without_a_trino_mapping_is_refused_by_name() -> None:
    with pytest.raises(EcomctlError, match="DuckDB type INTERVAL has no Trino type"):
        lake_seed.trino_type("INTERVAL")


def test_the_secret_key_appears_in_no_statement_profile_output_or_file(
    home: Path, s3: S3Server, lake: Lake
) -> None:
    stack = _stack(home, lake)
    result = stack.publish_landing(NoEvents())
    profiles_file = pipeline.write_profiles(stack.paths.dbt, stack.dbt_target().profiles)
    statements = lake.fetch("select query from system.runtime.queries")

    exposed = {
        "trino statements": "\n".join(str(q) for (q,) in statements),
        "profiles": json.dumps(stack.dbt_target().profiles),
        "profiles.yml": profiles_file.read_text(),
        "env vars": json.dumps(stack.endpoints().variables),
        "dbt env": json.dumps(stack.dbt_target().env),
        "publish result": repr(result),
    }
    assert [where for where, text in exposed.items() if s3.secret_key in text] == []
    secret = s3.secret_key.encode()
    assert [p for p in home.rglob("*") if p.is_file() and secret in p.read_bytes()] == []


def test_a_second_publish_writes_a_new_batch_and_repoints_every_table_to_it(
    home: Path, s3: S3Server, lake: Lake
) -> None:
    stack, paths = _stack(home, lake), HomePaths(home)
    first = stack.publish_landing(NoEvents())

    second = stack.publish_landing(NoEvents())

    assert second.batch > first.batch
    assert second.rows == first.rows
    registered = _registered(lake)
    assert {t: loc for t, (_, loc) in registered.items()} == {
        t: second.table_location(t) for t in PUBLISHED
    }
    # The first batch is still there: DuckDB cannot delete objects (see lake_seed's docstring).
    objects = _objects(s3, paths)
    assert {
        f"{b.table_location(t)}data.parquet" for b in (first, second) for t in LANDING_TABLES
    } <= set(objects)


def test_a_failed_upload_names_the_endpoint_and_leaves_the_tables_on_the_last_batch(
    home: Path, s3: S3Server, lake: Lake
) -> None:
    before = _stack(home, lake).publish_landing(NoEvents())
    wrong_key = "not-" + s3.secret_key

    with pytest.raises(EcomctlError) as failed:
        _stack(home, lake, s3_secret_key=wrong_key).publish_landing(NoEvents())

    message = failed.value.message
    assert f"upload to S3 at {s3.endpoint} failed" in message
    assert "403" in message  # the server refuses the signature
    assert "\n" not in message
    assert wrong_key not in message
    assert failed.value.status == ExitStatus.FAILURE
    # The tables were not touched, so they still read the previous complete batch.
    assert {t: loc for t, (_, loc) in _registered(lake).items()} == {
        t: before.table_location(t) for t in PUBLISHED
    }


def test_an_unreachable_trino_stops_the_publish_before_anything_is_uploaded(
    home: Path, s3: S3Server, lake: Lake
) -> None:
    paths = HomePaths(home)
    before = _objects(s3, paths)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]  # bound, never listening: connections are refused
        stack = _stack(home, lake, trino_port=closed_port)

        with pytest.raises(EcomctlError) as failed:
            stack.publish_landing(NoEvents())

    assert failed.value.status == ExitStatus.UNHEALTHY
    assert f"trino at https://127.0.0.1:{closed_port} does not answer" in failed.value.message
    assert "nothing was uploaded" in failed.value.message
    assert _objects(s3, paths) == before


def test_the_remote_stack_without_s3_credentials_is_a_usage_error_naming_the_settings(
    home: Path, s3: S3Server, lake: Lake
) -> None:
    stack = _stack(home, lake, s3_access_key=None, s3_secret_key=None)
    stack.settings.s3_access_key = stack.settings.s3_secret_key = None  # not from the environment

    with pytest.raises(EcomctlError) as failed:
        stack.publish_landing(NoEvents())

    assert failed.value.status == ExitStatus.USAGE
    assert "ECOMCTL_S3_ACCESS_KEY" in failed.value.message
    assert "ECOMCTL_S3_SECRET_KEY" in failed.value.message


def test_the_compose_stack_before_up_asks_for_ecomctl_up(
    home: Path, s3: S3Server, lake: Lake
) -> None:
    stack = _stack(home, lake, stack="compose")

    # The home records its stack: the hint needs no --stack (hints.py adds what a pasted
    # command needs, as the CLI ran it).
    with pytest.raises(EcomctlError, match=r"run `ecomctl up` first"):
        stack.publish_landing(NoEvents())


def test_ecomctl_seed_on_the_remote_stack_loads_landing_then_publishes_it(
    s3: S3Server, lake: Lake, tmp_path: Path
) -> None:
    proc = ecomctl("seed", "--scale", str(TEST_SCALE), "--json", home=tmp_path, env=lake.settings)
    doc = json.loads(proc.stdout)
    assert doc["lake"]["rows"] == doc["rows"]
    assert doc["lake"]["location"] == f"s3://{BUCKET}/landing/"
    registered = _registered(lake)
    assert sorted(registered) == PUBLISHED
    assert {loc.rsplit("/batch=", 1)[1] for _, loc in registered.values()} == {
        doc["lake"]["batch"] + "/"
    }
    assert s3.secret_key not in proc.stdout + proc.stderr
