"""The runs of a home: one JSON file per `run`, `test` and `seed` under <home>/history/.

A record is written when the command starts (status "running", with its pid) and written
again when it ends (success, failed or interrupted, with the exit code). Each write goes to
a temporary file renamed into place, so a record is always whole: a run killed outright
leaves its "running" record, which reads as interrupted once its process is gone.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict, cast

from ecomctl import hints, proc
from ecomctl.errors import EcomctlError, ExitStatus, first_line
from ecomctl.home import write_private
from ecomctl.settings import HomePaths

if TYPE_CHECKING:
    from ecomctl.transform.pipeline import LayerReport

RECORD_VERSION = 1
STATUSES = ("running", "success", "failed", "interrupted")


class ModelRows(TypedDict):
    name: str
    rows_before: int | None  # None: the table did not exist
    rows_after: int | None


class LayerRecord(TypedDict):
    layer: str  # landing for `seed`
    success: bool
    skipped: bool
    seconds: float
    nodes: int
    status_counts: dict[str, int]
    failures: int
    error: str
    rows_before: int | None  # the layer's models' rows, summed; None when nothing was counted
    rows_after: int | None
    # Every table of the layer after the run, built by it or not (records before it: absent).
    table_rows: NotRequired[int | None]
    models: list[ModelRows]


class TestRecord(TypedDict):
    layer: str
    name: str
    unique_id: str
    status: str
    failures: int | None  # failing rows, as dbt counts them
    message: str


class RunRecord(TypedDict):
    version: int
    id: str
    command: str
    args: list[str]
    stack: str
    pid: int
    pid_started: int | None  # the process's start time, so a reused pid is not taken for it
    started_at: str  # ISO 8601, UTC
    ended_at: str | None
    seconds: float | None
    status: str  # one of STATUSES
    exit_code: int | None
    error: str
    up_to_date: bool
    layers: list[LayerRecord]
    tests: list[TestRecord]
    # A `run` on a lake stack: each bronze/silver table's Iceberg snapshot after it
    # (layer -> table -> snapshot id), for `query --as-of`. Older records have none.
    snapshots: NotRequired[dict[str, dict[str, int]]]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _total(rows: list[int | None]) -> int | None:
    """Rows of a layer's tables together; None when none of them exists (or none was counted)."""
    found = [n for n in rows if n is not None]
    return sum(found) if found else None


def layer_record(report: LayerReport) -> LayerRecord:
    return _layer_record(
        report.layer,
        report.seconds,
        [{"name": d.name, "rows_before": d.rows_before, "rows_after": d.rows_after}
         for d in report.diffs],
        success=report.success,
        skipped=report.skipped,
        nodes=len(report.nodes),
        status_counts=report.status_counts(),
        failures=len(report.failures()),
        error=first_line(report.error),
        table_rows=report.table_rows,
    )  # fmt: skip


def _layer_record(
    layer: str,
    seconds: float,
    models: list[ModelRows],
    *,
    nodes: int,
    success: bool = True,
    skipped: bool = False,
    status_counts: dict[str, int] | None = None,
    failures: int = 0,
    error: str = "",
    table_rows: int | None = None,
) -> LayerRecord:
    """A layer's record: its tables' rows, and their sums (None when nothing was counted)."""
    return {
        "layer": layer,
        "success": success,
        "skipped": skipped,
        "seconds": round(seconds, 3),
        "nodes": nodes,
        "status_counts": status_counts or {},
        "failures": failures,
        "error": error,
        "rows_before": _total([m["rows_before"] for m in models]),
        "rows_after": _total([m["rows_after"] for m in models]),
        "table_rows": table_rows,
        "models": models,
    }


def test_records(reports: list[LayerReport]) -> list[TestRecord]:
    return [
        {
            "layer": report.layer,
            "name": node.name,
            "unique_id": node.unique_id,
            "status": node.status,
            "failures": node.failures,
            "message": node.first_message if node.failed else "",
        }
        for report in reports
        for node in report.nodes
        if node.resource_type == "test"
    ]


def _without_home(args: list[str]) -> list[str]:
    """The command line as recorded: the home is where the record is, so not repeated."""
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip or arg.startswith("--home="):
            skip = False
            continue
        skip = arg == "--home"
        if not skip:
            kept.append(arg)
    return kept


