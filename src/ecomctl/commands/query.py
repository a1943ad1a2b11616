"""`query`: one read-only statement on a layer, where the layer lives."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecomctl.stacks.base import QueryResult, Stack

if TYPE_CHECKING:
    from ecomctl.engines.iceberg import Snapshots


def query(stack: Stack, layer: str, sql: str) -> QueryResult:
    return stack.query(layer, sql)


def query_as_of(stack: Stack, sql: str, run: str) -> QueryResult:
    """sql over bronze and silver as the run (a number or an id from `history`) left them."""

    def snapshots() -> tuple[str, Snapshots]:
        from ecomctl import history
        from ecomctl.errors import EcomctlError, ExitStatus

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
