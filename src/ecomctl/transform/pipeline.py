"""Running dbt layer by layer on a stack, with row counts taken before and after."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecomctl.errors import EcomctlError, ExitStatus, Interrupted
from ecomctl.layers import PROFILE_OF_LAYER
from ecomctl.stacks.base import DbtTarget, Stack
from ecomctl.transform import parse_cache, project, runner
from ecomctl.transform.runner import DbtContext, Invocation, NodeResult, Progress

_SELECTOR = re.compile(r"^[A-Za-z0-9_.:/*+@,=-]+$")


@dataclass(frozen=True)
class ModelDiff:
    name: str
    rows_before: int | None  # None: the table did not exist
    rows_after: int | None

    @property
    def change(self) -> int | None:
        if self.rows_after is None:
            return None
        return self.rows_after - (self.rows_before or 0)

    def cells(self) -> tuple[str, str, str, str]:
        """before, after, change (NEW for a created table) and %, as shown to people."""
        before = "-" if self.rows_before is None else f"{self.rows_before:,}"
        after = "-" if self.rows_after is None else f"{self.rows_after:,}"
        if self.rows_before is None:
            return before, after, "NEW" if self.rows_after is not None else "-", ""
        change = "-" if self.change is None else f"{self.change:+,}"
        pct = "" if self.percent is None else f"{self.percent:+.1f}%"
        return before, after, change, pct

    @property
    def percent(self) -> float | None:
        if not self.rows_before or self.change is None:
            return None
        return 100.0 * self.change / self.rows_before


@dataclass
class LayerReport:
    layer: str
    profile: str
    command: str
    adapter: str = ""
    seconds: float = 0.0
    success: bool = True
    skipped: bool = False
    error: str = ""
    unselected: str = ""  # dbt's words when --select matched nothing in the layer
    nodes: list[NodeResult] = field(default_factory=list)
    diffs: list[ModelDiff] = field(default_factory=list)
    table_rows: int | None = None  # rows in every table of the layer after it (None: not counted)

    def status_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for node in self.nodes:
            counts[node.status] = counts.get(node.status, 0) + 1
        return counts

    def failures(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.failed]

    def slowest(self, n: int = 3) -> list[NodeResult]:
        return sorted(self.nodes, key=lambda node: node.seconds, reverse=True)[:n]


def layer_selection(layer: str, select: list[str]) -> list[str]:
    """dbt selectors for one layer: its folders, intersected with the user's selectors."""
    for sel in select:
        if not _SELECTOR.match(sel):
            raise EcomctlError(f"--select {sel!r}: not a dbt selector", ExitStatus.USAGE)
    own = [f"path:models/{layer}", f"path:tests/{layer}"]
    if not select:
        return own
    return [f"{mine},{sel}" for mine in own for sel in select]


def write_profiles(folder: Path, profiles: dict[str, Any]) -> Path:
    """Render profiles.yml (JSON is YAML) into folder; it holds no secret."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "profiles.yml"
    path.write_text(json.dumps(profiles, indent=2) + "\n")
    return path


def context(stack: Stack) -> tuple[DbtContext, DbtTarget]:
    """Where dbt finds the project and the stack's engines."""
    target = stack.dbt_target()
    ctx = DbtContext(
        project_dir=project.dbt_project(stack.settings).path,
        profiles_dir=write_profiles(stack.paths.dbt, target.profiles).parent,
        work_dir=stack.paths.dbt,
        home=stack.paths.root,
        vars=target.vars,
        env=target.env,
    )
    return ctx, target


def _invocations(
    target: DbtTarget,
    layers: list[str],
    command: str,
    select: list[str],
    full_refresh: Collection[str],
) -> list[Invocation]:
    adapters = {
        profile: str(next(iter(spec["outputs"].values()))["type"])
        for profile, spec in target.profiles.items()
    }
    groups = target.parse_groups
    # Each group is parsed with its first layer's profile, whichever layers run.
    parse_profile: dict[str, str] = {}
    for profile in PROFILE_OF_LAYER.values():
        if profile in groups:
            parse_profile.setdefault(groups[profile], profile)
    return [
        Invocation(
            command,
            PROFILE_OF_LAYER[layer],
            layer_selection(layer, select),
            layer in full_refresh,
            ["--indirect-selection", "cautious"],
            parse_group=groups.get(PROFILE_OF_LAYER[layer], ""),
            parse_profile=parse_profile.get(groups.get(PROFILE_OF_LAYER[layer], ""), ""),
            adapter=adapters.get(PROFILE_OF_LAYER[layer], ""),
        )
        for layer in layers
    ]


@dataclass(frozen=True)
class Prepared:
    """dbt's child, told to parse the project, and where dbt finds the stack's engines."""

    child: runner.DbtChild
    ctx: DbtContext
    target: DbtTarget


def prepare(stack: Stack, child: runner.DbtChild, layers: list[str]) -> Prepared:
    """Write the profiles and have dbt's child parse the project for these layers now (from
    the machine's shared parse when this home has none), while ecomctl goes on."""
    ctx, target = context(stack)
    invocations = _invocations(target, layers, "run", [], ())
    _shared_parse(stack, ctx, target, invocations, parse_cache.restore)
    # The first layer's group only (the embedded stack's one group): a lake stack's other
    # profiles are parsed when their layer comes, since the run's plan may leave it out.
    child.parse(ctx, invocations[:1])
    return Prepared(child, ctx, target)


