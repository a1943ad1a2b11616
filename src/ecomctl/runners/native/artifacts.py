"""Pinned downloads into a cache that outlives homes: checked, resumable, never used half-done,
safe when several ecomctl processes (of several homes) need the same artifact at once.

Each artifact is one file from Maven Central (or a mirror of it), pinned by its SHA-1: the
value Maven Central publishes beside the file (`<file>.sha1`), copied here when the version
was chosen. A download goes to `<name>.part`; an interrupted one resumes from where it
stopped (HTTP Range) or, when the server will not resume, starts over. Only a file whose
SHA-1 matches is renamed to its final name.

One process at a time downloads or unpacks an artifact: it holds `locks/.../<name>.lock`
(flock, so a killed holder never leaves it stuck) and the others wait, saying so, then use
its file. Two writers of one `.part` once made a file of two downloads end to end, kept.

A file is checked against its pin whenever it is used: in full after a download, and then by
its stamp, `<name>.verified` (size, mtime, inode, as they were when its SHA-1 last matched),
so a file changed since (bytes appended, replaced) is hashed again; a file that no longer
matches is removed, named, and downloaded again. `recheck` hashes a service's files in full
whatever their stamps say, for when the service fails to start.

Unpacked artifacts (an archive's folders) are unpacked beside, into a folder of their own
that is renamed when complete (home.building), for the same reason; what a killed unpacker
left is removed by the next one, under the same lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tarfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ecomctl import hints, home
from ecomctl.errors import EcomctlError, ExitStatus, reason
from ecomctl.runners.base import Events, NoEvents

# (artifact name, bytes so far, total bytes or None when unknown)
Transfer = Callable[[str, int, int | None], None]

_CHUNK = 1 << 20
_TIMEOUT = 60


@dataclass(frozen=True)
class Artifact:
    """One file of a Maven repository: group:artifact:version[:classifier]@extension."""

    group: str
    artifact: str
    version: str
    sha1: str
    extension: str = "jar"
    classifier: str = ""
    size: int = 0  # bytes, as published; shown before a download and in docs/native.md

    @property
    def filename(self) -> str:
        tail = f"-{self.classifier}" if self.classifier else ""
        return f"{self.artifact}-{self.version}{tail}.{self.extension}"

    @property
    def name(self) -> str:
        return f"{self.group}:{self.artifact}:{self.version}"

    def path(self, repository: str) -> str:
        return f"{repository.rstrip('/')}/{self.group.replace('.', '/')}/{self.artifact}/{self.version}/{self.filename}"


class Cache:
    """The folder of downloaded artifacts, shared by every home of this user."""

    def __init__(self, root: Path, repository: str, offline: bool = False) -> None:
        self.root = root
        self.repository = repository
        self.offline = offline

    def file(self, artifact: Artifact) -> Path:
        return self.root / "artifacts" / artifact.group / artifact.filename

    def fetch(self, artifact: Artifact, events: Events | None = None) -> Path:
        """The artifact's checked file, downloaded now unless the cache has it whole."""
        events = events or NoEvents()
        final = self.file(artifact)
        if self._stamped(artifact):
            return final
        with self._lock(artifact, events):
            if self._whole(artifact, events):  # the other ecomctl's download, or ours of before
                return final
            if self.offline:
                raise EcomctlError(
                    f"--offline: {artifact.filename} ({artifact.name}) is not in the cache"
                    f" {final.parent}: run `{hints.command('up')}` once with network",
                    ExitStatus.ENVIRONMENT,
                )
            self._download_checked(artifact, events)
        return final

    def recheck(self, artifacts: list[Artifact], events: Events) -> list[str]:
        """Hash these artifacts' cached files in full, whatever their stamps say, and download
        again each one that no longer matches its pin: the names of those."""
        damaged = []
        for artifact in artifacts:
            self._stamp(artifact).unlink(missing_ok=True)
            with self._lock(artifact, events):
                if self.file(artifact).exists() and not self._whole(artifact, events):
                    damaged.append(artifact)
        for artifact in damaged:
            self.fetch(artifact, events)
        return [a.filename for a in damaged]

    def unpacked(
        self,
        artifact: Artifact,
        members: Callable[[str], bool],
        events: Events | None = None,
        variant: str = "",
    ) -> Path:
        """The archive's members that `members` accepts, unpacked once into the cache (variant
        names another choice of members: unpacked beside, never mixed with an older one)."""
        events = events or NoEvents()
        target = self.root / "unpacked" / (artifact.filename.removesuffix(".tar.gz") + variant)
        target.parent.mkdir(parents=True, exist_ok=True)
        waiting = f"waiting for another ecomctl to unpack {artifact.filename} ..."
        with _exclusive(self._locks / "unpacked" / f"{target.name}.lock", waiting, events):
            # No other unpacker is alive while we hold the lock: every partial unpack beside
            # is a killed one's, never to be finished or used.
            home.sweep_builds(target)
            if target.exists():
                return target
            archive = self.fetch(artifact, events)
            with home.building(target, replace=False) as partial:
                _unpack(archive, partial, members)
        return target

    def _lock(self, artifact: Artifact, events: Events) -> contextlib.AbstractContextManager[None]:
        self.file(artifact).parent.mkdir(parents=True, exist_ok=True)
        waiting = f"waiting for another ecomctl to download {artifact.filename} ..."
        lock = self._locks / "artifacts" / artifact.group / f"{artifact.filename}.lock"
        return _exclusive(lock, waiting, events)

    @property
    def _locks(self) -> Path:
        """Where the locks are: apart, so that the cached files' folders hold only those."""
        return self.root / "locks"

    # -- checks against the pin -------------------------------------------------------------
    def _stamp(self, artifact: Artifact) -> Path:
        final = self.file(artifact)
        return final.with_name(final.name + ".verified")

    def _stamped(self, artifact: Artifact) -> bool:
        """The file is as it was when its SHA-1 last matched the pin (no hashing: cheap)."""
        try:
            stamp: object = json.loads(self._stamp(artifact).read_text())
            return stamp == _identity(self.file(artifact), artifact)
        except (OSError, ValueError):
            return False

    def _whole(self, artifact: Artifact, events: Events) -> bool:
        """Whether the cached file matches its pin, hashed in full (then stamped). A file that
        does not is removed, and said."""
        final = self.file(artifact)
        if not final.exists():
            return False
        if self._stamped(artifact):
            return True
        found = _sha1(final)
        if found == artifact.sha1:
            self._stamp_checked(artifact)
            return True
        final.unlink()
        events.notice(
            f"{artifact.filename} in the cache ({final}) is damaged: SHA-1 {found}, not the"
            f" pinned {artifact.sha1}; removed, downloading it again"
        )
        return False

    def _download_checked(self, artifact: Artifact, events: Events) -> None:
        final = self.file(artifact)
        part = final.with_name(final.name + ".part")
        url = artifact.path(self.repository)
        try:
            _download(url, part, artifact, events.transfer)
        except (urllib.error.URLError, OSError) as exc:
            raise EcomctlError(
                f"downloading {artifact.filename} from {url} failed: {reason(exc)};"
                f" {part.stat().st_size if part.exists() else 0:,} bytes kept, the next"
                f" `{hints.command('up')}` resumes",
                ExitStatus.ENVIRONMENT,
            ) from exc
        found = _sha1(part)
        if found != artifact.sha1:
            part.unlink()
            raise EcomctlError(
                f"{artifact.filename} from {url}: SHA-1 {found} is not the published"
                f" {artifact.sha1}; the download was deleted, nothing was used",
                ExitStatus.ENVIRONMENT,
            )
        os.replace(part, final)
        self._stamp_checked(artifact)

    def _stamp_checked(self, artifact: Artifact) -> None:
        """Record the file as it is now, just after its SHA-1 was found to match."""
        identity = _identity(self.file(artifact), artifact)
        home.write_private(self._stamp(artifact), json.dumps(identity))


