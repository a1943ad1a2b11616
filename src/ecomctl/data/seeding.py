"""`ecomctl seed`: generate (or take the user's) Olist files, then load them into landing."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecomctl.data import landing
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.settings import HomePaths


@dataclass(frozen=True)
class SeedResult:
    source: Path
    generated: bool
    rows: dict[str, int]
    rejected: int = 0
    rejects_by_file: dict[str, int] = field(default_factory=dict)
    batch: int | None = None  # the increment's number, for `seed --increment`

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _result(
    source: Path, generated: bool, loaded: landing.LoadResult, batch: int | None = None
) -> SeedResult:
    return SeedResult(
        source, generated, loaded.rows, loaded.rejected, loaded.rejects_by_file, batch
    )


def _params(paths: HomePaths) -> dict[str, Any] | None:
    marker = paths.generated / ".params.json"
    return json.loads(marker.read_text()) if marker.exists() else None


def generated_files(paths: HomePaths, scale: float, seed: int) -> tuple[Path, bool]:
    """The generated files for (scale, seed), made now unless already there."""
    from ecomctl.data import generator

    target = paths.generated
    params = {"scale": scale, "seed": seed, "generator": generator.VERSION}
    if _params(paths) == params:
        return target, False
    # Generate beside, then swap: a half-generated folder is never taken for a whole one.
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    generator.generate(partial, scale=scale, seed=seed)
    (partial / ".params.json").write_text(json.dumps(params))
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target, True


def seed(
    paths: HomePaths,
    scale: float,
    seed: int,
    from_dir: Path | None = None,
    max_bad_rows: int | None = None,
) -> SeedResult:
    """Replace the landing zone with the user's files or the generated ones."""
    if from_dir is not None:
        if not from_dir.is_dir():
            raise EcomctlError(f"--from {from_dir}: not a folder", ExitStatus.USAGE)
        return _result(from_dir, False, landing.load(paths, from_dir, max_bad_rows=max_bad_rows))
    source, made = generated_files(paths, scale, seed)
    loaded = landing.load(paths, source, max_bad_rows=max_bad_rows)
    # A new base starts the day-by-day increments over.
    shutil.rmtree(paths.increments, ignore_errors=True)
    return _result(source, made, loaded)


def increment(paths: HomePaths) -> SeedResult:
    """Append one more day of new orders, after the generated base and earlier increments."""
    from ecomctl.data import generator

    params = _params(paths)
    if params is None or not landing.row_counts(paths):
        raise EcomctlError("no generated landing data to extend: run `ecomctl seed` first")
    done = sorted(paths.increments.glob("batch-*")) if paths.increments.exists() else []
    batch = len(done) + 1
    folder = paths.increments / f"batch-{batch:04d}"
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    generator.generate_increment(partial, params["scale"], params["seed"], batch)
    loaded = landing.load(paths, partial, append=True)
    # Renamed only once loaded: a failed append leaves no batch that looks done.
    partial.rename(folder)
    return _result(folder, True, loaded, batch)
