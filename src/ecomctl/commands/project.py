"""`init` and `docs`: the dbt project itself (a copy of one's own, its docs site)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ecomctl.commands import dbt_project, writing
from ecomctl.commands.data import ensure_landing
from ecomctl.layers import LAYERS
from ecomctl.stacks.base import Events, Stack, UpOptions


@dataclass(frozen=True)
class Initialised:
    given: Path  # the folder as the user named it (the next steps repeat it)
    path: Path  # where it is
    files: int  # how many files were made


def init(folder: Path | None) -> Initialised:
    """Copy the bundled dbt project into folder (ecomctl's default folder when None)."""
    from ecomctl.transform import project

    given = project.DEFAULT_INIT_DIR if folder is None else folder
    made = project.init(given)
    return Initialised(given, given.expanduser().resolve(), len(made))


def docs(stack: Stack, events: Events) -> Path:
    """Generate the dbt docs site (building what it documents first if landing is empty);
    returns its folder."""
    from ecomctl.transform import docsite

    dbt_project(stack)  # a setting naming no project fails before any work
    with writing(stack, "docs", events):
        stack.up(UpOptions(), events)
        ensure_landing(stack, list(LAYERS), events)
        return docsite.generate(stack)


def serve(site: Path, port: int, announce: Callable[[str], None]) -> None:
    """Serve the docs site on 127.0.0.1 until interrupted (announce: given its address)."""
    from ecomctl.transform import docsite

    docsite.serve(site, port, announce)
