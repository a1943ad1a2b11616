"""What every service runner offers a stack, and what it tells the user while it works."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.results import ServiceStatus


@dataclass(frozen=True)
class UpOptions:
    """How `up` starts services. Runners that start nothing refuse `only`, `timeout` and
    `wait=False`."""

    only: list[str] | None = None  # these services and what they depend on
    timeout: float | None = None  # seconds to wait for health (the runner's default when None)
    wait: bool = True
    layers: list[str] | None = None  # what a run needs: a probe-only runner checks just these
    offline: bool = False  # download nothing: use what the cache holds

    def refuse_custom(self, whose: str) -> None:
        """For a runner that waits on no service it started: --only, --timeout and --no-wait
        are a usage error, saying whose servers these are."""
        if self.only is not None or self.timeout is not None or not self.wait:
            raise EcomctlError(
                "--only, --timeout and --no-wait are for stacks whose services ecomctl starts"
                f" and waits on (compose, native): {whose}",
                ExitStatus.USAGE,
            )


class Events(Protocol):
    """What a stack tells the user while it works; the CLI renders it."""

    def notice(self, text: str) -> None: ...  # something the user must know (a moved port)
    def services(self, rows: list[ServiceStatus], elapsed: float) -> None: ...  # while waiting
    def building(self, what: list[str], log: Path) -> None: ...  # a long first-time step
    def transfer(self, name: str, done: int, total: int | None) -> None: ...  # a download


class NoEvents:
    """Events nobody watches (tests, benchmarks, read-only commands)."""

    def notice(self, text: str) -> None:
        pass

    def services(self, rows: list[ServiceStatus], elapsed: float) -> None:
        pass

    def building(self, what: list[str], log: Path) -> None:
        pass

    def transfer(self, name: str, done: int, total: int | None) -> None:
        pass


class Services(Protocol):
    """Who runs a lake stack's services: nobody (probes), Docker Compose, or local processes."""

    def start(self, opts: UpOptions, events: Events) -> list[ServiceStatus]: ...
    def stop(self, remove_data: bool) -> tuple[bool, str]: ...  # (stopped any, message)
    def states(self) -> list[ServiceStatus]: ...
    def logs(self, service: str | None, tail: int, follow: bool) -> Iterator[str]: ...
    # The services it started (and did not stop) whose processes have ended, in start order,
    # each with its log; a cheap look for a command that watches them (runners/watch.py).
    def gone(self) -> dict[str, Path]: ...
