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


def table_counts(execute: Execute, schema: str) -> dict[str, int]:
    """Rows in every table of schema (an empty dict when the schema does not exist)."""
    identifier(schema, "schema")
    tables = [
        str(row[0])
        for row in execute(
            "select table_name from information_schema.tables"
            f" where table_schema = '{schema}' and table_type in ('BASE TABLE', 'VIEW')"
        )
    ]
    counts: dict[str, int] = {}
    for table in sorted(tables):
        if _IDENT.match(table):
            counts[table] = int(execute(f'select count(*) from "{schema}"."{table}"')[0][0])
    return counts