class Recorder:
    """The record of one command: nothing is written until start(), which the command calls
    once it holds the home (a command refused before that leaves no record)."""

    def __init__(self, paths: HomePaths, command: str, stack: str, args: list[str]) -> None:
        self.folder = paths.history
        started = time.time_ns()
        stamp = datetime.fromtimestamp(started / 1e9, UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        self.record: RunRecord = {
            "version": RECORD_VERSION,
            "id": f"{stamp}-{os.getpid()}",
            "command": command,
            "args": _without_home(args),
            "stack": stack,
            "pid": os.getpid(),
            "pid_started": proc.started(os.getpid()),
            "started_at": "",
            "ended_at": None,
            "seconds": None,
            "status": "running",
            "exit_code": None,
            "error": "",
            "up_to_date": False,
            "layers": [],
            "tests": [],
        }
        self.started = 0.0
        self.outcome: tuple[bool, str] = (True, "")

    @property
    def path(self) -> Path:
        return self.folder / f"{self.record['id']}.json"

    def _write(self) -> None:
        write_private(self.path, json.dumps(self.record, indent=1) + "\n")

    def start(self) -> None:
        self.started = time.monotonic()
        self.record["started_at"] = _now()
        self._write()

    def layers(self, reports: list[LayerReport]) -> None:
        self.record["layers"] = [layer_record(r) for r in reports]
        if self.record["command"] == "test":
            self.record["tests"] = test_records(reports)

    def landing(self, before: dict[str, int], after: dict[str, int], seconds: float) -> None:
        """`seed`: the landing zone's tables, as one layer."""
        models: list[ModelRows] = [
            {"name": name, "rows_before": before.get(name), "rows_after": rows}
            for name, rows in sorted(after.items())
        ]
        self.record["layers"] = [
            _layer_record(
                "landing", seconds, models, nodes=len(after), table_rows=sum(after.values())
            )
        ]

    def snapshots(self, found: dict[str, dict[str, int]]) -> None:
        self.record["snapshots"] = found

    def up_to_date(self) -> None:
        self.record["up_to_date"] = True

    def finish(self, ok: bool, error: str = "") -> None:
        """The command's own verdict, when it ends without an exception."""
        self.outcome = (ok, error)

    def end(self, status: str, exit_code: int, error: str) -> None:
        if not self.record["started_at"]:
            return  # never started: nothing to record
        self.record["status"] = status
        self.record["exit_code"] = exit_code
        self.record["error"] = error
        self.record["ended_at"] = _now()
        self.record["seconds"] = round(time.monotonic() - self.started, 3)
        self._write()


@contextmanager
def recording(
    paths: HomePaths,
    command: str,
    stack: str,
    args: list[str],
    terminated: Callable[[], bool] = lambda: False,
) -> Iterator[Recorder]:
    """Record a command from its start() to its end, however it ends. terminated says whether
    an interruption was SIGTERM's (exit 143) rather than Ctrl-C's (130)."""
    recorder = Recorder(paths, command, stack, args)

    def interrupted() -> None:
        code = ExitStatus.TERMINATED if terminated() else ExitStatus.INTERRUPTED
        recorder.end("interrupted", int(code), "terminated (SIGTERM)" if terminated() else "")

    try:
        yield recorder
    except KeyboardInterrupt:
        interrupted()
        raise
    except EcomctlError as exc:
        if exc.status in (ExitStatus.INTERRUPTED, ExitStatus.TERMINATED):
            interrupted()
        else:
            recorder.end("failed", int(exc.status), exc.message)
        raise
    except OSError as exc:  # main() exits 4 on these
        recorder.end("failed", int(ExitStatus.ENVIRONMENT), str(exc))
        raise
    except Exception as exc:
        recorder.end("failed", int(ExitStatus.FAILURE), first_line(str(exc), type(exc).__name__))
        raise
    ok, error = recorder.outcome
    recorder.end(
        "success" if ok else "failed", int(ExitStatus.SUCCESS if ok else ExitStatus.FAILURE), error
    )


def read(paths: HomePaths) -> list[RunRecord]:
    """Every recorded run of the home, oldest first. A "running"
    record whose process is gone was killed: it reads as interrupted."""
    try:
        files = sorted(p for p in paths.history.glob("*.json") if not p.name.startswith("."))
    except OSError:
        return []
    runs: list[RunRecord] = []
    for path in files:
        try:
            loaded: Any = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # not one of ours: records are replaced whole, never half-written
        if not isinstance(loaded, dict) or loaded.get("version") != RECORD_VERSION:
            continue
        record = cast(RunRecord, loaded)
        if record["status"] == "running" and not proc.alive(record["pid"], record["pid_started"]):
            record["status"] = "interrupted"
            record["error"] = "the process ended without recording its outcome (killed)"
        runs.append(record)
    return runs


def latest(runs: list[RunRecord], command: str, built: bool = False) -> RunRecord | None:
    """The newest run of command (with built: the newest that ran at least one layer)."""
    for record in reversed(runs):
        if record["command"] == command and (record["layers"] or not built):
            return record
    return None


def with_snapshots(runs: list[RunRecord], stack: str, last: int) -> list[dict[str, dict[str, int]]]:
    """The snapshots the last runs on stack left (those that recorded any), oldest first."""
    found = [r["snapshots"] for r in runs if r["stack"] == stack and r.get("snapshots")]
    return found[-last:] if last else []


def find(runs: list[RunRecord], ref: str) -> tuple[int, RunRecord]:
    """A run by its number in `history` (1 is the oldest) or its id: (number, record)."""
    if ref.isdigit() and 1 <= int(ref) <= len(runs):
        return int(ref), runs[int(ref) - 1]
    for number, record in enumerate(runs, 1):
        if record["id"] == ref:
            return number, record
    raise EcomctlError(
        f"no run {ref!r} in this home's history ({len(runs)} recorded): give a number or an id"
        f" from `{hints.command('history')}`",
        ExitStatus.USAGE,
    )
