"""What a stack is to the rest of ecomctl: the `Stack` protocol and the values it trades in.

The CLI and the app use a stack only through `Stack`; mypy --strict holds them to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ecomctl.engines.endpoints import PgLogin
from ecomctl.engines.iceberg import LayerSize, Snapshots, Upkeep
from ecomctl.engines.sql import QueryResult
from ecomctl.errors import EcomctlError, reason
from ecomctl.results import ServiceStatus
from ecomctl.runners.base import Events, NoEvents, UpOptions
from ecomctl.settings import HomePaths, Settings

if TYPE_CHECKING:
    from ecomctl.data.publish import PublishResult

__all__ = [
    "DbtTarget",
    "Endpoints",
    "Events",
    "NoEvents",
    "PgLogin",
    "QueryResult",
    "Stack",
    "UpOptions",
    "profiles_for",
    "query_errors",
]


@dataclass(frozen=True)
class Endpoints:
    """Where a user's own clients connect; never a secret."""

    variables: dict[str, str]  # ECOMCTL_* lines for `status -o env`
    gold_url: str | None  # None until a port is chosen (a never-started embedded home)
    password_hint: str  # a shell expression giving gold's password, for the psql hint


@dataclass(frozen=True)
class DbtTarget:
    """How dbt reaches the stack's engines."""

    profiles: dict[str, Any]  # profiles.yml (no secret inside)
    vars: dict[str, str]
    env: dict[str, str]  # secrets reach the dbt child through its environment only
    # profile -> parse group: profiles in one group compile the project alike, parsed once.
    parse_groups: dict[str, str] = field(default_factory=dict)
    # Whether every home of the stack may start from one parse (see transform/parse_cache).
    shared_parse: bool = False


class Stack(Protocol):
    """Everything the CLI and the app may ask of a stack."""

    name: str
    settings: Settings
    paths: HomePaths

    def up(self, opts: UpOptions, events: Events) -> list[ServiceStatus]: ...
    def down(self, remove_data: bool) -> tuple[bool, str]: ...  # (stopped any, message)
    def status(self) -> list[ServiceStatus]: ...
    def gone(self) -> dict[str, Path]: ...  # services whose processes died (runners/watch.py)
    def logs(self, service: str | None, tail: int, follow: bool) -> Iterator[str]: ...
    def endpoints(self) -> Endpoints: ...
    def publish_landing(self, events: Events) -> PublishResult | None: ...  # None: no lake
    def row_counts(self, layer: str) -> dict[str, int]: ...
    def tables(self, layer: str) -> list[str]: ...  # a stopped server that holds it: exit 3
    def query(self, layer: str, sql: str) -> QueryResult: ...
    def dbt_target(self) -> DbtTarget: ...
    def gold_owner(self) -> PgLogin: ...  # who owns gold's tables: keys and comments
    # The lake's Iceberg snapshots: none ({} and []) on a stack without a lake.
    def lake_snapshots(self) -> Snapshots: ...  # each bronze/silver table's current one
    def keep_lake(self, kept: list[Snapshots]) -> list[Upkeep]: ...  # expire all but kept
    def lake_sizes(self) -> list[LayerSize]: ...
    # sql over bronze and silver as a run left them; run() names it and gives its snapshots.
    def query_as_of(self, sql: str, run: Callable[[], tuple[str, Snapshots]]) -> QueryResult: ...


def profiles_for(target: str, outputs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """profiles.yml's shape: each of the guide's profiles with one target, named after the stack."""
    return {
        profile: {"target": target, "outputs": {target: output}}
        for profile, output in outputs.items()
    }


@contextmanager
def query_errors(layer: str) -> Iterator[None]:
    """A failing user query becomes one line naming the layer (ecomctl's own errors pass)."""
    try:
        yield
    except EcomctlError:
        raise
    except Exception as exc:
        raise EcomctlError(f"query on {layer}: {reason(exc)}") from exc
