"""`query`: one read-only statement on a layer, where the layer lives."""

from __future__ import annotations

from ecomctl.stacks.base import QueryResult, Stack


def query(stack: Stack, layer: str, sql: str) -> QueryResult:
    return stack.query(layer, sql)
