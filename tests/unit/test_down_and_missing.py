"""A service that is not there, said in ecomctl's words: each client library's refusal (real
connections to a closed port) becomes one ServiceDown naming the service; each engine's "no
such table" is read for the table's name; `test` is told which layers are behind landing."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ecomctl.engines import clients
from ecomctl.engines.endpoints import PgEndpoint, SparkEndpoint, TrinoEndpoint
from ecomctl.engines.sql import missing_table
from ecomctl.errors import ExitStatus, ServiceDown
from ecomctl.transform.built import BuiltFrom


@pytest.fixture
def closed_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        yield sock.getsockname()[1]


CLIENTS: dict[str, Callable[[int], Any]] = {
    "trino": lambda port: clients.trino(TrinoEndpoint("127.0.0.1", port, "u"), "iceberg"),
    "spark-thrift": lambda port: clients.spark(SparkEndpoint("127.0.0.1", port, "u")),
    "postgres": lambda port: clients.postgres(PgEndpoint("127.0.0.1", port, "u", "d"), None),
}


@pytest.mark.parametrize("service", list(CLIENTS))
def test_a_refused_connection_is_the_service_not_running_with_how_to_start_it(
    service: str, closed_port: int
) -> None:
    with pytest.raises(ServiceDown) as down, CLIENTS[service](closed_port) as cur:
        clients.fetch(cur, "select 1")
    assert down.value.status == ExitStatus.UNHEALTHY
    assert down.value.message.startswith(f"{service} at ")
    assert f"127.0.0.1:{closed_port}" in down.value.message
    assert down.value.message.endswith(
        " is not running (connection refused): start it with `ecomctl up`"
    )
    assert "Errno" not in down.value.message and "Max retries" not in down.value.message


@pytest.mark.parametrize("service", list(CLIENTS))
def test_a_service_never_started_has_no_port_and_says_so(service: str) -> None:
    with pytest.raises(ServiceDown) as down, CLIENTS[service](0):
        pass
    assert down.value.message == (
        f"{service} is not running (never started in this home): start it with `ecomctl up`"
    )


def test_a_stack_gives_the_hint_its_own_words() -> None:
    down = ServiceDown("trino", "http://127.0.0.1:1", "connection refused")
    theirs = down.hinted("it is yours to start", "does not answer")
    assert theirs.message == (
        "trino at http://127.0.0.1:1 does not answer (connection refused): it is yours to start"
    )


@pytest.mark.parametrize(
    "message",
    [
        'query on gold: relation "orders" does not exist',
        "Catalog Error: Table with name orders does not exist!\nDid you mean landing.orders?",
        "line 1:22: Table 'iceberg.bronze.orders' does not exist",
        "[TABLE_OR_VIEW_NOT_FOUND] The table or view `silver`.`orders` cannot be found.",
    ],
    ids=["postgres", "duckdb", "trino", "spark"],
)
def test_each_engines_missing_table_error_gives_the_tables_name(message: str) -> None:
    assert missing_table(message) == "orders"


def test_other_errors_name_no_missing_table() -> None:
    assert missing_table('column "nosuch" does not exist') is None


LANDING = {"orders": "1/2026-01-01 00:00:00/10"}
APPENDED = {"orders": "1/2026-01-02 00:00:00/12"}


def test_test_is_told_the_layers_never_built_and_those_older_than_landing(tmp_path: Path) -> None:
    built = BuiltFrom(tmp_path, "embedded")
    layers = ["bronze", "silver", "gold"]
    assert built.behind(layers, None, {}) == (layers, [])  # nothing seeded, nothing built
    assert built.behind(layers, 1, LANDING) == (layers, [])

    built.record(["bronze", "silver"], 1, None, LANDING)
    assert built.behind(layers, 1, LANDING) == (["gold"], [])
    assert built.behind(layers, 1, APPENDED) == (["gold"], ["bronze", "silver"])  # an increment
    assert built.behind(layers, 2, LANDING) == (["gold"], ["bronze", "silver"])  # a new seed
    # Another stack's record says nothing about this one's layers.
    assert BuiltFrom(tmp_path, "native").behind(["bronze"], 1, LANDING) == (["bronze"], [])


def test_a_layer_recorded_before_its_landing_stamp_is_judged_by_its_generation(
    tmp_path: Path,
) -> None:
    built = BuiltFrom(tmp_path, "embedded")
    built.record(["bronze"], 1, None)
    assert built.behind(["bronze"], 1, APPENDED) == ([], [])
    assert built.behind(["bronze"], 2, APPENDED) == ([], ["bronze"])
