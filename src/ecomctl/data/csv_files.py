"""One Olist CSV file as the landing load reads it: its header checked first, DuckDB's
`read_csv` with explicit column types, and DuckDB's many-line errors said in one line with the
file, line and column."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from ecomctl.data.olist import OlistFile
from ecomctl.engines import duck
from ecomctl.engines.sql import literal
from ecomctl.errors import EcomctlError, first_line

_BOM = b"\xef\xbb\xbf"


def check_header(path: Path, spec: OlistFile) -> None:
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    # Lines end in LF, CRLF or (old Mac files) CR alone: DuckDB's reader takes all three.
    first, second, *_ = [*head.splitlines(), b"", b""]
    if not first.strip():
        raise EcomctlError(f"{path}: line 1: the file is empty (expected a header row)")
    try:
        text = first.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EcomctlError(f"{path}: line 1: not UTF-8 ({exc.reason})") from exc
    try:
        found = next(csv.reader([text]))
    except csv.Error as exc:
        raise EcomctlError(f"{path}: line 1: the header is not a CSV row ({exc})") from exc
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


def read_csv_sql(path: Path, spec: OlistFile, rejects: str | None) -> str:
    columns = ", ".join(f"{literal(c.name)}: {literal(c.type)}" for c in spec.columns)
    keep = (
        f", store_rejects = true, rejects_table = '{rejects}', rejects_scan = '{rejects}_scan'"
        if rejects
        else ""
    )
    return (
        f"read_csv({literal(duck.path_for_duckdb(path))}, header = true, auto_detect = false,"
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
_LINE_SIZE = re.compile(r"Maximum line size of (\d+) bytes exceeded\. Actual Size:\s*(\d+) bytes")
_ORIGINAL = re.compile(r"Original Line: ([^\n]*)")


def error_line(path: Path, spec: OlistFile, exc: Exception) -> str:
    """DuckDB's CSV errors span many lines; keep the place (line, column) and the reason."""
    text = str(exc)
    line = _LINE.search(text)
    column: str | None = m.group(1) if (m := _COLUMN.search(text)) else None
    reason = next(
        (m.group(1) for r in _REASONS if (m := r.search(text))),
        first_line(text, type(exc).__name__),
    )
    if size := _LINE_SIZE.search(text):
        limit, actual = (int(n) for n in size.groups())
        column = _widest_column(_ORIGINAL.search(text), spec)
        reason = f"a line of {actual:,} bytes, more than the {limit:,} bytes a line may hold"
    where = "".join(
        (f"line {line.group(1)}: " if line else "", f"column {column}: " if column else "")
    )
    return f"{path}: {where}" + reason.replace("\r", "\\r").replace("\n", "\\n")


def _widest_column(original: re.Match[str] | None, spec: OlistFile) -> str | None:
    """The column of the longest value of the line DuckDB quotes (the one too long to read)."""
    if original is None:
        return None
    try:
        fields = next(csv.reader([original.group(1)]))
    except (csv.Error, StopIteration):
        return None
    widest = max(range(len(fields)), key=lambda i: len(fields[i]), default=None)
    names = spec.column_names
    return names[widest] if widest is not None and widest < len(names) else None
