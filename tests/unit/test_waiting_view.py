"""On a terminal, the services' "waiting" table shows while `up` waits and is gone once every
service is healthy: `up` then prints its table once, and a run's progress does not sit under a
stale one. A wait that fails leaves its last states on the screen."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from ecomctl.errors import ServiceFailed
from ecomctl.outputs.console import Screen
from ecomctl.outputs.watch import stack_events
from ecomctl.results import ServiceStatus

_CONTROL = re.compile(r"\x1b\[(\??)(\d*)([A-Za-z])|\r|\n|[^\x1b\r\n]+")


def _screen_after(written: str) -> list[str]:
    """The lines a terminal shows after written: text, newlines, carriage returns, cursor up
    and erase line (what rich's live display writes), colours off."""
    lines, row, col = [""], 0, 0
    for match in _CONTROL.finditer(written):
        token = match.group(0)
        if token == "\n":
            row, col = row + 1, 0
            lines += [""] * (row + 1 - len(lines))
        elif token == "\r":
            col = 0
        elif match.group(3) == "A":
            row = max(0, row - int(match.group(2) or 1))
        elif match.group(3) == "K":
            lines[row] = ""
        elif not token.startswith("\x1b"):
            lines[row] = lines[row][:col].ljust(col) + token + lines[row][col + len(token) :]
            col += len(token)
    return [line.rstrip() for line in lines if line.strip()]


def _terminal() -> tuple[Screen, io.StringIO]:
    written = io.StringIO()
    screen = Screen()
    screen.err = Console(file=written, force_terminal=True, no_color=True, width=100)
    return screen, written


def _postgres(state: str) -> ServiceStatus:
    return ServiceStatus("postgres", state, "127.0.0.1:5432")  # type: ignore[arg-type]


def test_the_waiting_table_goes_once_every_service_is_healthy() -> None:
    screen, written = _terminal()
    with stack_events(screen) as events:
        events.services([_postgres("starting")], 1.0)
        events.services([_postgres("running")], 2.0)
        screen.err.print("bronze  3/9 nodes")  # what comes next: the run's progress, say
    shown = _screen_after(written.getvalue())
    assert not any("waiting" in line for line in shown), shown
    assert shown == ["bronze  3/9 nodes"]


def test_a_wait_that_fails_leaves_the_last_states() -> None:
    screen, written = _terminal()
    with pytest.raises(ServiceFailed), stack_events(screen) as events:
        events.services([_postgres("starting")], 1.0)
        raise ServiceFailed("postgres", "not healthy after 1 s", "")
    shown = _screen_after(written.getvalue())
    assert any("waiting 1s" in line for line in shown)
    assert any("postgres" in line and "starting" in line for line in shown), shown
