"""`query`."""

from __future__ import annotations

from typing import Annotated

import typer

from ecomctl.cli.context import Invocation
from ecomctl.cli.options import choice, command
from ecomctl.errors import ExitStatus

app = typer.Typer()


@command(
    app,
    "ecomctl query 'select * from payment_type_mix limit 5'",
    "ecomctl query 'select count(*) from orders' --layer bronze",
    "ecomctl query 'select * from sales_by_customer_state' --format csv > states.csv",
    "ecomctl query 'select count(*) from silver.fact_orders' --as-of 3 --stack native",
)
def query(
    call: Invocation,
    sql: Annotated[str, typer.Argument(metavar="SQL", help="One read-only SQL statement.")],
    layer: Annotated[
        str, typer.Option(metavar="LAYER", help="landing, bronze, silver or gold.")
    ] = "gold",
    fmt: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="table, csv or json.")
    ] = "table",
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="RUN",
            help="Read bronze and silver as run RUN (a number or id from `history`) left them;"
            " name its tables by layer (bronze.orders, silver.fact_orders). Lake stacks only.",
        ),
    ] = None,
) -> None:
    """Query a layer where it lives, without knowing engines, ports or passwords."""
    screen = call.start("query")
    from ecomctl.commands import query as work
    from ecomctl.layers import QUERY_LAYERS
    from ecomctl.outputs import json_docs

    choice("--layer", layer, QUERY_LAYERS)
    choice("--format", fmt, ("table", "csv", "json"))
    stack = call.open_stack()
    result = work.query(stack, layer, sql) if as_of is None else work.query_as_of(stack, sql, as_of)
    if not call.json_flag:
        screen.query_result(result, fmt)
    call.finish(ExitStatus.SUCCESS, layer=layer, **json_docs.query(result))


@command(app, "ecomctl tables", "ecomctl tables --layer bronze --json")
def tables(
    call: Invocation,
    layer: Annotated[
        str | None,
        typer.Option(metavar="LAYER", help="landing, bronze, silver or gold [default: all]."),
    ] = None,
) -> None:
    """List each layer's tables: what `query --layer LAYER` can read."""
    screen = call.start("tables")
    from ecomctl.commands import query as work
    from ecomctl.layers import QUERY_LAYERS

    if layer is not None:
        choice("--layer", layer, QUERY_LAYERS)
    found = work.tables(call.open_stack(), list(QUERY_LAYERS) if layer is None else [layer])
    if not call.json_flag:
        screen.tables(found)
    call.finish(ExitStatus.SUCCESS, layers=found)
