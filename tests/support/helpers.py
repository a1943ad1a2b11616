"""Helpers shared by the tests: run the installed ecomctl as a user would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ecomctl.proc import poll_until

# Small enough for the suite to stay quick, big enough that every status, payment type and
# quirk of the generator appears.
TEST_SCALE = 0.02


def open_way_to(path: Path) -> None:
    """As root, PostgreSQL runs as a system account, and ecomctl refuses a home that account
    cannot pass through rather than widen folders outside it. pytest makes its temporary
    folders 0700: the tests open the way to a home (execute only), as a user would choose one.
    Only folders under the temporary directory are touched."""
    if os.geteuid() != 0:
        return
    temp = Path(tempfile.gettempdir()).resolve()
    for folder in Path(path).resolve().parents:
        if temp not in folder.parents:
            break
        if folder.exists() and folder.stat().st_uid == 0:
            folder.chmod(folder.stat().st_mode | 0o001)


def hint(home: Path, args: str) -> str:
    """A command as ecomctl prints it in a hint when `ecomctl(..., home=home)` ran: the program
    as the tests run it, and the home given."""
    import shlex

    return f"{shlex.quote(sys.executable)} -m ecomctl --home {shlex.quote(str(home))} {args}"


def listing(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under root, with its size and modification time: what a command
    that must write nothing leaves the same."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            stat = (Path(folder) / name).lstat()
            found[str((Path(folder) / name).relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return found


def ecomctl(*args: str, home: Path | None = None, check: bool = True,
            env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run the installed ecomctl as a user would, in a subprocess."""
    cmd = [sys.executable, "-m", "ecomctl", *args]
    if home is not None:
        cmd += ["--home", str(home)]
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
    for place in (home, full_env.get("ECOMCTL_HOME"), cwd and Path(cwd) / ".ecomctl"):
        if place:
            open_way_to(Path(place))
    # No terminal on stdin, as in CI: nothing may wait for an answer.
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=full_env, cwd=cwd, timeout=timeout,
        check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc


def start(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start ecomctl in the background, in a process group of its own (the dbt child with it)."""
    open_way_to(home)
    return subprocess.Popen(
        [sys.executable, "-m", "ecomctl", *args, "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        start_new_session=True,  # its own process group: the dbt child is killed with it
    )


def wait_for(proc: subprocess.Popen[str], text: str, limit: float = 180) -> None:
    assert proc.stderr is not None
    deadline = time.monotonic() + limit
    for line in proc.stderr:
        if text in line:
            return
        assert time.monotonic() < deadline, f"no {text!r} within {limit} s"
    raise AssertionError(f"exited before printing {text!r}")


def kill_group(proc: subprocess.Popen[str], group: bool = True) -> None:
    """SIGKILL ecomctl (and with group, its dbt child too), and wait until all are gone."""
    if group:
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.kill()
    proc.wait(timeout=30)

    def group_gone() -> bool:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return True
        return False

    assert poll_until(group_gone, 30, every=0.05), "processes of the killed ecomctl are still alive"


# dbt's words in its log when it cannot start from a saved parse (transform/parse_cache.py).
NO_PARTIAL_PARSE = "Unable to do partial parsing"


def dbt_log(home: Path) -> str:
    """Everything dbt logged in a home (every run and test appends to one file)."""
    return (home / "dbt" / "logs" / "dbt.log").read_text()


@dataclass(frozen=True)
class Ended:
    """How a command that met a fault ended."""

    code: int
    errors: list[str]  # ecomctl's error lines
    stderr: str
    seconds: float  # from the fault to the exit

    @property
    def error(self) -> str:
        return self.errors[0] if self.errors else ""


def run_until(
    home: Path, env: dict[str, str], layer: str, then: Callable[[], object], *args: str
) -> Ended:
    """`run ARGS`; once `layer` has started, then() (a fault). How it ended."""
    run = subprocess.Popen(
        [sys.executable, "-m", "ecomctl", "run", *args, "--home", str(home)],
        env={**os.environ, **env, "NO_COLOR": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert run.stderr is not None
    seen = []
    for line in run.stderr:
        seen.append(line)
        if line.strip() == layer:  # the layer's heading: its models are under way
            break
    then()
    started = time.monotonic()
    try:
        err = "".join(seen) + run.stderr.read()
        run.wait(timeout=300)
    finally:
        run.kill()
    errors = [line for line in err.splitlines() if line.startswith("ecomctl:")]
    return Ended(run.returncode, errors, err, time.monotonic() - started)
