"""The landing zone: the Olist files loaded in bulk into the warehouse's `landing` schema.

One DuckDB `read_csv` per file with explicit column types (ids and zips as text), all in one
transaction: a load either replaces (or, for an increment, extends) every landing table it
touches, or leaves the previous landing zone exactly as it was.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ecomctl.data.olist import FILES, OlistFile
from ecomctl.engines import duck
from ecomctl.engines.sql import literal
from ecomctl.errors import EcomctlError, first_line
from ecomctl.settings import HomePaths

SCHEMA = "landing"
REJECTS = "_rejects"  # landing._rejects: rows refused by a load with --max-bad-rows
_BOM = b"\xef\xbb\xbf"


@dataclass
class LoadResult:
    rows: dict[str, int]
    rejected: int = 0
    rejects_by_file: dict[str, int] = field(default_factory=dict)


def _check_header(path: Path, spec: OlistFile) -> None:
    with path.open("rb") as handle:
        first = handle.readline(1 << 16)
        second = handle.readline(1 << 16)
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
        parts = [
            f"missing column(s) {', '.join(missing)}" if missing else "",
            f"unexpected column(s) {', '.join(extra)}" if extra else "",
        ]
        what = "; ".join(p for p in parts if p) or "columns out of order"
        raise EcomctlError(
            f"{path}: line 1: header does not match {spec.filename}: {what}"
            f" (expected {','.join(spec.column_names)})"
        )
    if not second.strip():
        raise EcomctlError(f"{path}: line 2: no data rows (the file has only a header)")


def _read_csv_sql(path: Path, spec: OlistFile, rejects: str | None) -> str:
    columns = ", ".join(f"{literal(c.name)}: {literal(c.type)}" for c in spec.columns)
    keep = (
        f", store_rejects = true, rejects_table = '{rejects}', rejects_scan = '{rejects}_scan'"
        if rejects
        else ""
    )
    return (
        f"read_csv({literal(str(path))}, header = true, auto_detect = false,"
        f" delim = ',', quote = '\"', escape = '\"', columns = {{{columns}}},"
        f" timestampformat = '%Y-%m-%d %H:%M:%S'{keep})"
    )


_LINE = re.compile(r"Line:\s*(\d+)")
_COLUMN = re.compile(r'converting column "([^"]+)"')
_REASONS = (
    re.compile(r"(Could not (?:convert|parse) string .*? to '[^']+')", re.S),
    re.compile(r"(Expected Number of Columns: \d+ Found: \d+)"),
    re.compile(r"(Invalid unicode[^.]*\.[^\n]*)"),
)


def _csv_error(path: Path, exc: Exception) -> str:
    """DuckDB's CSV errors span many lines; keep the place (line, column) and the reason."""
    text = str(exc)
    line = _LINE.search(text)
    column = _COLUMN.search(text)
    reason = next(
        (m.group(1) for r in _REASONS if (m := r.search(text))),
        first_line(text, type(exc).__name__),
    )
    where = "".join(
        (f"line {line.group(1)}: " if line else "", f"column {column.group(1)}: " if column else "")
    )
    return f"{path}: {where}" + reason.replace("\r", "\\r").replace("\n", "\\n")


def _duplicate(con: Any, spec: OlistFile) -> tuple[str, list[int]] | None:
    """The first key repeated in the loaded table, with the data rows (1-based) holding it."""
    if not spec.key:
        return None
    key = ", ".join(spec.key)
    as_text = ", ".join(f"{c}::varchar" for c in spec.key)
    row = con.execute(
        f"select [{as_text}] from {SCHEMA}.{spec.table} group by {key} having count(*) > 1 limit 1"
    ).fetchone()
    if row is None:
        return None
    where = " and ".join(f"{c}::varchar = ?" for c in spec.key)
    rows = con.execute(
        f"select n from (select {key}, row_number() over () as n from {SCHEMA}.{spec.table})"
        f" where {where} order by n limit 3",
        list(row[0]),
    ).fetchall()
    described = ", ".join(f"{c}={v}" for c, v in zip(spec.key, row[0], strict=True))
    return described, [int(r[0]) for r in rows]


