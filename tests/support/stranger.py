"""A second local user with no rights of its own: the attacker on the same machine that the
isolation and lake-security probes run as. Creating a user needs root; the tests that use it
are marked `as_root`.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys

import pytest

STRANGER = "ecomctl_stranger"
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="creates a user and changes owners")


@pytest.fixture(scope="session")
def stranger() -> str:
    """The second local user's name (made on first use, kept: it owns nothing)."""
    try:
        pwd.getpwnam(STRANGER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", STRANGER], check=True)
    return STRANGER


def as_stranger(*cmd: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`cmd` run as the stranger, from /, with no groups and a bare environment."""
    return subprocess.run(
        list(cmd), user=STRANGER, group=STRANGER, extra_groups=[], capture_output=True,
        text=True, cwd="/", check=False, timeout=timeout,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8"},
    )  # fmt: skip


def python_as_stranger(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Python `code` run as the stranger with the tests' own packages (trino, pyhive, psycopg,
    boto3), the way a local user with those packages would. The tests' interpreter may live
    where the stranger cannot enter (a pyenv under a 0700 /root), so the machine's own
    interpreter of the same version runs it, with the tests' site-packages on its path."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    interpreter = next(
        (p for p in (f"/usr/bin/{version}", f"/usr/local/bin/{version}") if os.access(p, os.X_OK)),
        sys.executable,
    )
    paths = [p for p in sys.path if p.endswith("site-packages")]
    prelude = f"import sys; sys.path[:0] = {paths!r}\n"
    return as_stranger(interpreter, "-I", "-c", prelude + code, timeout=timeout)
