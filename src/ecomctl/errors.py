"""Exit codes and the one error type every failing path raises.

Every command exits through ExitStatus, so a shell script can trust the number.
"""

from __future__ import annotations

from enum import IntEnum, unique


@unique
class ExitStatus(IntEnum):
    SUCCESS = 0
    FAILURE = 1  # a model, test or data check failed (a bad input file too)
    USAGE = 2  # the command line itself is wrong
    UNHEALTHY = 3  # a service is down, unhealthy or timed out
    ENVIRONMENT = 4  # the machine lacks something: a free port, Java, Docker
    INTERRUPTED = 130  # Ctrl-C


class EcomctlError(Exception):
    """A failure with a one-line message for the user and the exit status it maps to."""

    def __init__(self, message: str, status: ExitStatus = ExitStatus.FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
