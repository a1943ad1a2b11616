"""The pieces every service runner shares: the `--only` closure, the one wait for health, log
tails and follows, the servers a layer needs, and row counts that never read a lost
connection as "no tables"."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ecomctl.engines.sql import table_counts
from ecomctl.errors import EcomctlError, ExitStatus, ServiceFailed
from ecomctl.layers import ENGINES_OF_LAYER, LAYERS, PROFILE_OF_LAYER
from ecomctl.results import ServiceStatus, State
from ecomctl.runners import logs
from ecomctl.runners.base import NoEvents
from ecomctl.runners.common import ServiceGraph, wait_until_healthy
from ecomctl.runners.probe import SERVICE_OF_ENGINE

GRAPH = ServiceGraph(
    {
        "postgres": [],
        "s3": [],
        "metastore": ["postgres", "s3"],
        "trino": ["metastore", "postgres"],
        "spark": ["metastore"],
    }
)


def test_only_brings_what_a_service_needs_in_start_order() -> None:
    assert GRAPH.closure(["trino"]) == ["postgres", "s3", "metastore", "trino"]
    assert GRAPH.closure(["s3"]) == ["s3"]
    assert GRAPH.closure(["spark", "trino"]) == ["postgres", "s3", "metastore", "trino", "spark"]


def test_only_an_unknown_service_is_a_usage_error_listing_them() -> None:
    with pytest.raises(EcomctlError) as failed:
        GRAPH.closure(["trino", "nope"])
    assert failed.value.status == ExitStatus.USAGE
    assert "--only 'nope': no such service (services: postgres, s3, metastore" in (
        failed.value.message
    )


def _states(*sequence: list[tuple[str, State]]) -> Any:
    """A reader that answers each poll with the next list of (service, state)."""
    polls = iter(sequence)

    def read() -> list[ServiceStatus]:
        return [
            ServiceStatus(n, s, "-", detail="exit code 3" if s == "exited" else "")
            for n, s in next(polls)
        ]

    return read


class Seen(NoEvents):
    def __init__(self) -> None:
        self.polls: list[list[str]] = []

    def services(self, rows: list[ServiceStatus], elapsed: float) -> None:
        self.polls.append([f"{r.name}={r.state}" for r in rows])


def test_the_wait_returns_once_every_service_is_healthy() -> None:
    seen = Seen()
    read = _states(
        [("a", "starting"), ("b", "stopped")],
        [("a", "running"), ("b", "starting")],
        [("a", "running"), ("b", "completed")],
    )
    states = wait_until_healthy(read, 30, seen, lambda s: "", poll=0)
    assert [s.state for s in states] == ["running", "completed"]
    assert seen.polls[0] == ["a=starting", "b=stopped"] and len(seen.polls) == 3


def test_a_service_that_exits_fails_the_wait_with_its_log_tail() -> None:
    read = _states([("a", "starting")], [("a", "exited")])
    with pytest.raises(ServiceFailed) as failed:
        wait_until_healthy(read, 30, NoEvents(), lambda s: f"last lines of {s}", poll=0)
    assert failed.value.message == "a: exited (exit code 3)"
    assert failed.value.logs == "last lines of a"
    assert failed.value.status == ExitStatus.UNHEALTHY


def test_the_wait_gives_up_after_its_limit_naming_the_late_service() -> None:
    forever: list[tuple[str, State]] = [("a", "running"), ("b", "starting")]
    read = _states(*[forever] * 1000)
    with pytest.raises(ServiceFailed) as failed:
        wait_until_healthy(read, 0.05, NoEvents(), lambda s: "", poll=0.01)
    assert failed.value.message.startswith("b: not healthy after 0 s (state starting")


def _spark(answers: dict[str, Sequence[Sequence[Any]] | Exception]) -> Any:
    def execute(sql: str) -> Sequence[Sequence[Any]]:
        answer = next(a for prefix, a in answers.items() if sql.startswith(prefix))
        if isinstance(answer, Exception):
            raise answer
        return answer

    return execute


def test_a_log_tail_is_its_last_lines_and_nothing_before_the_file_exists(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    assert logs.tail(log, 5) == ""
    log.write_text("one\ntwo\nthree\n")
    assert logs.tail(log, 2) == "two\nthree"
    assert logs.tail(log, 0) == ""


def test_several_logs_are_labelled_with_their_service(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("a1\na2\n")
    (tmp_path / "b.log").write_text("")
    both = {"a": tmp_path / "a.log", "b": tmp_path / "b.log"}
    assert list(logs.read(both, 1, follow=False)) == ["a | a2"]
    assert list(logs.read({"a": tmp_path / "a.log"}, 5, follow=False)) == ["a1\na2"]


def test_following_gives_the_tail_then_each_line_as_it_is_written(tmp_path: Path) -> None:
    quiet, old = tmp_path / "logs" / "s3.log", tmp_path / "old.log"  # s3: not started yet
    old.write_text("before\n")
    lines = logs.read({"s3": quiet, "old": old}, 10, follow=True)
    assert next(lines) == "before\n"  # the tails; none for the log that did not exist
    with quiet.open("a") as out:  # the follow made it
        out.write("new\n")
    assert next(lines) == "new\n"


def test_a_run_needs_the_servers_its_layers_are_built_and_read_on() -> None:
    needed = {
        layer: [SERVICE_OF_ENGINE[e] for e in ENGINES_OF_LAYER[layer].engines] for layer in LAYERS
    }
    assert needed == {
        "bronze": ["trino"],
        "silver": ["spark-thrift"],
        "gold": ["trino", "postgres"],
    }
    assert PROFILE_OF_LAYER == {"bronze": "trino", "silver": "spark", "gold": "gold"}
    assert ENGINES_OF_LAYER["landing"].engines == ("trino",)


def test_spark_row_counts_of_a_missing_schema_are_empty() -> None:
    assert table_counts(_spark({"show databases": []}), "silver", spark=True) == {}


def test_spark_row_counts_raise_when_the_connection_is_lost() -> None:
    execute = _spark({"show databases": [("silver",)], "show tables": ConnectionError("reset")})
    with pytest.raises(ConnectionError):
        table_counts(execute, "silver", spark=True)


def test_spark_row_counts_count_each_table_but_temporary_views() -> None:
    execute = _spark(
        {
            "show databases": [("silver",)],
            "show tables": [("silver", "fact_orders", False), ("", "tmp", True)],
            "select count(*)": [(42,)],
        }
    )
    assert table_counts(execute, "silver", spark=True) == {"fact_orders": 42}


class _StartingTrino:
    """A cursor double for the few seconds after Trino's start in which it lists its node
    active yet refuses splits (trinodb/trino#2214): a race no test can bring about on cue."""

    description = (("n",),)

    def __init__(self, refusals: int, error: str = "NO_NODES_AVAILABLE") -> None:
        self.refusals, self.error, self.asked = refusals, error, 0

    def execute(self, sql: str) -> None:
        self.asked += 1
        if self.asked <= self.refusals:
            failure = RuntimeError("No nodes available to run query")
            failure.error_name = self.error  # type: ignore[attr-defined]
            raise failure

    def fetchall(self) -> list[tuple[int]]:
        return [(42,)]


def test_a_query_trino_is_not_ready_for_yet_is_asked_again() -> None:
    from ecomctl.engines.clients import fetch

    starting = _StartingTrino(refusals=2)
    assert fetch(starting, "select count(*) from t") == [(42,)]
    assert starting.asked == 3


def test_any_other_query_error_is_not_asked_again() -> None:
    from ecomctl.engines.clients import fetch

    broken = _StartingTrino(refusals=1, error="TABLE_NOT_FOUND")
    with pytest.raises(RuntimeError):
        fetch(broken, "select count(*) from t")
    assert broken.asked == 1
