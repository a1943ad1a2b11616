"""The fault suite's log: each test injects one fault and records whether ecomctl survived it and
how many stored rows were lost; the table of all faults is printed at the end of the run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from ecomctl.settings import load_settings
from ecomctl.stacks.embedded import EmbeddedStack


@dataclass
class Fault:
    name: str
    survived: bool
    rows_lost: int
    note: str = ""


RESULTS: list[Fault] = []


class FaultLog:
    def record(
        self, name: str, survived: bool | Mapping[str, bool], rows_lost: int = 0, note: str = ""
    ) -> None:
        """Add the fault to the table, then fail the test unless it was survived. survived is
        one condition, or several by name ({"exit 3": code == 3, ...}): it was survived when
        every one held, and a failure names those that did not."""
        conditions = survived if isinstance(survived, Mapping) else {"survived": survived}
        broken = [what for what, held in conditions.items() if not held]
        RESULTS.append(Fault(name, not broken, rows_lost, note))
        assert not broken, f"{name}: did not hold: {'; '.join(broken)} ({note})"
        assert rows_lost == 0, f"{name}: {rows_lost} rows lost"


def counts(home: object) -> dict[str, int]:
    """Rows in every table of every layer, keyed layer.table."""
    stack = EmbeddedStack(load_settings(home=home))
    out: dict[str, int] = {}
    for layer in ("landing", "bronze", "silver", "gold"):
        for table, n in stack.row_counts(layer).items():
            out[f"{layer}.{table}"] = n
    return out


def landing_checksums(home: Path) -> dict[str, tuple[int, int]]:
    """(rows, checksum of every row's values) per landing table: tells two loads of the same
    size apart. The load's own stamps (_loaded_at, and the _generation and _rejects tables) are
    left out: they differ on every load."""
    import duckdb

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        tables = [
            str(name)
            for (name,) in con.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'landing' order by 1"
            ).fetchall()
            if not str(name).startswith("_")
        ]
        sums: dict[str, tuple[int, int]] = {}
        for table in tables:
            row = con.execute(
                "select count(*), coalesce(sum(hash(*columns(* exclude (_loaded_at))))::hugeint, 0)"
                f" from landing.{table}"
            ).fetchone()
            assert row is not None
            sums[table] = (int(row[0]), int(row[1]))
        return sums


def rows_lost(before: dict[str, int], after: dict[str, int]) -> int:
    """Rows present before and missing after, table by table (a vanished table counts whole)."""
    return sum(max(0, n - after.get(table, 0)) for table, n in before.items())


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
