"""Where a dbt invocation's time goes, read from the timestamps of dbt.log's info lines.

Each invocation's lines run from "Running with dbt=" to "Done."; the phases between its
landmarks are:
  start-up   Running with dbt -> Registered adapter (flags, project and profile, adapter)
  parse      Registered adapter -> Found N models (manifest: partial or full parse)
  prepare    Found -> first node START (selection, connection, relation cache, schemas)
  nodes      first START -> Finished running (the SQL: models, seeds)
  wrap-up    Finished running -> Done. (run results, manifest and catalog files written)
What happens before an invocation's first line (process start, Python imports) is not in
the log: the caller tells it from the wall-clock time its command started. An invocation with
no "Concurrency" line is a `dbt parse` (ecomctl parses once for all its layers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

# Info lines only: debug lines (a file log's default level) repeat the landmarks per node.
_LINE = re.compile(r"^(?:\x1b\[[0-9;]*m)*(\d{2}:\d{2}:\d{2}\.\d+) \[info \] \[[^\]]*\]: (.*)$")
_ESCAPES = re.compile(r"\x1b\[[0-9;]*m")
_NODE_DONE = re.compile(r"^\d+ of \d+ (?:OK|ERROR|PASS|FAIL|WARN|SKIP)\S* .*? (\S+)\s\.+\s")
_NODE_SECONDS = re.compile(r" in (\d+(?:\.\d+)?)s\]$")

# The landmark lines of an invocation (first occurrence), and the phases between them.
MARKS = {
    "running": re.compile(r"^Running with dbt="),
    "adapter": re.compile(r"^Registered adapter"),
    "found": re.compile(r"^Found \d+ "),
    "concurrency": re.compile(r"^Concurrency: "),
    "start": re.compile(r"^\d+ of \d+ START "),
    "finished": re.compile(r"^Finished running"),
    "done": re.compile(r"^Done\."),
    # Where `dbt parse` ends (it finds no nodes to run and says nothing more).
    "performance": re.compile(r"^Performance info: "),
}
# A landmark that may be missing, and the one that stands for it then.
_FALLBACK = {"found": "performance"}
LANDMARKS = (
    ("start-up", "running", "adapter"),
    ("parse", "adapter", "found"),
    ("prepare", "found", "start"),
    ("nodes", "start", "finished"),
    ("wrap-up", "finished", "done"),
)
PHASES = tuple(name for name, _, _ in LANDMARKS)


@dataclass
class Invocation:
    marks: dict[str, datetime] = field(default_factory=dict)  # first time of each landmark
    first: datetime | None = None  # time of its first and last lines
    last: datetime | None = None
    node_seconds: dict[str, float] = field(default_factory=dict)  # relation -> seconds

    def phases(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, start, stop in LANDMARKS:
            begin = self.marks.get(start)
            finish = self.marks.get(stop) or self.marks.get(_FALLBACK.get(stop, ""))
            if begin is not None and finish is not None:
                out[name] = (finish - begin).total_seconds()
        return out

    @property
    def is_parse(self) -> bool:
        """A `dbt parse`: no nodes to run, so no concurrency line."""
        return "concurrency" not in self.marks

    @property
    def logged_seconds(self) -> float:
        begin, end = self.marks.get("running"), self.marks.get("done")
        if begin is None or end is None:
            return 0.0
        return (end - begin).total_seconds()


def parse(text: str, day: date | None = None) -> list[Invocation]:
    """The invocations logged in text (a tail of dbt.log), in order; the log's times of day
    are taken to fall on `day` (the day the logging started) or after."""
    invocations: list[Invocation] = []
    day = datetime.combine(day or date(2000, 1, 1), datetime.min.time())
    last: datetime | None = None
    for raw in text.splitlines():
        match = _LINE.match(raw)
        if not match:
            continue
        when = datetime.combine(day, datetime.strptime(match.group(1), "%H:%M:%S.%f").time())
        if last is not None and when < last - timedelta(hours=12):
            # The log has times of day only: a run across midnight goes on the next day.
            day += timedelta(days=1)
            when += timedelta(days=1)
        last = when
        message = _ESCAPES.sub("", match.group(2))
        if MARKS["running"].match(message):
            invocations.append(Invocation())
        if not invocations:
            continue
        current = invocations[-1]
        current.first = current.first or when
        current.last = when
        for name, pattern in MARKS.items():
            if pattern.match(message):
                current.marks.setdefault(name, when)
        node = _NODE_DONE.match(message)
        seconds = _NODE_SECONDS.search(message)
        if node and seconds:
            current.node_seconds[node.group(1)] = float(seconds.group(1))
    return invocations


def read_from(path: Path, offset: int) -> str:
    """What was appended to the log at path after byte offset."""
    if not path.exists():
        return ""
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read().decode("utf-8", "replace")


def size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0
