"""The options several commands share, declared once, and the checks of a flag's value."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ecomctl.cli.context import invocation_of
from ecomctl.errors import EcomctlError, ExitStatus

if TYPE_CHECKING:
    pass

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


def examples(*lines: str) -> str:
    """A command's help epilog; \\b keeps click from joining the lines into one paragraph."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


def choice(option: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise EcomctlError(
            f"{option} {value!r}: expected {', '.join(choices[:-1])} or {choices[-1]}",
            ExitStatus.USAGE,
        )
    return value


def _option(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


_CONTEXT = inspect.Parameter(
    "ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context
)
# What every command takes, declared here once: --home and --stack first, --json and --quiet
# last (in --help as on the command line).
_FIRST = (_option("home", HomeOpt, None), _option("stack", StackOpt, None))
_LAST = (_option("json_", JsonOpt, False), _option("quiet", QuietOpt, False))

Command = Callable[..., None]


def command(
    app: typer.Typer, *example_lines: str, home: bool = True
) -> Callable[[Command], Command]:
    """Register a command of app whose function takes the invocation, then its own options.

    The options every command takes are added to what Typer sees, so no command declares
    them: --home and --stack (not where the command declares its own --stack, or has no home:
    home=False), --json and --quiet. Their values go to the invocation, where `start`,
    `open_stack` and `flags` read them."""

    def register(fn: Command) -> Command:
        # Keyword-only, as Typer passes them: an argument without a default may then follow
        # an option with one.
        own = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for p in list(inspect.signature(fn, eval_str=True).parameters.values())[1:]
        ]  # after `call`
        first = [p for p in _FIRST if home and p.name not in {q.name for q in own}]
        params = [_CONTEXT, *first, *own, *_LAST]

        @functools.wraps(fn)
        def run(ctx: typer.Context, **values: Any) -> None:
            call = invocation_of(ctx)
            call.given(
                values.pop("json_"),
                values.pop("quiet"),
                **{p.name: values.pop(p.name) for p in first},
            )
            fn(call, **values)

        # Typer reads a command's options from its signature and type hints.
        run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in params}
        app.command(epilog=examples(*example_lines))(run)
        return fn

    return register
