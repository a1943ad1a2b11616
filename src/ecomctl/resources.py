"""The folders that ship with ecomctl (the dbt project, the compose files, the engines'
configuration): inside the wheel when installed, at the top of a clone otherwise."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent  # src/ecomctl


def bundled(name: str) -> Path:
    """The folder `name` ("dbt", "compose", "conf"): inside the wheel, or at the clone's top level."""
    installed = _PACKAGE / "_bundled" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent.parent / name
