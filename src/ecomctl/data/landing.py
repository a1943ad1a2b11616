"""The landing zone: the Olist files loaded in bulk into the warehouse's `landing` schema.

One DuckDB `read_csv` per file with explicit column types (ids and zips as text), all in one
transaction: a load either replaces (or, for an increment, extends) every landing table it
touches, or leaves the previous landing zone exactly as it was.

What `run` takes from landing rests on two facts the load records in that same transaction:
- `_loaded_at`, each row's load stamp, only ever grows: it is the time in UTC, or just after
  the previous load's stamp when the clock reads earlier (a clock set back, another zone), so
  the incremental models' "newer than my high-water mark" never misses a load.
- `landing._generation`, a number that a replacing load (`seed`, `seed --from`) increases and
  an appending one (`seed --increment`) keeps: `run` rebuilds from scratch every layer built
  from another generation, so replaced data never mixes with what was built from the old.

A key is unique within one load, not across loads: an appended load may bring a new version of
a row loaded before (an order that was delivered since), and the models keep the version with
the latest `_loaded_at`. So an append cannot tell a repeated file by its keys; it tells it by
its bytes: `landing._files` records every file a load took (its SHA-256, rows, folder), and an
append refuses a file whose content is already in landing.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ecomctl import hints
from ecomctl.data import csv_files
from ecomctl.data.olist import FILES, OlistFile
from ecomctl.engines import duck
from ecomctl.engines.sql import literal
from ecomctl.errors import EcomctlError, counted
from ecomctl.settings import HomePaths

SCHEMA = "landing"
REJECTS = "_rejects"  # landing._rejects: rows refused by a load with --max-bad-rows
GENERATION = "_generation"  # landing._generation: one row, the generation of the landing zone
LOADED_FILES = "_files"  # landing._files: every file the loads of this generation took
_STAMP_STEP = timedelta(microseconds=1)


@dataclass
class LoadResult:
    rows: dict[str, int]  # per table, in landing after the load
    loaded: dict[str, int] = field(default_factory=dict)  # per table, brought by this load
    rejected: int = 0
    rejects_by_file: dict[str, int] = field(default_factory=dict)
    generation: int = 0


def _this_load(stamp: str) -> str:
    """The rows of the load being made: its checks look at them alone."""
    return f"_loaded_at = timestamp {literal(stamp)}"


def _duplicate(con: Any, spec: OlistFile, scope: str) -> tuple[str, list[int]] | None:
    """The first key repeated in this load, with the data rows (1-based) holding it."""
    if not spec.key:
        return None
    key = ", ".join(spec.key)
    as_text = ", ".join(f"{c}::varchar" for c in spec.key)
    row = con.execute(
        f"select [{as_text}] from {SCHEMA}.{spec.table} where {scope}"
        f" group by {key} having count(*) > 1 limit 1"
    ).fetchone()
    if row is None:
        return None
    where = " and ".join(f"{c}::varchar = ?" for c in spec.key)
    rows = con.execute(
        f"select n from (select {key}, row_number() over () as n from {SCHEMA}.{spec.table}"
        f" where {scope}) where {where} order by n limit 3",
        list(row[0]),
    ).fetchall()
    described = ", ".join(f"{c}={v}" for c, v in zip(spec.key, row[0], strict=True))
    return described, [int(r[0]) for r in rows]


def _empty_key(con: Any, spec: OlistFile, scope: str) -> tuple[str, int] | None:
    """The first key column left empty in this load, with the file line (header = line 1)."""
    for column in spec.key:
        row = con.execute(
            f"select n from (select {column}, row_number() over () as n"
            f" from {SCHEMA}.{spec.table} where {scope})"
            f" where nullif(trim({column}::varchar), '') is null"
            " order by n limit 1"
        ).fetchone()
        if row is not None:
            return column, int(row[0]) + 1
    return None


def _set_aside(con: Any, spec: OlistFile, reason: str, where: str) -> int:
    """Move the rows matching where to the rejects table, with the reason and their key. Their
    line numbers are unknown here: lines the CSV reader rejected came before them."""
    key = ", ".join(spec.key)
    con.execute(
        f"insert into {SCHEMA}.{REJECTS} select {literal(spec.filename)}, null, null,"
        f" {literal(reason)}, concat_ws(',', {key}) from {SCHEMA}.{spec.table} where {where}"
    )
    moved = con.execute(f"delete from {SCHEMA}.{spec.table} where {where}").fetchone()
    return int(moved[0]) if moved else 0


def _set_aside_empty_keys(con: Any, spec: OlistFile, scope: str) -> int:
    empty = " or ".join(f"nullif(trim({c}::varchar), '') is null" for c in spec.key)
    return _set_aside(con, spec, f"empty key ({', '.join(spec.key)})", f"{scope} and ({empty})")


def _drop_duplicates(con: Any, spec: OlistFile, scope: str) -> int:
    """Keep each key's first row of this load; move the others to the rejects table."""
    key = ", ".join(spec.key)
    later = (
        f"select rowid from (select rowid, row_number() over (partition by {key} order by rowid)"
        f" as n from {SCHEMA}.{spec.table} where {scope}) where n > 1"
    )
    return _set_aside(con, spec, f"duplicate key ({key})", f"rowid in ({later})")


