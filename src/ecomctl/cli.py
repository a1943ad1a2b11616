"""The command line: parse, check flags, call app, render. Every exit goes through ExitStatus.

Commands import what they need inside themselves, so `ecomctl --help` loads no engine.
"""

from __future__ import annotations

import shlex
import signal
import sys
import threading
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ecomctl import __version__
from ecomctl.errors import EcomctlError, ExitStatus, ServiceFailed, cause, counted, first_line

if TYPE_CHECKING:
    from ecomctl.history import Recorder
    from ecomctl.stacks.base import Stack

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
    Path | None,
    typer.Option(
        "--home",
        metavar="DIR",
        help="State folder [env ECOMCTL_HOME; default ./.ecomctl]; also before the command.",
    ),
]
StackOpt = Annotated[
    str | None,
    typer.Option(
        "--stack",
        metavar="NAME",
        help="embedded, native, compose or remote [env ECOMCTL_STACK; default embedded];"
        " also before the command.",
    ),
]
LayerOpt = Annotated[
    str, typer.Option("--layer", metavar="LAYER", help="bronze, silver, gold or all.")
]
SelectOpt = Annotated[
    list[str] | None,
    typer.Option("--select", "-s", metavar="SELECTOR", help="dbt selector(s), within each layer."),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout; human output to stderr.")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
ProjectOpt = Annotated[
    Path | None,
    typer.Option(
        "--project-dir",
        metavar="DIR",
        help="Your dbt project (see `ecomctl init`) [env ECOMCTL_DBT_PROJECT; default bundled].",
    ),
]
JunitOpt = Annotated[
    Path | None,
    typer.Option("--junit-xml", metavar="PATH", help="Write a JUnit XML report to PATH."),
]


def _examples(*lines: str) -> str:
    """A command's help epilog; \\b keeps click from joining the lines into one paragraph."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


# The command being run and whether it owes stdout a JSON document, for main()'s error path.
_CURRENT: dict[str, Any] = {"command": "", "json": False, "signal": "", "args": []}


def _start(command: str, json_mode: bool, quiet: bool) -> None:
    from ecomctl.outputs import console

    _CURRENT.update(command=command, json=json_mode)
    console.configure(json_mode, quiet)


def _finish(command: str, status: ExitStatus, **fields: Any) -> None:
    """Emit the command's JSON document (with --json) and exit with status."""
    from ecomctl.outputs import json_docs

    if _CURRENT["json"]:
        document = json_docs.envelope(command, status == ExitStatus.SUCCESS, int(status), **fields)
        print(json_docs.dumps(document))
    if status != ExitStatus.SUCCESS:
        raise typer.Exit(status)


def _recording(st: Stack, command: str) -> AbstractContextManager[Recorder]:
    """The command's record in the home's history, however it ends."""
    from ecomctl import history

    return history.recording(
        st.paths, command, st.name, list(_CURRENT["args"]), lambda: _CURRENT["signal"] == "SIGTERM"
    )


def _choice(option: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise EcomctlError(
            f"{option} {value!r}: expected {', '.join(choices[:-1])} or {choices[-1]}",
            ExitStatus.USAGE,
        )
    return value


def _version(value: bool) -> None:
    if value:
        print(f"ecomctl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    home: HomeOpt = None,
    stack: StackOpt = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    # `ecomctl --home DIR run` as `ecomctl run --home DIR`; the command's own flag wins.
    _BEFORE.update(home=home, stack=stack)


# --home and --stack given before the command.
_BEFORE: dict[str, Any] = {"home": None, "stack": None}


def _flags(**flags: Any) -> dict[str, Any]:
    """A command's setting flags, with --home and --stack from before the command where the
    command has none of its own."""
    return {**flags, **{k: v for k, v in _BEFORE.items() if flags.get(k) is None}}


def _open_stack(**flags: Any) -> Stack:
    from ecomctl import app as work

    return work.open_stack(**_flags(**flags))


@app.command(
    epilog=_examples(
        "ecomctl seed                      # generated data at scale 0.1",
        "ecomctl seed --scale 1 --seed 7",
        "ecomctl seed --from ~/olist        # your real Olist CSV files",
        "ecomctl seed --increment           # one more day, for an incremental run",
    )
)
def seed(
    home: HomeOpt = None,
    scale: Annotated[
        float | None,
        typer.Option(
            metavar="F",
            help="Size; 1 = the real data set's rows [env ECOMCTL_SCALE; default 0.1].",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", metavar="N", help="Generator seed [env ECOMCTL_SEED; default 42]."),
    ] = None,
    from_dir: Annotated[
        Path | None,
        typer.Option("--from", metavar="DIR", help="Load your real Olist CSV files from DIR."),
    ] = None,
    increment: Annotated[
        bool, typer.Option("--increment", help="Append one more day of new orders.")
    ] = False,
    max_bad_rows: Annotated[
        int | None,
        typer.Option(
            "--max-bad-rows", min=0, metavar="N", help="Load good rows, set up to N bad ones aside."
        ),
    ] = None,
    stack: StackOpt = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Generate Olist-shaped files (or take yours with --from) and load the landing zone
    (on the lake stacks: then publish it to the lake as Parquet)."""
    _start("seed", json_, quiet)
    from ecomctl import app as work
    from ecomctl.outputs import console, json_docs

    st = _open_stack(home=home, stack=stack, scale=scale, seed=seed)
    with _recording(st, "seed") as record, console.events() as events:
        done = work.seed(st, from_dir, increment, max_bad_rows, events, record)
    console.seeded(done.result, st.paths.warehouse)
    lake: dict[str, Any] = {}
    if done.published is not None:
        console.published(done.published)
        lake = {"lake": json_docs.published(done.published)}
    _finish("seed", ExitStatus.SUCCESS, **json_docs.seed(done.result), **lake)


@app.command(
    epilog=_examples(
        "ecomctl up",
        "ecomctl up --stack native --only trino",
        "ecomctl up --stack compose --timeout 600",
    )
)
def up(
    home: HomeOpt = None,
    stack: StackOpt = None,
    only: Annotated[
        str | None,
        typer.Option(
            "--only",
            metavar="SERVICES",
            help="compose, native: these services, comma-separated (and their dependencies).",
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=1,
            metavar="SECONDS",
            help="compose, native: how long to wait for health.",
        ),
    ] = None,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="compose, native: start and return without waiting.")
    ] = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="native: download nothing; use the cache only.")
    ] = False,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Start the stack's services and wait until they are healthy."""
    _start("up", json_, quiet)
    from ecomctl import app as work
    from ecomctl.outputs import console, json_docs
    from ecomctl.stacks.base import UpOptions

    services = [s.strip() for s in only.split(",") if s.strip()] if only is not None else None
    opts = UpOptions(only=services, timeout=timeout, wait=not no_wait, offline=offline)
    st = _open_stack(home=home, stack=stack)
    started = time.monotonic()
    with console.events() as events:
        rows = work.up(st, opts, events)
    seconds = time.monotonic() - started
    console.services(rows)
    if no_wait:
        console.err.print("started in the background: `ecomctl status` shows when all are healthy")
    else:
        console.err.print(f"{counted(len(rows), 'service')} healthy in {seconds:.1f} s")
    url = st.endpoints().gold_url
    console.err.print(f"gold: {url}")
    _finish(
        "up",
        ExitStatus.SUCCESS,
        stack=st.name,
        services=json_docs.services(rows),
        gold_url=url,
        waited=not no_wait,
        seconds=round(seconds, 3),
    )


@app.command(
    epilog=_examples(
        "ecomctl status",
        'eval "$(ecomctl status -o env)"  # ECOMCTL_* variables in your shell',
        "ecomctl status --json",
    )
)
def status(
    home: HomeOpt = None,
    stack: StackOpt = None,
    project_dir: ProjectOpt = None,
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            metavar="FORMAT",
            help="table, json or env (ECOMCTL_* lines for eval).",
        ),
    ] = "table",
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Show each service: state, endpoint, version, uptime. Exit 1 when one is down."""
    _choice("--output", output, ("table", "json", "env"))
    json_mode = json_ or output == "json"
    _start("status", json_mode, quiet)
    from ecomctl import app as work
    from ecomctl.outputs import console, json_docs

    st = _open_stack(home=home, stack=stack, dbt_project=project_dir)
    used = work.dbt_project(st)
    rows = st.status()
    healthy = all(s.healthy for s in rows)
    if output == "env":
        # `export`: after `eval "$(ecomctl status -o env)"` child processes see them too.
        for name, value in st.endpoints().variables.items():
            print(f"export {name}={shlex.quote(value)}")
    else:
        console.services(rows)
        console.dbt_project(used)
    code = ExitStatus.SUCCESS if healthy else ExitStatus.FAILURE
    down = next((s for s in rows if not s.healthy), None)
    problem = {} if down is None else {"error": f"{down.name} is {down.state}: {down.detail}"}
    _finish(
        "status",
        code,
        stack=st.name,
        healthy=healthy,
        services=json_docs.services(rows),
        dbt_project=json_docs.dbt_project(used),
        **problem,
    )


@app.command(
    epilog=_examples(
        "ecomctl down", "ecomctl down --volumes --yes      # and remove the stack's data"
    )
)
def down(
    home: HomeOpt = None,
    stack: StackOpt = None,
    volumes: Annotated[
        bool,
        typer.Option(
            "--volumes",
            help="Remove the stack's data too (embedded: empty the home; asks first).",
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before --volumes.")] = False,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Stop the stack's services; data is kept unless --volumes."""
    _start("down", json_, quiet)
    from ecomctl import app as work
    from ecomctl.outputs import console

    st = _open_stack(home=home, stack=stack)
    if volumes and not yes:
        if not sys.stdin.isatty():
            raise EcomctlError(
                "--volumes deletes the stack's data: add --yes when there is no terminal to ask",
                ExitStatus.USAGE,
            )
        if not typer.confirm(f"Delete all the data of the {st.name} stack ({st.paths.root})?"):
            raise EcomctlError("not confirmed: nothing removed", ExitStatus.USAGE)
    with console.events() as events:
        stopped, message = work.down(st, volumes, events)
    console.err.print(message)
    _finish(
        "down",
        ExitStatus.SUCCESS,
        stack=st.name,
        stopped=stopped,
        message=message,
        volumes_removed=volumes,
    )


@app.command(
    epilog=_examples(
        "ecomctl logs",
        "ecomctl logs postgres --tail 20",
        "ecomctl logs trino --stack native --follow",
    )
)
def logs(
    service: Annotated[
        str | None, typer.Argument(metavar="SERVICE", help="One service; all when left out.")
    ] = None,
    home: HomeOpt = None,
    stack: StackOpt = None,
    tail: Annotated[
        int, typer.Option("--tail", "-n", min=0, metavar="N", help="Last N lines.")
    ] = 100,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Print a service's log (compose containers, native processes, the embedded PostgreSQL)."""
    _start("logs", json_, quiet)

    if follow and json_:
        raise EcomctlError("--follow and --json cannot go together", ExitStatus.USAGE)
    st = _open_stack(home=home, stack=stack)
    if follow:
        for chunk in st.logs(service, tail, follow=True):
            sys.stdout.write(chunk)
            sys.stdout.flush()
        _finish("logs", ExitStatus.SUCCESS)
        return
    text = "".join(st.logs(service, tail, follow=False))
    if not json_:
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    _finish("logs", ExitStatus.SUCCESS, service=service, lines=text.splitlines())


def _run_dbt(
    command: str,
    home: Path | None,
    stack: str | None,
    project_dir: Path | None,
    layer: str,
    select: list[str] | None,
    full_refresh: bool = False,
    junit_xml: Path | None = None,
    fail_on_drop: float | None = None,
    force: bool = False,
) -> None:
    from ecomctl import app as work
    from ecomctl.layers import parse_layers
    from ecomctl.outputs import console, json_docs
    from ecomctl.transform import pipeline

    layers = parse_layers(layer)
    st = _open_stack(home=home, stack=stack, dbt_project=project_dir)
    with _recording(st, command) as record:
        with console.events() as events, console.run_watch() as watch:
            done = work.run_dbt(
                st,
                command,
                layers,
                select,
                full_refresh,
                events,
                watch.progress,
                watch.layer_start,
                force,
                watch.layer_done,
                record,
            )
        reports = done.reports
        console.layer_reports([r for r in reports if r.layer not in watch.shown])
        console.failures(reports)
        ok = all(r.success for r in reports)
        fields: dict[str, Any] = {
            "stack": st.name,
            "success": ok,
            "dbt_project": json_docs.dbt_project(done.project),
            "layers": json_docs.layers(reports),
        }
        if done.plan is not None:
            fields["up_to_date"] = done.plan.up_to_date
            fields["built_at"] = done.built_at
            fields["why"] = done.plan.why
        if done.plan is not None and done.plan.up_to_date:
            console.out.print(
                "everything is up to date: landing, the dbt project and the engines are as the run"
                f" of {done.built_at} left them; `ecomctl run --force` builds every model again"
            )
        if command == "run" and "gold" in layers:
            where = st.endpoints()
            fields["gold_url"] = where.gold_url
            console.out.print(f"\ngold tables: {where.gold_url} (schema gold)")
            console.out.print(
                f"  look: ecomctl query 'select * from sales_values_by_category limit 10'"
                f"{'' if home is None else f' --home {home}'}"
            )
            console.out.print(
                f"  psql: PGPASSWORD={where.password_hint} psql {where.gold_url} -c '\\dt gold.*'"
            )
        if fail_on_drop is not None:
            dropped = pipeline.drops_beyond(reports, fail_on_drop)
            fields["dropped"] = [d.name for d in dropped]
            for d in dropped:
                console.err.print(
                    f"[red]row count of {d.name} fell by {-(d.percent or 0):.1f}%"
                    f" ({d.rows_before:,} -> {d.rows_after:,}), more than --fail-on-drop {fail_on_drop}%[/]"
                )
            ok = ok and not dropped
        _report_for_ci(st.settings, command, reports, junit_xml)
        if not ok:
            failed = next((r for r in reports if not r.success and not r.skipped), None)
            if failed is not None:
                fields["error"] = f"{failed.layer}: {cause(failed.error)}"
            elif fields.get("dropped"):
                fields["error"] = (
                    f"row counts fell beyond --fail-on-drop: {', '.join(fields['dropped'])}"
                )
        record.finish(ok, str(fields.get("error", "")))
    _finish(command, ExitStatus.SUCCESS if ok else ExitStatus.FAILURE, **fields)


def _report_for_ci(settings: Any, command: str, reports: list[Any], junit_xml: Path | None) -> None:
    from ecomctl.outputs import console, github, junit

    if junit_xml is not None:
        junit.write(junit_xml, reports)
        console.err.print(f"JUnit report: {junit_xml}")
    if settings.github_actions:
        stream = sys.stderr if _CURRENT["json"] else sys.stdout
        for line in github.error_lines(reports):
            print(line, file=stream)
        if settings.github_step_summary is not None:
            github.append_summary(
                settings.github_step_summary, github.summary_markdown(command, reports)
            )


@app.command(
    epilog=_examples(
        "ecomctl run",
        "ecomctl run --layer gold --select +sales_values_by_category",
        "ecomctl run --full-refresh --fail-on-drop 5",
        "ecomctl --home ci-home run --json --junit-xml run.xml",
    )
)
def run(
    home: HomeOpt = None,
    stack: StackOpt = None,
    project_dir: ProjectOpt = None,
    layer: LayerOpt = "all",
    select: SelectOpt = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Rebuild incremental models.")
    ] = False,
    fail_on_drop: Annotated[
        float | None,
        typer.Option(
            "--fail-on-drop",
            min=0,
            metavar="PCT",
            help="Exit 1 when a model loses more than PCT% of its rows.",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Build every model, even when nothing changed since the last run."
        ),
    ] = False,
    junit_xml: JunitOpt = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Run the pipeline layer by layer (seeding first when landing is empty); a whole run
    builds only what changed since the last one."""
    _start("run", json_, quiet)
    _run_dbt(
        "run", home, stack, project_dir, layer, select, full_refresh, junit_xml, fail_on_drop, force
    )


@app.command(epilog=_examples("ecomctl test", "ecomctl test --layer silver --junit-xml silver.xml"))
def test(
    home: HomeOpt = None,
    stack: StackOpt = None,
    project_dir: ProjectOpt = None,
    layer: LayerOpt = "all",
    select: SelectOpt = None,
    junit_xml: JunitOpt = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Run the dbt tests of each layer and list failures."""
    _start("test", json_, quiet)
    _run_dbt("test", home, stack, project_dir, layer, select, junit_xml=junit_xml)


@app.command(
    epilog=_examples(
        "ecomctl query 'select * from payment_type_mix limit 5'",
        "ecomctl query 'select count(*) from orders' --layer bronze",
        "ecomctl query 'select * from sales_by_customer_state' --format csv > states.csv",
    )
)
def query(
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
    _start("query", json_, quiet)
    from ecomctl.layers import QUERY_LAYERS
    from ecomctl.outputs import console, json_docs

    _choice("--layer", layer, QUERY_LAYERS)
    _choice("--format", fmt, ("table", "csv", "json"))
    result = _open_stack(home=home, stack=stack).query(layer, sql)
    if not json_:
        console.query_result(result, fmt)
    _finish("query", ExitStatus.SUCCESS, layer=layer, **json_docs.query(result))


@app.command(epilog=_examples("ecomctl docs", "ecomctl docs --serve --port 8081"))
def docs(
    home: HomeOpt = None,
    stack: StackOpt = None,
    project_dir: ProjectOpt = None,
    serve: Annotated[bool, typer.Option("--serve", help="Serve the site on 127.0.0.1.")] = False,
    port: Annotated[
        int, typer.Option(min=1, max=65535, metavar="PORT", help="Port for --serve.")
    ] = 8080,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Generate the dbt docs site for the project (and serve it on 127.0.0.1)."""
    _start("docs", json_, quiet)
    from ecomctl import app as work
    from ecomctl.outputs import console
    from ecomctl.transform import docsite

    st = _open_stack(home=home, stack=stack, dbt_project=project_dir)
    with console.events() as events:
        site = work.docs(st, events)
    console.out.print(f"docs: {site / 'index.html'}")
    if serve:
        docsite.serve(site, port, lambda url: console.err.print(f"serving {url} (Ctrl-C stops)"))
    _finish("docs", ExitStatus.SUCCESS, site=str(site / "index.html"))


@app.command(
    epilog=_examples("ecomctl init", "ecomctl init my-dbt && ecomctl run --project-dir my-dbt")
)
def init(
    folder: Annotated[
        Path | None,
        typer.Argument(
            metavar="DIR",
            help="A new or empty folder [default ./ecomctl-dbt].",
            show_default=False,
        ),
    ] = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Copy the bundled dbt project into FOLDER, to edit and run as your own."""
    _start("init", json_, quiet)
    from ecomctl.outputs import console
    from ecomctl.transform import project

    given = project.DEFAULT_INIT_DIR if folder is None else folder
    made = project.init(given)
    console.initialised(given, len(made))
    _finish("init", ExitStatus.SUCCESS, path=str(given.expanduser().resolve()), files=len(made))


@app.command(epilog=_examples("ecomctl history", "ecomctl history -n 5 --json"))
def history(
    home: HomeOpt = None,
    stack: Annotated[
        str | None,
        typer.Option("--stack", metavar="NAME", help="Only the runs on this stack [default: all]."),
    ] = None,
    last: Annotated[
        int,
        typer.Option("--last", "-n", min=0, metavar="N", help="The last N runs (0: every one)."),
    ] = 20,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """List the home's runs (run, test, seed), oldest first: when, how they ended, each layer's
    time and rows."""
    _start("history", json_, quiet)
    from ecomctl import app as work
    from ecomctl import history as runs
    from ecomctl.outputs import console

    settings = work.settings(**_flags(home=home, stack=stack))
    found = runs.read(settings.paths, None if stack is None else settings.stack)
    shown = found[-last:] if last else found
    if not json_:
        console.runs(shown)
    _finish("history", ExitStatus.SUCCESS, home=str(settings.paths.root), runs=shown)


@app.command(epilog=_examples("ecomctl report --open", "ecomctl report -o gold.html"))
def report(
    home: HomeOpt = None,
    stack: StackOpt = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write it here [default: report.html in the home].",
        ),
    ] = None,
    open_: Annotated[bool, typer.Option("--open", help="Open it in the web browser.")] = False,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Write one HTML file, viewable offline: gold as charts and tables, the last run, the dbt
    tests' results, and the history of the home's runs."""
    _start("report", json_, quiet)
    from ecomctl import app as work
    from ecomctl.outputs import console

    st = _open_stack(home=home, stack=stack)
    path = work.report(st, output)
    console.out.print(str(path), markup=False, highlight=False)
    if open_:
        import webbrowser

        if not webbrowser.open(path.as_uri()):
            console.err.print("no web browser found here: open the file yourself")
    _finish("report", ExitStatus.SUCCESS, path=str(path))


def main(argv: list[str] | None = None) -> None:
    """Run one command (argv: the arguments after the program name; sys.argv by default)."""
    args = sys.argv[1:] if argv is None else argv
    _CURRENT.update(command="", json=False, signal="", args=args)
    _BEFORE.update(home=None, stack=None)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)
    # Not click's standalone mode: usage errors and Ctrl-C then reach us, so with --json they
    # are JSON documents too, and Ctrl-C exits 130 rather than click's 1.
    try:
        code = app(args=args, prog_name="ecomctl", standalone_mode=False)
    except ServiceFailed as exc:
        if exc.logs:
            from ecomctl.outputs import console

            console.service_failure_logs(exc.service, exc.logs)
        _fail(exc.message, exc.status)
    except EcomctlError as exc:
        _fail(exc.message, exc.status)
    except OSError as exc:  # the machine's refusal (a full disk, a home that is a file, ...)
        where = f"{exc.filename}: " if exc.filename else ""
        _fail(f"{where}{exc.strerror or exc}", ExitStatus.ENVIRONMENT)
    except typer.Abort:  # a prompt answered with Ctrl-C or end of input
        _fail("interrupted", ExitStatus.INTERRUPTED)
    except typer.TyperException as exc:  # click's usage errors, found before any work
        usage: Any = exc  # typer does not type its vendored click's exceptions
        usage.show()
        if "--json" in args:
            command = getattr(getattr(usage, "ctx", None), "command", None)
            name = getattr(command, "name", "")
            _CURRENT.update(command="" if name == app.info.name else name, json=True)
            _fail(usage.format_message(), ExitStatus.USAGE, quiet=True)
        sys.exit(ExitStatus.USAGE)
    except Exception as exc:
        # DuckDB's own errors (a full disk under the warehouse, say) are one line too; any
        # other exception is a bug, whose traceback is worth having.
        if type(exc).__module__.lstrip("_") != "duckdb":
            raise
        _fail(f"warehouse: {first_line(str(exc))}", ExitStatus.FAILURE)
    if code == ExitStatus.INTERRUPTED:  # typer turns Ctrl-C into this exit code
        _fail("interrupted", ExitStatus.INTERRUPTED)
    sys.exit(code if isinstance(code, int) else ExitStatus.SUCCESS)


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM takes Ctrl-C's way out (children stopped, locks released, JSON written);
    only the message and the exit code say which it was."""
    _CURRENT["signal"] = "SIGTERM"
    raise KeyboardInterrupt


def _fail(message: str, status: ExitStatus, quiet: bool = False) -> None:
    if status == ExitStatus.INTERRUPTED and _CURRENT.get("signal") == "SIGTERM":
        message, status = "terminated (SIGTERM)", ExitStatus.TERMINATED
    if _CURRENT["json"]:
        from ecomctl.outputs import json_docs

        document = json_docs.envelope(_CURRENT["command"], False, int(status), error=message)
        print(json_docs.dumps(document))
    if not quiet:
        print(f"ecomctl: {message}", file=sys.stderr)
    sys.exit(status)
