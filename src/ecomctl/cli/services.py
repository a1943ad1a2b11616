"""`up`, `status`, `down` and `logs`."""

from __future__ import annotations

import shlex
import sys
import time
from typing import Annotated

import typer

from ecomctl.cli.context import invocation_of
from ecomctl.cli.options import HomeOpt, JsonOpt, ProjectOpt, QuietOpt, StackOpt, choice, examples
from ecomctl.errors import EcomctlError, ExitStatus, counted

app = typer.Typer()


@app.command(
    epilog=examples(
        "ecomctl up",
        "ecomctl up --stack native --only trino",
        "ecomctl up --stack compose --timeout 600",
    )
)
def up(
    ctx: typer.Context,
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
    call = invocation_of(ctx)
    screen = call.start("up", json_, quiet)
    from ecomctl.commands import services
    from ecomctl.outputs import json_docs, watch
    from ecomctl.stacks.base import UpOptions

    names = [s.strip() for s in only.split(",") if s.strip()] if only is not None else None
    opts = UpOptions(only=names, timeout=timeout, wait=not no_wait, offline=offline)
    st = call.open_stack(home=home, stack=stack)
    started = time.monotonic()
    with watch.stack_events(screen) as events:
        rows = services.up(st, opts, events)
    seconds = time.monotonic() - started
    screen.services(rows)
    if no_wait:
        screen.err.print("started in the background: `ecomctl status` shows when all are healthy")
    else:
        screen.err.print(f"{counted(len(rows), 'service')} healthy in {seconds:.1f} s")
    url = st.endpoints().gold_url
    screen.err.print(f"gold: {url}")
    call.finish(
        ExitStatus.SUCCESS,
        stack=st.name,
        services=json_docs.services(rows),
        gold_url=url,
        waited=not no_wait,
        seconds=round(seconds, 3),
    )


@app.command(
    epilog=examples(
        "ecomctl status",
        'eval "$(ecomctl status -o env)"  # ECOMCTL_* variables in your shell',
        "ecomctl status --json",
    )
)
def status(
    ctx: typer.Context,
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
    call = invocation_of(ctx)
    choice("--output", output, ("table", "json", "env"))
    screen = call.start("status", json_ or output == "json", quiet)
    from ecomctl.commands import services
    from ecomctl.outputs import json_docs

    st = call.open_stack(home=home, stack=stack, dbt_project=project_dir)
    found = services.status(st)
    if output == "env":
        # `export`: after `eval "$(ecomctl status -o env)"` child processes see them too.
        for name, value in st.endpoints().variables.items():
            print(f"export {name}={shlex.quote(value)}")
    else:
        screen.services(found.services)
        screen.dbt_project(found.project)
    problem = {"error": found.problem} if found.problem else {}
    call.finish(
        ExitStatus.SUCCESS if found.healthy else ExitStatus.FAILURE,
        stack=st.name,
        healthy=found.healthy,
        services=json_docs.services(found.services),
        dbt_project=json_docs.dbt_project(found.project),
        **problem,
    )


@app.command(
    epilog=examples(
        "ecomctl down", "ecomctl down --volumes --yes      # and remove the stack's data"
    )
)
def down(
    ctx: typer.Context,
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
    call = invocation_of(ctx)
    screen = call.start("down", json_, quiet)
    from ecomctl.commands import services
    from ecomctl.outputs import watch

    st = call.open_stack(home=home, stack=stack)
    if volumes and not yes:
        if not sys.stdin.isatty():
            raise EcomctlError(
                "--volumes deletes the stack's data: add --yes when there is no terminal to ask",
                ExitStatus.USAGE,
            )
        if not typer.confirm(f"Delete all the data of the {st.name} stack ({st.paths.root})?"):
            raise EcomctlError("not confirmed: nothing removed", ExitStatus.USAGE)
    with watch.stack_events(screen) as events:
        stopped, message = services.down(st, volumes, events)
    screen.err.print(message)
    call.finish(
        ExitStatus.SUCCESS, stack=st.name, stopped=stopped, message=message, volumes_removed=volumes
    )


@app.command(
    epilog=examples(
        "ecomctl logs",
        "ecomctl logs postgres --tail 20",
        "ecomctl logs trino --stack native --follow",
    )
)
def logs(
    ctx: typer.Context,
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
    call = invocation_of(ctx)
    call.start("logs", json_, quiet)
    from ecomctl.commands import services

    if follow and json_:
        raise EcomctlError("--follow and --json cannot go together", ExitStatus.USAGE)
    st = call.open_stack(home=home, stack=stack)
    if follow:
        for chunk in services.logs(st, service, tail, follow=True):
            sys.stdout.write(chunk)
            sys.stdout.flush()
        call.finish(ExitStatus.SUCCESS)
        return
    text = "".join(services.logs(st, service, tail, follow=False))
    if not json_:
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    call.finish(ExitStatus.SUCCESS, service=service, lines=text.splitlines())