def _shared_parse(
    stack: Stack,
    ctx: DbtContext,
    target: DbtTarget,
    invocations: list[Invocation],
    step: Callable[[Path, Path, str, Path], object],
) -> None:
    """Take the machine's shared parse (parse_cache.restore), or share this home's (keep)."""
    if not target.shared_parse:
        return
    for group in {inv.parse_group for inv in invocations if inv.parse_group}:
        step(stack.settings.cache, ctx.project_dir, group, ctx.parse_target(group))


def run_layers(
    stack: Stack,
    dbt: Prepared,
    layers: list[str],
    command: str = "run",
    select: list[str] | None = None,
    full_refresh: Collection[str] = (),
    progress: Progress | None = None,
    on_layer_start: Callable[[str], None] | None = None,
    on_layer_done: Callable[[LayerReport], None] | None = None,
    check: Callable[[], None] | None = None,
) -> list[LayerReport]:
    """Run a dbt command layer by layer; a failed layer skips the layers after it on `run`.

    All layers run in dbt's one child process (see prepare), so dbt starts once. Each layer
    writes only its own schema, so counting a layer before the child and after it gives the
    layer's diff. With on_layer_done, each layer is counted as it ends (the child waits) and
    its report handed over then. check: called while dbt works; what it raises ends dbt
    (runner.DbtChild.run).
    """
    counting = command in ("run", "build")
    before = {layer: stack.row_counts(layer) for layer in layers} if counting else {}
    ctx, target = dbt.ctx, dbt.target
    invocations = _invocations(target, layers, command, select or [], full_refresh)
    reports = [LayerReport(layer, PROFILE_OF_LAYER[layer], command) for layer in layers]

    def done(index: int, outcome: runner.DbtOutcome) -> None:
        _layer_ended(stack, ctx, reports[index], outcome, before if counting else None)
        if on_layer_done is not None:
            on_layer_done(reports[index])

    begin = None if on_layer_start is None else (lambda i: on_layer_start(layers[i]))
    # Only someone watching needs each layer as it ends: the child then waits after each one,
    # and dbt-duckdb opens the warehouse again for the next (about 1.5 s at scale 1 over a
    # first run). Otherwise every layer is read once the child is done with them, while it
    # ends.
    try:
        outcomes = dbt.child.run(
            ctx,
            invocations,
            progress,
            begin,
            keep_going=command == "test",
            on_done=None if on_layer_done is None else done,
            check=check,
        )
    except Interrupted as stopped:
        # The layers that ended before Ctrl-C are as built as any: their reports go with it.
        ended = [i for i, outcome in enumerate(stopped.done) if outcome is not None]
        for index in ended if on_layer_done is None else ():
            done(index, stopped.done[index])
        raise Interrupted([reports[i] for i in ended]) from None
    for index, (report, outcome) in enumerate(zip(reports, outcomes, strict=True)):
        if outcome is None:
            report.skipped = True
            report.success = False
        elif on_layer_done is None:
            done(index, outcome)
    _shared_parse(stack, ctx, target, invocations, parse_cache.keep)
    return reports


def _layer_ended(
    stack: Stack,
    ctx: DbtContext,
    report: LayerReport,
    outcome: runner.DbtOutcome,
    before: dict[str, dict[str, int]] | None,
) -> None:
    """Fill a layer's report from dbt's outcome; with before (the layers' rows before the run),
    gold's keys and comments and the rows each model gained or lost too."""
    _fill(report, outcome)
    if outcome.adapter == "duckdb" and "Out of Memory Error" in report.error:
        limit = stack.settings.duckdb_memory_limit
        report.error += f" (DuckDB may take {limit}: ECOMCTL_DUCKDB_MEMORY_LIMIT raises it)"
    if before is not None and report.layer == "gold":
        _gold_for_bi(stack, ctx, report)
    if before is not None:
        after = stack.row_counts(report.layer)
        report.table_rows = sum(after.values()) if after else None
        report.diffs = [
            ModelDiff(n.relation, before[report.layer].get(n.relation), after.get(n.relation))
            for n in sorted(outcome.nodes, key=lambda node: node.relation)
            if n.resource_type == "model"
        ]


def _fill(report: LayerReport, outcome: runner.DbtOutcome) -> None:
    report.adapter = outcome.adapter
    report.seconds = outcome.seconds
    report.nodes = outcome.nodes
    report.error = outcome.error
    report.unselected = outcome.unselected
    report.success = outcome.success and not report.failures() and not outcome.error
    if not report.error and report.failures():
        failed = report.failures()
        report.error = (
            f"{len(failed)} of {len(report.nodes)} nodes failed; the first,"
            f" {failed[0].name}: {failed[0].first_message}"
        )


def _gold_for_bi(stack: Stack, ctx: DbtContext, report: LayerReport) -> None:
    """Keys and comments on gold's tables after every gold run, whatever dbt rebuilt (see
    gold_contract); even after a failed model, the tables the others rebuilt get theirs.
    Failing to apply them fails the layer, so the next run builds gold again."""
    from ecomctl.transform import gold_contract

    try:
        manifest = gold_contract.read_manifest(ctx.target(report.profile) / "manifest.json")
        gold_contract.apply(stack.gold_owner(), gold_contract.tables_of(manifest, report.layer))
    except EcomctlError as exc:
        if report.success:  # else the layer's first failure is the one to read
            report.success = False
            report.error = f"gold's keys and comments: {exc.message}"


def drops_beyond(reports: list[LayerReport], percent: float) -> list[ModelDiff]:
    """Models whose row count fell by more than percent during the run."""
    return [d for r in reports for d in r.diffs if d.percent is not None and d.percent < -percent]
