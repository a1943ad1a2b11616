"""Gold as BI tools like it: a primary key on each table's grain, and the dbt docs as table and
column comments, in gold's PostgreSQL.

dbt cannot do this on every stack: on the lake stacks gold is written through Trino, which makes
no keys, and the embedded stack writes it through DuckDB. So ecomctl applies them itself, as
gold's owner, after each gold run: dbt's table swap leaves a rebuilt table bare (and the old
table takes its key away with it; dbt/macros/gold_keys.sql keeps dbt-duckdb from dropping that
key's index first, which PostgreSQL refuses). Applying is idempotent: a key already on the
grain stays, comments are simply set again.

The grain is read from the project's own tests (a `unique` test on one column, or
`unique_combination_of_columns`): the key BI tools see is the one `ecomctl test` checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecomctl.engines import clients
from ecomctl.engines.endpoints import PgLogin
from ecomctl.errors import EcomctlError, joined_lines, reason

# Tests that make a grain, and where each keeps its columns.
_GRAIN_TESTS = {"unique": "column_name", "unique_combination_of_columns": "combination_of_columns"}
_MATERIALIZED_AS_TABLES = ("table", "incremental")  # a view takes no key

_PRIMARY_KEY_SQL = """
select array(
    select a.attname::text
    from unnest(c.conkey) with ordinality as k(num, pos)
    join pg_attribute as a on a.attrelid = c.conrelid and a.attnum = k.num
    order by k.pos
), c.conname::text
from pg_constraint as c
where c.conrelid = %s::regclass and c.contype = 'p'
"""
_COLUMNS_SQL = """
select attname::text from pg_attribute
where attrelid = %s::regclass and attnum > 0 and not attisdropped
"""


@dataclass(frozen=True)
class GoldTable:
    schema: str
    name: str
    key: tuple[str, ...]  # empty: no grain declared
    description: str
    columns: dict[str, str]  # column -> description

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


def tables_of(manifest: dict[str, Any], layer: str = "gold") -> list[GoldTable]:
    """The layer's tables as dbt documents them, each with the grain its tests declare."""
    grains: dict[str, list[tuple[str, ...]]] = {}
    for node in manifest.get("nodes", {}).values():
        test = node.get("test_metadata") or {}
        column_kwarg = _GRAIN_TESTS.get(test.get("name", ""))
        if node.get("resource_type") != "test" or column_kwarg is None:
            continue
        columns = test.get("kwargs", {}).get(column_kwarg)
        key = (columns,) if isinstance(columns, str) else tuple(columns or ())
        if key and node.get("attached_node"):
            grains.setdefault(node["attached_node"], []).append(key)
    folder = f"models/{layer}/"
    return [
        GoldTable(
            schema=node["schema"],
            name=node["alias"],
            key=min(grains.get(uid, [()]), key=len),  # the narrowest unique set is the grain
            description=_one_paragraph(node.get("description", "")),
            columns={
                name: _one_paragraph(column.get("description", ""))
                for name, column in node.get("columns", {}).items()
            },
        )
        for uid, node in sorted(manifest.get("nodes", {}).items())
        if node.get("resource_type") == "model"
        and node.get("original_file_path", "").startswith(folder)
        and node.get("config", {}).get("materialized") in _MATERIALIZED_AS_TABLES
    ]


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise EcomctlError(f"dbt's manifest {path}: {reason(exc)}") from exc
    return manifest


def apply(login: PgLogin, tables: list[GoldTable]) -> None:
    """Key and comment every table that exists, each in a transaction of its own."""
    import psycopg

    with clients.postgres(login.endpoint, login.password) as cur:
        for table in tables:
            try:
                with cur.connection.transaction():
                    _apply_one(cur, table)
            except psycopg.Error as exc:
                # PostgreSQL's DETAIL line names the duplicated key: keep it.
                said = joined_lines(str(exc), type(exc).__name__)
                raise EcomctlError(f"{table.qualified} as {login.endpoint.user}: {said}") from exc


def _apply_one(cur: Any, table: GoldTable) -> None:
    from psycopg import sql

    cur.execute("select to_regclass(%s)", (table.qualified,))
    if cur.fetchone()[0] is None:
        return  # never built (a --select that left it out): nothing to describe yet
    relation = sql.Identifier(table.schema, table.name)
    if table.key:
        _ensure_primary_key(cur, table, relation)
    cur.execute(sql.SQL("comment on table {} is {}").format(relation, _text(table.description)))
    cur.execute(_COLUMNS_SQL, (table.qualified,))
    for (column,) in cur.fetchall():
        comment = sql.SQL("comment on column {} is {}").format(
            sql.Identifier(table.schema, table.name, column),
            _text(table.columns.get(column, "")),
        )
        cur.execute(comment)


def _ensure_primary_key(cur: Any, table: GoldTable, relation: Any) -> None:
    """The key on the grain, added unless there: a rebuilt table comes without one, a table
    dbt left alone keeps its own. The name is PostgreSQL's choice (<table>_pkey), so the
    index of a swapped-out table dbt has not dropped yet never clashes with it."""
    from psycopg import sql

    cur.execute(_PRIMARY_KEY_SQL, (table.qualified,))
    found = cur.fetchone()
    if found is not None and tuple(found[0]) == table.key:
        return
    if found is not None:
        cur.execute(
            sql.SQL("alter table {} drop constraint {}").format(relation, sql.Identifier(found[1]))
        )
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in table.key)
    cur.execute(sql.SQL("alter table {} add primary key ({})").format(relation, columns))


def _text(description: str) -> Any:
    from psycopg import sql

    return sql.Literal(description) if description else sql.SQL("null")


def _one_paragraph(text: str) -> str:
    """dbt's descriptions as one line: YAML's folded blocks end in a newline."""
    return " ".join(str(text).split())
