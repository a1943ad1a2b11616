"""`query`."""

from __future__ import annotations

from typing import Annotated

import typer

from ecomctl.cli.context import invocation_of
from ecomctl.cli.options import HomeOpt, JsonOpt, QuietOpt, StackOpt, choice, examples
from ecomctl.errors import ExitStatus

app = typer.Typer()


@app.command(
    epilog=examples(
        "ecomctl query 'select * from payment_type_mix limit 5'",
        "ecomctl query 'select count(*) from orders' --layer bronze",
        "ecomctl query 'select * from sales_by_customer_state' --format csv > states.csv",
    )
)
def query(
    ctx: typer.Context,
    sql: Annotated[str, typer.Argument(metavar="SQL", help="One read-only SQL statement.")],
    home: HomeOpt = None,
    stack: StackOpt = None,
    layer: Annotated[
        str, typer.Option(metavar="LAYER", help="landing, bronze, silver or gold.")
    ] = "gold",
    fmt: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="table, csv or json.")
    ] = "table",
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Query a layer where it lives, without knowing engines, ports or passwords."""
    call = invocation_of(ctx)
    screen = call.start("query", json_, quiet)
    from ecomctl.commands import query as work
    from ecomctl.layers import QUERY_LAYERS
    from ecomctl.outputs import json_docs

    choice("--layer", layer, QUERY_LAYERS)
    choice("--format", fmt, ("table", "csv", "json"))
    result = work.query(call.open_stack(home=home, stack=stack), layer, sql)
    if not json_:
        screen.query_result(result, fmt)
    call.finish(ExitStatus.SUCCESS, layer=layer, **json_docs.query(result))
