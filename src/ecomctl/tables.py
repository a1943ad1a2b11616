"""Row counts and read-only queries, the same for every database ecomctl reads.

ecomctl counts rows itself: adapter responses rarely carry them (Spark: never).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

Execute = Callable[[str], Sequence[Sequence[Any]]]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def identifier(name: str, what: str = "name") -> str:
    """Return name when it is a plain SQL identifier; reject anything else before it meets SQL."""
    from ecomctl.errors import EcomctlError, ExitStatus

    if not _IDENT.match(name):
        raise EcomctlError(f"invalid {what} {name!r}: letters, digits and _ only", ExitStatus.USAGE)
    return name


def table_counts(execute: Execute, schema: str, spark: bool = False) -> dict[str, int]:
    """Rows in every table of schema (an empty dict when the schema does not exist).

    Spark has no information_schema and quotes with backticks, hence its own statements.
    """
    identifier(schema, "schema")
    if spark:
        try:
            listed = execute(f"show tables in `{schema}`")
        except Exception:  # Spark raises for a schema that does not exist yet
            return {}
        tables = [str(row[1]) for row in listed if not (len(row) > 2 and row[2])]
        quote = "`"
    else:
        tables = [
            str(row[0])
            for row in execute(
                "select table_name from information_schema.tables"
                f" where table_schema = '{schema}' and table_type in ('BASE TABLE', 'VIEW')"
            )
        ]
        quote = '"'
    counts: dict[str, int] = {}
    for table in sorted(tables):
        if _IDENT.match(table):
            sql = f"select count(*) from {quote}{schema}{quote}.{quote}{table}{quote}"
            counts[table] = int(execute(sql)[0][0])
    return counts
