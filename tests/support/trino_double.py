"""A test double of a Trino coordinator's client REST protocol. It is NOT Trino.

What it stands in for: the HTTP endpoints that the `trino` Python client (DB-API) and
dbt-trino talk to: `POST /v1/statement` (headers X-Trino-User, X-Trino-Catalog,
X-Trino-Schema), one `nextUri` page as a real coordinator sends (queued, then finished),
`DELETE` of a query, and `GET /v1/info` (what a health probe reads).

Why: no Trino server can run on this machine (no image, no Java Trino distribution), yet the
dbt project's Trino path (dbt-trino's materializations, dispatch macros, the catalogs models
read and write) must be exercised end to end through a real socket and the real clients.

What it does NOT check: SQL. It never parses or executes a statement. It records every
statement with its session headers and answers from rules: catalog/metadata queries and
`select ... from ...` return zero rows, DDL/DML return an update count, and a test's
`responder(sql)` may return specific rows or raise `TrinoQueryError`. Whether the SQL is valid
Trino, what Iceberg or the PostgreSQL connector would do with it: none of that is tested here.
Nor are authentication, TLS, session properties, transactions, the spooling protocol or
results spread over several pages: every answer is one page after the queued one.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

# A column is a name (type inferred from the first row's value) or (name, Trino type).
ColumnSpec = str | tuple[str, str]
Answer = tuple[Sequence[ColumnSpec], Sequence[Sequence[Any]]]
Responder = Callable[[str], Answer | None]

VERSION = "476"


@dataclass(frozen=True)
class Statement:
    """One statement as received, with the session it was sent in."""

    sql: str
    user: str | None
    catalog: str | None
    schema: str | None


class TrinoQueryError(Exception):
    """Raise from a responder to make the double answer with a Trino query error."""

    def __init__(
        self, message: str, error_name: str = "GENERIC_USER_ERROR", error_type: str = "USER_ERROR"
    ) -> None:
        super().__init__(message)
        self.error_name = error_name
        self.error_type = error_type


_COMMENTS = re.compile(r"/\*.*?\*/|--[^\n]*", re.DOTALL)
_DDL = ("create", "drop", "alter", "comment", "grant", "revoke")
_DML = ("insert", "delete", "merge", "update")
_DML_UPPER = tuple(word.upper() for word in _DML)
_METADATA = re.compile(r"\binformation_schema\b|\bsystem\.(jdbc|metadata)\b", re.IGNORECASE)


def _first_word(sql: str) -> str:
    words = _COMMENTS.sub(" ", sql).split()
    return words[0].lower() if words else ""


def _select_list_names(sql: str) -> list[str]:
    """Output names of a top-level `select a, b as c from ...` (enough to look plausible)."""
    text = _COMMENTS.sub(" ", sql)
    match = re.search(r"\bselect\b(.*?)\bfrom\b", text, re.IGNORECASE | re.DOTALL)
    if match is None:
        return ["_col0"]
    items, depth, current = [], 0, ""
    for char in match.group(1):
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    names = []
    for i, item in enumerate(items):
        ident = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\"?\s*$", item.strip())
        names.append(
            ident.group(1).lower() if ident and not item.strip().endswith(")") else f"_col{i}"
        )
    return names


def default_answer(sql: str) -> tuple[Answer, str | None]:
    """The double's rules: (columns, rows) and the update type (None for a query)."""
    word = _first_word(sql)
    if word in _DDL:
        return ([("result", "boolean")], [[True]]), word.upper()
    if word in _DML:
        return ([("rows", "bigint")], [[0]]), word.upper()
    if word == "show":
        return (["_col0"], []), None
    if _METADATA.search(sql) or word in ("select", "with"):
        return (_select_list_names(sql), []), None
    return (["_col0"], []), None


def _trino_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, float):
        return "double"
    return "varchar"


