"""Files only their owner may read: secrets generated once per install, and anything holding one.

Every such file is written to a temporary name with mode 0600 and renamed into place, so it
never exists with wider permissions or half-written, even briefly.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path


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


def _private_temp(folder: Path, name: str, text: str) -> str:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def write_private(path: Path, text: str) -> Path:
    """Replace path with text, mode 0600 from the start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(_private_temp(path.parent, path.name, text), path)
    return path


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
