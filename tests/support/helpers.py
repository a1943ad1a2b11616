"""Helpers shared by the tests: run the installed ecomctl as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Small enough for the suite to stay quick, big enough that every status, payment type and
# quirk of the generator appears.
TEST_SCALE = 0.02


def ecomctl(*args: str, home: Path | None = None, check: bool = True,
            env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run the installed ecomctl as a user would, in a subprocess."""
    cmd = [sys.executable, "-m", "ecomctl", *args]
    if home is not None:
        cmd += ["--home", str(home)]
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
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
