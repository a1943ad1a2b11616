"""DuckDB connections to the warehouse file, with the pip-shipped postgres extension.

DuckDB cannot download extensions here (nor on many CI machines), so the extension file that
the duckdb-extension-postgres wheel carries is installed once into the home folder, and every
connection (ecomctl's and dbt's) autoloads it from there.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.settings import HomePaths


def config(paths: HomePaths) -> dict[str, Any]:
    """Connection settings shared by ecomctl and the rendered dbt profiles."""
    return {
        "extension_directory": str(paths.duckdb_extensions),
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": True,
    }


def _shipped_extension(version: str) -> Path:
    spec = importlib.util.find_spec("duckdb_extension_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EcomctlError(
            "the duckdb-extension-postgres package is not installed", ExitStatus.ENVIRONMENT
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    return root / "extensions" / f"v{version}" / "postgres.duckdb_extension"


def ensure_postgres_extension(paths: HomePaths) -> None:
    import duckdb

    if any(paths.duckdb_extensions.glob("*/*/postgres_scanner.duckdb_extension")):
        return
    shipped = _shipped_extension(duckdb.__version__)
    if not shipped.exists():
        raise EcomctlError(
            f"no postgres extension for DuckDB {duckdb.__version__} at {shipped}",
            ExitStatus.ENVIRONMENT,
        )
    paths.duckdb_extensions.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # DuckDB derives the entry point from the file name: the extension's real name.
        named = Path(tmp) / "postgres_scanner.duckdb_extension"
        shutil.copyfile(shipped, named)
        con = duckdb.connect(config=config(paths))
        try:
            con.install_extension(str(named))
        finally:
            con.close()


def table_counts(paths: HomePaths, schema: str) -> dict[str, int]:
    """Rows per table of a warehouse schema; empty when nothing was written yet."""
    from ecomctl import tables

    if not paths.warehouse.exists():
        return {}
    con = connect(paths, read_only=True)
    try:
        return tables.table_counts(lambda sql: con.execute(sql).fetchall(), schema)
    finally:
        con.close()


def connect(paths: HomePaths, read_only: bool = False) -> Any:
    """A connection to the warehouse file (created on first write)."""
    import duckdb

    paths.root.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(paths.warehouse), read_only=read_only, config=config(paths))
    except duckdb.IOException as exc:
        raise EcomctlError(
            f"warehouse {paths.warehouse}: {str(exc).splitlines()[0]}", ExitStatus.FAILURE
        ) from exc
