"""The lake's Iceberg tables through Trino: their snapshots, their upkeep, their size, and
reading them as they were.

Bronze (written by Trino) and silver (written by Spark) share one metastore, so Trino's
Iceberg catalog sees both; every statement here runs on a Trino cursor of that catalog.
Snapshots are kept or expired by Iceberg's own procedures (`expire_snapshots`,
`remove_orphan_files`), never by deleting files ourselves.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ecomctl.engines.sql import Execute, identifier
from ecomctl.errors import EcomctlError, ExitStatus

# The layers that live in Iceberg tables (landing is Parquet under Hive, gold is PostgreSQL).
LAKE_LAYERS = ("bronze", "silver")

# layer -> table -> snapshot id: the lake's state at one moment (what a run leaves).
Snapshots = dict[str, dict[str, int]]

_LOCATION = re.compile(r"location = '([^']+)'")


def _table(layer: str, table: str, suffix: str = "") -> str:
    return f'"{identifier(layer, "layer")}"."{identifier(table, "table")}{suffix}"'


def tables(execute: Execute, layer: str) -> list[str]:
    """The layer's tables (not views), by name."""
    rows = execute(
        "select table_name from information_schema.tables"
        f" where table_schema = '{identifier(layer, 'layer')}' and table_type = 'BASE TABLE'"
        " order by table_name"
    )
    return [str(row[0]) for row in rows if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", str(row[0]))]


def current_snapshots(execute: Execute) -> Snapshots:
    """Each lake table's current snapshot (its `main` branch); a table without one is left out."""
    found: Snapshots = {}
    for layer in LAKE_LAYERS:
        for table in tables(execute, layer):
            rows = execute(
                f"select snapshot_id from {_table(layer, table, '$refs')} where name = 'main'"
            )
            if rows:
                found.setdefault(layer, {})[table] = int(rows[0][0])
    return found


@dataclass(frozen=True)
class Upkeep:
    """What one upkeep pass did to a layer."""

    layer: str
    tables: int
    snapshots_before: int
    snapshots_after: int


def keep_only(
    execute: Execute, kept: list[Snapshots], min_age_seconds: float, orphan_age_seconds: float
) -> list[Upkeep]:
    """Expire every snapshot older than the oldest one `kept` names for its table (and than
    min_age_seconds), then remove the files no snapshot left references (older than
    orphan_age_seconds). A table's current snapshot is always kept, as is every snapshot
    newer than the oldest kept one: what the retention keeps is never touched."""
    done: list[Upkeep] = []
    for layer in LAKE_LAYERS:
        names = tables(execute, layer)
        before = _count_snapshots(execute, layer, names)
        for table in names:
            wanted = {run[layer][table] for run in kept if table in run.get(layer, {})}
            age = math.ceil(max(_age_of_oldest(execute, layer, table, wanted), min_age_seconds))
            name = _table(layer, table)
            execute(f"alter table {name} execute expire_snapshots(retention_threshold => '{age}s')")
            execute(
                f"alter table {name} execute remove_orphan_files("
                f"retention_threshold => '{math.ceil(orphan_age_seconds)}s')"
            )
        done.append(Upkeep(layer, len(names), before, _count_snapshots(execute, layer, names)))
    return done


def _count_snapshots(execute: Execute, layer: str, names: list[str]) -> int:
    """The snapshots of the layer's tables together, in one statement."""
    if not names:
        return 0
    counts = " union all ".join(
        f"select count(*) as n from {_table(layer, t, '$snapshots')}" for t in names
    )
    return int(execute(f"select sum(n) from ({counts})")[0][0])


def _age_of_oldest(execute: Execute, layer: str, table: str, wanted: set[int]) -> int:
    """Seconds (rounded up, plus one) since the oldest of wanted (or the current snapshot) was
    committed, on Trino's own clock: a threshold that keeps it and everything newer."""
    ids = ", ".join(str(i) for i in sorted(wanted)) or "null"
    current = f"(select snapshot_id from {_table(layer, table, '$refs')} where name = 'main')"
    rows = execute(
        "select to_unixtime(current_timestamp) - to_unixtime(min(committed_at))"
        f" from {_table(layer, table, '$snapshots')}"
        f" where snapshot_id in ({ids}) or snapshot_id = {current}"
    )
    seconds = rows[0][0] if rows else None
    return math.ceil(float(seconds or 0)) + 1


@dataclass(frozen=True)
class LayerSize:
    """A lake layer as it lies on S3, and as Iceberg knows it."""

    layer: str
    tables: int
    snapshots: int
    files: int  # objects under the tables' locations
    bytes: int


def location(execute: Execute, layer: str) -> str | None:
    """Where the layer's schema keeps its tables, as a key prefix in the lake's bucket
    ("warehouse/silver.db/"), whatever scheme its writer used (s3, s3a); None: no schema."""
    try:
        text = str(execute(f'show create schema "{identifier(layer, "layer")}"')[0][0])
    except Exception as exc:
        if getattr(exc, "error_name", "") == "SCHEMA_NOT_FOUND":
            return None
        raise
    match = _LOCATION.search(text)
    if match is None:
        return None
    return re.sub(r"^s3[an]?://[^/]+/", "", match.group(1)).rstrip("/") + "/"


def snapshot_count(execute: Execute, layer: str) -> int:
    return _count_snapshots(execute, layer, tables(execute, layer))


# -- reading the lake as it was -------------------------------------------------------------
# A qualified name: optional catalog, then layer, then table (plain or "quoted" parts).
_PART = r'(?:[A-Za-z_][A-Za-z0-9_]*|"[^"]+")'
_TOKENS = re.compile(
    r"(?P<skip>'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/)"
    rf"|(?P<name>(?<![\w.\"]){_PART}(?:\s*\.\s*{_PART}){{1,2}}(?![\w.\"]))",
    re.DOTALL,
)


def _unquote(part: str) -> str:
    part = part.strip()
    return part[1:-1] if part.startswith('"') else part.lower()


def as_of(statement: str, catalog: str, snapshots: Snapshots, run: str) -> str:
    """statement with every bronze.<table> and silver.<table> (optionally catalog-qualified)
    read at its snapshot in snapshots; strings and comments are left as they are. A lake
    table the run did not leave is an error; any other name is untouched (and, run without a
    session catalog, fails rather than read today's data)."""

    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        if match.group("skip"):
            return text
        parts = [_unquote(p) for p in re.findall(_PART, text)]
        if len(parts) == 3 and parts[0] != catalog.lower():
            return text
        layer, table = parts[-2], parts[-1]
        if layer not in LAKE_LAYERS:
            return text
        if table not in snapshots.get(layer, {}):
            raise EcomctlError(
                f"--as-of {run}: {layer}.{table} had no snapshot after that run", ExitStatus.USAGE
            )
        return f'"{catalog}"."{layer}"."{table}" FOR VERSION AS OF {snapshots[layer][table]}'

    return _TOKENS.sub(replace, statement)
