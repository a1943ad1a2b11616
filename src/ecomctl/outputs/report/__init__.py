"""`ecomctl report`: one self-contained HTML file with gold as charts and tables, the last run,
the dbt tests' results and the history of the home's runs.

Self-contained: plotly's JavaScript is inlined once and nothing is fetched, so the file opens
anywhere, offline, and can be mailed or archived as it is. Gold is read through a query
function (a stack's `query` on gold), so this module knows SQL and gold's tables, never a stack.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ecomctl.history import RunRecord
from ecomctl.home import write_private
from ecomctl.outputs.report.gold import GOLD_TABLES, gold_part
from ecomctl.outputs.report.page import render
from ecomctl.outputs.report.parts import Part, Query
from ecomctl.outputs.report.runs import history_part, last_run, tests

__all__ = ["GOLD_TABLES", "report", "write"]


def report(query: Query, runs: list[RunRecord], stack: str, home: Path) -> str:
    """The whole report of a home: gold through query, its runs from the history."""
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        gold_part(query),
        Part("Last run and tests", [last_run(runs), tests(runs)]),
        history_part(runs),
    ]
    return render("ecomctl report", f"{home} · {stack} stack · made {made}", parts)


def write(path: Path, page: str) -> Path:
    """Replace path with the page whole (a reader never sees half of it)."""
    return write_private(path.resolve(), page)
