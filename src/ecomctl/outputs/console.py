"""Human output: rich tables and lines, kept apart from the flow of the commands.

Progress goes to stderr so stdout carries only results; rich drops colour off a terminal.
What shows while a command works (the stack's events, dbt's progress) is in watch.py.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from ecomctl import hints
from ecomctl.errors import cause, counted

if TYPE_CHECKING:  # types only: `status` should not pay for loading the data modules
    from ecomctl.data.publish import PublishResult
    from ecomctl.data.seeding import SeedResult
    from ecomctl.engines.iceberg import LayerSize
    from ecomctl.engines.sql import QueryResult
    from ecomctl.history import RunRecord
    from ecomctl.results import ServiceStatus
    from ecomctl.transform.pipeline import LayerReport, ModelDiff
    from ecomctl.transform.project import DbtProject


def _console(stderr: bool, quiet: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    # Off a terminal rich assumes 80 columns and would cut paths in tables; logs are wider.
    width = None if stream.isatty() else 200
    return Console(stderr=stderr, quiet=quiet, width=width, highlight=False, soft_wrap=True)


class Screen:
    """Where one command's human output goes, as --json and --quiet say: made once per command
    (cli/context.py) and handed to whatever renders."""

    def __init__(self, json_mode: bool = False, quiet: bool = False) -> None:
        # With --json, human output moves to stderr so stdout holds only the document; with
        # --quiet it is dropped, errors aside (see failures()).
        self.out = _console(stderr=json_mode, quiet=quiet)
        self.err = _console(stderr=True, quiet=quiet)
        self.quiet = quiet

    def failures(self, reports: list[LayerReport]) -> None:
        """With --quiet, each failing model or test still gets its line, on stderr: they are
        the errors that --quiet keeps. (Without it, layer_reports() shows them.)"""
        if not self.quiet:
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

    def layer_reports(self, reports: list[LayerReport]) -> None:
        for report in reports:
            self.layer_report(report)

    def layer_report(self, report: LayerReport) -> None:
        out = self.out
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

    def up_to_date(self, built_at: str | None) -> None:
        """built_at: when the run compared with finished (ISO 8601), said in local time."""
        from datetime import datetime

        when = "an earlier run"
        if built_at:
            local = datetime.fromisoformat(built_at).astimezone()
            when = f"the run of {local:%Y-%m-%d %H:%M:%S}"
        self.out.print(
            "everything is up to date: landing, the dbt project and the engines are as"
            f" {when} left them; `{hints.command('run --force')}` builds every model again"
        )

    def gold_hint(self, url: str | None, password_hint: str) -> None:
        """After a run that built gold: where it is, and two ways to look at it."""
        self.out.print(f"\ngold tables: {url} (schema gold)")
        look = hints.command("query 'select * from sales_values_by_category limit 10'")
        self.out.print(f"  look: {look}")
        self.out.print(f"  psql: PGPASSWORD={password_hint} psql {url} -c '\\dt gold.*'")

    def dropped(self, dropped: list[ModelDiff], fail_on_drop: float) -> None:
        for d in dropped:
            self.err.print(
                f"[red]row count of {d.name} fell by {-(d.percent or 0):.1f}%"
                f" ({d.rows_before:,} -> {d.rows_after:,}), more than --fail-on-drop {fail_on_drop}%[/]"
            )

    def runs(self, records: list[RunRecord], numbers: list[int], snapshots: bool) -> None:
        """`history`: a run a line, with its number (what `query --as-of` takes); per layer
        its time, nodes (failed ones) and rows after; with snapshots, each run's lake
        snapshot per table."""
        if not records:
            self.out.print("no run recorded in this home yet")
            return
        table = Table(
            "#", "started (UTC)", "command", "stack", "status", "exit", "seconds", "layers",
            box=None, pad_edge=False,
        )  # fmt: skip
        for number, r in zip(numbers, records, strict=True):
            status = r["status"] + (" (up to date)" if r["up_to_date"] else "")
            table.add_row(
                str(number),
                r["started_at"][:19].replace("T", " "),
                " ".join(r["args"]) or r["command"],
                r["stack"],
                f"[{_RUN_COLOUR.get(r['status'], 'default')}]{status}[/]",
                "" if r["exit_code"] is None else str(r["exit_code"]),
                "" if r["seconds"] is None else f"{r['seconds']:.1f}",
                _run_layers(r),
            )
        self.out.print(table)
        if snapshots:
            ids = Table("#", "table", "snapshot", box=None, pad_edge=False)
            for number, r in zip(numbers, records, strict=True):
                for layer, tables in r.get("snapshots", {}).items():
                    for name, snapshot in sorted(tables.items()):
                        ids.add_row(str(number), f"{layer}.{name}", str(snapshot))
            self.out.print(ids if ids.row_count else "no run recorded lake snapshots")

    def lake(self, sizes: list[LayerSize]) -> None:
        """`lake`: each layer's tables, snapshots, and files and bytes on S3."""
        table = Table("layer", "tables", "snapshots", "files", "bytes", box=None)
        for s in sizes:
            table.add_row(s.layer, str(s.tables), str(s.snapshots), f"{s.files:,}", f"{s.bytes:,}")
        self._print_whole(table)

    def services(self, rows: list[ServiceStatus]) -> None:
        table = Table("service", "state", "endpoint", "version", box=None)
        table.add_column("uptime", justify="right")
        table.add_column("detail")
        for s in rows:
            colour = "yellow" if s.state == "empty" else "green" if s.healthy else "red"
            uptime = "" if s.uptime_seconds is None else f"{s.uptime_seconds:.0f}s"
            table.add_row(
                s.name, f"[{colour}]{s.state}[/]", s.endpoint, s.version, uptime, s.detail
            )
        self._print_whole(table)
        # A table of its own: the texts are long, and beside the others they wrapped both.
        guarded = Table("service", "protection", box=None)
        for s in rows:
            if s.protection:
                guarded.add_row(s.name, s.protection)
        if guarded.row_count:
            self.out.print()
            self._print_whole(guarded)

    def tables(self, found: dict[str, list[str]]) -> None:
        """`tables`: a table a line with its layer, so the output greps; an empty layer says so."""
        table = Table("layer", "table", box=None, pad_edge=False)
        for layer, names in found.items():
            for name in names or ["[dim](none yet)[/]"]:
                table.add_row(layer, name)
        self._print_whole(table)

    def query_result(self, result: QueryResult, fmt: str) -> None:
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
            self._print_whole(table)

    def _print_whole(self, table: Table) -> None:
        """At the table's own width, even past the terminal's, so no value is cut to "…": the
        terminal wraps a long line, and a value stays whole to copy."""
        out = self.out
        needed = out.measure(table, options=out.options.update_width(100_000)).maximum
        width = out.width
        out.width = max(needed, width)  # print() itself never goes past the console's width
        try:
            out.print(table, crop=False)
        finally:
            out.width = width

    def published(self, result: PublishResult) -> None:
        self.out.print(
            f"lake: {result.total_rows:,} rows as Parquet under"
            f" {result.location}<table>/batch={result.batch}/ ({result.seconds:.1f} s),"
            f" tables {result.catalog}.landing.<table> via Trino at {result.trino_url}"
        )

    def seeded(self, result: SeedResult, warehouse: Path) -> None:
        out = self.out
        made = " (generated now)" if result.generated else ""
        out.print(f"files: {result.source}{made}")
        if not result.appended:
            out.print(
                f"landing: {counted(result.total_rows, 'row')} in"
                f" {counted(len(result.rows), 'table')} ({warehouse})"
            )
            for table, rows in result.rows.items():
                out.print(f"  {table:<22} {rows:>10,}")
        else:
            self._appended(result, warehouse)
        if result.rejected:
            by_file = ", ".join(f"{f}: {n}" for f, n in result.rejects_by_file.items())
            self.err.print(
                f"[yellow]{counted(result.rejected, 'bad row')} set aside in landing._rejects"
                f" ({by_file})[/]"
            )

    def _appended(self, result: SeedResult, warehouse: Path) -> None:
        """An increment: what this load added, then where landing stands."""
        out = self.out
        what = f"increment {result.batch}" if result.batch is not None else "your files"
        out.print(
            f"{what}: {result.new_orders:,} new orders,"
            f" {result.updated_orders:,} earlier orders updated"
            f"{' (shipped -> delivered, late)' if result.generated else ''};"
            f" {result.total_loaded:,} rows appended"
        )
        out.print(f"  {'table':<22} {'appended':>10} {'in landing':>12}")
        for table, rows in result.loaded.items():
            out.print(f"  {table:<22} {rows:>10,} {result.rows[table]:>12,}")
        out.print(f"landing: {warehouse}")

    def initialised(self, given: Path, files: int) -> None:
        self.out.print(
            f"made {given.expanduser().resolve()}: the dbt project ecomctl runs ({counted(files, 'file')})",
            markup=False,
            highlight=False,
        )
        shown = shlex.quote(str(given))
        self.out.print(
            f"next: edit its models, then `{hints.command(f'run --project-dir {shown}')}` (or set"
            f" ECOMCTL_DBT_PROJECT={shown}, or dbt_project = {json.dumps(str(given))} in"
            " ecomctl.toml)",
            markup=False,
            highlight=False,
        )

    def dbt_project(self, used: DbtProject) -> None:
        self.out.print(f"dbt project: {used.describe()}", markup=False, highlight=False)

    def service_failure_logs(self, service: str, logs: str) -> None:
        self.err.print(f"last log lines of {service}:", markup=False)
        self.err.print(logs.rstrip(), markup=False, highlight=False)


def _short_name(name: str) -> str:
    """A test's name up to its arguments (dbt joins them with "__": accepted_values_orders_
    order_status__delivered__shipped__...), which say little and fill the line."""
    return name.split("__", 1)[0]


_RUN_COLOUR = {"success": "green", "failed": "red", "interrupted": "yellow", "running": "cyan"}


def _run_layers(r: RunRecord) -> str:
    return ", ".join(
        f"{x['layer']} {x['seconds']:.1f}s"
        + f" {counted(x['nodes'], 'table' if x['layer'] == 'landing' else 'node')}"
        + (f" ({x['failures']} failed)" if x["failures"] else "")
        + ("" if x["rows_after"] is None else f" {counted(x['rows_after'], 'row')}")
        for x in r["layers"]
    )


def _all_numbers(values: Iterable[Any]) -> bool:
    from decimal import Decimal

    seen = [v for v in values if v is not None]
    return bool(seen) and all(
        isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in seen
    )
