"""Human output: rich tables and lines, kept apart from the flow of the commands.

Progress goes to stderr so stdout carries only results; rich drops colour off a terminal.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from collections.abc import Callable, Iterable
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from ecomctl.errors import cause, counted

if TYPE_CHECKING:  # types only: `status` should not pay for loading the data modules
    from ecomctl.data.publish import PublishResult
    from ecomctl.data.seeding import SeedResult
    from ecomctl.engines.sql import QueryResult
    from ecomctl.history import RunRecord
    from ecomctl.outputs.live import RunView
    from ecomctl.results import ServiceStatus
    from ecomctl.transform.pipeline import LayerReport
    from ecomctl.transform.project import DbtProject


def _console(stderr: bool, quiet: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    # Off a terminal rich assumes 80 columns and would cut paths in tables; logs are wider.
    width = None if stream.isatty() else 200
    return Console(stderr=stderr, quiet=quiet, width=width, highlight=False, soft_wrap=True)


out = _console(stderr=False)
err = _console(stderr=True)
_quiet = False


def configure(json_mode: bool, quiet: bool) -> None:
    """With --json, human output moves to stderr so stdout holds only the document;
    with --quiet it is dropped, errors aside (see failures())."""
    global out, err, _quiet
    out = _console(stderr=json_mode, quiet=quiet)
    err = _console(stderr=True, quiet=quiet)
    _quiet = quiet


def failures(reports: list[LayerReport]) -> None:
    """With --quiet, each failing model or test still gets its line, on stderr: they are
    the errors that --quiet keeps. (Without it, layer_reports() shows them.)"""
    if not _quiet:
        return
    errors = _console(stderr=True)
    for report in reports:
        for node in report.failures():
            errors.print(
                f"{report.layer}: {node.status.upper()} {node.unique_id}: {node.first_message}",
                markup=False,
                highlight=False,
            )
        if report.error and not report.failures():
            errors.print(f"{report.layer}: {report.error.splitlines()[0]}", markup=False)


_MARK = {"success": "[green]ok[/]", "pass": "[green]pass[/]", "error": "[red]ERROR[/]",
         "fail": "[red]FAIL[/]", "warn": "[yellow]warn[/]", "skipped": "[dim]skip[/]"}  # fmt: skip


def progress(kind: str, unique_id: str, data: dict[str, Any]) -> None:
    if kind == "finish":
        status = str(data.get("status", ""))
        mark = _MARK.get(status, status)
        err.print(f"  {mark:>5}  {unique_id}  [dim]{float(data.get('seconds', 0.0)):.2f}s[/]")


def layer_start(layer: str) -> None:
    err.print(f"[bold]{layer}[/]")


def layer_reports(reports: list[LayerReport]) -> None:
    for report in reports:
        layer_report(report)


def layer_report(report: LayerReport) -> None:
    title = f"{report.layer}: dbt {report.command} on profile {report.profile}"
    if report.skipped:
        out.print(f"\n[bold]{title}[/]: skipped (an earlier layer failed)")
        return
    counts = ", ".join(f"{k} {v}" for k, v in sorted(report.status_counts().items()))
    out.print(
        f"\n[bold]{title}[/] ({report.adapter or '?'}): {counts or 'nothing selected'}"
        f" in {report.seconds:.1f}s"
    )
    if report.error:
        out.print(f"  [red]error:[/] {cause(report.error)}")
    if report.nodes:
        slow = " · ".join(f"{_short_name(n.name)} {n.seconds:.2f}s" for n in report.slowest())
        out.print(f"  slowest: {slow}")
    for node in report.failures():
        out.print(f"  [red]{node.status.upper()}[/] {node.unique_id}: {node.first_message}")
        if node.compiled_path:
            out.print(f"    compiled SQL: {node.compiled_path}")
    if report.diffs:
        table = Table("model", box=None, pad_edge=False)
        for heading in ("before", "after", "change", "%"):
            table.add_column(heading, justify="right")
        for d in report.diffs:
            table.add_row(d.name, *d.cells())
        out.print(table)


def _short_name(name: str) -> str:
    """A test's name up to its arguments (dbt joins them with "__": accepted_values_orders_
    order_status__delivered__shipped__...), which say little and fill the line."""
    return name.split("__", 1)[0]


class RunWatch:
    """How `run` and `test` show their way: plain lines (off a terminal, with --json, -q or
    NO_COLOR: the layer reports come at the end), or the live view, which shows each
    layer's report as the layer ends."""

    def __init__(self) -> None:
        self.shown: set[str] = set()  # layers whose report is on the screen already
        self._view: RunView | None = None
        if err.is_terminal and not err.is_dumb_terminal and not _quiet and not _plain():
            from ecomctl.outputs.live import RunView

            self._view = RunView(err, self._show)

    def _show(self, report: LayerReport) -> None:
        layer_report(report)
        self.shown.add(report.layer)

    def layer_start(self, layer: str) -> None:
        if self._view is None:
            layer_start(layer)
        else:
            self._view.layer_start(layer)

    def progress(self, kind: str, unique_id: str, data: dict[str, Any]) -> None:
        if self._view is None:
            progress(kind, unique_id, data)
        else:
            self._view.progress(kind, unique_id, data)

    @property
    def layer_done(self) -> Callable[[LayerReport], None] | None:
        """What shows a layer as it ends; None off the live view, where the reports come at
        the end (so the run need not stop after each layer)."""
        return None if self._view is None else self._view.layer_done

    def close(self) -> None:
        if self._view is not None:
            self._view.close()
            self._view = None


