"""Where the bundled dbt project and compose files are, installed or in a clone."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # src/ecomctl


def bundled(name: str) -> Path:
    """The folder `name` ("dbt", "compose", "conf"): inside the wheel, or at the clone's top level."""
    installed = _PACKAGE / "_bundled" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent.parent / name


def dbt_project_dir() -> Path:
    return bundled("dbt")
