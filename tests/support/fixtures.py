"""Fixtures every tier shares: the generated files and a home on which `run` completed."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.helpers import TEST_SCALE, ecomctl


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A home folder of the test's own (not made yet), stopped at the end."""
    path = tmp_path / "home"
    try:
        yield path
    finally:
        ecomctl("down", home=path, check=False)


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


GOLD_TABLES = (
    "daily_sales_categories", "sales_values_by_category", "sales_by_customer_state",
    "delivery_performance_monthly", "payment_type_mix", "review_score_by_category",
)  # fmt: skip


def gold_rows(home: Path, stack: str = "embedded") -> dict[str, list[str]]:
    """Every row of the six gold tables, as sorted JSON lines, read through `query`."""
    import json

    found = {}
    for table in GOLD_TABLES:
        proc = ecomctl("query", f"select * from {table}", "--json", "--stack", stack, home=home)
        found[table] = sorted(json.dumps(row) for row in json.loads(proc.stdout)["rows"])
    return found


@pytest.fixture(scope="session")
def fresh_seed_7(tmp_path_factory: pytest.TempPathFactory, olist_files: Path) -> Iterator[Path]:
    """A fresh embedded home that only ever saw the seed-7 files, run."""
    home = tmp_path_factory.mktemp("fresh") / "home"
    ecomctl("seed", "--from", str(olist_files), home=home)
    ecomctl("run", home=home)
    try:
        yield home
    finally:
        ecomctl("down", home=home, check=False)
