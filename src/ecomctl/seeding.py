"""`ecomctl seed`: generate (or take the user's) Olist files, then load them into landing."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from ecomctl import landing
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.settings import HomePaths


@dataclass(frozen=True)
class SeedResult:
    source: Path
    generated: bool
    rows: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def generated_files(paths: HomePaths, scale: float, seed: int) -> tuple[Path, bool]:
    """The generated files for (scale, seed), made now unless already there."""
    from ecomctl import generator

    target = paths.generated
    marker = target / ".params.json"
    params = {"scale": scale, "seed": seed, "generator": generator.VERSION}
    if marker.exists() and json.loads(marker.read_text()) == params:
        return target, False
    # Generate beside, then swap: a half-generated folder is never taken for a whole one.
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    generator.generate(partial, scale=scale, seed=seed)
    marker_tmp = partial / ".params.json"
    marker_tmp.write_text(json.dumps(params))
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target, True


def seed(paths: HomePaths, scale: float, seed: int, from_dir: Path | None = None) -> SeedResult:
    if from_dir is not None:
        if not from_dir.is_dir():
            raise EcomctlError(f"--from {from_dir}: not a folder", ExitStatus.USAGE)
        return SeedResult(from_dir, False, landing.load(paths, from_dir))
    source, made = generated_files(paths, scale, seed)
    return SeedResult(source, made, landing.load(paths, source))
