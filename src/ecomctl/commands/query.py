"""`query`: one read-only statement on a layer, where the layer lives; `tables`: what each
layer holds."""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING

from ecomctl import hints
from ecomctl.engines.sql import missing_table
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.layers import QUERY_LAYERS
from ecomctl.stacks.base import QueryResult, Stack

if TYPE_CHECKING:
    from ecomctl.engines.iceberg import Snapshots


def query(stack: Stack, layer: str, sql: str) -> QueryResult:
    """The statement's result; a table the layer lacks is looked for in the other layers."""
    try:
        return stack.query(layer, sql)
    except EcomctlError as exc:
        table = missing_table(exc.message)
        if table is None:
            raise
        said = exc.message.rstrip("!")  # DuckDB exclaims
        raise EcomctlError(f"{said}; {_found_in(stack, layer, table)}", exc.status) from exc


def tables(stack: Stack, layers: list[str]) -> dict[str, list[str]]:
    """Each layer's tables, in the pipeline's order."""
    return {layer: stack.tables(layer) for layer in layers}


def _found_in(stack: Stack, layer: str, table: str) -> str:
    """Where a table of that name is, as a hint: the layers that hold one (a layer whose
    server is down is passed over), or where to look."""
    holders = []
    for other in QUERY_LAYERS:
        if other != layer:
            with suppress(EcomctlError):
                if table in stack.tables(other):
                    holders.append(other)
    if not holders:
        return f"no layer has a table {table}: `{hints.command('tables')}` lists each layer's"
    return f"{table} is a table of {' and '.join(holders)}: query it with --layer {holders[-1]}"


def query_as_of(stack: Stack, sql: str, run: str) -> QueryResult:
    """sql over bronze and silver as the run (a number or an id from `history`) left them."""

    def snapshots() -> tuple[str, Snapshots]:
        from ecomctl import history

        number, record = history.find(history.read(stack.paths), run)
        label = f"#{number} ({record['id']})"
        if record["stack"] != stack.name:
            raise EcomctlError(
                f"--as-of {run}: run {label} ran on the {record['stack']} stack, not {stack.name}",
                ExitStatus.USAGE,
            )
        if not record.get("snapshots"):
            raise EcomctlError(
                f"--as-of {run}: run {label} recorded no lake snapshots (only a `run` that"
                " built bronze or silver does)",
                ExitStatus.USAGE,
            )
        return label, record["snapshots"]

    return stack.query_as_of(sql, snapshots)
