"""The work behind each command, one module per group of commands: plain functions that take
a stack, do the work and return results. Nothing here prints; what the user must see on the
way goes through `Events` and dbt's progress callbacks, and the CLI renders both.

This module holds what every group needs: settings, the stack, the dbt project, the home.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecomctl import lock
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.settings import Settings, find_home, load_settings
from ecomctl.stacks import get_stack
from ecomctl.stacks.base import Events, Stack
from ecomctl.transform.project import DbtProject

if TYPE_CHECKING:
    from ecomctl.history import Recorder


def settings(found: Callable[[Path], None] = lambda home: None, **flags: Any) -> Settings:
    """Settings from every source, a bad value a usage error naming the setting; the home
    found above the current folder when no source names one (found is told where), and the
    home's own stack when no source names one."""
    from pydantic import ValidationError

    try:
        given = load_settings(**flags)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise EcomctlError(f"setting {where}: {first['msg']}", ExitStatus.USAGE) from exc
    above = None if "home" in given.model_fields_set else find_home(Path.cwd(), given.home)
    if above is not None:
        found(above)
        given = given.model_copy(update={"home": above})
    recorded = given.paths.recorded_stack()
    if recorded is None or recorded == given.stack:
        return given
    if "stack" not in given.model_fields_set:
        return given.model_copy(update={"stack": recorded})
    named = f"--stack {given.stack}" if flags.get("stack") else f"the {given.stack} stack"
    if not flags.get("stack"):
        named += " (set by ECOMCTL_STACK, .env or ecomctl.toml)"
    raise _other_stack(given.paths.root, recorded, named)


def _other_stack(root: Path, recorded: str, named: str) -> EcomctlError:
    return EcomctlError(
        f"home {root} belongs to the {recorded} stack, and {named} names another:"
        f" leave the stack out to use this home, or give the other stack a home of its own"
        " (--home DIR)",
        ExitStatus.USAGE,
    )


def open_stack(found: Callable[[Path], None] = lambda home: None, **flags: Any) -> Stack:
    return get_stack(settings(found, **flags))


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
        _record_stack(stack)
        if record is not None:
            record.start()
        yield


def _record_stack(stack: Stack) -> None:
    """The home belongs to the stack of its first command that writes (checked again under
    the lock: another stack's command may have recorded its own since this one looked)."""
    from ecomctl import home

    recorded = stack.paths.recorded_stack()
    if recorded not in (None, stack.name):
        raise _other_stack(stack.paths.root, str(recorded), f"the {stack.name} stack")
    if not stack.paths.stack_file.exists():
        home.write_private(stack.paths.stack_file, f"{stack.name}\n")
