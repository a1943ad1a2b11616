"""The fault suite: prints the table of every fault injected at the end of the run."""

from __future__ import annotations

import pytest
from support.faultlog import RESULTS, FaultLog


@pytest.fixture
def faults() -> FaultLog:
    return FaultLog()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    tr = terminalreporter
    tr.section("fault suite")
    width = max(len(f.name) for f in RESULTS)
    tr.write_line(f"{'fault injected':<{width}}  survived  rows lost  note")
    for f in RESULTS:
        survived = "yes" if f.survived else "NO"
        tr.write_line(f"{f.name:<{width}}  {survived:<8}  {f.rows_lost:>9}  {f.note}")
    survived_count = sum(f.survived for f in RESULTS)
    lost = sum(f.rows_lost for f in RESULTS)
    tr.write_line(f"{survived_count} of {len(RESULTS)} faults survived, {lost} rows lost")
