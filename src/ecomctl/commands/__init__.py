"""The work behind each command, one module per group of commands: plain functions that take
a stack, do the work and return results. Nothing here prints; what the user must see on the
way goes through `Events` and dbt's progress callbacks, and the CLI renders both.

This module holds what every group needs: settings, the stack, the dbt project, the home.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ecomctl import lock
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.settings import Settings, load_settings
from ecomctl.stacks import get_stack
from ecomctl.stacks.base import Events, Stack
from ecomctl.transform.project import DbtProject

if TYPE_CHECKING:
    from ecomctl.history import Recorder


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
