"""The command line: parse, call plain functions, render. Every exit goes through ExitStatus."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ecomctl import __version__
from ecomctl.errors import EcomctlError, ExitStatus

EXIT_CODES = (
    "Exit codes: 0 success; 1 a model, test or data check failed (status: a service is down);"
    " 2 usage error; 3 a service is unhealthy or timed out; 4 the environment lacks something"
    " (a free port, a package); 130 interrupted."
)

app = typer.Typer(
    name="ecomctl",
    help="Run a medallion data stack (landing -> bronze -> silver -> gold) over Olist data.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
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
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout; human output to stderr.")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
JunitOpt = Annotated[
    Path | None, typer.Option("--junit-xml", help="Write a JUnit XML report to PATH.")
]

# The command being run and whether it owes stdout a JSON document, for main()'s error path.
_CURRENT: dict[str, Any] = {"command": "", "json": False}


def _start(command: str, json_mode: bool, quiet: bool) -> None:
    from ecomctl import render

    _CURRENT.update(command=command, json=json_mode)
    render.configure(json_mode, quiet)


def _emit(document: dict[str, Any]) -> None:
    if _CURRENT["json"]:
        print(json.dumps(document, default=str))


def _finish(command: str, status: ExitStatus, **fields: Any) -> None:
    """Emit the command's JSON document (with --json) and exit with status."""
    from ecomctl import documents

    _emit(documents.envelope(command, status == ExitStatus.SUCCESS, int(status), **fields))
    if status != ExitStatus.SUCCESS:
        raise typer.Exit(status)


def _settings(home: Path | None, stack: str | None = None, **flags: Any) -> Any:
    from pydantic import ValidationError

    from ecomctl.settings import load_settings

    try:
        return load_settings(home=home, stack=stack, **flags)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise EcomctlError(f"setting {where}: {first['msg']}", ExitStatus.USAGE) from exc


def _home_lock(paths: Any) -> Any:
    """Hold the home folder for a command that writes to it."""
    from ecomctl import lock, render

    return lock.hold(
        paths.root, _CURRENT["command"], lambda text: render.err.print(f"[yellow]{text}[/]")
    )


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
    pass


