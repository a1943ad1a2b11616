"""The work behind each command: plain functions that take a stack, do the work and return
results. Nothing here prints; what the user must see on the way goes through `Events` and
dbt's progress callbacks, and the CLI renders both.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecomctl import lock
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.layers import LAYERS
from ecomctl.settings import Settings, load_settings
from ecomctl.stacks import get_stack
from ecomctl.stacks.base import Events, Stack, UpOptions
from ecomctl.transform.project import DbtProject

if TYPE_CHECKING:  # types only: `status` and `query` need none of these modules
    from ecomctl.data.publish import PublishResult
    from ecomctl.data.seeding import SeedResult
    from ecomctl.history import Recorder
    from ecomctl.results import ServiceStatus
    from ecomctl.transform.changes import Inputs, Plan
    from ecomctl.transform.pipeline import LayerReport
    from ecomctl.transform.runner import Progress


def settings(**flags: Any) -> Settings:
    """Settings from every source, a bad value a usage error naming the setting."""
    from pydantic import ValidationError

    try:
        return load_settings(**flags)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise EcomctlError(f"setting {where}: {first['msg']}", ExitStatus.USAGE) from exc


def open_stack(**flags: Any) -> Stack:
    return get_stack(settings(**flags))


def dbt_project(stack: Stack) -> DbtProject:
    """The dbt project the stack's commands run (a setting naming no project: a usage error)."""
    from ecomctl.transform import project

    return project.dbt_project(stack.settings)


@contextmanager
def writing(
    stack: Stack, command: str, events: Events, record: Recorder | None = None
) -> Iterator[None]:
    """Hold the home folder for a command that writes to it; its record in the history
    starts once it is held (a command refused before that is not a run)."""
    with lock.hold(stack.paths.root, command, events.notice):
        if record is not None:
            record.start()
        yield


# -- seed ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Seeded:
    result: SeedResult
    published: PublishResult | None  # None on a stack without a lake


def seed(
    stack: Stack,
    from_dir: Path | None,
    increment: bool,
    max_bad_rows: int | None,
    events: Events,
    record: Recorder | None = None,
) -> Seeded:
    """Load the landing zone (generated files, the user's, or one more day), then publish it
    to the stack's lake if it has one."""
    from ecomctl.data import landing, seeding

    if increment and from_dir is not None:
        raise EcomctlError("--increment and --from cannot go together", ExitStatus.USAGE)
    s, paths = stack.settings, stack.paths
    with writing(stack, "seed", events, record):
        before, started = landing.row_counts(paths), time.monotonic()
        if increment:
            events.notice("appending one more day: new orders, and updates of earlier ones ...")
            result = seeding.increment(paths)
        else:
            what = f"generated data (scale {s.scale}, seed {s.seed})"
            events.notice(f"seeding landing from {'your files' if from_dir else what} ...")
            result = seeding.seed(paths, s.scale, s.seed, from_dir, max_bad_rows)
        # Inside the lock: `run` must never read the lake's tables while they are re-pointed.
        published = stack.publish_landing(events)
        if record is not None:
            record.landing(before, landing.row_counts(paths), time.monotonic() - started)
    return Seeded(result, published)


def ensure_landing(stack: Stack, layers: list[str], events: Events) -> None:
    """Seed generated data when landing is empty, and publish it to the stack's lake.

    Only bronze reads landing: a run of later layers needs none of it.
    """
    from ecomctl.data import landing, seeding

    if "bronze" not in layers or stack.row_counts("landing"):
        return
    s = stack.settings
    if not landing.row_counts(stack.paths):
        events.notice(
            f"landing zone is empty: seeding generated data first (scale {s.scale}, seed {s.seed})"
        )
        result = seeding.seed(stack.paths, s.scale, s.seed)
        events.notice(f"landing: {result.total_rows:,} rows from {result.source}")
    stack.publish_landing(events)


# -- services -----------------------------------------------------------------------------
def up(stack: Stack, opts: UpOptions, events: Events) -> list[ServiceStatus]:
    with writing(stack, "up", events):
        return stack.up(opts, events)


def down(stack: Stack, remove_data: bool, events: Events) -> tuple[bool, str]:
    with writing(stack, "down", events):
        if remove_data:  # what was built is gone: the next run compares with nothing
            from ecomctl.transform.changes import BuiltFrom

            BuiltFrom(stack.paths.dbt, stack.name).forget()
        return stack.down(remove_data)


# -- dbt ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class DbtRun:
    project: DbtProject
    reports: list[LayerReport]
    plan: Plan | None = None  # what `run` chose to build, and why (None: as asked)
    built_at: str = ""  # when the run it compared with finished


