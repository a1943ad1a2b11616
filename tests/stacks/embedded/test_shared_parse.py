"""A new home's first run starts from the parse another home made of the same project (see
transform/parse_cache.py): dbt then parses only what differs, and builds the same gold."""

from __future__ import annotations

import json
from pathlib import Path

from support.fixtures import gold_rows
from support.helpers import NO_PARTIAL_PARSE, TEST_SCALE, dbt_log, ecomctl

FULL_PARSE = "Starting full parse"


def test_a_second_home_starts_from_the_first_homes_parse(tmp_path: Path) -> None:
    env = {"ECOMCTL_CACHE_DIR": str(tmp_path / "cache")}  # this test's own, empty at first
    first, second = tmp_path / "first" / "home", tmp_path / "second" / "home"
    try:
        for home in (first, second):
            ecomctl("seed", "--scale", str(TEST_SCALE), home=home, env=env)
            ecomctl("run", home=home, env=env)
        assert FULL_PARSE in dbt_log(first)
        assert NO_PARTIAL_PARSE not in dbt_log(second), dbt_log(second)
        assert len(list((tmp_path / "cache" / "dbt-parse").glob("*.msgpack"))) == 1
        assert gold_rows(second) == gold_rows(first)

        # The profiles name no home (dbt works in the home): that is what makes them alike.
        profiles = (second / "dbt" / "profiles.yml").read_text()
        assert str(second) not in profiles and str(first) not in profiles
        bronze = json.loads(profiles)["trino"]["outputs"]["embedded"]
        assert bronze["path"] == "warehouse.duckdb"

        # A run of gold alone parses with the same profile as a whole run: no parse again.
        ecomctl("run", "--layer", "gold", home=second, env=env)
        ecomctl("run", "--force", home=second, env=env)
        assert NO_PARTIAL_PARSE not in dbt_log(second), dbt_log(second)
    finally:
        for home in (first, second):
            ecomctl("down", home=home, check=False)