@app.command()
def seed(
    home: HomeOpt = None,
    scale: Annotated[float | None, typer.Option(help="Size; 1 = the real data set's rows.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Generator seed.")] = None,
    from_dir: Annotated[
        Path | None, typer.Option("--from", help="Load your real Olist CSV files from DIR.")
    ] = None,
    increment: Annotated[
        bool, typer.Option("--increment", help="Append one more day of new orders.")
    ] = False,
    max_bad_rows: Annotated[
        int | None,
        typer.Option("--max-bad-rows", min=0, help="Load good rows, set up to N bad ones aside."),
    ] = None,
    stack: StackOpt = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Generate Olist-shaped files (or take yours with --from) and load the landing zone
    (on the compose and remote stacks: then publish it to the lake as Parquet)."""
    _start("seed", json_, quiet)
    from ecomctl import documents, render, seeding

    if increment and from_dir is not None:
        raise EcomctlError("--increment and --from cannot go together", ExitStatus.USAGE)
    settings = _settings(home, stack, scale=scale, seed=seed)
    paths = settings.paths
    st = _stack(settings)
    with _home_lock(paths):
        if increment:
            render.err.print("appending one more day of new orders ...")
            result = seeding.increment(paths)
        else:
            what = f"generated data (scale {settings.scale}, seed {settings.seed})"
            render.err.print(f"seeding landing from {'your files' if from_dir else what} ...")
            result = seeding.seed(paths, settings.scale, settings.seed, from_dir, max_bad_rows)
        # Inside the lock: `run` must never read the lake's tables while they are re-pointed.
        published = _publish(st) if st.name != "embedded" else None
    made = " (generated now)" if result.generated else ""
    render.out.print(f"files: {result.source}{made}")
    render.out.print(
        f"landing: {result.total_rows:,} rows in {len(result.rows)} tables ({paths.warehouse})"
    )
    for table, rows in result.rows.items():
        render.out.print(f"  {table:<22} {rows:>10,}")
    if result.rejected:
        render.err.print(
            f"[yellow]{result.rejected} bad rows set aside in landing._rejects"
            f" ({', '.join(f'{f}: {n}' for f, n in result.rejects_by_file.items())})[/]"
        )
    lake: dict[str, Any] = {}
    if published is not None:
        lake = {"lake": documents.published(published)}
    _finish("seed", ExitStatus.SUCCESS, **documents.seed(result), **lake)


@app.command()
def up(
    home: HomeOpt = None,
    stack: StackOpt = None,
    only: Annotated[
        str | None, typer.Option("--only", help="compose: these services (and their dependencies).")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", min=1, help="compose: seconds to wait for health.")
    ] = None,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="compose: start and return without waiting.")
    ] = False,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Start the stack's services and wait until they are healthy."""
    _start("up", json_, quiet)
    from ecomctl import documents, render

    st = _stack(_settings(home, stack))
    with _home_lock(st.paths):
        if st.name == "compose":
            services = [s.strip() for s in only.split(",") if s.strip()] if only else None
            rows = _up(st, services, timeout, not no_wait)
        else:
            if only or timeout or no_wait:
                raise EcomctlError(
                    "--only, --timeout and --no-wait are for the compose stack", ExitStatus.USAGE
                )
            _up(st)
            rows = st.status()
    render.services(rows)
    if no_wait:
        render.err.print("started in the background: `ecomctl status` shows when all are healthy")
    url = st.gold_endpoint().url()
    render.err.print(f"gold: {url}")
    _finish(
        "up",
        ExitStatus.SUCCESS,
        stack=st.name,
        services=documents.services(rows),
        gold_url=url,
        waited=not no_wait,
    )


@app.command()
def status(
    home: HomeOpt = None,
    stack: StackOpt = None,
    output: Annotated[
        str, typer.Option("--output", "-o", help="table, json or env (ECOMCTL_* lines for eval).")
    ] = "table",
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Show each service: state, endpoint, version, uptime. Exit 1 when one is down."""
    if output not in ("table", "json", "env"):
        raise EcomctlError(f"--output {output!r}: expected table, json or env", ExitStatus.USAGE)
    json_mode = json_ or output == "json"
    _start("status", json_mode, quiet)
    from ecomctl import documents, render

    st = _stack(_settings(home, stack))
    rows = st.status()
    healthy = all(s.healthy for s in rows)
    if output == "env":
        for name, value in st.env_vars().items():
            print(f"{name}={shlex.quote(value)}")
    else:
        render.services(rows)
    code = ExitStatus.SUCCESS if healthy else ExitStatus.FAILURE
    _finish("status", code, stack=st.name, healthy=healthy, services=documents.services(rows))


@app.command()
def down(
    home: HomeOpt = None,
    stack: StackOpt = None,
    volumes: Annotated[
        bool, typer.Option("--volumes", help="compose: remove the data volumes too (asks first).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before --volumes.")] = False,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Stop the stack's services; data is kept unless --volumes."""
    _start("down", json_, quiet)
    from ecomctl import render

    st = _stack(_settings(home, stack))
    if volumes and not yes:
        if not sys.stdin.isatty():
            raise EcomctlError(
                "--volumes deletes the stack's data: add --yes when there is no terminal to ask",
                ExitStatus.USAGE,
            )
        if not typer.confirm(f"Delete the {st.name} stack's volumes (all its data)?"):
            raise EcomctlError("not confirmed: nothing removed", ExitStatus.USAGE)
    with _home_lock(st.paths):
        stopped, message = st.down(volumes)
    render.err.print(message)
    _finish(
        "down",
        ExitStatus.SUCCESS,
        stack=st.name,
        stopped=stopped,
        message=message,
        volumes_removed=volumes,
    )


@app.command()
def logs(
    service: Annotated[str | None, typer.Argument(help="One service; all when left out.")] = None,
    home: HomeOpt = None,
    stack: StackOpt = None,
    tail: Annotated[int, typer.Option("--tail", "-n", min=0, help="Last N lines.")] = 100,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Print a service's log (compose containers; the embedded PostgreSQL server's log)."""
    _start("logs", json_, quiet)
    st = _stack(_settings(home, stack))
    if follow:
        if json_:
            raise EcomctlError("--follow and --json cannot go together", ExitStatus.USAGE)
        for chunk in st.follow_logs(service, tail):
            sys.stdout.write(chunk)
            sys.stdout.flush()
        _finish("logs", ExitStatus.SUCCESS)
        return
    text = st.logs_text(service, tail)
    if not json_:
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    _finish("logs", ExitStatus.SUCCESS, service=service, lines=text.splitlines())


def _up(
    st: Any,
    only: list[str] | None = None,
    timeout: float | None = None,
    wait: bool = True,
    layers: list[str] | None = None,
) -> list[Any]:
    """Start the stack's services (or, on the remote stack, check that those the layers need
    answer), passing on what the user must know: a moved port, the last log lines of a
    service that did not become healthy."""
    from ecomctl import render
    from ecomctl.errors import ServiceFailed

    try:
        if st.name == "compose":
            with render.service_table() as show:
                rows: list[Any] = st.start(only, timeout, wait, show, render.image_build)
        else:
            st.up(layers)
            rows = []
    except ServiceFailed as exc:
        if exc.logs:
            render.err.print(f"last log lines of {exc.service}:", markup=False)
            render.err.print(exc.logs.rstrip(), markup=False, highlight=False)
        raise
    for notice in st.notices:
        render.err.print(notice)
    return rows


def _ensure_landing(st: Any, layers: list[str]) -> None:
    """Seed generated data when landing is empty; on a lake stack, publish it there too.

    On a lake stack only bronze reads landing: a run of later layers needs none of it.
    """
    from ecomctl import landing, render, seeding

    settings = st.settings
    if st.name != "embedded" and ("bronze" not in layers or st.row_counts("landing")):
        return
    if not landing.row_counts(settings.paths):
        render.err.print(
            f"landing zone is empty: seeding generated data first (scale {settings.scale},"
            f" seed {settings.seed})"
        )
        result = seeding.seed(settings.paths, settings.scale, settings.seed)
        render.err.print(f"landing: {result.total_rows:,} rows from {result.source}")
    if st.name != "embedded":
        _publish(st)


def _publish(st: Any) -> Any:
    """Put the local landing zone into the lake: Parquet on S3, tables through Trino."""
    from ecomctl import lake_seed, render

    render.err.print(
        f"publishing landing to {st.s3_endpoint()} (bucket {st.settings.lake_bucket}) ..."
    )
    published = lake_seed.publish(st, st.paths)
    render.out.print(
        f"lake: {published.total_rows:,} rows as Parquet under"
        f" {published.location}<table>/batch={published.batch}/ ({published.seconds:.1f} s),"
        f" tables {st.settings.landing_catalog}.landing.<table> via Trino at {st.trino().url()}"
    )
    return published


def _run_dbt(
    command: str,
    home: Path | None,
    stack: str | None,
    layer: str,
    select: list[str] | None,
    full_refresh: bool = False,
    junit_xml: Path | None = None,
    fail_on_drop: float | None = None,
) -> None:
    from ecomctl import documents, pipeline, render

    settings = _settings(home, stack)
    layers = pipeline.parse_layers(layer)
    pipeline.layer_selection(layers[0], select or [])  # validate before any work
    st = _stack(settings)
    with _home_lock(st.paths):
        _up(st, layers=layers)
        _ensure_landing(st, layers)
        reports = pipeline.run_layers(
            st, layers, command, select, full_refresh, render.progress, render.layer_start
        )
    render.layer_reports(reports)
    ok = all(r.success for r in reports)
    fields: dict[str, Any] = {"stack": st.name, "success": ok, "layers": documents.layers(reports)}
    if command == "run" and "gold" in layers:
        url = st.gold_endpoint().url()
        fields["gold_url"] = url
        render.out.print(f"\ngold tables: {url} (schema gold)")
        render.out.print(
            f"  look: ecomctl query 'select * from sales_values_by_category limit 10'"
            f"{'' if home is None else f' --home {home}'}"
        )
        render.out.print(f"  psql: PGPASSWORD={st.password_hint()} psql {url} -c '\\dt gold.*'")
    if fail_on_drop is not None:
        dropped = pipeline.drops_beyond(reports, fail_on_drop)
        fields["dropped"] = [d.name for d in dropped]
        for d in dropped:
            render.err.print(
                f"[red]row count of {d.name} fell by {-(d.percent or 0):.1f}%"
                f" ({d.rows_before:,} -> {d.rows_after:,}), more than --fail-on-drop {fail_on_drop}%[/]"
            )
        ok = ok and not dropped
    _report_for_ci(settings, command, reports, junit_xml)
    _finish(command, ExitStatus.SUCCESS if ok else ExitStatus.FAILURE, **fields)


def _report_for_ci(settings: Any, command: str, reports: list[Any], junit_xml: Path | None) -> None:
    from ecomctl import github, junit, render

    if junit_xml is not None:
        junit.write(junit_xml, reports)
        render.err.print(f"JUnit report: {junit_xml}")
    if settings.github_actions:
        stream = sys.stderr if _CURRENT["json"] else sys.stdout
        for line in github.error_lines(reports):
            print(line, file=stream)
        if settings.github_step_summary is not None:
            github.append_summary(
                settings.github_step_summary, github.summary_markdown(command, reports)
            )


@app.command()
def run(
    home: HomeOpt = None,
    stack: StackOpt = None,
    layer: LayerOpt = "all",
    select: SelectOpt = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Rebuild incremental models.")
    ] = False,
    fail_on_drop: Annotated[
        float | None,
        typer.Option(
            "--fail-on-drop", min=0, help="Exit 1 when a model loses more than PCT% of its rows."
        ),
    ] = None,
    junit_xml: JunitOpt = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Run the pipeline layer by layer (seeding first when landing is empty)."""
    _start("run", json_, quiet)
    _run_dbt("run", home, stack, layer, select, full_refresh, junit_xml, fail_on_drop)


@app.command()
def test(
    home: HomeOpt = None,
    stack: StackOpt = None,
    layer: LayerOpt = "all",
    select: SelectOpt = None,
    junit_xml: JunitOpt = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Run the dbt tests of each layer and list failures."""
    _start("test", json_, quiet)
    _run_dbt("test", home, stack, layer, select, junit_xml=junit_xml)


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="One read-only SQL statement.")],
    home: HomeOpt = None,
    stack: StackOpt = None,
    layer: Annotated[str, typer.Option(help="landing, bronze, silver or gold.")] = "gold",
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Query a layer where it lives, without knowing engines, ports or passwords."""
    _start("query", json_, quiet)
    from ecomctl import documents, render
    from ecomctl.stack import QUERY_LAYERS

    if layer not in QUERY_LAYERS:
        raise EcomctlError(
            f"--layer {layer!r}: expected one of {', '.join(QUERY_LAYERS)}", ExitStatus.USAGE
        )
    if fmt not in ("table", "csv", "json"):
        raise EcomctlError(f"--format {fmt!r}: expected table, csv or json", ExitStatus.USAGE)
    result = _stack(_settings(home, stack)).query(layer, sql)
    if not json_:
        render.query_result(result, fmt)
    _finish("query", ExitStatus.SUCCESS, layer=layer, **documents.query(result))


@app.command()
def docs(
    home: HomeOpt = None,
    stack: StackOpt = None,
    serve: Annotated[bool, typer.Option("--serve", help="Serve the site on 127.0.0.1.")] = False,
    port: Annotated[int, typer.Option(help="Port for --serve.")] = 8080,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Generate the dbt docs site for the project (and serve it on 127.0.0.1)."""
    _start("docs", json_, quiet)
    from ecomctl import docsite, render
    from ecomctl.settings import LAYERS

    st = _stack(_settings(home, stack))
    with _home_lock(st.paths):
        _up(st)
        _ensure_landing(st, list(LAYERS))
        site = docsite.generate(st)
    render.out.print(f"docs: {site / 'index.html'}")
    if serve:
        docsite.serve(site, port, lambda url: render.err.print(f"serving {url} (Ctrl-C stops)"))
    _finish("docs", ExitStatus.SUCCESS, site=str(site / "index.html"))


def main() -> None:
    # Not click's standalone mode: usage errors and Ctrl-C then reach us, so with --json they
    # are JSON documents too, and Ctrl-C exits 130 rather than click's 1.
    try:
        code = app(standalone_mode=False)
    except EcomctlError as exc:
        _fail(exc.message, exc.status)
    except typer.Abort:  # a prompt answered with Ctrl-C or end of input
        _fail("interrupted", ExitStatus.INTERRUPTED)
    except typer.TyperException as exc:  # click's usage errors, found before any work
        usage: Any = exc  # typer does not type its vendored click's exceptions
        usage.show()
        if "--json" in sys.argv[1:]:
            command = getattr(getattr(usage, "ctx", None), "command", None)
            name = getattr(command, "name", "")
            _CURRENT.update(command="" if name == app.info.name else name, json=True)
            _fail(usage.format_message(), ExitStatus.USAGE, quiet=True)
        sys.exit(ExitStatus.USAGE)
    if code == ExitStatus.INTERRUPTED:  # typer turns Ctrl-C into this exit code
        _fail("interrupted", ExitStatus.INTERRUPTED)
    sys.exit(code if isinstance(code, int) else ExitStatus.SUCCESS)


def _fail(message: str, status: ExitStatus, quiet: bool = False) -> None:
    if _CURRENT["json"]:
        from ecomctl import documents

        print(
            json.dumps(documents.envelope(_CURRENT["command"], False, int(status), error=message))
        )
    if not quiet:
        print(f"ecomctl: {message}", file=sys.stderr)
    sys.exit(status)
