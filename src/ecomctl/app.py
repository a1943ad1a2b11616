"""The work behind each command: plain functions that take a stack, do the work and return
results. Nothing here prints; what the user must see on the way goes through `Events` and
dbt's progress callbacks, and the CLI renders both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecomctl import lock
from ecomctl.data.publish import PublishResult
from ecomctl.data.seeding import SeedResult
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.layers import LAYERS
from ecomctl.services.status import ServiceStatus
from ecomctl.settings import Settings, load_settings
from ecomctl.stacks import get_stack
from ecomctl.stacks.base import Events, Stack, UpOptions
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


@contextmanager
def writing(stack: Stack, command: str, events: Events) -> Iterator[None]:
    """Hold the home folder for a command that writes to it."""
    with lock.hold(stack.paths.root, command, events.notice):
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
) -> Seeded:
    """Load the landing zone (generated files, the user's, or one more day), then publish it
    to the stack's lake if it has one."""
    from ecomctl.data import seeding

    if increment and from_dir is not None:
        raise EcomctlError("--increment and --from cannot go together", ExitStatus.USAGE)
    s, paths = stack.settings, stack.paths
    with writing(stack, "seed", events):
        if increment:
            events.notice("appending one more day of new orders ...")
            result = seeding.increment(paths)
        else:
            what = f"generated data (scale {s.scale}, seed {s.seed})"
            events.notice(f"seeding landing from {'your files' if from_dir else what} ...")
            result = seeding.seed(paths, s.scale, s.seed, from_dir, max_bad_rows)
        # Inside the lock: `run` must never read the lake's tables while they are re-pointed.
        published = stack.publish_landing(events)
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
        return stack.down(remove_data)


# -- dbt ----------------------------------------------------------------------------------
def run_dbt(
    stack: Stack,
    command: str,
    layers: list[str],
    select: list[str] | None,
    full_refresh: bool,
    events: Events,
    progress: Progress | None = None,
    on_layer_start: Callable[[str], None] | None = None,
) -> list[LayerReport]:
    """`run` or `test`: the services the layers need, landing, then dbt layer by layer.

    A layer built from another generation of landing than the one there now (`seed` replaced
    it since) is rebuilt from scratch, whatever the flags say: incremental models would keep
    the old data's rows beside the new."""
    from ecomctl.data import landing
    from ecomctl.transform import pipeline

    pipeline.layer_selection(layers[0], select or [])  # a bad selector fails before any work
    current = [layers[0]]

    def starting(layer: str) -> None:
        current[0] = layer
        if on_layer_start is not None:
            on_layer_start(layer)

    with writing(stack, command, events):
        stack.up(UpOptions(layers=layers), events)
        ensure_landing(stack, layers, events)
        _check_inputs_built(stack, layers)
        generation = landing.generation(stack.paths)
        built = BuiltFrom(stack)
        refresh = set(layers) if full_refresh else set()
        if command == "run" and generation is not None:
            refresh |= built.rebuild(layers, generation, select, events)
        try:
            reports = pipeline.run_layers(
                stack, layers, command, select, refresh, progress, starting
            )
        except EcomctlError as exc:
            if exc.status == ExitStatus.UNHEALTHY:
                _check_services_survived(stack, current[0])
            raise
        if command == "run" and generation is not None and not select:
            built.record([r.layer for r in reports if r.success and not r.skipped], generation)
        if select and not any(r.nodes for r in reports):
            said = next((r.unselected for r in reports if r.unselected), "")
            raise EcomctlError(
                f"--select {' '.join(select)}: selects nothing in {', '.join(layers)}"
                + (f" (dbt: {said})" if said else ""),
                ExitStatus.USAGE,
            )
        if not all(r.success for r in reports):
            _check_services_survived(stack, next(r.layer for r in reports if not r.success))
        return reports


class BuiltFrom:
    """Which generation of landing each layer of a stack was last built from, whole.

    Kept in <home>/dbt/built.json, written after a layer succeeds: a run killed before that
    only makes the next run rebuild again, never skip a rebuild it needs.
    """

    def __init__(self, stack: Stack) -> None:
        self.stack = stack.name
        self.path = stack.paths.dbt / "built.json"

    def _all(self) -> dict[str, dict[str, int]]:
        import json

        try:
            found: dict[str, dict[str, int]] = json.loads(self.path.read_text())
            return found
        except (FileNotFoundError, ValueError):
            return {}

    def rebuild(
        self, layers: list[str], generation: int, select: list[str] | None, events: Events
    ) -> set[str]:
        """The layers to rebuild from scratch: built before from another generation."""
        built = self._all().get(self.stack, {})
        stale = [layer for layer in layers if layer in built and built[layer] != generation]
        if stale and select:
            raise EcomctlError(
                f"landing was replaced since {stale[0]} was built (`seed`): run the whole"
                f" layer first, without --select (`ecomctl run --layer {stale[0]}`)",
                ExitStatus.USAGE,
            )
        if stale:
            events.notice(
                f"landing was replaced since the last run (seed): rebuilding {', '.join(stale)}"
                " from scratch"
            )
        # A layer never built whole here (a first run) is built from scratch anyway.
        return set(stale) | {layer for layer in layers if layer not in built}

    def record(self, layers: list[str], generation: int) -> None:
        import json

        everything = self._all()
        mine = everything.setdefault(self.stack, {})
        mine.update(dict.fromkeys(layers, generation))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(json.dumps(everything, indent=2) + "\n")
        partial.replace(self.path)


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

    with writing(stack, "docs", events):
        stack.up(UpOptions(), events)
        ensure_landing(stack, list(LAYERS), events)
        return docsite.generate(stack)
