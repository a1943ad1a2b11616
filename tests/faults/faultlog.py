"""The fault suite's log: each test injects one fault and records whether ecomctl survived it and
how many stored rows were lost; the table of all faults is printed at the end of the run."""

from __future__ import annotations

from dataclasses import dataclass

from ecomctl.settings import load_settings
from ecomctl.stack import EmbeddedStack


@dataclass
class Fault:
    name: str
    survived: bool
    rows_lost: int
    note: str = ""


RESULTS: list[Fault] = []


class FaultLog:
    def record(self, name: str, survived: bool, rows_lost: int = 0, note: str = "") -> None:
        RESULTS.append(Fault(name, survived, rows_lost, note))
        assert survived, f"{name}: {note}"
        assert rows_lost == 0, f"{name}: {rows_lost} rows lost"


def counts(home: object) -> dict[str, int]:
    """Rows in every table of every layer, keyed layer.table."""
    stack = EmbeddedStack(load_settings(home=home))
    out: dict[str, int] = {}
    for layer in ("landing", "bronze", "silver", "gold"):
        for table, n in stack.row_counts(layer).items():
            out[f"{layer}.{table}"] = n
    return out


def rows_lost(before: dict[str, int], after: dict[str, int]) -> int:
    """Rows present before and missing after, table by table (a vanished table counts whole)."""
    return sum(max(0, n - after.get(table, 0)) for table, n in before.items())
