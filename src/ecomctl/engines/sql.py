"""SQL text ecomctl writes itself, the same for every database it reads: names, literals,
row counts, and the shape of a query's answer.

ecomctl counts rows itself: adapter responses rarely carry them (Spark: never).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ecomctl.errors import EcomctlError, ExitStatus

Execute = Callable[[str], Sequence[Sequence[Any]]]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


# DuckDB names an unnamed column after its internal function: the header shows what was written.
_SAID = {"count_star()": "count(*)"}


def result_of(cursor: Any) -> QueryResult:
    """The columns and rows of the statement a DB-API cursor just ran."""
    if not cursor.description:
        return QueryResult([], [])
    return QueryResult(
        [_SAID.get(str(d[0]), str(d[0])) for d in cursor.description],
        [tuple(r) for r in cursor.fetchall()],
    )


def read_only_statement(conn: Any, schema: str, statement: str) -> QueryResult:
    """One statement on a psycopg connection, in a read-only transaction. It is sent as a
    prepared statement, which can hold only one: `commit; drop table ...` is refused by the
    server itself, never split and run."""
    import psycopg

    conn.autocommit = False
    conn.read_only = True
    conn.execute(f"set search_path = {identifier(schema, 'schema')}")
    try:
        return result_of(conn.execute(statement, prepare=True))
    except psycopg.errors.SyntaxError as exc:
        if "multiple commands" not in str(exc):
            raise
        raise EcomctlError(
            "query runs exactly one statement, read-only: this text holds more than one",
            ExitStatus.USAGE,
        ) from exc
    finally:
        conn.rollback()


def identifier(name: str, what: str = "name") -> str:
    """Return name when it is a plain SQL identifier; reject anything else before it meets SQL."""
    if not _IDENT.match(name):
        raise EcomctlError(f"invalid {what} {name!r}: letters, digits and _ only", ExitStatus.USAGE)
    return name


def literal(text: str) -> str:
    """A SQL string literal (standard quoting: DuckDB, Trino, PostgreSQL)."""
    return "'" + text.replace("'", "''") + "'"


def table_names(execute: Execute, schema: str, spark: bool = False) -> list[str]:
    """The tables and views of schema, sorted (none when the schema does not exist).

    Spark has no information_schema, hence its own statements. Any other error (a lost
    connection, a permission) is raised, never read as "no tables".
    """
    identifier(schema, "schema")
    if spark:
        if not execute(f"show databases like '{schema}'"):
            return []
        listed = execute(f"show tables in `{schema}`")
        return sorted(str(row[1]) for row in listed if not (len(row) > 2 and row[2]))
    return sorted(
        str(row[0])
        for row in execute(
            "select table_name from information_schema.tables"
            f" where table_schema = '{schema}' and table_type in ('BASE TABLE', 'VIEW')"
        )
    )


def table_counts(execute: Execute, schema: str, spark: bool = False) -> dict[str, int]:
    """Rows in every table of schema (an empty dict when the schema does not exist)."""
    quote = "`" if spark else '"'
    counts: dict[str, int] = {}
    for table in table_names(execute, schema, spark):
        if _IDENT.match(table):
            sql = f"select count(*) from {quote}{schema}{quote}.{quote}{table}{quote}"
            counts[table] = int(execute(sql)[0][0])
    return counts


# How each engine says a query named a table it does not have (PostgreSQL, DuckDB, Trino, Spark).
_NO_TABLE = re.compile(
    r'relation "(?P<pg>[^"]+)" does not exist'
    r"|Table with name (?P<duck>\S+) does not exist"
    r"|Table '(?P<trino>[^']+)' does not exist"
    r"|TABLE_OR_VIEW_NOT_FOUND\].*?table or view (?P<spark>`[^ ]+`)"
)


def missing_table(message: str) -> str | None:
    """The table an engine's error says does not exist (its last name part), or None."""
    found = _NO_TABLE.search(message)
    if found is None:
        return None
    name = next(group for group in found.groups() if group)
    return name.rsplit(".", 1)[-1].strip("`\"'").lower()
