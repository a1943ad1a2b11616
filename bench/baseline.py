"""The baseline: the same dbt models over the same files with plain dbt-duckdb, as the guide runs
them: `dbt seed` loads the CSV files, then `dbt run` builds every layer, each in its own
process, on one profile.

The project is a temporary copy of ecomctl's with the files as seeds in the `landing` schema,
so that the models' `landing` source reads them unchanged:
- each seed is named after its file and aliased to its landing table (a seed named
  `customers` would clash with the bronze model of that name), with the column types of
  src/ecomctl/data/olist.py (ids and zips as text) as `column_types`;
- `_loaded_at`, which ecomctl's loader adds and the incremental models require, is added by
  a seed post-hook (`alter table ... add column _loaded_at ... default current_timestamp`):
  one cheap statement per table, the simplest fair equivalent of the loader's column;
- the files are symlinked, not copied, and dbt-duckdb's fast seed path COPYs them straight
  from disk (dbt-core still parses each file into an agate table first: the cost measured);
- but the reviews file takes dbt-duckdb's slow path (`fast: false`: rows inserted from the
  agate table, 10,000 per statement): its fast path COPYs with the delimiter as the only
  option, and DuckDB's sniffer then takes the doubled quotes inside quoted comments
  (`"Produto ""original""?"`) for an unterminated quote and fails the seed.

The profile is ecomctl's gold profile (same threads, DuckDB settings, PostgreSQL attached as
`de_psql`, vars) with its own warehouse file, so gold goes to the same PostgreSQL server.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from ecomctl.data.olist import FILES

PROFILE = "baseline"
TARGET = "duckdb"
# Added after the seed's rows are in: DuckDB fills the existing rows with the default.
# Files that dbt-duckdb's fast seed path (a COPY with sniffed quoting) cannot read.
SLOW_PATH = frozenset({"order_reviews"})
LOADED_AT_HOOK = (
    "alter table {{ this }} add column if not exists _loaded_at timestamp default current_timestamp"
)


@dataclass(frozen=True)
class BaselineProject:
    project_dir: Path
    warehouse: Path
    vars: dict[str, str]

    def dbt_args(self, command: str) -> list[str]:
        return [
            command,
            "--project-dir", str(self.project_dir),
            "--profiles-dir", str(self.project_dir),
            "--profile", PROFILE,
            "--vars", json.dumps(self.vars),
        ]  # fmt: skip


def _seed_properties() -> dict[str, Any]:
    return {
        "version": 2,
        "seeds": [
            {
                "name": Path(spec.filename).stem,
                "config": {
                    "alias": spec.table,
                    "column_types": {c.name: c.type.lower() for c in spec.columns},
                    **({"fast": False} if spec.table in SLOW_PATH else {}),
                },
            }
            for spec in FILES
        ],
    }


def make_project(
    source: Path, files: Path, work: Path, output: dict[str, Any], dbt_vars: dict[str, str]
) -> BaselineProject:
    """Copy the dbt project at source into work with the files at `files` as its seeds.

    `output` is the dbt profile output to run on (ecomctl's gold output); its warehouse becomes
    work/<lake_database>.duckdb, so that the lake database keeps ecomctl's name.
    """
    project = work / "project"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(source, project, ignore=shutil.ignore_patterns("target", "logs", "seeds"))
    seeds = project / "seeds"
    seeds.mkdir()
    for spec in FILES:
        (seeds / spec.filename).symlink_to((files / spec.filename).resolve())
    (seeds / "_landing_seeds.yml").write_text(yaml.safe_dump(_seed_properties(), sort_keys=False))

    config_path = project / "dbt_project.yml"
    config = yaml.safe_load(config_path.read_text())
    config["seed-paths"] = ["seeds"]
    config["seeds"] = {
        config["name"]: {
            "+schema": dbt_vars.get("landing_schema", "landing"),
            "+post-hook": [LOADED_AT_HOOK],
        }
    }
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))

    warehouse = work / f"{dbt_vars['lake_database']}.duckdb"
    warehouse.unlink(missing_ok=True)
    profile = {PROFILE: {"target": TARGET, "outputs": {TARGET: {**output, "path": str(warehouse)}}}}
    (project / "profiles.yml").write_text(json.dumps(profile, indent=2) + "\n")
    return BaselineProject(project, warehouse, dbt_vars)
