"""The native runner's cache of pinned downloads: an archive is unpacked once, only the
members asked for, whole (never a half-unpacked folder under the final name); a cached file
is hashed in full when a service that loads it fails to start, whatever its stamp says."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import tarfile
from pathlib import Path

from ecomctl.runners.base import NoEvents
from ecomctl.runners.native.artifacts import Artifact, Cache

SERVER = Artifact("org.example", "server", "1.0", sha1="0" * 40, extension="tar.gz")


class Notices(NoEvents):
    def __init__(self) -> None:
        self.said: list[str] = []

    def notice(self, text: str) -> None:
        self.said.append(text)


def _sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()


def _archive(cache: Cache) -> Artifact:
    """The artifact as if downloaded: a tarball with a hard link between two plugins."""
    path = cache.file(SERVER)
    path.parent.mkdir(parents=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, data in (
            ("server-1.0/lib/core.jar", b"core"),
            ("server-1.0/plugin/a/x.jar", b"x"),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("server-1.0/plugin/b/x.jar")
        link.type, link.linkname = tarfile.LNKTYPE, "server-1.0/plugin/a/x.jar"
        tar.addfile(link)
        docs = tarfile.TarInfo("server-1.0/docs/README")
        tar.addfile(docs, io.BytesIO(b""))
    return dataclasses.replace(SERVER, sha1=_sha1(path))


def test_only_the_members_asked_for_are_unpacked_once(tmp_path: Path) -> None:
    cache = Cache(tmp_path, "https://repo.invalid", offline=True)
    server = _archive(cache)
    wanted = ("server-1.0/lib/", "server-1.0/plugin/b/")
    unpacked = cache.unpacked(server, lambda name: name.startswith(wanted))
    top = unpacked / "server-1.0"
    assert (top / "lib" / "core.jar").read_bytes() == b"core"
    # The link's target came along for its data, and went: only what was asked for stays.
    assert (top / "plugin" / "b" / "x.jar").read_bytes() == b"x"
    assert not (top / "plugin" / "a").exists() and not (top / "docs").exists()
    assert sorted(p.name for p in unpacked.parent.iterdir()) == [unpacked.name]  # no side folder
    (top / "lib" / "core.jar").write_bytes(b"kept")
    assert cache.unpacked(server, lambda name: True) == unpacked  # once: not unpacked again
    assert (top / "lib" / "core.jar").read_bytes() == b"kept"


def test_a_file_changed_behind_its_stamp_is_caught_when_its_service_fails(tmp_path: Path) -> None:
    published = tmp_path / "maven" / "org" / "example" / "lib" / "1.0" / "lib-1.0.jar"
    published.parent.mkdir(parents=True)
    published.write_bytes(os.urandom(4096))
    jar = Artifact("org.example", "lib", "1.0", _sha1(published))
    cache = Cache(tmp_path / "cache", (tmp_path / "maven").as_uri())
    cached = cache.fetch(jar)
    assert _sha1(cached) == jar.sha1
    # Damage that keeps the size, the mtime and the inode: the cheap check cannot see it...
    before = cached.stat()
    with cached.open("r+b") as handle:
        handle.seek(100)
        handle.write(b"\0" * 100)
    os.utime(cached, ns=(before.st_atime_ns, before.st_mtime_ns))
    damaged = _sha1(cached)
    quiet = Notices()
    assert cache.fetch(jar, quiet) == cached and quiet.said == []
    # ... the full check on a failed start does: the file is named, and fetched again.
    told = Notices()
    assert cache.recheck([jar], told) == ["lib-1.0.jar"]
    assert _sha1(cached) == jar.sha1
    assert told.said == [
        f"lib-1.0.jar in the cache ({cached}) is damaged: SHA-1 {damaged},"
        f" not the pinned {jar.sha1}; removed, downloading it again"
    ]
    assert cache.recheck([jar], told) == []  # whole now: nothing more to say
