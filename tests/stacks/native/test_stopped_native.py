"""A native stack that was stopped (`down`) after a seed: every command that reads a layer says,
in one line, which service is not running and the command that starts it (exit 3), never a
client library's raw text; `status` reports the stopped services (exit 1, as documented)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.helpers import TEST_SCALE, hint
from support.native import native

from ecomctl import protection

pytestmark = pytest.mark.native


def _start(home: Path) -> str:
    # The home records the native stack at its first `up`: the hint needs no --stack.
    return f"start it with `{hint(home, 'up')}`"


# What the client libraries say when nothing answers; ecomctl says it in its own words.
RAW = ("HTTPConnectionPool", "Max retries", "Could not connect", "connection failed", "Errno")


@pytest.fixture(scope="module")
def stopped_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home whose native stack was up and seeded (landing in the lake), then stopped. No
    run: what is read fails at the connection, before any table is looked for, and a native
    run takes minutes (more than 15 on a busy 2-core machine)."""
    home = tmp_path_factory.mktemp("stopped") / "home"
    try:
        native("up", home=home, timeout=1800)
        native("seed", "--scale", str(TEST_SCALE), home=home)
        native("down", home=home)
        yield home
    finally:
        native("down", home=home, check=False)


def _one_line_naming(stderr: str, service: str, home: Path) -> bool:
    lines = stderr.strip().splitlines()
    return (
        len(lines) == 1
        and lines[0].startswith(f"ecomctl: {service} at ")
        and " is not running (connection refused): " in lines[0]
        and lines[0].endswith(_start(home))
        and not any(raw in stderr for raw in RAW)
    )


@pytest.mark.parametrize(
    ("layer", "service"),
    [("landing", "trino"), ("bronze", "trino"), ("silver", "spark-thrift"), ("gold", "postgres")],
)
def test_a_query_on_any_layer_names_the_stopped_service_and_how_to_start_it(
    stopped_home: Path, layer: str, service: str
) -> None:
    proc = native("query", "select 1", "--layer", layer, home=stopped_home, check=False)
    assert proc.returncode == 3, proc.stderr
    assert _one_line_naming(proc.stderr, service, stopped_home), proc.stderr


def test_a_query_document_carries_the_same_line(stopped_home: Path) -> None:
    proc = native("query", "select 1", "--json", home=stopped_home, check=False)
    doc = json.loads(proc.stdout)
    assert doc["exit_code"] == 3
    assert doc["error"].startswith("postgres at ") and doc["error"].endswith(_start(stopped_home))


def test_the_report_names_the_stopped_service_and_how_to_start_it(stopped_home: Path) -> None:
    proc = native("report", home=stopped_home, check=False)
    assert proc.returncode == 3, proc.stderr
    assert _one_line_naming(proc.stderr, "postgres", stopped_home), proc.stderr


def test_status_lists_every_service_stopped_and_exits_1(stopped_home: Path) -> None:
    proc = native("status", "--json", home=stopped_home, check=False)
    assert proc.returncode == 1, proc.stderr
    services = {s["name"]: s for s in json.loads(proc.stdout)["services"]}
    assert set(services) == {"postgres", "s3", "metastore", "trino", "spark-thrift"}
    assert all(s["state"] == "stopped" for s in services.values()), services
    # Each row says how to start it, as a command that works when pasted.
    up = f"`{hint(stopped_home, 'up')}`"
    assert all(up in s["detail"] for s in services.values()), services
    # What stands between other users and each service is what `up` will start it with.
    assert services["spark-thrift"]["protection"] == protection.SPARK_SECURED
    assert services["trino"]["protection"] == protection.TRINO_SECURED
