"""`up`, `status`, `down` and `logs`: the stack's services."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ecomctl import home
from ecomctl.commands import dbt_project, writing
from ecomctl.errors import EcomctlError
from ecomctl.results import ServiceStatus
from ecomctl.stacks.base import Events, Stack, UpOptions
from ecomctl.transform.project import DbtProject

# Room a first `up` takes in the home: PostgreSQL's initdb and DuckDB's extensions (embedded);
# those and the other engines' first files (native). Other stacks keep no data in the home.
ROOM_FOR_UP = {"embedded": 96 * home.MB, "native": 256 * home.MB}


def up(stack: Stack, opts: UpOptions, events: Events) -> list[ServiceStatus]:
    try:
        home.check_room(stack.paths.root, ROOM_FOR_UP.get(stack.name, 0), "up")
    except EcomctlError:
        # A stack already running needs no room to stay so: its `up` says so, not "free space".
        if not all(s.healthy for s in stack.status()):
            raise
    with writing(stack, "up", events):
        return stack.up(opts, events)


@dataclass(frozen=True)
class Status:
    project: DbtProject  # the dbt project the stack's commands run
    services: list[ServiceStatus]

    @property
    def healthy(self) -> bool:
        return all(s.healthy for s in self.services)

    @property
    def problem(self) -> str:
        """The first service down, in a line ("" when all are healthy)."""
        down = next((s for s in self.services if not s.healthy), None)
        return "" if down is None else f"{down.name} is {down.state}: {down.detail}"


def status(stack: Stack) -> Status:
    return Status(dbt_project(stack), stack.status())


def down(stack: Stack, remove_data: bool, events: Events) -> tuple[bool, str]:
    with writing(stack, "down", events):
        if remove_data:  # what was built is gone: the next run compares with nothing
            from ecomctl.transform.built import BuiltFrom

            BuiltFrom(stack.paths.dbt, stack.name).forget()
        return stack.down(remove_data)


def logs(stack: Stack, service: str | None, tail: int, follow: bool) -> Iterator[str]:
    return stack.logs(service, tail, follow=follow)
