"""The options several commands share, declared once, and the checks of a flag's value."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecomctl.errors import EcomctlError, ExitStatus

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
