"""The account the embedded PostgreSQL runs as when ecomctl is root.

initdb and postgres refuse to run as root, so each home's server runs as a system account of
its own (`ecomctl_pg_<8 hex digits of the home's path>`, group of the same name): a server
made to run a program or read a file (by a login that can) reaches its own home and nothing
of another home's. That account gets its folder in the home and a way through the home to it
(the home's group, execute only), and nothing outside the home is ever widened for it: where
it cannot reach the wheel's programs, a copy of them in a folder of ecomctl's own serves
instead.

An account lives as long as its home's server data: `down --volumes` removes it, and making
one removes those whose home is gone (each account's home is written down in _REGISTRY).
Homes set up before (their data owned by the one shared `embedded_postgres` account of
earlier versions) are handed to their own account at their next start.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecomctl import home, proc
from ecomctl.errors import EcomctlError, ExitStatus

ACCOUNT_PREFIX = "ecomctl_pg_"
_COPIES = Path("/var/lib/ecomctl")  # where root keeps the copies of the server's programs
_REGISTRY = _COPIES / "accounts"  # one file per account, holding its home's path (root only)
_PASSWD_BUSY = 10  # useradd/userdel: /etc/passwd locked by another one


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


def account_name(ecomctl_home: Path) -> str:
    """The system account of a home's server: short (useradd takes 32 characters), the same
    for the same folder however it is named (resolved), another for every other home."""
    import hashlib

    digest = hashlib.sha256(str(ecomctl_home.resolve()).encode()).hexdigest()
    return ACCOUNT_PREFIX + digest[:8]


def server_account(ecomctl_home: Path) -> Account | None:
    """The account the home's server runs as: None when ecomctl is not root (it runs as the
    user). Made on first use, with a group of its own and no login shell."""
    if os.geteuid() != 0:
        return None
    import grp
    import pwd

    name = account_name(ecomctl_home)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        _forget_accounts_of_gone_homes()
        _passwd_tool(
            "useradd", "--system", "--user-group", "--no-create-home",
            "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name,
        )  # fmt: skip
        entry = pwd.getpwnam(name)
    home.write_private(_registry_entry(name), str(ecomctl_home.resolve()))
    others = {g.gr_gid for g in grp.getgrall() if name in g.gr_mem and g.gr_gid > entry.pw_gid}
    return Account(entry.pw_uid, {entry.pw_gid} | others)


def remove_account(ecomctl_home: Path) -> None:
    """As root, once the home's server data is gone: its account goes too."""
    if os.geteuid() == 0:
        _remove(account_name(ecomctl_home))


def _registry_entry(name: str) -> Path:
    _REGISTRY.mkdir(mode=0o700, parents=True, exist_ok=True)
    return _REGISTRY / name


def _forget_accounts_of_gone_homes() -> None:
    """Remove the accounts whose home folder no longer exists (homes deleted by hand, test
    homes): system account numbers are few (SYS_UID_MAX, about 900)."""
    for entry in _REGISTRY.glob(ACCOUNT_PREFIX + "*") if _REGISTRY.is_dir() else []:
        if not Path(entry.read_text()).exists():
            _remove(entry.name)


def _remove(name: str) -> None:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        pass
    else:
        # Refused while a process of the account still runs: kept then, tried again later.
        if not _passwd_tool("userdel", name, check=False):
            return
    (_REGISTRY / name).unlink(missing_ok=True)


def _passwd_tool(*argv: str, check: bool = True) -> bool:
    """Run useradd/userdel, waiting out another one's lock of /etc/passwd."""
    import subprocess
    import time

    program = proc.system_program(argv[0]) or argv[0]
    for _ in range(20):
        done = subprocess.run([program, *argv[1:]], capture_output=True, text=True, check=False)
        if done.returncode != _PASSWD_BUSY:
            break
        time.sleep(0.25)
    if done.returncode != 0 and check:
        raise EcomctlError(
            f"postgres: {argv[0]} {argv[-1]} failed: {done.stderr.strip() or done.returncode}",
            ExitStatus.ENVIRONMENT,
        )
    return done.returncode == 0


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
            f"postgres runs as the system account {account_name(ecomctl_home)}"
            " (PostgreSQL refuses root),"
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
            if folder.stat().st_uid != account.uid:
                _give_whole(folder, account)  # an older home's, or a copied one's
            os.chown(folder, account.uid, account.gid)  # PostgreSQL wants its data folder its own


def _give_whole(folder: Path, account: Account) -> None:
    """Every file of a stopped server's data folder to this home's account: the data of a home
    set up by an earlier version (the shared embedded_postgres account) or copied from
    another home."""
    for top, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            os.chown(os.path.join(top, name), account.uid, account.gid, follow_symlinks=False)