def _plain() -> bool:
    import os

    # --json moves human output to stderr: one stream, and lines a log can keep.
    return "NO_COLOR" in os.environ or out.stderr


def run_watch() -> closing[RunWatch]:
    return closing(RunWatch())


_RUN_COLOUR = {"success": "green", "failed": "red", "interrupted": "yellow", "running": "cyan"}


def runs(records: list[RunRecord]) -> None:
    """`history`: a run a line; per layer its time, nodes (failed ones) and rows after."""
    if not records:
        out.print("no run recorded in this home yet")
        return
    table = Table(
        "started (UTC)",
        "command",
        "stack",
        "status",
        "exit",
        "seconds",
        "layers",
        box=None,
        pad_edge=False,
    )
    for r in records:
        layers = ", ".join(
            f"{x['layer']} {x['seconds']:.1f}s {x['nodes']}"
            + (" tables" if x["layer"] == "landing" else " nodes")
            + (f" ({x['failures']} failed)" if x["failures"] else "")
            + ("" if x["rows_after"] is None else f" {x['rows_after']:,} rows")
            for x in r["layers"]
        )
        status = r["status"] + (" (up to date)" if r["up_to_date"] else "")
        table.add_row(
            r["started_at"][:19].replace("T", " "),
            " ".join(r["args"]) or r["command"],
            r["stack"],
            f"[{_RUN_COLOUR.get(r['status'], 'default')}]{status}[/]",
            "" if r["exit_code"] is None else str(r["exit_code"]),
            "" if r["seconds"] is None else f"{r['seconds']:.1f}",
            layers,
        )
    out.print(table)


def services(rows: list[ServiceStatus]) -> None:
    table = Table("service", "state", "endpoint", "version", box=None)
    table.add_column("uptime", justify="right")
    table.add_column("detail")
    for s in rows:
        colour = "yellow" if s.state == "empty" else "green" if s.healthy else "red"
        uptime = "" if s.uptime_seconds is None else f"{s.uptime_seconds:.0f}s"
        table.add_row(s.name, f"[{colour}]{s.state}[/]", s.endpoint, s.version, uptime, s.detail)
    _print_whole(table)


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

    def __init__(self) -> None:
        self._live: Any = None
        self._seen: dict[str, str] = {}
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}

    def notice(self, text: str) -> None:
        err.print(text, markup=False, highlight=False)

    def building(self, what: list[str], log: Path) -> None:
        image_build(what, log)

    def services(self, rows: list[ServiceStatus], elapsed: float) -> None:
        if err.is_terminal and not err.quiet:
            from rich.live import Live

            if self._live is None:
                self._live = Live(console=err, refresh_per_second=4, transient=False)
                self._live.start()
            self._live.update(_waiting_table(rows, elapsed))
            return
        for s in rows:
            if self._seen.get(s.name) != s.state:
                self._seen[s.name] = s.state
                err.print(f"  {elapsed:5.0f}s  {s.name:<20} {s.state}  {s.detail}", markup=False)

    def transfer(self, name: str, done: int, total: int | None) -> None:
        """A download: a progress bar with sizes on a terminal, else a line as it starts
        and one as it ends."""
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
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=err,
            )
            self._progress.start()
        if name not in self._tasks:
            self._tasks[name] = self._progress.add_task(name, total=total)
        self._progress.update(self._tasks[name], completed=done, total=total)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def events() -> closing[ConsoleEvents]:
    return closing(ConsoleEvents())


