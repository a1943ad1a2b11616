"""The landing zone: the 9 Olist files loaded in bulk into the warehouse's `landing` schema.

One DuckDB `read_csv` per file with explicit column types (ids and zips as text), all in one
transaction: a load either replaces every landing table or leaves the previous ones untouched.
"""

from __future__ import annotations

import csv
import re
from datetime import datetime
from pathlib import Path

from ecomctl import duck
from ecomctl.errors import EcomctlError
from ecomctl.olist import FILES, OlistFile
from ecomctl.settings import HomePaths

SCHEMA = "landing"
_BOM = b"\xef\xbb\xbf"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _check_header(path: Path, spec: OlistFile) -> None:
    with path.open("rb") as handle:
        first = handle.readline(1 << 16)
    if not first.strip():
        raise EcomctlError(f"{path}: line 1: the file is empty (expected a header row)")
    try:
        text = first.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EcomctlError(f"{path}: line 1: not UTF-8 ({exc.reason})") from exc
    found = next(csv.reader([text.rstrip("\r\n")]))
    if found != spec.column_names:
        missing = [c for c in spec.column_names if c not in found]
        extra = [c for c in found if c not in spec.column_names]
        what = (
            "; ".join(
                part
                for part in (
                    f"missing column(s) {', '.join(missing)}" if missing else "",
                    f"unexpected column(s) {', '.join(extra)}" if extra else "",
                )
                if part
            )
            or "columns out of order"
        )
        raise EcomctlError(
            f"{path}: line 1: header does not match {spec.filename}: {what}"
            f" (expected {','.join(spec.column_names)})"
        )


def _read_csv_sql(path: Path, spec: OlistFile) -> str:
    columns = ", ".join(f"{_quote(c.name)}: {_quote(c.type)}" for c in spec.columns)
    return (
        f"read_csv({_quote(str(path))}, header = true, auto_detect = false,"
        f" delim = ',', quote = '\"', escape = '\"', columns = {{{columns}}},"
        f" timestampformat = '%Y-%m-%d %H:%M:%S')"
    )


_LINE = re.compile(r"[Ll]ine:?\s*(\d+)")


def _one_line(path: Path, exc: Exception) -> str:
    """DuckDB's CSV errors span many lines; keep what names the place and the reason."""
    text = str(exc)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    line = _LINE.search(text)
    where = f"line {line.group(1)}: " if line else ""
    reason = lines[0] if lines else type(exc).__name__
    for candidate in lines:
        if candidate.startswith(("Could not convert", "Expected Number of Columns", "Value with")):
            reason = candidate
            break
    return f"{path}: {where}{reason}"


def load(paths: HomePaths, source_dir: Path, batch_time: datetime | None = None) -> dict[str, int]:
    """Load every Olist file from source_dir into landing; return rows per table."""
    import duckdb

    files = [(spec, source_dir / spec.filename) for spec in FILES]
    for spec, path in files:
        if not path.is_file():
            raise EcomctlError(f"{path}: file not found (expected {spec.filename} in {source_dir})")
        _check_header(path, spec)
    stamp = (batch_time or datetime.now()).isoformat(sep=" ", timespec="microseconds")
    con = duck.connect(paths)
    try:
        con.execute("begin transaction")
        con.execute(f"create schema if not exists {SCHEMA}")
        counts: dict[str, int] = {}
        for spec, path in files:
            try:
                con.execute(
                    f"create or replace table {SCHEMA}.{spec.table} as"
                    f" select *, timestamp {_quote(stamp)} as _loaded_at"
                    f" from {_read_csv_sql(path, spec)}"
                )
            except duckdb.Error as exc:
                raise EcomctlError(_one_line(path, exc)) from exc
            row = con.execute(f"select count(*) from {SCHEMA}.{spec.table}").fetchone()
            counts[spec.table] = int(row[0]) if row else 0
        con.execute("commit")
    except BaseException:
        # Nothing half-written: the previous landing tables stay as they were.
        con.execute("rollback")
        raise
    finally:
        con.close()
    return counts


def row_counts(paths: HomePaths) -> dict[str, int]:
    """Rows per landing table; empty when nothing has been loaded yet."""
    if not paths.warehouse.exists():
        return {}
    con = duck.connect(paths, read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [SCHEMA],
            ).fetchall()
        ]
        out: dict[str, int] = {}
        for table in tables:
            row = con.execute(f'select count(*) from {SCHEMA}."{table}"').fetchone()
            out[table] = int(row[0]) if row else 0
        return out
    finally:
        con.close()
