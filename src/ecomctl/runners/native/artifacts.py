"""Pinned downloads into a cache that outlives homes: checked, resumable, never used half-done.

Each artifact is one file from Maven Central (or a mirror of it), pinned by its SHA-1: the
value Maven Central publishes beside the file (`<file>.sha1`), copied here when the version
was chosen. A download goes to `<name>.part`; an interrupted one resumes from where it
stopped (HTTP Range) or, when the server will not resume, starts over. Only a file whose
SHA-1 matches is renamed to its final name, so a partial or corrupt file is never used: the
final name existing means the file is whole.

Unpacked artifacts (an archive's folders) are unpacked beside, into a folder of their own
that is renamed when complete (home.building), for the same reason.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ecomctl import hints, home
from ecomctl.errors import EcomctlError, ExitStatus, reason

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

    def fetch(self, artifact: Artifact, transfer: Transfer | None = None) -> Path:
        """The artifact's checked file, downloaded now unless the cache has it."""
        final = self.file(artifact)
        if final.exists():
            return final
        if self.offline:
            raise EcomctlError(
                f"--offline: {artifact.filename} ({artifact.name}) is not in the cache"
                f" {final.parent}: run `{hints.command('up')}` once with network",
                ExitStatus.ENVIRONMENT,
            )
        final.parent.mkdir(parents=True, exist_ok=True)
        part = final.with_name(final.name + ".part")
        url = artifact.path(self.repository)
        try:
            _download(url, part, artifact, transfer)
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
        return final

    def unpacked(
        self,
        artifact: Artifact,
        members: Callable[[str], bool],
        transfer: Transfer | None = None,
        variant: str = "",
    ) -> Path:
        """The archive's members that `members` accepts, unpacked once into the cache (variant
        names another choice of members: unpacked beside, never mixed with an older one)."""
        target = self.root / "unpacked" / (artifact.filename.removesuffix(".tar.gz") + variant)
        if target.exists():
            return target
        archive = self.fetch(artifact, transfer)
        # Two processes unpacking at once each build their own folder; the first in place wins.
        with home.building(target, replace=False) as partial:
            _unpack(archive, partial, members)
        return target


def _unpack(archive: Path, into: Path, members: Callable[[str], bool]) -> None:
    with tarfile.open(archive) as tar:
        every = tar.getmembers()
        wanted = {m.name for m in every if members(m.name)}
        # A hard link's target is unpacked too (before it, in archive order: one forward
        # pass), then removed where it was not wanted; the link keeps its data.
        targets = {m.linkname for m in every if m.name in wanted and m.islnk()}
        tar.extractall(
            into, members=[m for m in every if m.name in wanted | targets], filter="data"
        )
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
        if have and response.status != 206:
            have = 0  # the server sends the whole file again: start over
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
