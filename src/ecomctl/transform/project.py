"""Where the dbt project and the bundled compose files are: installed, in a clone, or the
user's own dbt project (`ecomctl init`, then the `dbt_project` setting)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from ecomctl import hints
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.home import building
from ecomctl.resources import bundled
from ecomctl.settings import Settings

# What dbt writes into a project folder when run there by hand: never part of the project.
BUILD_ARTEFACTS = ("target", "logs", "dbt_packages", "__pycache__", ".user.yml")

# Where `ecomctl init` puts the project when no folder is given: a name that says whose
# project it is, and that neither meets the `dbt/` folder many repositories already have nor
# the bundled project's own folder in a clone of ecomctl.
DEFAULT_INIT_DIR = Path("ecomctl-dbt")


@dataclass(frozen=True)
class DbtProject:
    path: Path
    bundled: bool

    def describe(self) -> str:
        return f"bundled ({self.path})" if self.bundled else str(self.path)


def dbt_project(settings: Settings) -> DbtProject:
    """The dbt project every command runs: the user's (the `dbt_project` setting) or the
    bundled one. A folder without dbt_project.yml is a usage error, found before any work."""
    if settings.dbt_project is None:
        return DbtProject(bundled("dbt"), True)
    # Relative to the current folder, which is also where ecomctl.toml is read from.
    path = settings.dbt_project.expanduser().resolve()
    if not (path / "dbt_project.yml").is_file():
        raise EcomctlError(
            f"dbt project {path}: not a dbt project (no dbt_project.yml); `{hints.command(f'init {path}')}`"
            " makes one (set by --project-dir, ECOMCTL_DBT_PROJECT or dbt_project in ecomctl.toml)",
            ExitStatus.USAGE,
        )
    return DbtProject(path, False)


def init(folder: Path) -> list[Path]:
    """Copy the bundled dbt project into folder (new, or empty), build artefacts left out;
    return the files made. Copied beside first, then moved in: never a half-made project."""
    target = folder.expanduser().resolve()
    if target.exists() and not target.is_dir():
        raise EcomctlError(f"init {target}: not a folder", ExitStatus.USAGE)
    if target.is_dir() and any(target.iterdir()):
        raise EcomctlError(
            f"init {target}: the folder is not empty; give a new or empty one", ExitStatus.USAGE
        )
    # (An empty folder is replaced; a non-empty one never gets here.)
    with building(target) as partial:
        ignored = shutil.ignore_patterns(*BUILD_ARTEFACTS)
        shutil.copytree(bundled("dbt"), partial, ignore=ignored, dirs_exist_ok=True)
    return sorted(p for p in target.rglob("*") if p.is_file())
