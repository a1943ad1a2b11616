"""ecomctl's command line run in this process, through Typer's CliRunner: the unit tier's way
to drive the real CLI (parse, call, render, exit code) in milliseconds."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

from typer.testing import CliRunner

from ecomctl.cli import main


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str

    def document(self) -> dict[str, Any]:
        """The one JSON document of a --json run (json.loads rejects anything after it)."""
        doc: dict[str, Any] = json.loads(self.stdout)
        return doc


def cli(*args: str, env: dict[str, str] | None = None) -> Ran:
    """Run `ecomctl ARGS` as main() does for a user: the same exit codes and streams."""
    runner = CliRunner()
    code = 0
    with runner.isolation(env={"NO_COLOR": "1", "COLUMNS": "200", **(env or {})}) as streams:
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        stdout, stderr = streams[0].getvalue(), streams[1].getvalue()
    return Ran(code, stdout.decode(), stderr.decode())
