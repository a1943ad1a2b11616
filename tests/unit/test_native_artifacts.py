"""The native runner's cache of pinned downloads: an archive is unpacked once, only the
members asked for, whole (never a half-unpacked folder under the final name)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from ecomctl.runners.native.artifacts import Artifact, Cache

SERVER = Artifact("org.example", "server", "1.0", sha1="0" * 40, extension="tar.gz")


def _archive(cache: Cache) -> Path:
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
    return path


def test_only_the_members_asked_for_are_unpacked_once(tmp_path: Path) -> None:
    cache = Cache(tmp_path, "https://repo.invalid", offline=True)
    _archive(cache)
    wanted = ("server-1.0/lib/", "server-1.0/plugin/b/")
    unpacked = cache.unpacked(SERVER, lambda name: name.startswith(wanted))
    top = unpacked / "server-1.0"
    assert (top / "lib" / "core.jar").read_bytes() == b"core"
    # The link's target came along for its data, and went: only what was asked for stays.
    assert (top / "plugin" / "b" / "x.jar").read_bytes() == b"x"
    assert not (top / "plugin" / "a").exists() and not (top / "docs").exists()
    assert sorted(p.name for p in unpacked.parent.iterdir()) == [unpacked.name]  # no side folder
    (top / "lib" / "core.jar").write_bytes(b"kept")
    assert cache.unpacked(SERVER, lambda name: True) == unpacked  # once: not unpacked again
    assert (top / "lib" / "core.jar").read_bytes() == b"kept"