def image_build(images: list[str], log: Path) -> None:
    err.print(f"building {', '.join(images)} (first time only; log: {log}) ...", markup=False)


def query_result(result: QueryResult, fmt: str) -> None:
    if fmt == "json":
        from ecomctl.outputs import json_docs

        rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
        print(json_docs.dumps(rows, indent=2))
    elif fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows(result.rows)
    else:
        table = Table(box=None)
        for index, name in enumerate(result.columns):
            numbers = _all_numbers(row[index] for row in result.rows)
            table.add_column(name, justify="right" if numbers else "left")
        for row in result.rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        _print_whole(table)


def _all_numbers(values: Iterable[Any]) -> bool:
    from decimal import Decimal

    seen = [v for v in values if v is not None]
    return bool(seen) and all(
        isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in seen
    )


def _print_whole(table: Table) -> None:
    """At the table's own width, even past the terminal's, so no value is cut to "…": the
    terminal wraps a long line, and a value stays whole to copy."""
    needed = out.measure(table, options=out.options.update_width(100_000)).maximum
    width = out.width
    out.width = max(needed, width)  # print() itself never goes past the console's width
    try:
        out.print(table, crop=False)
    finally:
        out.width = width


def published(result: PublishResult) -> None:
    out.print(
        f"lake: {result.total_rows:,} rows as Parquet under"
        f" {result.location}<table>/batch={result.batch}/ ({result.seconds:.1f} s),"
        f" tables {result.catalog}.landing.<table> via Trino at {result.trino_url}"
    )


def seeded(result: SeedResult, warehouse: Path) -> None:
    made = " (generated now)" if result.generated else ""
    out.print(f"files: {result.source}{made}")
    if result.batch is None:
        out.print(f"landing: {result.total_rows:,} rows in {len(result.rows)} tables ({warehouse})")
        for table, rows in result.rows.items():
            out.print(f"  {table:<22} {rows:>10,}")
    else:
        _appended(result, warehouse)
    if result.rejected:
        by_file = ", ".join(f"{f}: {n}" for f, n in result.rejects_by_file.items())
        err.print(
            f"[yellow]{counted(result.rejected, 'bad row')} set aside in landing._rejects"
            f" ({by_file})[/]"
        )


def initialised(given: Path, files: int) -> None:
    out.print(
        f"made {given.expanduser().resolve()}: the dbt project ecomctl runs ({files} files)",
        markup=False,
        highlight=False,
    )
    shown = shlex.quote(str(given))
    out.print(
        f"next: edit its models, then `ecomctl run --project-dir {shown}` (or set"
        f" ECOMCTL_DBT_PROJECT={shown}, or dbt_project = {json.dumps(str(given))} in ecomctl.toml)",
        markup=False,
        highlight=False,
    )


def dbt_project(used: DbtProject) -> None:
    out.print(f"dbt project: {used.describe()}", markup=False, highlight=False)


def _appended(result: SeedResult, warehouse: Path) -> None:
    """An increment: what this load added, then where landing stands."""
    out.print(
        f"increment {result.batch}: {result.new_orders:,} new orders,"
        f" {result.updated_orders:,} earlier orders updated (shipped -> delivered, late);"
        f" {result.total_loaded:,} rows appended"
    )
    out.print(f"  {'table':<22} {'appended':>10} {'in landing':>12}")
    for table, rows in result.loaded.items():
        out.print(f"  {table:<22} {rows:>10,} {result.rows[table]:>12,}")
    out.print(f"landing: {warehouse}")


def service_failure_logs(service: str, logs: str) -> None:
    err.print(f"last log lines of {service}:", markup=False)
    err.print(logs.rstrip(), markup=False, highlight=False)
