"""What shows while a command works, on stderr: the stack's events (notices, services while
`up` waits, downloads) and dbt's progress during `run` and `test`."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from ecomctl.outputs.console import Screen

if TYPE_CHECKING:
    from ecomctl.outputs.live import RunView
    from ecomctl.results import ServiceStatus
    from ecomctl.transform.pipeline import LayerReport

_MARK = {"success": "[green]ok[/]", "pass": "[green]pass[/]", "error": "[red]ERROR[/]",
         "fail": "[red]FAIL[/]", "warn": "[yellow]warn[/]", "skipped": "[dim]skip[/]"}  # fmt: skip


class RunWatch:
    """How `run` and `test` show their way: plain lines (off a terminal, with --json, -q or
    NO_COLOR: the layer reports come at the end), or the live view, which shows each
    layer's report as the layer ends."""

    def __init__(self, screen: Screen) -> None:
        self.screen = screen
        self.shown: set[str] = set()  # layers whose report is on the screen already
        self._view: RunView | None = None
        err = screen.err
        if err.is_terminal and not err.is_dumb_terminal and not screen.quiet and not _plain(screen):
            from ecomctl.outputs.live import RunView

            self._view = RunView(err, self._show)

    def _show(self, report: LayerReport) -> None:
        self.screen.layer_report(report)
        self.shown.add(report.layer)

    def layer_start(self, layer: str) -> None:
        if self._view is None:
            self.screen.err.print(f"[bold]{layer}[/]")
        else:
            self._view.layer_start(layer)

    def progress(self, kind: str, unique_id: str, data: dict[str, Any]) -> None:
        if self._view is not None:
            self._view.progress(kind, unique_id, data)
        elif kind == "finish":
            status = str(data.get("status", ""))
            mark = _MARK.get(status, status)
            seconds = float(data.get("seconds", 0.0))
            self.screen.err.print(f"  {mark:>5}  {unique_id}  [dim]{seconds:.2f}s[/]")

    @property
    def layer_done(self) -> Callable[[LayerReport], None] | None:
        """What shows a layer as it ends; None off the live view, where the reports come at
        the end (so the run need not stop after each layer)."""
        return None if self._view is None else self._view.layer_done

    def close(self) -> None:
        if self._view is not None:
            self._view.close()
            self._view = None


def _plain(screen: Screen) -> bool:
    # --json moves human output to stderr: one stream, and lines a log can keep.
    return "NO_COLOR" in os.environ or screen.out.stderr


def run_watch(screen: Screen) -> closing[RunWatch]:
    return closing(RunWatch(screen))


def _waiting_table(rows: list[ServiceStatus], elapsed: float) -> Table:
    t = Table("service", "state", "health", "elapsed", box=None, title=f"waiting {elapsed:.0f}s")
    for s in rows:
        bad = s.state in ("unhealthy", "exited")
        colour = "green" if s.healthy else ("red" if bad else "yellow")
        t.add_row(s.name, f"[{colour}]{s.state}[/]", s.detail, f"{elapsed:.0f}s")
    return t


class ConsoleEvents:
    """What a stack reports while it works, on stderr: notices as lines, and services while
    `up` waits as a live table on a terminal, else a line per change of state."""

    def __init__(self, screen: Screen) -> None:
        self.err = screen.err
        self._live: Any = None
        self._table: Table | None = None  # the services as last shown while waiting
        self._seen: dict[str, str] = {}
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}

    def notice(self, text: str) -> None:
        self.err.print(text, markup=False, highlight=False)

    def building(self, what: list[str], log: Path) -> None:
        self.err.print(
            f"building {', '.join(what)} (first time only; log: {log}) ...", markup=False
        )

    def services(self, rows: list[ServiceStatus], elapsed: float) -> None:
        err = self.err
        if err.is_terminal and not err.quiet:
            from rich.live import Live

            # Transient, and gone once every service is healthy: what follows (`up`'s own
            # table, the run's progress) does not sit under a stale "waiting" table.
            if self._live is None:
                self._live = Live(console=err, refresh_per_second=4, transient=True)
                self._live.start()
            self._table = _waiting_table(rows, elapsed)
            self._live.update(self._table, refresh=True)
            if all(s.healthy for s in rows):
                self._live.stop()
                self._live = self._table = None
            return
        for s in rows:
            if self._seen.get(s.name) != s.state:
                self._seen[s.name] = s.state
                err.print(f"  {elapsed:5.0f}s  {s.name:<20} {s.state}  {s.detail}", markup=False)

    def transfer(self, name: str, done: int, total: int | None) -> None:
        """A download: a progress bar with sizes on a terminal, else a line as it starts
        and one as it ends."""
        err = self.err
        if not (err.is_terminal and not err.quiet):
            size = f" ({total / 1e6:,.1f} MB)" if total else ""
            if name not in self._tasks:
                self._tasks[name] = time.monotonic()
                err.print(f"downloading {name}{size} ...", markup=False)
            elif total is not None and done >= total:
                took = time.monotonic() - self._tasks[name]
                err.print(f"downloaded {name}{size} in {took:.1f} s", markup=False)
            return
        if self._progress is None:
            self._progress = _download_bars(err)
            self._progress.start()
        if name not in self._tasks:
            self._tasks[name] = self._progress.add_task(name, total=total)
        self._progress.update(self._tasks[name], completed=done, total=total)

    def close(self) -> None:
        if self._live is not None:  # the wait did not end well: its last states stay
            self._live.stop()
            self._live = None
            self.err.print(self._table)
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def _download_bars(err: Console) -> Any:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
    )


def stack_events(screen: Screen) -> closing[ConsoleEvents]:
    return closing(ConsoleEvents(screen))
