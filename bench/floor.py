"""The floor: the least work any loader of the 9 Olist files can do.

One DuckDB process reads every file once (`count(*)` over `read_csv` with the columns'
types given, so no type sniffing) and stores nothing. Run as its own process by the bench:
`python bench/floor.py FOLDER`; prints the rows per landing table as JSON.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

import duckdb

from ecomctl.data.olist import FILES, OlistFile


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def count_rows(folder: Path, specs: Iterable[OlistFile] = FILES) -> dict[str, int]:
    """Rows of each file of specs in folder, per landing table name."""
    con = duckdb.connect()
    counts: dict[str, int] = {}
    for spec in specs:
        columns = ", ".join(f"{_quote(c.name)}: {_quote(c.type)}" for c in spec.columns)
        row = con.execute(
            f"select count(*) from read_csv({_quote(str(folder / spec.filename))},"
            f" header = true, auto_detect = false, columns = {{{columns}}})"
        ).fetchone()
        counts[spec.table] = int(row[0]) if row else 0
    return counts


if __name__ == "__main__":
    print(json.dumps(count_rows(Path(sys.argv[1]))))