def _identity(path: Path, artifact: Artifact) -> dict[str, object]:
    """What changes when a file is written to or replaced, with the pin it was checked against."""
    st = path.stat()
    return {
        "sha1": artifact.sha1,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "inode": st.st_ino,
    }


@contextlib.contextmanager
def _exclusive(lock: Path, waiting: str, events: Events) -> Iterator[None]:
    """Hold lock (a file) alone; say `waiting` once when another process holds it."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            events.notice(waiting)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _unpack(archive: Path, into: Path, members: Callable[[str], bool]) -> None:
    with tarfile.open(archive) as tar:
        every = tar.getmembers()
        wanted = {m.name for m in every if members(m.name)}
        # A hard link's target is unpacked too (before it, in archive order: one forward
        # pass), then removed where it was not wanted; the link keeps its data.
        targets = {m.linkname for m in every if m.name in wanted and m.islnk()}
        kept = wanted | targets  # once: per member, it made unpacking quadratic in members
        tar.extractall(into, members=[m for m in every if m.name in kept], filter="data")
    for name in targets - wanted:
        (into / name).unlink(missing_ok=True)
    for folder in sorted((p for p in into.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    _link_duplicates(into)


def _download(url: str, part: Path, artifact: Artifact, transfer: Transfer | None) -> None:
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "ecomctl"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
        # A server that sends the whole file again, or another part than the one asked for:
        # start over (appending it would make a file of two pieces that never matches).
        resumed = response.headers.get("Content-Range", f"bytes {have}-")
        if have and (response.status != 206 or not resumed.startswith(f"bytes {have}-")):
            have = 0
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else (artifact.size or None)
        with part.open("ab" if have else "wb") as out:
            done = have
            if transfer is not None:
                transfer(artifact.filename, done, total)
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                done += len(chunk)
                if transfer is not None:
                    transfer(artifact.filename, done, total)
        if total is not None and done < total:
            raise OSError(f"the connection closed after {done:,} of {total:,} bytes")


def _link_duplicates(root: Path) -> None:
    """Make files with the same name and content one file (archives such as Trino's share a
    jar between plugins through hard links, which a partial unpack turns into copies)."""
    first: dict[tuple[str, int], list[Path]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            first.setdefault((path.name, path.stat().st_size), []).append(path)
    for paths in first.values():
        if len(paths) < 2:
            continue
        kept: dict[str, Path] = {}
        for path in paths:
            digest = _sha1(path)
            if digest in kept:
                path.unlink()
                os.link(kept[digest], path)
            else:
                kept[digest] = path


def _sha1(path: Path) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()
