"""The live view of `run` and `test` on a terminal: what is starting, per layer a bar of N of
M nodes, the nodes running with their elapsed time, and each layer's report as soon as the
layer ends (printed above the view, where it stays when the view goes)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group, RenderableType
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from rich.live import Live
    from rich.progress import TaskID

    from ecomctl.transform.pipeline import LayerReport

_SHOWN_RUNNING = 6  # more would push the bars off a small terminal


class RunView:
    def __init__(self, console: Console, show_report: Callable[[LayerReport], None]) -> None:
        from rich.live import Live

        self._show_report = show_report
        self._bars = Progress(
            TextColumn("[bold]{task.description:<7}[/]"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn("nodes"),
            TimeElapsedColumn(),
            console=console,
        )
        self._layer = ""
        self._task: TaskID | None = None
        self._running: dict[str, float] = {}  # unique id -> when it started
        self._layers_done = 0
        self._live: Live = Live(
            get_renderable=self._render, console=console, refresh_per_second=8, transient=True
        )
        self._live.start()

    def _render(self) -> RenderableType:
        parts: list[RenderableType] = [self._bars] if self._bars.tasks else []
        if self._task is None:
            parts.append(f"[dim]{self._waiting_for()} ...[/]")
        now = time.monotonic()
        running = sorted(self._running.items(), key=lambda item: item[1])
        if running:
            table = Table.grid(padding=(0, 2))
            for unique_id, since in running[:_SHOWN_RUNNING]:
                table.add_row(f"  [yellow]running[/] {_short(unique_id)}", f"{now - since:.1f}s")
            if len(running) > _SHOWN_RUNNING:
                table.add_row(f"  [dim]and {len(running) - _SHOWN_RUNNING} more[/]", "")
            parts.append(table)
        return Group(*parts)

    def _waiting_for(self) -> str:
        if not self._layer:
            return "getting the services and landing ready"
        if not self._layers_done:
            return f"{self._layer}: starting dbt (it reads the project)"
        return f"{self._layer}: dbt is choosing its nodes"

    def layer_start(self, layer: str) -> None:
        self._layer, self._task = layer, None

    def progress(self, kind: str, unique_id: str, data: dict[str, Any]) -> None:
        if kind == "start":
            if self._task is None:
                self._task = self._bars.add_task(self._layer, total=int(data.get("total") or 0))
            self._running[unique_id] = time.monotonic()
        elif kind == "finish":
            self._running.pop(unique_id, None)
            if self._task is not None:
                self._bars.advance(self._task)

    def layer_done(self, report: LayerReport) -> None:
        if self._task is not None:
            self._bars.remove_task(self._task)
        self._task, self._layer = None, ""
        self._layers_done += 1
        self._running.clear()
        # The view steps aside (it is transient) while the report goes to stdout, which may
        # be the same terminal: the report stays, the view comes back below it.
        self._live.stop()
        self._show_report(report)
        self._live.start()

    def close(self) -> None:
        self._live.stop()


def _short(unique_id: str) -> str:
    """model.ecom_analytics.fact_orders -> fact_orders; a test's name, without its hash."""
    return unique_id.split(".")[2] if unique_id.count(".") >= 2 else unique_id
