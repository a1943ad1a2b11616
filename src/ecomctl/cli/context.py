"""One invocation's context: which command runs, how it prints, what came before it on the
command line, and whether SIGTERM ended it. main() makes it and hands it to Typer as `ctx.obj`;
every command reads it from there."""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ecomctl.errors import ExitStatus

if TYPE_CHECKING:
    from ecomctl.history import Recorder
    from ecomctl.outputs.console import Screen
    from ecomctl.stacks.base import Stack


@dataclass
class Invocation:
    args: list[str] = field(default_factory=list)  # the command line after the program name
    command: str = ""
    json: bool = False  # whether the command owes stdout a JSON document
    signal: str = ""  # "SIGTERM" once that signal came
    # --home and --stack, given before the command or to it (the command's own wins)
    home: Path | None = None
    stack: str | None = None
    json_flag: bool = False  # --json and --quiet as given to the command
    quiet: bool = False
    _screen: Screen | None = field(default=None, init=False, repr=False)

    @property
    def screen(self) -> Screen:
        """Human output as the command's flags say (plain until a command starts)."""
        if self._screen is None:
            from ecomctl.outputs.console import Screen

            self._screen = Screen()
        return self._screen

    def given(
        self, json_flag: bool, quiet: bool, home: Path | None = None, stack: str | None = None
    ) -> None:
        """The options every command takes, as given to the command."""
        self.json_flag, self.quiet = json_flag, quiet
        self.home = self.home if home is None else home
        self.stack = self.stack if stack is None else stack

    def start(self, command: str, json_mode: bool | None = None) -> Screen:
        """The command starts: its JSON document owed (--json, unless json_mode says) and how
        it prints."""
        from ecomctl.outputs.console import Screen

        self.command = command
        self.json = self.json_flag if json_mode is None else json_mode
        self._screen = Screen(self.json, self.quiet)
        return self._screen

    def finish(self, status: ExitStatus, **fields: Any) -> None:
        """Emit the command's JSON document (with --json) and exit with status."""
        from ecomctl.outputs import json_docs

        if self.json:
            ok = status == ExitStatus.SUCCESS
            print(json_docs.dumps(json_docs.envelope(self.command, ok, int(status), **fields)))
        if status != ExitStatus.SUCCESS:
            raise typer.Exit(status)

    def flags(self, **flags: Any) -> dict[str, Any]:
        """A command's setting flags, with --home and --stack where the command passes none
        of its own."""
        before = {"home": self.home, "stack": self.stack}
        return {**flags, **{k: v for k, v in before.items() if flags.get(k) is None}}

    def open_stack(self, **flags: Any) -> Stack:
        """The stack of the home this command uses; the hints it prints name that home and
        stack where a pasted command would not find them itself."""
        from ecomctl import hints
        from ecomctl.commands import open_stack

        given = self.flags(**flags)
        st = open_stack(self.found_home, **given)
        unrecorded = given["stack"] is not None and st.paths.recorded_stack() is None
        home = st.paths.root if given["home"] is not None else None
        hints.for_home(home, st.name if unrecorded else None)
        return st

    def found_home(self, home: Path) -> None:
        """Say which home a command in a folder below it uses (on stderr, never in the JSON)."""
        self.screen.err.print(f"using the home {home} (found above this folder)", markup=False)

    def recording(self, st: Stack) -> AbstractContextManager[Recorder]:
        """The command's record in the home's history, however it ends."""
        from ecomctl import history

        return history.recording(
            st.paths, self.command, st.name, list(self.args), lambda: self.signal == "SIGTERM"
        )

    def terminated(self, signum: int, frame: object) -> None:
        """SIGTERM takes Ctrl-C's way out (children stopped, locks released, JSON written);
        only the message and the exit code say which it was."""
        self.signal = "SIGTERM"
        raise KeyboardInterrupt

    def fail(
        self,
        message: str,
        status: ExitStatus,
        quiet: bool = False,
        detail: str = "",
        **fields: Any,
    ) -> None:
        """The command's last words: message (then detail, on the screen) and fields with
        --json."""
        if status == ExitStatus.INTERRUPTED and self.signal == "SIGTERM":
            message, status = "terminated (SIGTERM)", ExitStatus.TERMINATED
        if self.json:
            from ecomctl.outputs import json_docs

            document = json_docs.envelope(self.command, False, int(status), error=message, **fields)
            print(json_docs.dumps(document))
        if not quiet:
            print(f"ecomctl: {message}{f' {detail}' if detail else ''}", file=sys.stderr)
        sys.exit(status)


def invocation_of(ctx: typer.Context) -> Invocation:
    """The invocation's context (a fresh one when Typer runs without main(), as tests may)."""
    found: Invocation = ctx.ensure_object(Invocation)
    return found
