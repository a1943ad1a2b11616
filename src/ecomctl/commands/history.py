"""`history` and `report`: what the home's runs did, as a list and as one HTML page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecomctl import hints
from ecomctl.commands import settings
from ecomctl.errors import EcomctlError
from ecomctl.stacks.base import Stack

if TYPE_CHECKING:
    from ecomctl.history import RunRecord


@dataclass(frozen=True)
class Runs:
    home: Path
    runs: list[RunRecord]
    numbers: list[int]  # each run's number in the home's history (1: the oldest), for --as-of


def runs(last: int, of_stack: str | None, found_home: Callable[[Path], None], **flags: Any) -> Runs:
    """The home's last runs, oldest first (0: every one); of one stack when of_stack."""
    from ecomctl import history

    found_settings = settings(found_home, **flags)
    numbered = [
        (number, record)
        for number, record in enumerate(history.read(found_settings.paths), 1)
        if not of_stack or record["stack"] == of_stack
    ]
    shown = numbered[-last:] if last else numbered
    return Runs(found_settings.paths.root, [r for _, r in shown], [n for n, _ in shown])


def report(stack: Stack, output: Path | None) -> Path:
    """Write the home's HTML report (gold, the last run, the history); returns its path."""
    from ecomctl import history
    from ecomctl.outputs import report as page

    _check_gold_built(stack, page.GOLD_TABLES)
    html = page.report(
        lambda sql: stack.query("gold", sql),
        history.read(stack.paths),
        stack.name,
        stack.paths.root,
    )
    return page.write(output or stack.paths.report, html)


def _check_gold_built(stack: Stack, tables: tuple[str, ...]) -> None:
    built = stack.row_counts("gold")
    missing = [t for t in tables if t not in built]
    if not missing:
        return
    if stack.paths.root.is_dir() and stack.row_counts("silver"):
        # Built as far as silver: gold may be there behind a server that is down, which says so.
        stack.query("gold", "select 1")
    raise EcomctlError(
        f"gold is not built yet (no table {missing[0]}): run `{hints.command('run')}` first, then the report"
    )