def load(
    paths: HomePaths,
    source_dir: Path,
    batch_time: datetime | None = None,
    append: bool = False,
    max_bad_rows: int | None = None,
    origin: Path | None = None,
) -> LoadResult:
    """Load the Olist files of source_dir into landing; return rows per table.

    A full load needs all 9 files and replaces the landing tables; an append (an increment)
    loads whichever files are present and adds their rows, and refuses a file whose content
    an earlier load of the landing zone already took. With max_bad_rows, rows that do not
    parse (and repeated keys) go to landing._rejects instead of failing the load, as long as
    there are no more than max_bad_rows of them. origin: the folder recorded in
    landing._files (default source_dir; a generated increment is loaded before it is put in
    place).
    """
    import duckdb

    specs = [s for s in FILES if not append or (source_dir / s.filename).exists()]
    if append and not specs:
        raise EcomctlError(f"{source_dir}: no Olist files to append")
    files = [(spec, source_dir / spec.filename) for spec in specs]
    missing = [spec.filename for spec, path in files if not path.is_file()]
    if missing:
        raise EcomctlError(
            f"{source_dir}: file not found: {', '.join(missing)} ({len(missing)} of the"
            f" {len(FILES)} Olist files; a load needs all {len(FILES)})"
        )
    for spec, path in files:
        csv_files.check_header(path, spec)
    result = LoadResult({})
    with duck.connect(paths) as con:
        try:
            con.execute("begin transaction")
            con.execute(f"create schema if not exists {SCHEMA}")
            stamp = _next_stamp(con, batch_time).isoformat(sep=" ", timespec="microseconds")
            scope = _this_load(stamp)
            result.generation = _next_generation(con, append)
            # A full load starts its rejects and its file list afresh; an increment adds to them.
            create = "create table if not exists" if append else "create or replace table"
            con.execute(
                f"{create} {SCHEMA}.{REJECTS} (file varchar, line bigint,"
                " column_name varchar, reason varchar, raw_line varchar)"
            )
            con.execute(
                f"{create} {SCHEMA}.{LOADED_FILES} (loaded_at timestamp, file varchar,"
                " sha256 varchar, rows bigint, folder varchar)"
            )
            digests = {path: _sha256(path) for _, path in files}
            if append:
                _refuse_loaded_files(con, digests)
            for spec, path in files:
                rejects = f"rejects_{spec.table}" if max_bad_rows is not None else None
                select = (
                    f"select *, timestamp {literal(stamp)} as _loaded_at"
                    f" from {csv_files.read_csv_sql(path, spec, rejects)}"
                )
                if append:
                    statement = f"insert into {SCHEMA}.{spec.table} {select}"
                else:
                    statement = f"create or replace table {SCHEMA}.{spec.table} as {select}"
                try:
                    con.execute(statement)
                except duckdb.CatalogException as exc:
                    raise EcomctlError(
                        f"{path}: no landing table {spec.table} to append to: run a full `{hints.command('seed')}` first"
                    ) from exc
                except duckdb.Error as exc:
                    raise EcomctlError(csv_files.error_line(path, spec, exc)) from exc
                bad = 0
                if rejects is not None:
                    # DuckDB notes a short row once per missing column: one bad row is one
                    # line, kept with its first error.
                    inserted = con.execute(
                        f"insert into {SCHEMA}.{REJECTS} select {literal(spec.filename)}, line,"
                        f" column_name, error_message, csv_line from {rejects}"
                        " qualify row_number() over"
                        " (partition by scan_id, file_id, line order by column_idx) = 1"
                    ).fetchone()
                    bad = int(inserted[0]) if inserted else 0
                    bad += _set_aside_empty_keys(con, spec, scope) if spec.key else 0
                    bad += _drop_duplicates(con, spec, scope) if spec.key else 0
                elif (empty := _empty_key(con, spec, scope)) is not None:
                    column, line = empty
                    raise EcomctlError(
                        f"{path}: line {line}: column {column}: empty key ({spec.filename} has one"
                        f" row per {', '.join(spec.key)}, never an empty one)"
                    )
                elif (dup := _duplicate(con, spec, scope)) is not None:
                    described, rows = dup
                    raise EcomctlError(
                        f"{path}: duplicate key {described} in data rows {', '.join(map(str, rows))}"
                        f" ({spec.filename} has one row per {', '.join(spec.key)})"
                    )
                if bad:
                    result.rejects_by_file[spec.filename] = bad
                    result.rejected += bad
                count = con.execute(
                    f"select count(*), count(*) filter ({scope}) from {SCHEMA}.{spec.table}"
                ).fetchone()
                result.rows[spec.table], result.loaded[spec.table] = (
                    (int(count[0]), int(count[1])) if count else (0, 0)
                )
                con.execute(
                    f"insert into {SCHEMA}.{LOADED_FILES} values (?, ?, ?, ?, ?)",
                    [stamp, spec.filename, digests[path], result.loaded[spec.table],
                     str((origin or source_dir).resolve())],
                )  # fmt: skip
            if max_bad_rows is not None and result.rejected > max_bad_rows:
                worst = ", ".join(f"{f}: {n}" for f, n in result.rejects_by_file.items())
                raise EcomctlError(
                    f"{counted(result.rejected, 'bad row')} ({worst}), more than --max-bad-rows"
                    f" {max_bad_rows};"
                    " nothing was loaded"
                )
            con.execute("commit")
        except BaseException:
            # Nothing half-written: the previous landing tables stay as they were. (A failed
            # commit has ended the transaction already: its own error is the one to report.)
            with contextlib.suppress(duckdb.TransactionException):
                con.execute("rollback")
            raise
    return result


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _refuse_loaded_files(con: Any, digests: dict[Path, str]) -> None:
    """An append of a file landing already holds (the same bytes, whatever its folder) would
    load its rows twice: refuse it, naming the load that took it."""
    for path, digest in digests.items():
        row = con.execute(
            f"select loaded_at, folder from {SCHEMA}.{LOADED_FILES} where sha256 = ?"
            " order by loaded_at limit 1",
            [digest],
        ).fetchone()
        if row is not None:
            raise EcomctlError(
                f"{path}: already loaded into landing (the same content, from {row[1]} at"
                f" {row[0]:%Y-%m-%d %H:%M:%S} UTC): nothing was appended; remove the files"
                " already loaded from the folder to append the others"
            )


