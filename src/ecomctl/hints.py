"""The ecomctl commands that hints print, written so that each works when pasted where the
user ran the command: with the executable as the user invoked it when `ecomctl` on PATH is
another one (or none), and with the options that chose this home and stack when the pasted
command would not find them by itself.

Set once per command by the CLI (`invoked_as` in main, `for_home` when the stack is opened);
every module that prints a hint renders it with `command`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_program = "ecomctl"
_options: list[str] = []


@contextmanager
def invoked_as(argv0: str) -> Iterator[None]:
    """For one command: how the user ran ecomctl (sys.argv[0]), `ecomctl` when that name on
    PATH is this very program, else the path they typed, or `python -m ecomctl` when run as a
    module. Forgotten when the command ends (tests run many in one process)."""
    global _program
    _program = _program_of(argv0)
    try:
        yield
    finally:
        _program = "ecomctl"
        _options.clear()


def _program_of(argv0: str) -> str:
    if Path(argv0).name == "__main__.py":
        return f"{shlex.quote(sys.executable)} -m ecomctl"
    on_path = shutil.which("ecomctl")
    if on_path and os.path.exists(argv0) and os.path.samefile(on_path, argv0):
        return "ecomctl"
    return shlex.quote(argv0) if os.sep in argv0 else "ecomctl"


def for_home(home: Path | None, stack: str | None) -> None:
    """The options a pasted command needs to reach the same home and stack: --home when the
    home was given by --home (the environment, ecomctl.toml and the search upwards find it again
    from the same shell and folder), --stack when --stack chose a stack the home has not
    recorded yet."""
    _options.clear()
    if home is not None:
        _options.extend(["--home", shlex.quote(str(home))])
    if stack is not None:
        _options.extend(["--stack", stack])


def command(args: str) -> str:
    """`ecomctl ARGS` as the user can paste it: args is the part after the program (the
    command and its own options), already quoted for a shell."""
    return " ".join([_program, *_options, args])
