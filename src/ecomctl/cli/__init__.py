"""The command line: parse, check flags, call commands/, render. Every exit goes through
ExitStatus.

One module per group of commands (data, services, dbt, query, lake, project, history), each a Typer
app merged into this one in the order `--help` lists them. Commands import what they need
inside themselves, so `ecomctl --help` loads no engine.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Annotated, Any

import typer

from ecomctl import __version__, hints
from ecomctl.cli import context, data, dbt, history, lake, project, query, services
from ecomctl.cli.options import HomeOpt, StackOpt
from ecomctl.errors import EcomctlError, ExitStatus, Interrupted, ServiceFailed, first_line

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
for group in (data, services, dbt, query, lake, project, history):
    app.add_typer(group.app)


def _version(value: bool) -> None:
    if value:
        print(f"ecomctl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    home: HomeOpt = None,
    stack: StackOpt = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    # `ecomctl --home DIR run` as `ecomctl run --home DIR`; the command's own flag wins.
    call = context.invocation_of(ctx)
    call.home, call.stack = home, stack


def main(argv: list[str] | None = None) -> None:
    """Run one command (argv: the arguments after the program name; sys.argv by default)."""
    # Hints name the program as the user ran it (tests passing argv run "ecomctl").
    with hints.invoked_as(sys.argv[0] if argv is None else "ecomctl"):
        _main(argv)


def _main(argv: list[str] | None) -> None:
    args = sys.argv[1:] if argv is None else argv
    call = context.Invocation(args)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, call.terminated)
    # Not click's standalone mode: usage errors and Ctrl-C then reach us, so with --json they
    # are JSON documents too, and Ctrl-C exits 130 rather than click's 1.
    try:
        code = app(args=args, prog_name="ecomctl", standalone_mode=False, obj=call)
    except ServiceFailed as exc:
        if exc.logs:
            call.screen.service_failure_logs(exc.service, exc.logs)
        call.fail(exc.message, exc.status)
    except Interrupted as exc:
        call.fail(exc.message, exc.status, detail=exc.detail, **exc.fields)
    except EcomctlError as exc:
        call.fail(exc.message, exc.status)
    except OSError as exc:  # the machine's refusal (a full disk, a home that is a file, ...)
        where = f"{exc.filename}: " if exc.filename else ""
        call.fail(f"{where}{exc.strerror or exc}", ExitStatus.ENVIRONMENT)
    except typer.Abort:  # a prompt answered with Ctrl-C or end of input
        call.fail("interrupted", ExitStatus.INTERRUPTED)
    except typer.TyperException as exc:  # click's usage errors, found before any work
        _usage_error(call, exc)
    except Exception as exc:
        # DuckDB's own errors (a full disk under the warehouse, say) are one line too; any
        # other exception is a bug, whose traceback is worth having.
        if type(exc).__module__.lstrip("_") != "duckdb":
            raise
        call.fail(f"warehouse: {first_line(str(exc))}", ExitStatus.FAILURE)
    if code == ExitStatus.INTERRUPTED:  # typer turns Ctrl-C into this exit code
        call.fail("interrupted", ExitStatus.INTERRUPTED)
    sys.exit(code if isinstance(code, int) else ExitStatus.SUCCESS)


def _usage_error(call: context.Invocation, exc: Exception) -> None:
    usage: Any = exc  # typer does not type its vendored click's exceptions
    usage.show()
    if "--json" in call.args:
        command = getattr(getattr(usage, "ctx", None), "command", None)
        name = getattr(command, "name", "")
        call.command, call.json = ("" if name == app.info.name else name), True
        call.fail(usage.format_message(), ExitStatus.USAGE, quiet=True)
    sys.exit(ExitStatus.USAGE)