def row_counts(paths: HomePaths) -> dict[str, int]:
    """Rows per landing table (the loader's own tables aside); empty when nothing is loaded."""
    counts = duck.table_counts(paths, SCHEMA)
    for own in (REJECTS, GENERATION, LOADED_FILES):
        counts.pop(own, None)
    return counts


def base_folder(paths: HomePaths) -> Path | None:
    """The folder the landing zone's replacing load took (`seed`: the generated files;
    `seed --from DIR`: DIR); None when nothing is loaded, or it was loaded by an ecomctl that
    did not record it."""
    if not paths.warehouse.exists():
        return None
    with duck.connect(paths, read_only=True) as con:
        if not _exists(con, LOADED_FILES):
            return None
        row = con.execute(
            f"select folder from {SCHEMA}.{LOADED_FILES} order by loaded_at limit 1"
        ).fetchone()
        return None if row is None else Path(row[0])


def generation(paths: HomePaths) -> int | None:
    """The landing zone's generation; None when nothing is loaded yet."""
    if not paths.warehouse.exists():
        return None
    with duck.connect(paths, read_only=True) as con:
        return _current_generation(con)


def fingerprint(paths: HomePaths) -> dict[str, str]:
    """Per landing table, "generation/newest load/rows": what bronze is built from. Loads are
    stamped in increasing order whatever the clock says, so an append always changes it."""
    if not paths.warehouse.exists():
        return {}
    with duck.connect(paths, read_only=True) as con:
        current = _current_generation(con)
        found = {}
        for spec in FILES:
            if not _exists(con, spec.table):
                continue
            row = con.execute(
                f"select max(_loaded_at), count(*) from {SCHEMA}.{spec.table}"
            ).fetchone()
            newest, rows = row if row else (None, 0)
            found[spec.table] = f"{current}/{newest}/{rows}"
        return found


def _current_generation(con: Any) -> int | None:
    if not _exists(con, GENERATION):
        # Loaded by an ecomctl from before generations: the first generation it is.
        return 1 if _exists(con, FILES[0].table) else None
    row = con.execute(f"select max(generation) from {SCHEMA}.{GENERATION}").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def _exists(con: Any, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [SCHEMA, table],
    ).fetchone()
    return bool(row and row[0])


def _next_generation(con: Any, append: bool) -> int:
    """Within the load's transaction: a replacing load starts the next generation."""
    current = _current_generation(con) or 0
    chosen = current if append and current else current + 1
    con.execute(f"create or replace table {SCHEMA}.{GENERATION} (generation bigint)")
    con.execute(f"insert into {SCHEMA}.{GENERATION} values ({chosen})")
    return chosen


def _next_stamp(con: Any, wanted: datetime | None) -> datetime:
    """This load's `_loaded_at`: now in UTC (or `wanted`), but always after every stamp
    already in landing, whatever the clock or the time zone says."""
    now = wanted or datetime.now(UTC).replace(tzinfo=None)
    present = {
        str(name)
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [SCHEMA]
        ).fetchall()
    }
    latest = None
    for spec in FILES:
        if spec.table not in present:  # (a failed statement would abort the transaction)
            continue
        row = con.execute(f"select max(_loaded_at) from {SCHEMA}.{spec.table}").fetchone()
        if row and row[0] is not None and (latest is None or row[0] > latest):
            latest = row[0]
    return now if latest is None or now > latest else latest + _STAMP_STEP
