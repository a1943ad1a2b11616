"""The command line: parse, call plain functions, render. Every exit goes through ExitStatus."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ecomctl import __version__
from ecomctl.errors import EcomctlError, ExitStatus

app = typer.Typer(
    name="ecomctl",
    help="Run a medallion data stack (landing -> bronze -> silver -> gold) over Olist data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="State folder [env ECOMCTL_HOME; default ./.ecomctl].")
]
StackOpt = Annotated[
    str | None, typer.Option("--stack", help="Stack to use [env ECOMCTL_STACK; default embedded].")
]
LayerOpt = Annotated[str, typer.Option("--layer", help="bronze, silver, gold or all.")]
SelectOpt = Annotated[
    list[str] | None, typer.Option("--select", "-s", help="dbt selector(s), within each layer.")
]


def _settings(home: Path | None, stack: str | None = None, **flags: Any) -> Any:
    from pydantic import ValidationError

    from ecomctl.settings import load_settings

    try:
        return load_settings(home=home, stack=stack, **flags)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise EcomctlError(f"setting {where}: {first['msg']}", ExitStatus.USAGE) from exc


def _stack(settings: Any) -> Any:
    from ecomctl.stack import get_stack

    return get_stack(settings)


def _version(value: bool) -> None:
    if value:
        print(f"ecomctl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Exit codes: 0 ok, 1 a model/test/data check failed, 2 usage, 3 service unhealthy,
    4 environment lacks something, 130 interrupted."""


@app.command()
def seed(
    home: HomeOpt = None,
    scale: Annotated[float | None, typer.Option(help="Size; 1 = the real data set's rows.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Generator seed.")] = None,
    from_dir: Annotated[
        Path | None, typer.Option("--from", help="Load your real Olist CSV files from DIR.")
    ] = None,
) -> None:
    """Generate Olist-shaped files (or take yours with --from) and load the landing zone."""
    from ecomctl import render, seeding

    settings = _settings(home, scale=scale, seed=seed)
    paths = settings.paths
    source = (
        "your files"
        if from_dir
        else f"generated data (scale {settings.scale}, seed {settings.seed})"
    )
    render.err.print(f"seeding landing from {source} ...")
    result = seeding.seed(paths, settings.scale, settings.seed, from_dir)
    render.out.print(f"files: {result.source}{' (generated now)' if result.generated else ''}")
    render.out.print(
        f"landing: {result.total_rows:,} rows in {len(result.rows)} tables ({paths.warehouse})"
    )
    for table, rows in result.rows.items():
        render.out.print(f"  {table:<22} {rows:>10,}")


@app.command()
def up(home: HomeOpt = None, stack: StackOpt = None) -> None:
    """Start the stack's services and wait until they accept connections."""
    from ecomctl import render

    st = _stack(_settings(home, stack))
    endpoint = _up(st)
    render.services(st.status())
    render.err.print(f"gold: {endpoint.url()}")


@app.command()
def status(home: HomeOpt = None, stack: StackOpt = None) -> None:
    """Show each service: state, endpoint, version, uptime. Exit 1 when one is down."""
    from ecomctl import render

    rows = _stack(_settings(home, stack)).status()
    render.services(rows)
    if not all(s.healthy for s in rows):
        raise typer.Exit(ExitStatus.FAILURE)


@app.command()
def down(home: HomeOpt = None, stack: StackOpt = None) -> None:
    """Stop the stack's services; data is kept."""
    from ecomctl import render

    stopped = _stack(_settings(home, stack)).down()
    render.err.print("postgres stopped" if stopped else "postgres was not running")


def _up(st: Any) -> Any:
    """Start the stack's services, passing on what the user must know (a moved port)."""
    from ecomctl import render

    endpoint = st.up()
    for notice in st.postgres.notices:
        render.err.print(notice)
    return endpoint


