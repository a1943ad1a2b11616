"""The native stack's artifact cache when several ecomctl processes share it, or its files are
damaged: two first `up`s at once, a cached jar with bytes appended, an unpack SIGKILLed midway.

Each process runs the step of `up` that downloads what services need (Launcher.fetch, with
the CLI's own rendering of its notices) and unpacks an archive (Cache.unpacked, as for Trino's
and the metastore's tarballs), against a loopback stand-in for Maven Central
(support/repository.py) and an empty cache of the test's own. Starting the services afterwards
would add a minute each and prove nothing more about the cache; the archive is a small one
made here (with the real ones, unpacking alone takes 4 s to a minute).
"""

from __future__ import annotations

import collections
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
from dataclasses import asdict
from pathlib import Path

import pytest
from support.faultlog import FaultLog
from support.native import native
from support.repository import Repository

from ecomctl.proc import poll_until
from ecomctl.runners.native import pins
from ecomctl.runners.native.artifacts import Artifact
from ecomctl.runners.native.runner import NativeServices
from ecomctl.settings import load_settings

pytestmark = pytest.mark.native

# `up`'s download step for the services named, then an archive unpacked, as `up` does both.
_FETCH = """
import json, os, sys, time
from ecomctl.outputs.console import Screen
from ecomctl.outputs.watch import ConsoleEvents
from ecomctl.runners.native.artifacts import Artifact
from ecomctl.runners.native.runner import NativeServices
from ecomctl.settings import load_settings
from ecomctl.runners.native.runner import NativeServices
from ecomctl.settings import load_settings

home, go, archive, *services = sys.argv[1:]
events = ConsoleEvents(Screen())
native = NativeServices(load_settings(home=home))
while go and not os.path.exists(go):  # imports done, it starts when the test says
    time.sleep(0.01)
native.launcher.fetch(services, events)
if archive:
    native.cache.unpacked(Artifact(**json.loads(archive)), lambda name: True, events)
"""
S3_JAR = next(a for a in pins.SPARK_JARS if a.artifact == "s3")


def _sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()


def _tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}


def _link(source: Path | str, dest: Path | str) -> None:
    """A file of the user cache in the test's own, without copying it where that can be."""
    try:
        os.link(source, dest)
    except OSError:  # another file system
        shutil.copy2(source, dest)


def _archive(repo: Repository, folder: Path) -> Artifact:
    """A server tarball of 400 small files, published in the repository."""
    path = folder / "server-1.0.tar.gz"
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        for i in range(400):
            data = hashlib.sha256(str(i).encode()).digest() * 8
            info = tarfile.TarInfo(f"server-1.0/lib/{i // 50}/part-{i}.jar")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    repo.files[path.name] = path
    return Artifact("org.example", "server", "1.0", _sha1(path), extension="tar.gz")


