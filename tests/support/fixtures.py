"""Fixtures every tier shares: the generated files and a home on which `run` completed."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.helpers import TEST_SCALE, ecomctl


@pytest.fixture(scope="session")
def olist_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid set of the 9 generated Olist files at the test scale."""
    from ecomctl.data import generator

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