def _columns(specs: Sequence[ColumnSpec], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Column descriptions in the shape the client's row mapper and cursor.description read."""
    out = []
    for i, spec in enumerate(specs):
        if isinstance(spec, tuple):
            name, kind = spec
        else:
            name, kind = spec, _trino_type(rows[0][i]) if rows else "varchar"
        arguments = [{"kind": "LONG", "value": 2147483647}] if kind == "varchar" else []
        signature = {"rawType": kind, "arguments": arguments}
        out.append({"name": name, "type": kind, "typeSignature": signature})
    return out


@dataclass
class TrinoDouble:
    """The server's state: what it received and how it answers. Start with `serve()`."""

    responder: Responder | None = None
    statements: list[Statement] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0
    _pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def sqls(self) -> list[str]:
        with self._lock:
            return [s.sql for s in self.statements]

    def _query_id(self) -> str:
        return f"20250101_000000_{next(self._ids):05d}_double"

    def receive(self, sql: str, headers: Any) -> dict[str, Any]:
        """Record a statement, compute its answer now, and return the first (queued) page."""
        statement = Statement(
            sql, headers.get("X-Trino-User"), headers.get("X-Trino-Catalog"),
            headers.get("X-Trino-Schema"),
        )  # fmt: skip
        query_id = self._query_id()
        base = {"id": query_id, "infoUri": f"{self.url}/ui/query.html?{query_id}"}
        with self._lock:
            self.statements.append(statement)
        try:
            answer = self.responder(sql) if self.responder is not None else None
            update_type = None
            if answer is None:
                answer, update_type = default_answer(sql)
        except TrinoQueryError as exc:
            error = {"message": str(exc), "errorName": exc.error_name, "errorType": exc.error_type,
                     "errorCode": 1, "failureInfo": {"type": "io.trino.spi.TrinoException",
                                                     "message": str(exc), "suppressed": [],
                                                     "stack": []}}  # fmt: skip
            return {**base, "stats": {"state": "FAILED"}, "error": error}
        specs, rows = answer
        final: dict[str, Any] = {**base, "stats": {"state": "FINISHED"}, "columns": _columns(specs, rows),
                 "data": [list(row) for row in rows]}  # fmt: skip
        if update_type is not None:
            final["updateType"] = update_type
            final["updateCount"] = rows[0][0] if update_type in _DML_UPPER else None
        with self._lock:
            self._pending[query_id] = final
        # Like a coordinator: the POST only queues the query; its results are on nextUri.
        next_uri = f"{self.url}/v1/statement/executing/{query_id}/y/1"
        return {**base, "nextUri": next_uri, "stats": {"state": "QUEUED"}}

    def page(self, query_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._pending.pop(query_id, None)


def _handler(double: TrinoDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _json(self, body: dict[str, Any], status: int = 200) -> None:
            payload = json.dumps(body, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            if self.path != "/v1/statement":
                self._json({"message": "not found"}, 404)
                return
            sql = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            self._json(double.receive(sql, self.headers))

        def do_GET(self) -> None:
            if self.path == "/v1/info":
                self._json({"nodeVersion": {"version": VERSION}, "environment": "test",
                            "starting": False, "uptime": "1.00m"})  # fmt: skip
                return
            parts = self.path.split("/")
            body = double.page(parts[4]) if self.path.startswith("/v1/statement/") else None
            if body is None:
                self._json({"message": f"no such page {self.path}"}, 404)
            else:
                self._json(body)

        def do_DELETE(self) -> None:
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler


@contextmanager
def serve(responder: Responder | None = None) -> Iterator[TrinoDouble]:
    """Run a TrinoDouble on 127.0.0.1 (ephemeral port) in a thread for the `with` block."""
    double = TrinoDouble(responder)
    server = ThreadingHTTPServer((double.host, 0), _handler(double))
    double.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield double
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def trino_double() -> Iterator[TrinoDouble]:
    """A fresh double per test: its records and responder belong to that test."""
    with serve() as double:
        yield double
