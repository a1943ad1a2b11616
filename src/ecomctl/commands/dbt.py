"""`run` and `test`: the services the layers need, landing, then dbt layer by layer; and the
run's verdict (failed layers, rows lost beyond --fail-on-drop), which the CLI renders."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ecomctl import hints, home
from ecomctl.commands import dbt_project, writing
from ecomctl.commands.data import ensure_landing
from ecomctl.errors import EcomctlError, ExitStatus, Interrupted, cause
from ecomctl.layers import LAYERS
from ecomctl.runners.watch import ServiceWatch
from ecomctl.stacks.base import Endpoints, Events, Stack, UpOptions
from ecomctl.transform.changes import DbtRequest
from ecomctl.transform.project import DbtProject

if TYPE_CHECKING:  # types only: `status` and `query` need none of these modules
    from ecomctl.history import Recorder
    from ecomctl.settings import HomePaths
    from ecomctl.transform.built import BuiltFrom, Inputs
    from ecomctl.transform.changes import Plan, RunPlan
    from ecomctl.transform.pipeline import LayerReport, ModelDiff, Prepared

__all__ = ["DbtRequest", "DbtRun", "Verdict", "Watch", "run_dbt", "verdict"]


class Watch(Protocol):
    """Who follows a run as it goes (the CLI's live view or progress lines)."""

    def progress(self, kind: str, unique_id: str, data: dict[str, Any]) -> None: ...
    def layer_start(self, layer: str) -> None: ...
    @property
    def layer_done(self) -> Callable[[LayerReport], None] | None: ...


@dataclass(frozen=True)
class Verdict:
    """How a run ended, beyond its layers' own results."""

    success: bool  # every layer succeeded
    dropped: list[ModelDiff] | None  # models that lost rows beyond --fail-on-drop (None: not asked)
    error: str  # the one line that says why it failed ("" when it did not)

    @property
    def ok(self) -> bool:
        return self.success and not self.dropped


@dataclass(frozen=True)
class DbtRun:
    project: DbtProject
    reports: list[LayerReport]
    verdict: Verdict
    plan: Plan | None = None  # what `run` chose to build, and why (None: as asked)
    built_at: str | None = None  # when the run it compared with finished (ISO 8601, UTC)
    gold: Endpoints | None = None  # where gold is, after a run that builds it


def verdict(reports: list[LayerReport], fail_on_drop: float | None) -> Verdict:
    """A run fails when a layer failed, or (with fail_on_drop) a model lost more than that
    percentage of its rows; the error names the first failed layer, else the models."""
    from ecomctl.transform.pipeline import drops_beyond

    success = all(r.success for r in reports)
    dropped = None if fail_on_drop is None else drops_beyond(reports, fail_on_drop)
    failed = next((r for r in reports if not r.success and not r.skipped), None)
    error = ""
    if failed is not None:
        error = f"{failed.layer}: {cause(failed.error)}"
    elif dropped:
        error = f"row counts fell beyond --fail-on-drop: {', '.join(d.name for d in dropped)}"
    return Verdict(success, dropped, error)


def run_dbt(
    stack: Stack,
    request: DbtRequest,
    events: Events,
    watch: Watch | None = None,
    record: Recorder | None = None,
) -> DbtRun:
    """`run` or `test`, and its verdict (given to the record too).

    A layer built from another generation of landing than the one there now (`seed` replaced
    it since) is rebuilt from scratch, whatever the flags say: incremental models would keep
    the old data's rows beside the new. A whole `run` (every layer, no --select) builds only
    what changed since the last one (see transform/changes.py), unless forced."""
    from ecomctl.transform import pipeline

    # A bad selector or project setting fails before any work.
    used = dbt_project(stack)
    pipeline.layer_selection(request.layers[0], request.select or [])
    if request.command == "run":
        _check_room(stack.paths)
    with home.room_errors(stack.paths.root), writing(stack, request.command, events, record):
        reports, chosen, built_at = _build(stack, request, used, events, watch, record)
    judged = verdict(reports, request.fail_on_drop)
    if record is not None:
        record.finish(judged.ok, judged.error)
    builds_gold = request.command == "run" and "gold" in request.layers
    gold = stack.endpoints() if builds_gold else None
    return DbtRun(used, reports, judged, chosen, built_at, gold)


def _build(
    stack: Stack,
    request: DbtRequest,
    used: DbtProject,
    events: Events,
    watch: Watch | None,
    record: Recorder | None,
) -> tuple[list[LayerReport], Plan | None, str | None]:
    """What the run built: its layers' reports, what it compared with (and when that was)."""
    from ecomctl.data import landing
    from ecomctl.transform import built as built_from
    from ecomctl.transform import changes, pipeline, runner

    with contextlib.ExitStack() as later:
        if not used.bundled:
            events.notice(f"dbt project: {used.path}")
        built = built_from.BuiltFrom(stack.paths.dbt, stack.name)
        if request.command == "test":
            _check_built_for_test(stack, built, request.layers)
        # dbt's child starts now, so that its start, imports and parse overlap the work below;
        # unless this run may find nothing to do, when it starts once there is something.
        maybe_nothing = changes.may_be_up_to_date(request, built)
        child = None if maybe_nothing else later.enter_context(runner.DbtChild())
        stack.up(UpOptions(layers=request.layers), events)
        dbt = None if child is None else pipeline.prepare(stack, child, request.layers)
        ensure_landing(stack, request.layers, events)
        _check_inputs_built(stack, request.layers)
        generation = landing.generation(stack.paths)
        today = functools.partial(_inputs, stack, used.path)
        chosen = changes.decide(
            request, built, generation, today, used.path, events.notice, stack.tables
        )
        compared_at = built.finished() if chosen.compared else None  # before this run's own
        if chosen.up_to_date:
            if record is not None:
                record.up_to_date()
            return [], chosen.compared, compared_at
        taken = built.building() if request.command == "run" else None
        if dbt is None:
            dbt = pipeline.prepare(stack, later.enter_context(runner.DbtChild()), chosen.layers)
        try:
            reports = _run_layers(stack, dbt, request, chosen, watch)
        except Interrupted as stopped:
            done: list[LayerReport] = stopped.done
            if record is not None:
                record.layers(done)
            _remember(built, request, chosen, generation, done, taken, stack.paths, stopped=True)
            raise _stopped_during(built, request, chosen, done) from None
        if record is not None:
            record.layers(reports)
        _remember(built, request, chosen, generation, reports, taken, stack.paths)
        failed = next((r for r in reports if not r.success and not r.skipped), None)
        if failed is not None:  # before the lake's upkeep, which would wait on a dead server
            dead = ServiceWatch(stack.gone, stack.paths.root)
            dead.doing = f"during {failed.layer}"
            dead.check(now=True, said=failed.error)  # a full disk or a dead service: one line
        if request.command == "run":
            from ecomctl.commands import lake

            lake.after_run(stack, record, all(r.success for r in reports), events)
        _check_selected(request, chosen.layers, reports)
        if not all(r.success for r in reports):
            _check_services_survived(stack, next(r.layer for r in reports if not r.success))
        return reports, chosen.compared, compared_at


# Room a run takes besides the warehouse: dbt's target and logs, the history, Parquet and
# Iceberg files of a small lake. DuckDB writes a table's new blocks before it frees the old:
# a full refresh may take as much again as the warehouse holds.
ROOM_FOR_RUN = 64 * home.MB


def _check_room(paths: HomePaths) -> None:
    warehouse = paths.warehouse.stat().st_size if paths.warehouse.exists() else 0
    home.check_room(paths.root, ROOM_FOR_RUN + warehouse, "run")


def _stopped_during(
    built: BuiltFrom, request: DbtRequest, chosen: RunPlan, done: list[LayerReport]
) -> Interrupted:
    """Ctrl-C or SIGTERM during a layer: the layers finished before it stay built (and in the
    history); a whole run leaves what it was to build for the next one, which continues it."""
    from ecomctl.transform.built import Unfinished

    ended = {r.layer for r in done if r.success}
    finished = [x for x in request.layers if x not in chosen.layers or x in ended]
    stopped = next((x for x in chosen.layers if x not in finished), "")
    fields = {"stopped_during": stopped or None, "finished_layers": [r.layer for r in done]}
    detail = f"during {stopped}" if stopped else "after the last layer"
    if done:
        detail += f" ({', '.join(r.layer for r in done)} finished)"
    if stopped and request.whole and chosen.inputs is not None:
        models = None if chosen.compared is None else chosen.compared.models
        built.stopped(Unfinished(chosen.inputs, finished, models, stopped))
        detail += f": the next `{hints.command('run')}` continues from {stopped}"
    return Interrupted(done, detail, fields)


def _run_layers(
    stack: Stack, dbt: Prepared, request: DbtRequest, chosen: RunPlan, watch: Watch | None
) -> list[LayerReport]:
    from ecomctl.transform import pipeline

    current = [request.layers[0]]  # the layer under way, should a server die under it
    # A service whose process dies during the run ends it within about a second, named:
    # not a model's error, nor a statement left waiting on it (runners/watch.py).
    services = ServiceWatch(stack.gone, stack.paths.root)

    def starting(layer: str) -> None:
        current[0] = layer
        services.doing = f"during {layer}"
        if watch is not None:
            watch.layer_start(layer)

    try:
        reports = pipeline.run_layers(
            stack, dbt, chosen.layers, request.command, chosen.select, chosen.refresh,
            None if watch is None else watch.progress, starting,
            None if watch is None else watch.layer_done, services.check,
        )  # fmt: skip
    except Interrupted:
        raise
    except EcomctlError as exc:
        services.check(now=True, said=exc.message)
        if exc.status == ExitStatus.UNHEALTHY:
            _check_services_survived(stack, current[0])
        raise
    return reports


def _remember(
    built: BuiltFrom,
    request: DbtRequest,
    chosen: RunPlan,
    generation: int | None,
    reports: list[LayerReport],
    taken: dict[str, Any] | None,
    paths: HomePaths,
    stopped: bool = False,
) -> None:
    """What the layers are now built from, for the next run (and `test`) to compare with
    (stopped: the reports are of the layers that ended before Ctrl-C or SIGTERM)."""
    from ecomctl.data import landing

    if request.command == "run" and generation is not None and not request.select:
        done = [r.layer for r in reports if r.success and not r.skipped]
        whole_done = not stopped and chosen.inputs is not None and all(r.success for r in reports)
        # A whole run that succeeded leaves every layer built from today's landing, those
        # it found nothing to change in too.
        now = chosen.inputs.landing if chosen.inputs is not None else landing.fingerprint(paths)
        built.record(
            request.layers if whole_done else done,
            generation,
            chosen.inputs if whole_done else None,
            now,
        )
    if all(r.success for r in reports):
        built.kept(taken)


def _check_selected(request: DbtRequest, layers: list[str], reports: list[LayerReport]) -> None:
    """--select that matched nothing in any layer is a usage error, in dbt's words."""
    if request.select and not any(r.nodes for r in reports):
        said = next((r.unselected for r in reports if r.unselected), "")
        raise EcomctlError(
            f"--select {' '.join(request.select)}: selects nothing in {', '.join(layers)}"
            + (f" (dbt: {said})" if said else ""),
            ExitStatus.USAGE,
        )


def _inputs(stack: Stack, project_dir: Path) -> Inputs:
    from ecomctl.data import landing
    from ecomctl.transform import changes
    from ecomctl.transform.built import Inputs

    target = stack.dbt_target()
    return Inputs(
        landing=landing.fingerprint(stack.paths),
        files=changes.project_files(project_dir),
        target=changes.target_fingerprint(target.profiles, target.vars),
    )


def _check_inputs_built(stack: Stack, layers: list[str]) -> None:
    """A layer run alone needs the layer before it built: say so once, not per model."""
    for layer in layers:
        before = LAYERS[LAYERS.index(layer) - 1] if layer != LAYERS[0] else None
        if before is not None and before not in layers and not stack.row_counts(before):
            raise EcomctlError(
                f"{before} has not been built yet, and {layer} is built from it: run"
                f" `{hints.command(f'run --layer {before}')}` first, or every layer with"
                f" `{hints.command('run')}`"
            )


def _check_built_for_test(stack: Stack, built: BuiltFrom, layers: list[str]) -> None:
    """`test` tests what `run` built: layers not built yet, or built from older landing than
    now's, are named before anything starts (their tests would only fail on absent or stale
    tables)."""
    from ecomctl.data import landing

    missing, older = built.behind(
        layers, landing.generation(stack.paths), landing.fingerprint(stack.paths)
    )
    if not missing and not older:
        return
    said = []
    if missing:
        said.append(f"{_listed(missing)} not built yet")
    if older:
        said.append(f"{_listed(older)} older than landing (`seed` loaded it since)")
    raise EcomctlError(
        f"nothing tested: {' and '.join(said)}; `{hints.command('run')}` builds"
        f" {'it' if len(missing + older) == 1 else 'them'}, then `{hints.command('test')}`"
    )


def _listed(layers: list[str]) -> str:
    return f"{', '.join(layers)} {'is' if len(layers) == 1 else 'are'}"


def _check_services_survived(stack: Stack, layer: str) -> None:
    """A layer that failed because a server died under it is a service failure (exit 3),
    not a model's: say which server, and that `up` (or the next run) starts it again."""
    try:
        states = stack.status()
    except EcomctlError:
        return  # nothing more to learn: the layer's own error stands
    down = [s for s in states if not s.healthy]
    if down:
        first = down[0]
        detail = f" ({first.detail})" if first.detail else ""
        raise EcomctlError(
            f"{first.name} is {first.state}{detail}: it stopped during {layer};"
            f" `{hints.command('up')}` or the next run starts it again",
            ExitStatus.UNHEALTHY,
        )
