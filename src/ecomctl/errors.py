"""Exit codes and the one error type every failing path raises.

Every command exits through ExitStatus, so a shell script can trust the number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import IntEnum, unique
from typing import Any


@unique
class ExitStatus(IntEnum):
    SUCCESS = 0
    FAILURE = 1  # a model, test or data check failed (a bad input file too)
    USAGE = 2  # the command line itself is wrong
    UNHEALTHY = 3  # a service is down, unhealthy or timed out
    ENVIRONMENT = 4  # the machine lacks something: a free port, Java, Docker
    INTERRUPTED = 130  # Ctrl-C
    TERMINATED = 143  # SIGTERM (handled as Ctrl-C is: what was stored stays whole)


class EcomctlError(Exception):
    """A failure with a one-line message for the user and the exit status it maps to."""

    def __init__(self, message: str, status: ExitStatus = ExitStatus.FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class ServiceFailed(EcomctlError):
    """A service did not become healthy: its last log lines go with the one-line reason."""

    def __init__(self, service: str, reason: str, logs: str) -> None:
        super().__init__(f"{service}: {reason}", ExitStatus.UNHEALTHY)
        self.service = service
        self.logs = logs


class ServiceDied(ServiceFailed):
    """A service whose process ended while a command needed it (exit 3): named at once, with
    what the command was doing and its last log lines, rather than the error (or the wait) of
    an engine that depends on it."""

    def __init__(self, service: str, during: str, logs: str) -> None:
        from ecomctl import hints

        super().__init__(service, "", logs)
        when = f" {during}" if during else ""
        self.message = (
            f"{service} is stopped (its process ended): it stopped{when};"
            f" `{hints.command('up')}` or the next run starts it again"
        )
        self.args = (self.message,)


class Interrupted(EcomctlError):
    """Ctrl-C (or SIGTERM) stopped a command part way. done: what finished before it (dbt's
    outcomes, then the layers' reports); detail: where it stopped and what the next command
    does about it, for the last line on the screen; fields: the same for the --json document.
    """

    def __init__(
        self, done: Sequence[Any] = (), detail: str = "", fields: dict[str, Any] | None = None
    ) -> None:
        super().__init__("interrupted", ExitStatus.INTERRUPTED)
        self.done = list(done)
        self.detail = detail
        self.fields = fields or {}


class ServiceDown(EcomctlError):
    """A service a command needs does not answer (exit 3): one line naming it, where it
    should be, why not, and how to start it. Clients raise it with a plain hint; a stack,
    which knows who runs its services, gives it its own (`hinted`)."""

    def __init__(
        self,
        service: str,
        where: str,
        detail: str,
        hint: str = "",
        state: str = "is not running",
    ) -> None:
        from ecomctl import hints

        hint = hint or f"start it with `{hints.command('up')}`"
        at = f" at {where}" if where else ""
        super().__init__(f"{service}{at} {state} ({detail}): {hint}", ExitStatus.UNHEALTHY)
        self.service, self.where, self.detail = service, where, detail

    def hinted(self, hint: str, state: str = "is not running") -> ServiceDown:
        return ServiceDown(self.service, self.where, self.detail, hint, state)


def first_line(text: str, default: str = "") -> str:
    """The first line of a message that may span several, for one-line errors and tables."""
    lines = text.strip().splitlines()
    return lines[0].strip() if lines else default


def joined_lines(text: str, default: str = "") -> str:
    """Every line of a message, joined: for errors whose cause is on a later line (S3's code)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "; ".join(lines) or default


# dbt's headings ("Runtime Error in model x (path)", "Database Error") say where, not why.
_HEADING = re.compile(
    r"^(?:(?:Runtime|Database|Compilation|Parsing|Dependency|Internal) Error|Failure)"
    r"(?: in \w+ .*)?:?$"
)


def cause(text: str, default: str = "") -> str:
    """The first line of a (dbt) message that says why: its headings skipped."""
    for line in text.strip().splitlines():
        line = line.strip()
        if line and not _HEADING.match(line):
            return line
    return first_line(text, default)


def reason(exc: BaseException) -> str:
    """One line saying why exc happened (ecomctl's own message as it is)."""
    if isinstance(exc, EcomctlError):
        return exc.message
    said = getattr(exc, "message", None)
    if isinstance(said, str) and getattr(exc, "error_name", None):
        # Trino's errors: their message, with its line and column ("line 1:15: Schema 'x'
        # does not exist"), rather than their repr (TrinoUserError(type=..., query_id=...)).
        return first_line(said, type(exc).__name__)
    return first_line(str(exc), type(exc).__name__)


def counted(n: int, noun: str) -> str:
    """ "1 bad row", "3 bad rows": a count and its noun, as a sentence says them."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
