"""`up`, `status`, `down` and `logs`."""

from __future__ import annotations

import shlex
import sys
import time
from typing import Annotated

import typer

from ecomctl import hints
from ecomctl.cli.context import Invocation
from ecomctl.cli.options import (
    ProjectOpt,
    choice,
    command,
)
from ecomctl.errors import EcomctlError, ExitStatus, counted

app = typer.Typer()


@command(
    app,
    "ecomctl up",
    "ecomctl up --stack native --only trino",
    "ecomctl up --stack compose --timeout 600",
)
def up(
    call: Invocation,
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
) -> None:
    """Start the stack's services and wait until they are healthy."""
    screen = call.start("up")
    from ecomctl.commands import services
    from ecomctl.outputs import json_docs, watch
    from ecomctl.stacks.base import UpOptions

    names = [s.strip() for s in only.split(",") if s.strip()] if only is not None else None
    opts = UpOptions(only=names, timeout=timeout, wait=not no_wait, offline=offline)
    st = call.open_stack()
    started = time.monotonic()
    with watch.stack_events(screen) as events:
        rows = services.up(st, opts, events)
    seconds = time.monotonic() - started
    screen.services(rows)
    if no_wait:
        screen.err.print(
            f"started in the background: `{hints.command('status')}` shows when all are healthy"
        )
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


@command(
    app,
    "ecomctl status",
    'eval "$(ecomctl status -o env)"  # ECOMCTL_* variables in your shell',
    "ecomctl status --json",
)
def status(
    call: Invocation,
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
) -> None:
    """Show each service: state, endpoint, version, uptime. Exit 1 when one is down."""
    choice("--output", output, ("table", "json", "env"))
    screen = call.start("status", call.json_flag or output == "json")
    from ecomctl.commands import services
    from ecomctl.outputs import json_docs

    st = call.open_stack(dbt_project=project_dir)
    found = services.status(st)
    if output == "env":
        # `export`: after `eval "$(ecomctl status -o env)"` child processes see them too.
        for name, value in st.endpoints().variables.items():
            print(f"export {name}={shlex.quote(value)}")
    else:
        screen.services(found.services)
        screen.dbt_project(found.project)
        recorded = "" if st.paths.recorded_stack() else ", until a command that writes records it"
        screen.out.print(f"home: {st.paths.root} ({st.name} stack{recorded})", markup=False)
    problem = {"error": found.problem} if found.problem else {}
    call.finish(
        ExitStatus.SUCCESS if found.healthy else ExitStatus.FAILURE,
        stack=st.name,
        home=str(st.paths.root),
        healthy=found.healthy,
        services=json_docs.services(found.services),
        dbt_project=json_docs.dbt_project(found.project),
        **problem,
    )


@command(app, "ecomctl down", "ecomctl down --volumes --yes      # and remove the stack's data")
def down(
    call: Invocation,
    volumes: Annotated[
        bool,
        typer.Option(
            "--volumes",
            help="Remove the stack's data too (embedded: empty the home; asks first).",
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before --volumes.")] = False,
) -> None:
    """Stop the stack's services; data is kept unless --volumes."""
    screen = call.start("down")
    from ecomctl.commands import services
    from ecomctl.outputs import watch

    st = call.open_stack()
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


@command(
    app,
    "ecomctl logs",
    "ecomctl logs postgres --tail 20",
    "ecomctl logs trino --stack native --follow",
)
def logs(
    call: Invocation,
    service: Annotated[
        str | None, typer.Argument(metavar="SERVICE", help="One service; all when left out.")
    ] = None,
    tail: Annotated[
        int, typer.Option("--tail", "-n", min=0, metavar="N", help="Last N lines.")
    ] = 100,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
) -> None:
    """Print a service's log (compose containers, native processes, the embedded PostgreSQL)."""
    call.start("logs")
    from ecomctl.commands import services

    if follow and call.json_flag:
        raise EcomctlError("--follow and --json cannot go together", ExitStatus.USAGE)
    st = call.open_stack()
    if follow:
        for chunk in services.logs(st, service, tail, follow=True):
            sys.stdout.write(chunk)
            sys.stdout.flush()
        call.finish(ExitStatus.SUCCESS)
        return
    text = "".join(services.logs(st, service, tail, follow=False))
    if not call.json_flag:
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    call.finish(ExitStatus.SUCCESS, service=service, lines=text.splitlines())
