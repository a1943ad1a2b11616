"""DuckDB connections to the warehouse file, with the pip-shipped extensions.

DuckDB cannot download extensions here (nor on many CI machines), so the extension files that
the duckdb-extension-<name> wheels carry (postgres for gold, httpfs for the S3 lake) are
installed once into the home folder, and every connection (ecomctl's and dbt's) autoloads
them from there.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ecomctl.errors import EcomctlError, ExitStatus, first_line
from ecomctl.settings import HomePaths

# DuckDB reads a backslash in a file name as a separator, and * ? [ ] { } as glob syntax.
_DUCKDB_SPECIAL = frozenset("\\?*[]{}")


def path_for_duckdb(path: Path) -> str:
    """path, as DuckDB can open it: when its folder's name holds characters DuckDB reads as
    syntax, the folder is reached through a symlink of ecomctl's own (a private folder of the
    user's cache), so that every name a file system allows works as a home."""
    text = str(path)
    if not _DUCKDB_SPECIAL & set(text):
        return text
    import hashlib

    from ecomctl.home import link_whole, private_dir

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    links = private_dir(cache / "ecomctl" / "paths")
    folder = str(path.parent)
    link = links / hashlib.sha256(folder.encode()).hexdigest()[:16]
    if not (link.is_symlink() and os.readlink(link) == folder):
        link_whole(link, folder)
    return str(link / path.name)


def home_relative(paths: HomePaths, path: Path) -> str:
    """path from the home, as dbt's profiles hold it: dbt's child works in the home, so that the
    profiles name no home and one parse of the project serves every home (parse_cache)."""
    return path.relative_to(paths.root).as_posix()


def config(paths: HomePaths, in_home: bool = False) -> dict[str, Any]:
    """Connection settings shared by ecomctl and the rendered dbt profiles. in_home: paths
    relative to the home, for dbt's child, which works there (see home_relative)."""
    extensions = paths.duckdb_extensions
    return {
        "extension_directory": home_relative(paths, extensions)
        if in_home
        else path_for_duckdb(extensions),
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": True,
    }


# The wheels name the file after the package; DuckDB derives an extension's entry point from
# its file name, so it must be installed under the extension's own name.
_INSTALLED_NAME = {"postgres": "postgres_scanner"}


def _shipped_extension(name: str, version: str) -> Path:
    package = f"duckdb_extension_{name}"
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EcomctlError(
            f"the {package.replace('_', '-')} package is not installed", ExitStatus.ENVIRONMENT
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    return root / "extensions" / f"v{version}" / f"{name}.duckdb_extension"


def ensure_extension(paths: HomePaths, name: str) -> None:
    """Install the extension the duckdb-extension-<name> wheel ships, once per home folder."""
    import duckdb

    installed = _INSTALLED_NAME.get(name, name)
    if any(paths.duckdb_extensions.glob(f"*/*/{installed}.duckdb_extension")):
        return
    shipped = _shipped_extension(name, duckdb.__version__)
    if not shipped.exists():
        raise EcomctlError(
            f"no {name} extension for DuckDB {duckdb.__version__} at {shipped}",
            ExitStatus.ENVIRONMENT,
        )
    paths.duckdb_extensions.mkdir(parents=True, exist_ok=True)
    _remove_partial(paths)  # a copy an earlier install left (killed, or the disk full)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            named = Path(tmp) / f"{installed}.duckdb_extension"
            shutil.copyfile(shipped, named)
            with duckdb.connect(config=config(paths)) as con:
                con.install_extension(str(named))
    except (OSError, duckdb.Error) as exc:
        # DuckDB copies the file to <name>.tmp-<id> and renames it: a failed copy (28 MB on a
        # full disk) would stay, and keep the disk full for every later command.
        _remove_partial(paths)
        raise EcomctlError(
            f"{paths.duckdb_extensions}: installing DuckDB's {name} extension failed:"
            f" {first_line(str(exc))}",
            ExitStatus.ENVIRONMENT,
        ) from exc


def _remove_partial(paths: HomePaths) -> None:
    for partial in paths.duckdb_extensions.glob("*/*/*.tmp-*"):
        partial.unlink(missing_ok=True)


def table_counts(paths: HomePaths, schema: str) -> dict[str, int]:
    """Rows per table of a warehouse schema; empty when nothing was written yet."""
    from ecomctl.engines import sql

    if not paths.warehouse.exists():
        return {}
    with connect(paths, read_only=True) as con:
        return sql.table_counts(lambda text: con.execute(text).fetchall(), schema)


def table_names(paths: HomePaths, schema: str) -> list[str]:
    """The tables of a warehouse schema; none when nothing was written yet."""
    from ecomctl.engines import sql

    if not paths.warehouse.exists():
        return []
    with connect(paths, read_only=True) as con:
        return sql.table_names(lambda text: con.execute(text).fetchall(), schema)


def connect(paths: HomePaths, read_only: bool = False) -> Any:
    """A connection to the warehouse file (created on first write; a reader makes nothing).
    Used as `with duck.connect(paths) as con:`, which closes it (DuckDB's own context manager);
    every connection of ecomctl's is closed that way."""
    import duckdb

    if not read_only:
        paths.root.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(
            path_for_duckdb(paths.warehouse), read_only=read_only, config=config(paths)
        )
    except duckdb.IOException as exc:
        raise EcomctlError(
            f"warehouse {paths.warehouse}: {first_line(str(exc))}", ExitStatus.FAILURE
        ) from exc
