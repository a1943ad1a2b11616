"""Files and folders of ecomctl's own (the home, the cache): private where they hold anything,
and always written whole.

A file is written under a name of its own beside its target (mode 0600 from the start) and
renamed over it; a folder is built beside its target and renamed into place. So no reader
ever sees a half-written file or folder, and two processes building the same thing at once
never write into each other's partial copy.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ecomctl import proc


def private_dir(path: Path) -> Path:
    """Create path (and its parents) and make it 0700."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def private_home(path: Path) -> Path:
    """Create the home folder (and its parents) private to its owner: 0700, or 0710 as root,
    where the group is PostgreSQL's system account's, which needs a way through (only that)."""
    path.mkdir(parents=True, exist_ok=True)
    owner = path.stat().st_uid
    if owner != os.geteuid():
        import pwd

        from ecomctl.errors import EcomctlError, ExitStatus

        # Root taking over a user's home would hand its files to root and to system accounts.
        try:
            name = pwd.getpwuid(owner).pw_name
        except KeyError:
            name = f"uid {owner}"
        raise EcomctlError(
            f"{path} belongs to {name}: run ecomctl as that user,"
            " or use a home of your own (--home)",
            ExitStatus.ENVIRONMENT,
        )
    os.chmod(path, 0o710 if os.geteuid() == 0 else 0o700)
    return path


def _private_temp(folder: Path, name: str, data: str | bytes) -> str:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode() if isinstance(data, str) else data)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def write_private(path: Path, data: str | bytes) -> Path:
    """Replace path with data, whole, mode 0600 from the start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(_private_temp(path.parent, path.name, data), path)
    return path


def copy_whole(source: Path, dest: Path) -> Path:
    """Replace dest with a copy of source (its times kept), whole."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
    os.close(fd)
    try:
        shutil.copy2(source, tmp)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def link_whole(dest: Path, points_to: str) -> Path:
    """Make dest a symbolic link to points_to, replacing whatever dest was, in one step."""
    partial = dest.with_name(f".{dest.name}.{os.getpid()}.{secrets.token_hex(4)}")
    os.symlink(points_to, partial)
    try:
        os.replace(partial, dest)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return dest


@contextmanager
def building(target: Path, *, replace: bool = True) -> Iterator[Path]:
    """A new, empty folder beside target to build in; put in place of target, whole, when the
    block ends without an error, and removed when it raises.

    replace=False: a target that another process put there meanwhile wins, and this build is
    dropped (for content that is the same whoever builds it, such as an unpacked artifact)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _sweep(target)
    partial = _beside(target, "partial")
    try:
        yield partial
        _put_in_place(partial, target, replace)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _beside(target: Path, kind: str) -> Path:
    """A new folder beside target, named after it, the kind and this process (see _sweep); made
    by mkdir, so with the mode a folder made in place would have (mkdtemp's is 0700)."""
    while True:
        folder = target.with_name(f".{target.name}.{kind}.{os.getpid()}.{secrets.token_hex(4)}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue


def _put_in_place(partial: Path, target: Path, replace: bool) -> None:
    """Rename partial to target. A rename never replaces a folder with something in it, so
    another process's target in the way is moved aside first (replace), or wins (not)."""
    while True:
        if target.exists() and not replace:
            return
        try:
            partial.rename(target)
            return
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                raise
        old = _beside(target, "old")
        try:
            target.rename(old / target.name)
        except FileNotFoundError:  # another process moved it meanwhile: try again
            pass
        finally:
            shutil.rmtree(old, ignore_errors=True)


def _sweep(target: Path, every: bool = False) -> None:
    """Remove what builds of target left when their process was killed (its pid is in the
    name; a live process's build, or a pid since reused, is left alone unless every)."""
    for kind in ("partial", "old"):
        prefix = f".{target.name}.{kind}."
        for entry in target.parent.iterdir():
            pid = entry.name[len(prefix) :].split(".", 1)[0]
            mine = entry.name.startswith(prefix) and pid.isdigit()
            if mine and (every or not proc.exists(int(pid))):
                shutil.rmtree(entry, ignore_errors=True)


def sweep_builds(target: Path) -> None:
    """Remove every build of target left beside it, whatever its pid: for a caller holding a
    lock that every builder of target takes, so that none of them can be alive."""
    _sweep(target, every=True)


def read_or_create(path: Path) -> str:
    """Return the secret stored at path, generating it (mode 0600) on first use."""
    if not path.exists():
        private_dir(path.parent)
        tmp = _private_temp(path.parent, path.name, secrets.token_urlsafe(24) + "\n")
        try:
            # A link, not a rename: when two ecomctl processes race, the first secret stays.
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


# -- room on the disk ------------------------------------------------------------------------
MB = 1 << 20
# Below this, a file system is full for our purposes: no write of ecomctl's or its engines'
# (a DuckDB block, a WAL segment, a Parquet file) fits.
FULL = 4 * MB


def free_bytes(folder: Path) -> int:
    """Free space where folder is (or would be: its nearest existing parent)."""
    for place in (folder, *folder.parents):
        if place.exists():
            return shutil.disk_usage(place).free
    return shutil.disk_usage("/").free


def megabytes(n: int) -> str:
    return f"{n / MB:,.0f} MB"


def check_room(folder: Path, needed: int, what: str) -> None:
    """Refuse a heavy step (exit 4) before it starts when its folder has less room than it
    needs, rather than fill the disk half way through."""
    free = free_bytes(folder)
    if free < needed:
        from ecomctl.errors import EcomctlError, ExitStatus

        raise EcomctlError(
            f"{folder}: {megabytes(free)} free, {what} needs at least {megabytes(needed)}:"
            " free some space there first",
            ExitStatus.ENVIRONMENT,
        )


def disk_full(folder: Path, said: str = "") -> str | None:
    """One line saying folder's disk is full, when the error said so (ENOSPC's words) or
    hardly any room is left; None otherwise."""
    free = free_bytes(folder)
    if "no space left on device" not in said.lower() and free >= FULL:
        return None
    return _full(folder, free)


def _full(folder: Path, free: int) -> str:
    return (
        f"{folder}: no space left on device ({megabytes(free)} free): free some space, then"
        " run the command again (nothing needs `down`)"
    )


@contextmanager
def room_errors(folder: Path) -> Iterator[None]:
    """The machine's "no space left on device", anywhere under a command (a history record,
    dbt's queue, a library's file), as one line naming the folder and what is free (exit 4)."""
    try:
        yield
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        from ecomctl.errors import EcomctlError, ExitStatus

        raise EcomctlError(_full(folder, free_bytes(folder)), ExitStatus.ENVIRONMENT) from exc