def run_dbt(
    stack: Stack,
    command: str,
    layers: list[str],
    select: list[str] | None,
    full_refresh: bool,
    events: Events,
    progress: Progress | None = None,
    on_layer_start: Callable[[str], None] | None = None,
    force: bool = False,
    on_layer_done: Callable[[LayerReport], None] | None = None,
    record: Recorder | None = None,
) -> DbtRun:
    """`run` or `test`: the services the layers need, landing, then dbt layer by layer.

    A layer built from another generation of landing than the one there now (`seed` replaced
    it since) is rebuilt from scratch, whatever the flags say: incremental models would keep
    the old data's rows beside the new. A whole `run` (every layer, no --select) builds only
    what changed since the last one (see transform/changes.py), unless forced."""
    from ecomctl.data import landing
    from ecomctl.transform import changes, pipeline, runner

    # A bad selector or project setting fails before any work.
    used = dbt_project(stack)
    pipeline.layer_selection(layers[0], select or [])
    current = [layers[0]]

    def starting(layer: str) -> None:
        current[0] = layer
        if on_layer_start is not None:
            on_layer_start(layer)

    with writing(stack, command, events, record), contextlib.ExitStack() as later:
        if not used.bundled:
            events.notice(f"dbt project: {used.path}")
        built = changes.BuiltFrom(stack.paths.dbt, stack.name)
        whole = command == "run" and list(layers) == list(LAYERS) and not select
        # dbt's child starts now, so that its start, imports and parse overlap the work below;
        # unless this run may find nothing to do, when it starts once there is something.
        maybe_nothing = whole and not (force or full_refresh) and built.inputs() is not None
        child = None if maybe_nothing else later.enter_context(runner.DbtChild())
        stack.up(UpOptions(layers=layers), events)
        dbt = None if child is None else pipeline.prepare(stack, child, layers)
        ensure_landing(stack, layers, events)
        _check_inputs_built(stack, layers)
        generation = landing.generation(stack.paths)
        refresh = set(layers) if full_refresh else set()
        if command == "run" and generation is not None:
            refresh |= built.rebuild(layers, generation, select, events.notice)
        inputs = _inputs(stack, used.path) if whole and generation is not None else None
        chosen: Plan | None = None
        if inputs is not None and not (force or refresh):
            chosen = changes.plan(built.inputs(), inputs, changes.last_manifest(stack.paths.dbt))
            if chosen.up_to_date:
                if record is not None:
                    record.up_to_date()
                return DbtRun(used, [], chosen, built.finished())
            if chosen.models is not None:
                events.notice(f"{chosen.why}: building {len(chosen.models)} models and no others")
        run_select = select if chosen is None or chosen.models is None else sorted(chosen.models)
        if chosen is not None and chosen.models is not None:
            layers = [x for x in layers if _layer_has(used.path, x, chosen.models)]
        taken = built.building() if command == "run" else None
        if dbt is None:
            dbt = pipeline.prepare(stack, later.enter_context(runner.DbtChild()), layers)
        try:
            reports = pipeline.run_layers(
                stack, dbt, layers, command, run_select, refresh, progress, starting,
                on_layer_done,
            )  # fmt: skip
        except EcomctlError as exc:
            if exc.status == ExitStatus.UNHEALTHY:
                _check_services_survived(stack, current[0])
            raise
        if record is not None:
            record.layers(reports)
        if command == "run" and generation is not None and not select:
            done = [r.layer for r in reports if r.success and not r.skipped]
            whole_done = inputs is not None and all(r.success for r in reports)
            built.record(done, generation, inputs if whole_done else None)
        if all(r.success for r in reports):
            built.kept(taken)
        if select and not any(r.nodes for r in reports):
            said = next((r.unselected for r in reports if r.unselected), "")
            raise EcomctlError(
                f"--select {' '.join(select)}: selects nothing in {', '.join(layers)}"
                + (f" (dbt: {said})" if said else ""),
                ExitStatus.USAGE,
            )
        if not all(r.success for r in reports):
            _check_services_survived(stack, next(r.layer for r in reports if not r.success))
        return DbtRun(used, reports, chosen, built.finished() if chosen else "")


def _inputs(stack: Stack, project_dir: Path) -> Inputs:
    from ecomctl.data import landing
    from ecomctl.transform import changes

    target = stack.dbt_target()
    return changes.Inputs(
        landing=landing.fingerprint(stack.paths),
        files=changes.project_files(project_dir),
        target=changes.target_fingerprint(target.profiles, target.vars),
    )


def _layer_has(project_dir: Path, layer: str, models: frozenset[str]) -> bool:
    """Whether any of the models lives in the layer (its folder of the project)."""
    folder = project_dir / "models" / layer
    return any(path.stem in models for path in folder.rglob("*.sql"))


def _check_inputs_built(stack: Stack, layers: list[str]) -> None:
    """A layer run alone needs the layer before it built: say so once, not per model."""
    for layer in layers:
        before = LAYERS[LAYERS.index(layer) - 1] if layer != LAYERS[0] else None
        if before is not None and before not in layers and not stack.row_counts(before):
            raise EcomctlError(
                f"{before} has not been built yet, and {layer} is built from it: run"
                f" `ecomctl run --layer {before}` first, or every layer with `ecomctl run`"
            )


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
            f" `ecomctl up --stack {stack.name}` or the next run starts it again",
            ExitStatus.UNHEALTHY,
        )


def docs(stack: Stack, events: Events) -> Path:
    """Generate the dbt docs site (building what it documents first if landing is empty)."""
    from ecomctl.transform import docsite

    dbt_project(stack)  # a setting naming no project fails before any work
    with writing(stack, "docs", events):
        stack.up(UpOptions(), events)
        ensure_landing(stack, list(LAYERS), events)
        return docsite.generate(stack)


# -- history and report ---------------------------------------------------------------------
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
        f"gold is not built yet (no table {missing[0]}): run `ecomctl run` first, then the report"
    )
