"""What a run must build: what changed since the last whole run of the pipeline.

A run's result depends on three things only: landing (each table's generation, newest load
and rows), the dbt project's files, and where dbt writes (the profiles and vars). When none
changed since the last successful run of every layer, `run` does nothing; when only some
landing tables or some model files changed, it runs only the models that depend on them,
following dbt's own graph (the manifest of that last run). Anything else (a macro, the
project file, the sources, a removed model, other engines) rebuilds everything, as before.

What the last runs were built from is kept by built.BuiltFrom. The comparison is of inputs,
and of which tables exist (one catalog query per layer): a table dropped from outside is
built again; one changed by hand needs `run --force`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecomctl.errors import counted
from ecomctl.graphs import reachable
from ecomctl.layers import LAYERS
from ecomctl.transform.built import BuiltFrom, Inputs, Unfinished, read_json
from ecomctl.transform.project import BUILD_ARTEFACTS

_MODEL = "model."


@dataclass(frozen=True)
class DbtRequest:
    """What `run` or `test` was asked to do: what to build (decide() reads it), and how many
    rows a model may lose before the run counts as failed."""

    command: str  # run or test
    layers: list[str]
    select: list[str] | None = None
    full_refresh: bool = False
    force: bool = False
    fail_on_drop: float | None = None  # a percentage; None: any drop is fine

    @property
    def whole(self) -> bool:
        """Every layer and no --select: a run that may build only what changed."""
        return self.command == "run" and list(self.layers) == list(LAYERS) and not self.select


@dataclass(frozen=True)
class Plan:
    """The models a run builds: None for all of them, an empty set for none."""

    models: frozenset[str] | None
    why: str  # what changed, as said to the user

    @property
    def up_to_date(self) -> bool:
        return self.models == frozenset()


@dataclass(frozen=True)
class RunPlan:
    """What dbt is to build, as decide() chose it."""

    layers: list[str]  # the layers dbt runs
    select: list[str] | None  # its selectors: the user's, or the models that changed
    refresh: set[str]  # layers rebuilt from scratch
    compared: Plan | None  # what a whole run found changed (None: built as asked)
    inputs: Inputs | None  # what a whole run is built from, recorded once it succeeds

    @property
    def up_to_date(self) -> bool:
        return self.compared is not None and self.compared.up_to_date


def project_files(project_dir: Path) -> dict[str, str]:
    """The project's own files: not what dbt writes into it, nor hidden ones (a user's project
    may be a git checkout, whose .git changes with every commit and builds nothing)."""
    files: dict[str, str] = {}
    for path in sorted(project_dir.rglob("*")):
        rel = path.relative_to(project_dir)
        skipped = rel.parts[0] in BUILD_ARTEFACTS or any(p.startswith(".") for p in rel.parts)
        if not path.is_file() or skipped:
            continue
        files[rel.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def target_fingerprint(profiles: dict[str, Any], dbt_vars: dict[str, str]) -> str:
    """Where dbt writes: threads, DuckDB's memory limit and Trino's session properties (the
    statement timeout) change how fast or how long, never what, so they are left out."""

    def what(spec: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in spec.items() if k not in ("threads", "session_properties")}
        if "config_options" in kept:  # DuckDB's
            options = kept["config_options"].items()
            kept["config_options"] = {k: v for k, v in options if k != "memory_limit"}
        return kept

    where = {
        name: {output: what(spec) for output, spec in profile.get("outputs", {}).items()}
        for name, profile in profiles.items()
    }
    text = json.dumps({"profiles": where, "vars": dbt_vars}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def decide(
    request: DbtRequest,
    built: BuiltFrom,
    generation: int | None,
    today: Callable[[], Inputs],
    project_dir: Path,
    notice: Callable[[str], None],
    relations: Callable[[str], list[str]],
) -> RunPlan:
    """What `run` or `test` builds: every layer asked, from scratch where landing was replaced
    since it was built (or --full-refresh); a whole run only what changed since the last one
    (today: its inputs now; generation: landing's, None when landing has none; relations:
    the tables and views a layer has now)."""
    unfinished = built.unfinished()
    held: list[str] = []  # what changed: not said when a stopped run is continued as it was
    refresh = set(request.layers) if request.full_refresh else set()
    if request.command == "run" and generation is not None:
        refresh |= built.rebuild(request.layers, generation, request.select, held.append)
    inputs = today() if request.whole and generation is not None else None
    chosen = _changed(request, built, refresh, inputs, project_dir, held.append, relations)
    continued = _continuing(request, chosen, unfinished, project_dir)
    if continued is chosen or unfinished is None or unfinished.inputs != chosen.inputs:
        for line in held:
            notice(line)
    if continued is not chosen and continued.compared is not None:
        notice(f"{continued.compared.why}: building {', '.join(continued.layers)}")
    return continued


def _changed(
    request: DbtRequest,
    built: BuiltFrom,
    refresh: set[str],
    inputs: Inputs | None,
    project_dir: Path,
    notice: Callable[[str], None],
    relations: Callable[[str], list[str]],
) -> RunPlan:
    if inputs is None or request.force or refresh:
        return RunPlan(request.layers, request.select, refresh, None, inputs)
    manifest = last_manifest(built.dbt_dir)
    chosen = with_missing(plan(built.inputs(), inputs, manifest), manifest, relations)
    if chosen.models is None:
        return RunPlan(request.layers, request.select, refresh, chosen, inputs)
    if not chosen.up_to_date:
        notice(f"{chosen.why}: building {counted(len(chosen.models), 'model')} and no others")
    layers = [x for x in request.layers if _layer_has(project_dir, x, chosen.models)]
    return RunPlan(layers, sorted(chosen.models), refresh, chosen, inputs)


def _continuing(
    request: DbtRequest,
    chosen: RunPlan,
    unfinished: Unfinished | None,
    project_dir: Path,
) -> RunPlan:
    """A whole run after one that was stopped owes what that one was to build; when nothing
    changed since, it continues from the layer that was stopped (--force and --full-refresh
    build every layer, as asked)."""
    inputs = chosen.inputs
    if unfinished is None or inputs is None or request.force or request.full_refresh:
        return chosen
    stopped = f"the run stopped during {unfinished.stopped}"
    if unfinished.inputs == inputs:
        layers = [x for x in request.layers if x not in unfinished.finished]
        models = unfinished.models
        done = ", ".join(unfinished.finished)
        why = f"continuing {stopped}" + (f" ({done} finished)" if done else "")
    else:  # changed since: what changed, and whatever the stopped run may have left half done
        layers = list(request.layers)
        owed = None if chosen.compared is None else chosen.compared.models
        models = None if owed is None or unfinished.models is None else owed | unfinished.models
        changed = "what changed" if chosen.compared is None else chosen.compared.why
        why = f"{changed}, and what {stopped} was building"
    if models is not None:
        layers = [x for x in layers if _layer_has(project_dir, x, models)]
    select = None if models is None else sorted(models)
    return RunPlan(layers, select, chosen.refresh & set(layers), Plan(models, why), inputs)


def may_be_up_to_date(request: DbtRequest, built: BuiltFrom) -> bool:
    """Whether decide() may find nothing to build (so dbt need not be started ahead)."""
    forced = request.force or request.full_refresh
    return request.whole and not forced and built.inputs() is not None


def _layer_has(project_dir: Path, layer: str, models: frozenset[str]) -> bool:
    """Whether any of the models lives in the layer (its folder of the project)."""
    folder = project_dir / "models" / layer
    return any(path.stem in models for path in folder.rglob("*.sql"))


def plan(before: Inputs | None, now: Inputs, manifest: dict[str, Any] | None) -> Plan:
    """Compare the last whole run's inputs with today's (manifest: that run's dbt graph)."""
    project = project_name(manifest)
    if before is None or manifest is None or not project:
        return Plan(None, "no earlier whole run to compare with")
    if before.target != now.target:
        return Plan(None, "the engines or the project's vars changed")
    if {t: v.split("/")[0] for t, v in before.landing.items()} != {
        t: v.split("/")[0] for t, v in now.landing.items()
    }:
        return Plan(None, "landing was replaced")
    starts: set[str] = set()
    models_by_file = _models_by_file(manifest)
    for path in sorted(set(before.files) | set(now.files)):
        if before.files.get(path) == now.files.get(path):
            continue
        if path.startswith("tests/") or path.endswith(".md"):
            continue  # what `run` builds does not depend on tests or documentation
        stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        layer_model = path.startswith("models/") and path.split("/")[1] in LAYERS
        if not (layer_model and path.endswith((".sql", ".yml"))) or path not in now.files:
            return Plan(None, f"{path} {'changed' if path in now.files else 'was removed'}")
        known = models_by_file.get(path.removesuffix(".yml") + ".sql")
        if known is None and path.endswith(".yml"):
            return Plan(None, f"{path} changed")  # properties of no model found: all
        starts.add(known or f"{_MODEL}{project}.{stem}")  # a new model
    starts |= {
        f"source.{project}.landing.{table}"
        for table, value in now.landing.items()
        if before.landing.get(table) != value
    }
    models = _descendants(manifest, starts)
    if not models:
        return Plan(frozenset(), "landing, the dbt project and the engines are as they were")
    changed = sorted(s.rsplit(".", 1)[-1] for s in starts)
    return Plan(frozenset(models), f"changed since the last run: {', '.join(changed)}")


def with_missing(
    chosen: Plan, manifest: dict[str, Any] | None, relations: Callable[[str], list[str]]
) -> Plan:
    """The plan, plus the models whose table or view is gone (dropped from outside): those
    are built again, whatever else changed."""
    if chosen.models is None or manifest is None:
        return chosen
    expected: dict[str, list[tuple[str, str]]] = {}  # layer -> (relation, model)
    for uid, node in manifest.get("nodes", {}).items():
        parts = str(node.get("original_file_path", "")).split("/")
        materialized = (node.get("config") or {}).get("materialized")
        layer = parts[1] if len(parts) > 2 and parts[0] == "models" else ""
        if uid.startswith(_MODEL) and layer in LAYERS and materialized != "ephemeral":
            relation = str(node.get("alias") or node.get("name", ""))
            expected.setdefault(layer, []).append((relation, str(node.get("name", ""))))
    missing: dict[str, str] = {}  # model -> layer.relation
    for layer, wanted in expected.items():
        present = {name.lower() for name in relations(layer)}
        missing |= {m: f"{layer}.{r}" for r, m in wanted if r.lower() not in present}
    if not missing:
        return chosen
    gone = f"{', '.join(sorted(missing.values()))} {'is' if len(missing) == 1 else 'are'} missing"
    why = gone if chosen.up_to_date else f"{chosen.why}; {gone}"
    return Plan(chosen.models | frozenset(missing), why)


def project_name(manifest: dict[str, Any] | None) -> str:
    """The dbt project's name, as dbt wrote it into the manifest (a user's own project has its
    own: it names every node, `model.<name>.orders`). "" when the manifest has none."""
    metadata = (manifest or {}).get("metadata")
    return str(metadata.get("project_name") or "") if isinstance(metadata, dict) else ""


def _models_by_file(manifest: dict[str, Any]) -> dict[str, str]:
    return {
        str(node.get("original_file_path", "")): uid
        for uid, node in manifest.get("nodes", {}).items()
        if uid.startswith(_MODEL)
    }


def _descendants(manifest: dict[str, Any], starts: set[str]) -> set[str]:
    """Names of the models among starts and everything downstream of them."""
    seen = reachable(starts, manifest.get("child_map", {}))
    return {uid.rsplit(".", 1)[-1] for uid in seen if uid.startswith(_MODEL)}


def last_manifest(dbt_dir: Path) -> dict[str, Any] | None:
    """The graph of the project as dbt last parsed it (every profile's manifest is whole)."""
    found = sorted((dbt_dir / "target").glob("*/manifest.json"), key=lambda p: p.stat().st_mtime)
    return read_json(found[-1]) if found else None
