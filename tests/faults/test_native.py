"""The native stack when things go wrong: downloads cut midway or corrupted, no cache offline,
no Java new enough, a port taken, a service too slow, ecomctl SIGKILLed, Trino killed during
bronze. Each ends in one clear line, a documented exit code, and nothing used half-done.

Artifacts are served by a real HTTP server on loopback (a stand-in for Maven Central) from
the files of the session's own cache, so the faults touch real downloads without the network.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.faultlog import FaultLog
from support.helpers import TEST_SCALE, hint
from support.native import NATIVE, native, pid_of, services
from support.repository import Repository

from ecomctl.proc import alive, poll_until
from ecomctl.runners.native import pins
from ecomctl.transform.built import BuiltFrom, Inputs

pytestmark = pytest.mark.native

HMS_JARS = pins.METASTORE_JARS


def _env(repo: Repository, cache: Path) -> dict[str, str]:
    return {"ECOMCTL_MAVEN_URL": repo.url, "ECOMCTL_CACHE_DIR": str(cache)}


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "home"
    try:
        yield path
    finally:
        native("down", home=path, check=False)


def test_a_download_cut_midway_is_resumed_by_the_next_up(
    home: Path, tmp_path: Path, repository: Repository, faults: FaultLog
) -> None:
    big = max(HMS_JARS, key=lambda a: a.size)
    repository.cut[big.filename] = big.size // 2
    cache = tmp_path / "cache"
    env = _env(repository, cache)
    first = native("up", "--only", "metastore", home=home, env=env, check=False)
    part = cache / "artifacts" / big.group / f"{big.filename}.part"
    kept = part.stat().st_size if part.exists() else 0
    again = native("up", "--only", "metastore", home=home, env=env, check=False)
    final = cache / "artifacts" / big.group / big.filename
    whole = final.exists() and hashlib.sha1(final.read_bytes()).hexdigest() == big.sha1
    resumed = f"{big.filename}@{kept}" in repository.served
    faults.record(
        "native: artifact download cut midway, then up again",
        {
            "the cut up exits 4": first.returncode == 4,
            "it says the next up resumes": f"the next `{hint(home, 'up')}` resumes" in first.stderr,
            "the half downloaded kept": kept == big.size // 2,
            "the next up exits 0": again.returncode == 0,
            "the artifact whole": whole,
            "the download resumed": resumed,
        },
        note=(first.stderr.strip().splitlines() or [""])[-1][:100],
    )


def test_a_checksum_mismatch_is_refused_and_nothing_is_kept(
    home: Path, tmp_path: Path, repository: Repository, faults: FaultLog
) -> None:
    bad = HMS_JARS[0]
    repository.corrupt.add(bad.filename)
    cache = tmp_path / "cache"
    proc = native("up", "--only", "metastore", home=home, env=_env(repository, cache), check=False)
    folder = cache / "artifacts" / bad.group
    left = sorted(p.name for p in folder.glob(f"{bad.filename}*")) if folder.exists() else []
    faults.record(
        "native: an artifact whose SHA-1 does not match",
        {
            "exit 4": proc.returncode == 4,
            "it names the artifact": f"{bad.filename} from {repository.url}" in proc.stderr,
            "it says the checksum": f"is not the published {bad.sha1}" in proc.stderr,
            "nothing kept": left == [],
            "the metastore not started": not (home / "native" / "run" / "metastore.json").exists(),
        },
        note=proc.stderr.strip()[-100:],
    )


def test_offline_with_an_empty_cache_names_the_missing_artifact(home: Path, tmp_path: Path) -> None:
    env = {"ECOMCTL_CACHE_DIR": str(tmp_path / "empty")}
    proc = native("up", "--offline", "--only", "spark-thrift", home=home, env=env, check=False)
    assert proc.returncode == 4
    assert "--offline:" in proc.stderr and "is not in the cache" in proc.stderr
    assert not (tmp_path / "empty" / "artifacts").exists() or not any(
        (tmp_path / "empty" / "artifacts").rglob("*.jar")
    )


def test_no_java_new_enough_for_trino_exits_4_before_any_work(home: Path, faults: FaultLog) -> None:
    java17 = next(Path("/usr/lib/jvm").glob("java-17-openjdk-*"))
    env = {"ECOMCTL_TRINO_JAVA_HOME": str(java17)}
    proc = native("up", "--only", "trino", home=home, env=env, check=False)
    faults.record(
        "native: no Java new enough for Trino",
        {
            "exit 4": proc.returncode == 4,
            "it says which Java": "trino needs Java 24 or newer, but the setting gives Java 17"
            in proc.stderr,
            "nothing started": not (home / "native" / "run").exists(),
        },
        note=proc.stderr.strip()[-100:],
    )


def test_a_port_taken_while_down_moves_the_service_and_says_so(
    home: Path, faults: FaultLog
) -> None:
    import socket

    first = native("up", "--only", "s3", home=home)
    assert re.search(r"^1 service healthy in \d+\.\d s$", first.stderr, re.M), first.stderr
    old = json.loads((home / "native" / "ports.json").read_text())["s3"]
    native("down", home=home)
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", old))
        squatter.listen()
        moved = native("up", "--only", "s3", home=home, check=False)
    new = json.loads((home / "native" / "ports.json").read_text())["s3"]
    faults.record(
        "native: a port taken by another program",
        {
            "exit 0": moved.returncode == 0,
            "a new port": new != old,
            "it says so": f"s3: port {old} on 127.0.0.1 is taken by another program; now using"
            f" {new}" in moved.stderr,
            "s3 healthy": bool(services(home)["s3"]["healthy"]),
        },
        note=moved.stderr.strip()[-100:],
    )


def test_down_volumes_removes_the_data_and_keeps_the_downloads(home: Path) -> None:
    native("up", "--only", "s3", home=home)
    data = home / "native" / "s3"
    assert data.is_dir()
    # What the native stack's last run was built from goes with its data; other stacks' stays.
    for stack in ("native", "embedded"):
        BuiltFrom(home / "dbt", stack).record(["bronze"], 1, Inputs({}, {}, "t"))
    refused = native("down", "--volumes", home=home, check=False)
    assert refused.returncode == 2 and services(home)["s3"]["healthy"]  # no terminal: no
    proc = native("down", "--volumes", "--yes", home=home)
    assert "its data removed (downloads kept)" in proc.stderr
    assert not data.exists() and not services(home)["s3"]["healthy"]
    assert BuiltFrom(home / "dbt", "native").inputs() is None
    assert BuiltFrom(home / "dbt", "embedded").inputs() is not None


def test_a_service_not_healthy_in_time_exits_3_with_its_log_and_leaves_the_others(
    home: Path,
) -> None:
    native("up", "--only", "postgres,s3", home=home)  # what the metastore needs, up in time
    proc = native("up", "--only", "metastore", "--timeout", "1", home=home, check=False)
    assert proc.returncode == 3, proc.stderr
    assert "metastore: not healthy after 1 s" in proc.stderr
    assert "last log lines of metastore:" in proc.stderr
    found = services(home)
    assert found["postgres"]["healthy"] and found["s3"]["healthy"]  # left for inspection


def test_processes_of_a_sigkilled_ecomctl_are_found_by_pid_and_stopped(
    home: Path, faults: FaultLog
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecomctl", "up", "--only", "s3", "--home", str(home)],
        env={**os.environ, **NATIVE, "NO_COLOR": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = home / "native" / "run" / "s3.json"
    poll_until(lambda: started.exists() or proc.poll() is not None, 120)
    assert started.exists(), "s3 never started"
    proc.kill()  # ecomctl only: the services run in sessions of their own
    proc.wait()
    orphan = pid_of(home, "s3")
    assert poll_until(lambda: services(home)["s3"]["healthy"], 60, every=0.5), services(home)["s3"]
    status = services(home)
    native("down", home=home)
    gone = not alive(orphan)  # (not a zombie either: this machine's PID 1 reaps no orphans)
    # A record naming a live process that is not ours (another start time): never touched.
    stranger = subprocess.Popen(["sleep", "60"])
    record = home / "native" / "run" / "s3.json"
    record.write_text(json.dumps({"pid": stranger.pid, "start": 1, "argv0": "weed"}))
    after = services(home)["s3"]
    native("down", home=home)
    spared = stranger.poll() is None
    stranger.kill()
    faults.record(
        "native: ecomctl SIGKILLed while starting services",
        {
            "the orphan found by pid": f"pid {orphan}" in status["s3"]["detail"],
            "the orphan stopped": gone,
            "a stranger's pid reads as stopped": after["state"] == "stopped",
            "the stranger spared": spared,
        },
        note=f"orphan pid {orphan} found and stopped; a stranger's pid left alone",
    )


def test_trino_killed_during_bronze_exits_3_and_the_next_run_recovers(
    native_home: Path, faults: FaultLog
) -> None:
    native("seed", "--scale", str(TEST_SCALE), home=native_home)
    native("run", home=native_home)
    before = json.loads(native("query", "select * from sales_values_by_category", "--json",
                               home=native_home).stdout)["rows"]  # fmt: skip
    run = subprocess.Popen(
        [sys.executable, "-m", "ecomctl", "run", "--full-refresh", "--home", str(native_home)],
        env={**os.environ, **NATIVE, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert run.stderr is not None
    for line in run.stderr:
        if "model.ecom_analytics." in line:  # bronze's first model is done, the rest under way
            break
    os.kill(pid_of(native_home, "trino"), signal.SIGKILL)
    _, err = run.communicate(timeout=600)
    message = [line for line in err.splitlines() if line.startswith("ecomctl:")]
    again = native("run", home=native_home, check=False)
    after = json.loads(native("query", "select * from sales_values_by_category", "--json",
                              home=native_home).stdout)["rows"]  # fmt: skip
    faults.record(
        "native: Trino SIGKILLed during bronze",
        {
            "exit 3": run.returncode == 3,
            "one error line": len(message) == 1,
            "it says trino is stopped": "trino is stopped" in (message or [""])[0],
            "it says during bronze": "during bronze" in (message or [""])[0],
            "the next run exits 0": again.returncode == 0,
            "gold as before": sorted(map(str, after)) == sorted(map(str, before)),
        },
        note=f"exit {run.returncode}, then {again.returncode}; gold equal: {sorted(map(str, after)) == sorted(map(str, before))}; "
        + (message or ["(no message)"])[0][:80]
        + ("" if again.returncode == 0 else f"; the next run: {again.stderr.strip()[-300:]}"),
    )