def _start(
    repo: Repository,
    cache: Path,
    home: Path,
    archive: Artifact | None,
    *services: str,
    go: Path | None = None,
) -> subprocess.Popen[str]:
    """The step in a process of its own; it waits for the file `go` to exist, when given."""
    env = {**os.environ, "ECOMCTL_MAVEN_URL": repo.url, "ECOMCTL_CACHE_DIR": str(cache)}
    shown = json.dumps(asdict(archive)) if archive else ""
    return subprocess.Popen(
        [sys.executable, "-c", _FETCH, str(home), str(go or ""), shown, *services],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def _run(
    repo: Repository, cache: Path, archive: Artifact | None, *services: str
) -> tuple[int, str]:
    proc = _start(repo, cache, cache.parent / "home", archive, *services)
    _, err = proc.communicate(timeout=300)
    return proc.returncode, err


def test_two_first_ups_at_once_share_the_cache_one_waiting(
    tmp_path: Path, repository: Repository, faults: FaultLog
) -> None:
    archive = _archive(repository, tmp_path)
    repository.slow = {archive.filename: 1.0, S3_JAR.filename: 1.0}
    cache = tmp_path / "cache"
    go = {h: tmp_path / f"go-{h}" for h in "ab"}
    both = [
        _start(repository, cache, tmp_path / h, archive, "spark-thrift", go=go[h]) for h in "ab"
    ]
    # The second starts while the first downloads the s3 jar (sent slowly): it catches up
    # through the jars already there, and meets the first at that one, then at the archive.
    go["a"].touch()
    part = cache / "artifacts" / S3_JAR.group / f"{S3_JAR.filename}.part"
    poll_until(lambda: part.exists() or None, 120, 0.005)
    go["b"].touch()
    said = [p.communicate(timeout=300)[1] for p in both]
    wanted = [*pins.SPARK_JARS, archive]
    requests = collections.Counter(repository.served)
    s3 = cache / "artifacts" / S3_JAR.group / S3_JAR.filename
    unpacked = cache / "unpacked"
    faults.record(
        "native cache: two first ups at once on an empty cache",
        {
            "both exit 0": [p.returncode for p in both] == [0, 0],
            "one waits for the other's download and says so": any(
                f"waiting for another ecomctl to download {S3_JAR.filename}" in s for s in said
            ),
            "one waits for the other's unpack and says so": any(
                f"waiting for another ecomctl to unpack {archive.filename}" in s for s in said
            ),
            "each artifact downloaded once, from its start": all(
                requests[f"{a.filename}@0"] == 1 for a in wanted
            ),
            "no other request": len(repository.served) == len(wanted),
            f"{S3_JAR.filename} is {S3_JAR.size:,} bytes": s3.stat().st_size == S3_JAR.size,
            "every cached file matches its pin": all(
                _sha1(cache / "artifacts" / a.group / a.filename) == a.sha1 for a in wanted
            ),
            "no .part left": not list(cache.rglob("*.part")),
            "one unpacked folder, no partial": sorted(p.name for p in unpacked.iterdir())
            == ["server-1.0"],
            "the unpacked folder whole": len(_tree(unpacked / "server-1.0")) == 400,
        },
        note=" | ".join((s.strip().splitlines() or [""])[0] for s in said)[:100],
    )


def test_a_cached_jar_with_bytes_appended_is_named_and_fetched_again(
    tmp_path: Path, repository: Repository, faults: FaultLog
) -> None:
    cache = tmp_path / "cache"
    first, _ = _run(repository, cache, None, "spark-thrift")
    jar = cache / "artifacts" / S3_JAR.group / S3_JAR.filename
    with jar.open("ab") as damage:  # what two writers of one download once made
        damage.write(jar.read_bytes()[: S3_JAR.size // 5])
    again, said = _run(repository, cache, None, "spark-thrift")
    # Spark's class path as `up` would launch it from this cache: every jar on it was checked.
    native = NativeServices(load_settings(home=tmp_path / "home", cache_dir=cache))
    ports = {"spark-thrift": 0, "spark-driver": 0, "spark-blocks": 0}
    argv = native.launcher.launch("spark-thrift", ports).argv
    class_path = [Path(p) for p in argv[argv.index("--driver-class-path") + 1].split(":")]
    pinned = {native.cache.file(a): a.sha1 for a in pins.SPARK_JARS}
    jars = [p for p in class_path if p.suffix == ".jar"]
    others = [p for p in class_path if p.suffix != ".jar"]
    faults.record(
        "native cache: a cached jar with bytes appended",
        {
            "the first fetch exits 0": first == 0,
            "the next exits 0": again == 0,
            "it names the jar and where": f"{S3_JAR.filename} in the cache ({jar}) is damaged"
            in said,
            "it gives the pinned SHA-1": f"not the pinned {S3_JAR.sha1}" in said,
            "it says it is fetched again": "removed, downloading it again" in said,
            "the jar fetched again": repository.served.count(f"{S3_JAR.filename}@0") == 2,
            "the jar matches its pin": _sha1(jar) == S3_JAR.sha1,
            "no other jar fetched again": len(repository.served) == len(pins.SPARK_JARS) + 1,
            # Beside the jars: ecomctl's own classes, compiled from its sources at `up`.
            "every jar on Spark's class path is pinned": set(jars) == set(pinned),
            "the rest is ecomctl's compiled classes": [p.parent.name for p in others]
            == ["spark-classes"],
            "each one checked against its pin": all(
                json.loads(p.with_name(p.name + ".verified").read_text())["sha1"]
                == pinned[p]
                == _sha1(p)
                for p in jars
            ),
        },
        note=(said.strip().splitlines() or [""])[0][:100],
    )


def test_a_partial_unpack_of_a_sigkilled_unpacker_is_removed_not_reused(
    tmp_path: Path, repository: Repository, faults: FaultLog
) -> None:
    archive = _archive(repository, tmp_path)
    cache = tmp_path / "cache"
    unpacked = cache / "unpacked"

    def partials() -> list[Path]:
        return list(unpacked.glob(".server-1.0.partial.*")) if unpacked.exists() else []

    killed = _start(repository, cache, tmp_path / "home", archive)
    midway = poll_until(lambda: any(len(_tree(p)) > 20 for p in partials()) or None, 120, 0.005)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    left = partials()
    under_final_name = (unpacked / "server-1.0").exists()
    code, said = _run(repository, cache, archive)
    faults.record(
        "native cache: a partial unpack left by a SIGKILLed unpacker",
        {
            "the kill came midway through the unpack": bool(midway) and len(left) == 1,
            "nothing under the final name": not under_final_name,
            "the next unpack exits 0": code == 0,
            "the partial removed": bool(left) and not left[0].exists() and partials() == [],
            "the unpacked folder whole": len(_tree(unpacked / "server-1.0")) == 400,
        },
        note=said.strip()[-100:],
    )


def test_a_service_that_fails_on_a_jar_damaged_behind_its_stamp_is_started_again(
    tmp_path: Path, repository: Repository, faults: FaultLog
) -> None:
    """The one test here that starts services (PostgreSQL, S3, the metastore: one `up`)."""
    cache, home = tmp_path / "cache", tmp_path / "home"
    # The user cache's files, linked (the damaged one is a copy): nothing to download.
    for a in pins.METASTORE_JARS:
        (cache / "artifacts" / a.group).mkdir(parents=True, exist_ok=True)
        _link(repository.files[a.filename], cache / "artifacts" / a.group / a.filename)
    # The unpacked archives as they are (`up` renders Trino's catalogs even with --only).
    (cache / "unpacked").mkdir()
    for archive, variant in ((pins.METASTORE, ""), (pins.TRINO_SERVER, pins.TRINO_UNPACKED)):
        folder = archive.filename.removesuffix(".tar.gz") + variant
        (cache / "unpacked" / folder).symlink_to(repository.root / "unpacked" / folder)
    common = next(a for a in pins.METASTORE_JARS if a.artifact == "hadoop-common")
    jar = cache / "artifacts" / common.group / common.filename
    jar.unlink()
    shutil.copy2(repository.files[common.filename], jar)
    stamped, _ = _run(repository, cache, None, "metastore")  # each jar checked and stamped
    # Damage that keeps size, mtime and inode (the zip's directory zeroed): the stamp still
    # matches, so only the metastore's failure to start can reveal it.
    before = jar.stat()
    with jar.open("r+b") as handle:
        handle.seek(before.st_size - 4096)
        handle.write(bytes(4096))
    os.utime(jar, ns=(before.st_atime_ns, before.st_mtime_ns))
    env = {"ECOMCTL_MAVEN_URL": repository.url, "ECOMCTL_CACHE_DIR": str(cache)}
    try:
        up = native("up", "--only", "metastore", home=home, env=env, check=False)
    finally:
        native("down", home=home, check=False)
    faults.record(
        "native cache: a service fails to start on a jar damaged behind its stamp",
        {
            "the jars stamped first": stamped == 0,
            "up exits 0": up.returncode == 0,
            "it names the jar": f"{common.filename} in the cache ({jar}) is damaged" in up.stderr,
            "it says the metastore is started once more": "starting metastore once more"
            in up.stderr,
            "the jar fetched again": f"{common.filename}@0" in repository.served,
            "nothing else fetched": len(repository.served) == 1,
            "the jar matches its pin": _sha1(jar) == common.sha1,
        },
        note=f"served {repository.served}"[:100],
    )
