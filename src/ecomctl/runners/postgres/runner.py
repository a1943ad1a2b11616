"""The embedded stack's one server behind the runner protocol (runners/base.py::Services), as
the lake stacks' runners are: start, stop, states, logs."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path

from ecomctl import protection
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.results import ServiceStatus
from ecomctl.runners import logs as log_files
from ecomctl.runners.base import Events, UpOptions
from ecomctl.runners.postgres.server import EmbeddedPostgres


class PostgresServices:
    def __init__(self, server: EmbeddedPostgres) -> None:
        self.server = server

    def start(self, opts: UpOptions, events: Events) -> list[ServiceStatus]:
        """Set the server up on first use, start it when stopped, wait for connections."""
        if self.server.server_pid() is None:
            events.notice("starting PostgreSQL (gold's server) ...")
        self.server.ensure_running()
        for notice in self.server.notices:
            events.notice(notice)
        self.server.notices.clear()
        return self.states()

    def stop(self, remove_data: bool) -> tuple[bool, str]:
        stopped = self.server.stop()
        if remove_data:
            shutil.rmtree(self.server.root, ignore_errors=True)
            self.server.forget_account()
            return stopped, "postgres stopped, its data removed"
        return stopped, "postgres stopped" if stopped else "postgres was not running"

    def states(self) -> list[ServiceStatus]:
        return [dataclasses.replace(self.server.status(), protection=protection.POSTGRES)]

    def gone(self) -> dict[str, Path]:
        return {self.server.name: self.server.log} if self.server.died() else {}

    def logs(self, service: str | None, tail: int, follow: bool) -> Iterator[str]:
        if service not in (None, self.server.name):
            raise EcomctlError(
                f"no service {service!r} on the embedded stack: its one server is postgres",
                ExitStatus.USAGE,
            )
        return log_files.read({self.server.name: self.server.log}, tail, follow)