def _drop_duplicates(con: Any, spec: OlistFile, path: Path) -> int:
    """Keep each key's first row; move the others to the rejects table."""
    key = ", ".join(spec.key)
    later = (
        f"select rowid from (select rowid, row_number() over (partition by {key} order by rowid)"
        f" as n from {SCHEMA}.{spec.table}) where n > 1"
    )
    con.execute(
        f"insert into {SCHEMA}.{REJECTS} select {literal(spec.filename)}, null, null,"
        f" 'duplicate key ({key})', concat_ws(',', {key}) from {SCHEMA}.{spec.table}"
        f" where rowid in ({later})"
    )
    dropped = con.execute(f"delete from {SCHEMA}.{spec.table} where rowid in ({later})").fetchone()
    return int(dropped[0]) if dropped else 0


def load(
    paths: HomePaths,
    source_dir: Path,
    batch_time: datetime | None = None,
    append: bool = False,
    max_bad_rows: int | None = None,
) -> LoadResult:
    """Load the Olist files of source_dir into landing; return rows per table.

    A full load needs all 9 files and replaces the landing tables; an append (an increment)
    loads whichever files are present and adds their rows. With max_bad_rows, rows that do
    not parse (and repeated keys) go to landing._rejects instead of failing the load, as long
    as there are no more than max_bad_rows of them.
    """
    import duckdb

    specs = [s for s in FILES if not append or (source_dir / s.filename).exists()]
    if append and not specs:
        raise EcomctlError(f"{source_dir}: no Olist files to append")
    files = [(spec, source_dir / spec.filename) for spec in specs]
    for spec, path in files:
        if not path.is_file():
            raise EcomctlError(f"{path}: file not found (expected {spec.filename} in {source_dir})")
        _check_header(path, spec)
    stamp = (batch_time or datetime.now()).isoformat(sep=" ", timespec="microseconds")
    result = LoadResult({})
    con = duck.connect(paths)
    try:
        con.execute("begin transaction")
        con.execute(f"create schema if not exists {SCHEMA}")
        # A full load starts its rejects afresh; an increment adds to them.
        create = "create table if not exists" if append else "create or replace table"
        con.execute(
            f"{create} {SCHEMA}.{REJECTS} (file varchar, line bigint,"
            " column_name varchar, reason varchar, raw_line varchar)"
        )
        for spec, path in files:
            rejects = f"rejects_{spec.table}" if max_bad_rows is not None else None
            select = (
                f"select *, timestamp {literal(stamp)} as _loaded_at"
                f" from {_read_csv_sql(path, spec, rejects)}"
            )
            if append:
                statement = f"insert into {SCHEMA}.{spec.table} {select}"
            else:
                statement = f"create or replace table {SCHEMA}.{spec.table} as {select}"
            try:
                con.execute(statement)
            except duckdb.CatalogException as exc:
                raise EcomctlError(
                    f"{path}: no landing table {spec.table} to append to: run a full `ecomctl seed` first"
                ) from exc
            except duckdb.Error as exc:
                raise EcomctlError(_csv_error(path, exc)) from exc
            bad = 0
            if rejects is not None:
                con.execute(
                    f"insert into {SCHEMA}.{REJECTS} select {literal(spec.filename)}, line,"
                    f" column_name, error_message, csv_line from {rejects}"
                )
                bad = int(con.execute(f"select count(*) from {rejects}").fetchone()[0])
                bad += _drop_duplicates(con, spec, path) if spec.key else 0
            elif (dup := _duplicate(con, spec)) is not None:
                described, rows = dup
                raise EcomctlError(
                    f"{path}: duplicate key {described} in data rows {', '.join(map(str, rows))}"
                    f" ({spec.filename} has one row per {', '.join(spec.key)})"
                )
            if bad:
                result.rejects_by_file[spec.filename] = bad
                result.rejected += bad
            count = con.execute(f"select count(*) from {SCHEMA}.{spec.table}").fetchone()
            result.rows[spec.table] = int(count[0]) if count else 0
        if max_bad_rows is not None and result.rejected > max_bad_rows:
            worst = ", ".join(f"{f}: {n}" for f, n in result.rejects_by_file.items())
            raise EcomctlError(
                f"{result.rejected} bad rows ({worst}), more than --max-bad-rows {max_bad_rows};"
                " nothing was loaded"
            )
        con.execute("commit")
    except BaseException:
        # Nothing half-written: the previous landing tables stay as they were.
        con.execute("rollback")
        raise
    finally:
        con.close()
    return result


def row_counts(paths: HomePaths) -> dict[str, int]:
    """Rows per landing table (the rejects table aside); empty when nothing is loaded yet."""
    counts = duck.table_counts(paths, SCHEMA)
    counts.pop(REJECTS, None)
    return counts
