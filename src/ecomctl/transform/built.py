"""What the layers of a home were last built from: kept in <home>/dbt/built.json, per stack,
beside the landing generation each layer was built from whole, and written only after a run
succeeds (a killed or failed run makes the next one do more, never less). changes.decide
compares today's inputs with it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ecomctl import hints
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.home import write_private


@dataclass(frozen=True)
class Inputs:
    """What a run's result is made of, each as a short fingerprint."""

    landing: dict[str, str]  # table -> "generation/newest load/rows"
    files: dict[str, str]  # project-relative path -> sha256 of the file
    target: str  # sha256 of the profiles (threads aside) and vars


@dataclass(frozen=True)
class Unfinished:
    """A whole run that Ctrl-C or SIGTERM stopped: what it was built from, the layers it had
    finished (or had nothing to build in), and the models it was to build (None: all)."""

    inputs: Inputs
    finished: list[str]
    models: frozenset[str] | None
    stopped: str  # the layer under way


def _stamp(landing: dict[str, str]) -> str:
    """landing.fingerprint as one short value, kept per layer built from it."""
    return hashlib.sha256(json.dumps(landing, sort_keys=True).encode()).hexdigest()[:16]


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = json.loads(path.read_text())
        return found
    except (OSError, ValueError):
        return None


class BuiltFrom:
    """Per stack: the landing generation each layer was last built from whole, and the
    inputs of the last successful run of every layer. Written after success only."""

    def __init__(self, dbt_dir: Path, stack: str) -> None:
        self.stack = stack
        self.dbt_dir = dbt_dir
        self.path = dbt_dir / "built.json"

    def _all(self) -> dict[str, dict[str, Any]]:
        found = read_json(self.path)  # a damaged record is no record
        return {k: v for k, v in (found or {}).items() if isinstance(v, dict)}

    def _mine(self) -> dict[str, Any]:
        return self._all().get(self.stack, {})

    def layers(self) -> dict[str, int]:
        found = self._mine().get("layers", {})
        return {k: v for k, v in found.items() if isinstance(v, int)}

    def inputs(self) -> Inputs | None:
        return _inputs_of(self._mine().get("inputs"))

    def finished(self) -> str | None:
        """When the last whole run finished (ISO 8601, UTC); None before the first."""
        found = self._mine().get("finished")
        try:
            when = datetime.fromisoformat(str(found))
        except ValueError:
            return None  # none yet (or damaged: no run to name)
        # Written in local time without a zone before it was written in UTC.
        when = when if when.tzinfo else when.astimezone()
        return when.astimezone(UTC).isoformat(timespec="seconds")

    def unfinished(self) -> Unfinished | None:
        """The whole run stopped since the last whole run, if one was."""
        found: Any = self._mine().get("unfinished")
        inputs = _inputs_of(found.get("inputs")) if isinstance(found, dict) else None
        if inputs is None:
            return None
        models = found.get("models")
        return Unfinished(
            inputs,
            [str(x) for x in found.get("finished", [])],
            None if models is None else frozenset(str(m) for m in models),
            str(found.get("stopped", "")),
        )

    def stopped(self, unfinished: Unfinished) -> None:
        """A whole run was stopped: what the next one owes (see decide)."""
        everything = self._all()
        everything.setdefault(self.stack, {})["unfinished"] = {
            "inputs": _inputs_dict(unfinished.inputs),
            "finished": unfinished.finished,
            "models": None if unfinished.models is None else sorted(unfinished.models),
            "stopped": unfinished.stopped,
        }
        self._write(everything)

    def rebuild(
        self,
        layers: list[str],
        generation: int,
        select: list[str] | None,
        notice: Callable[[str], None],
    ) -> set[str]:
        """The layers to rebuild from scratch: built before from another generation of
        landing (incremental models would keep the old data's rows beside the new)."""
        built = self.layers()
        stale = [layer for layer in layers if layer in built and built[layer] != generation]
        if stale and select:
            raise EcomctlError(
                f"landing was replaced since {stale[0]} was built (`seed`): run the whole"
                f" layer first, without --select (`{hints.command(f'run --layer {stale[0]}')}`)",
                ExitStatus.USAGE,
            )
        if stale:
            notice(
                f"landing was replaced since the last run (seed): rebuilding {', '.join(stale)}"
                " from scratch"
            )
        # A layer never built whole here (a first run) is built from scratch anyway.
        return set(stale) | {layer for layer in layers if layer not in built}

    def behind(
        self, layers: list[str], generation: int | None, landing: dict[str, str]
    ) -> tuple[list[str], list[str]]:
        """Of layers: those never built here, and those built from other landing than now's
        (replaced, or loaded into since: `seed --increment`), in the pipeline's order."""
        built, stamps, now = self.layers(), self._mine().get("landing", {}), _stamp(landing)
        missing = [layer for layer in layers if generation is None or layer not in built]
        # A layer built before ecomctl kept its stamp is judged by its generation alone.
        older = [
            layer
            for layer in layers
            if layer not in missing
            and (built[layer] != generation or stamps.get(layer, now) != now)
        ]
        return missing, older

    def record(
        self,
        layers: list[str],
        generation: int,
        inputs: Inputs | None,
        landing: dict[str, str] | None = None,
    ) -> None:
        """The layers were built whole from landing's generation (and, when given, from
        landing as its fingerprint says: appended loads included)."""
        everything = self._all()
        mine = everything.setdefault(self.stack, {})
        mine.setdefault("layers", {}).update(dict.fromkeys(layers, generation))
        if landing is not None:
            mine.setdefault("landing", {}).update(dict.fromkeys(layers, _stamp(landing)))
        if inputs is not None:
            mine["inputs"] = _inputs_dict(inputs)
            mine["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
            mine.pop("unfinished", None)  # a whole run owes nothing to a stopped one
        self._write(everything)

    def building(self) -> dict[str, Any] | None:
        """Tables are about to change: until the run succeeds, nothing is known to be up to
        date (a killed run can leave a model half-swapped, or dbt's intermediate tables,
        behind; the next run must build again, and dbt clears those). Returns the record
        taken away, for `kept` to put back after a partial run that succeeded."""
        everything = self._all()
        taken: dict[str, Any] | None = everything.get(self.stack, {}).pop("inputs", None)
        if taken is not None:
            self._write(everything)
        return taken

    def kept(self, taken: dict[str, Any] | None) -> None:
        """A run of some layers or models succeeded: what the last whole run was built from
        still says what the tables hold, unless that run recorded newer inputs."""
        if taken is None:  # nothing was taken (a first run, `test`): no file to read
            return
        everything = self._all()
        mine = everything.setdefault(self.stack, {})
        if "inputs" not in mine:
            mine["inputs"] = taken
            self._write(everything)

    def forget(self) -> None:
        """The stack's data is gone (`down --volumes`): nothing was built from anything."""
        everything = self._all()
        if everything.pop(self.stack, None) is not None:
            self._write(everything)

    def _write(self, everything: dict[str, Any]) -> None:
        write_private(self.path, json.dumps(everything, indent=2) + "\n")


def _inputs_of(found: Any) -> Inputs | None:
    try:
        return Inputs(dict(found["landing"]), dict(found["files"]), str(found["target"]))
    except (TypeError, KeyError):
        return None


def _inputs_dict(inputs: Inputs) -> dict[str, Any]:
    return {"landing": inputs.landing, "files": inputs.files, "target": inputs.target}