def _ensure_landing(settings: Any) -> None:
    from ecomctl import landing, render, seeding

    if landing.row_counts(settings.paths):
        return
    render.err.print(
        f"landing zone is empty: seeding generated data first (scale {settings.scale},"
        f" seed {settings.seed})"
    )
    result = seeding.seed(settings.paths, settings.scale, settings.seed)
    render.err.print(f"landing: {result.total_rows:,} rows from {result.source}")


def _run_dbt(
    home: Path | None, stack: str | None, layer: str, select: list[str] | None,
    command: str, full_refresh: bool = False,
) -> None:  # fmt: skip
    from ecomctl import pipeline, render

    settings = _settings(home, stack)
    layers = pipeline.parse_layers(layer)
    pipeline.layer_selection(layers[0], select or [])  # validate before any work
    st = _stack(settings)
    _ensure_landing(settings)
    _up(st)
    reports = pipeline.run_layers(
        st, layers, command, select, full_refresh, render.progress, render.layer_start
    )
    render.layer_reports(reports)
    if command == "run" and "gold" in layers:
        url = st.gold_endpoint().url()
        render.out.print(f"\ngold tables: {url} (schema gold)")
        render.out.print(
            f"  look: ecomctl query 'select * from sales_values_by_category limit 10'"
            f"{'' if home is None else f' --home {home}'}"
        )
        render.out.print(
            f"  psql: PGPASSWORD=$(cat {st.postgres.password_file}) psql {url} -c '\\dt gold.*'"
        )
    if not all(r.success for r in reports):
        raise typer.Exit(ExitStatus.FAILURE)


@app.command()
def run(
    home: HomeOpt = None,
    stack: StackOpt = None,
    layer: LayerOpt = "all",
    select: SelectOpt = None,
    full_refresh: Annotated[bool, typer.Option("--full-refresh", help="Rebuild incremental models.")] = False,
) -> None:  # fmt: skip
    """Run the pipeline layer by layer (seeding first when landing is empty)."""
    _run_dbt(home, stack, layer, select, "run", full_refresh)


@app.command()
def test(
    home: HomeOpt = None, stack: StackOpt = None, layer: LayerOpt = "all", select: SelectOpt = None
) -> None:
    """Run the dbt tests of each layer and list failures."""
    _run_dbt(home, stack, layer, select, "test")


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="One read-only SQL statement.")],
    home: HomeOpt = None,
    stack: StackOpt = None,
    layer: Annotated[str, typer.Option(help="landing, bronze, silver or gold.")] = "gold",
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Query a layer where it lives, without knowing engines, ports or passwords."""
    from ecomctl import render
    from ecomctl.stack import QUERY_LAYERS

    if layer not in QUERY_LAYERS:
        raise EcomctlError(
            f"--layer {layer!r}: expected one of {', '.join(QUERY_LAYERS)}", ExitStatus.USAGE
        )
    if fmt not in ("table", "csv", "json"):
        raise EcomctlError(f"--format {fmt!r}: expected table, csv or json", ExitStatus.USAGE)
    result = _stack(_settings(home, stack)).query(layer, sql)
    render.query_result(result, fmt)


@app.command()
def docs(
    home: HomeOpt = None,
    stack: StackOpt = None,
    serve: Annotated[bool, typer.Option("--serve", help="Serve the site on 127.0.0.1.")] = False,
    port: Annotated[int, typer.Option(help="Port for --serve.")] = 8080,
) -> None:
    """Generate the dbt docs site for the project (and serve it on 127.0.0.1)."""
    from ecomctl import docsite, render

    st = _stack(_settings(home, stack))
    _ensure_landing(st.settings)
    _up(st)
    site = docsite.generate(st)
    render.out.print(f"docs: {site / 'index.html'}")
    if serve:
        docsite.serve(site, port, lambda url: render.err.print(f"serving {url} (Ctrl-C stops)"))


def main() -> None:
    # Click's standalone mode exits with 2 on usage errors and with typer.Exit's code.
    try:
        app()
    except EcomctlError as exc:
        print(f"ecomctl: {exc.message}", file=sys.stderr)
        sys.exit(exc.status)
