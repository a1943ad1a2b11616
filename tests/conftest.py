"""Shared fixtures: every test drives the real ecomctl, DuckDB and PostgreSQL server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Small enough for the suite to stay quick, big enough that every status, payment type and
# quirk of the generator appears.
TEST_SCALE = 0.02


def ecomctl(*args: str, home: Path | None = None, check: bool = True,
            env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run the installed ecomctl as a user would, in a subprocess."""
    cmd = [sys.executable, "-m", "ecomctl", *args]
    if home is not None:
        cmd += ["--home", str(home)]
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=full_env, cwd=cwd, timeout=timeout, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc


@pytest.fixture(scope="session")
def olist_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid set of the 9 generated Olist files at the test scale."""
    from ecomctl import generator

    out = tmp_path_factory.mktemp("olist")
    generator.generate(out, scale=TEST_SCALE, seed=7)
    return out


@pytest.fixture(scope="session")
def pipeline_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home folder on which `ecomctl run` has completed once (seeding itself first)."""
    home = tmp_path_factory.mktemp("pipeline") / "home"
    ecomctl("seed", "--scale", str(TEST_SCALE), home=home)
    try:
        yield home
    finally:
        ecomctl("down", home=home, check=False)


@pytest.fixture(scope="session")
def first_run(pipeline_home: Path) -> subprocess.CompletedProcess[str]:
    return ecomctl("run", home=pipeline_home)
