"""Services that die during a native run, and a disk that fills during a run.

A dead S3 server, metastore or PostgreSQL is named within seconds (exit 3, its log's tail),
never a model's error nor a wait of many minutes; the next `up` + `run` builds the same gold.
A full disk is one line (exit 4) naming the folder, with no dbt logging tracebacks and no
temporary file left behind, and `run` works again once space is freed, without `down`.

The native checks share one dedicated home (one `up`), at a tiny scale: each fault kills one
service, then `up` starts it again.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.faultlog import FaultLog
from support.helpers import ecomctl
from support.native import NATIVE, UP_TIMEOUT, native, pid_of

SCALE = "0.003"
DEAD_WITHIN = 60.0  # seconds from the kill to ecomctl's exit


def _gold(home: Path, env: dict[str, str]) -> list[str]:
    text = "select * from sales_values_by_category"
    doc = ecomctl("query", text, "--json", home=home, env=env).stdout
    return sorted(map(str, json.loads(doc)["rows"]))


def _run_until(home: Path, env: dict[str, str], layer: str, then: Callable[[], object]) -> Ended:
    """`run --full-refresh`; once `layer` has started, then() (a fault). How it ended."""
    run = subprocess.Popen(
        [sys.executable, "-m", "ecomctl", "run", "--full-refresh", "--home", str(home)],
        env={**os.environ, **env, "NO_COLOR": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert run.stderr is not None
    seen = []
    for line in run.stderr:
        seen.append(line)
        if line.strip() == layer:  # the layer's heading: its models are under way
            break
    then()
    started = time.monotonic()
    try:
        err = "".join(seen) + run.stderr.read()
        run.wait(timeout=300)
    finally:
        run.kill()
    errors = [line for line in err.splitlines() if line.startswith("ecomctl:")]
    return Ended(run.returncode, errors, err, time.monotonic() - started)


@dataclass(frozen=True)
class Ended:
    code: int
    errors: list[str]  # ecomctl's error lines
    stderr: str
    seconds: float  # from the fault to the exit

    @property
    def error(self) -> str:
        return self.errors[0] if self.errors else ""


@pytest.mark.native
def test_s3_the_metastore_and_postgres_killed_during_a_native_run_exit_3_naming_them(
    tmp_path: Path, faults: FaultLog
) -> None:
    home = tmp_path / "home"
    try:
        native("up", home=home, timeout=UP_TIMEOUT)
        native("seed", "--scale", SCALE, home=home)
        native("run", home=home)
        before = _gold(home, NATIVE)

        def sigkill(service: str) -> Callable[[], None]:
            def kill() -> None:
                time.sleep(2)  # the layer's first statements reach the engines
                if service == "postgres":
                    pid = int((home / "native/postgres/data/postmaster.pid").read_text().split()[0])
                else:
                    pid = pid_of(home, service)
                os.kill(pid, signal.SIGKILL)

            return kill

        for service, layer in (("s3", "silver"), ("metastore", "silver"), ("postgres", "gold")):
            ended = _run_until(home, NATIVE, layer, sigkill(service))
            code, said, seconds = ended.code, "\n".join(ended.errors), ended.seconds
            native("up", home=home)
            again = native("run", home=home, check=False)
            after = _gold(home, NATIVE) if again.returncode == 0 else []
            faults.record(
                f"native: {service} SIGKILLed during {layer}",
                {
                    "exit 3": code == 3,
                    "one error line": len(said.splitlines()) == 1,
                    f"it names {service}": said.startswith(f"ecomctl: {service} is stopped"),
                    f"it says during {layer}": f"during {layer}" in said,
                    f"within {DEAD_WITHIN:.0f} s": seconds < DEAD_WITHIN,
                    "up + run exits 0": again.returncode == 0,
                    "gold as before": after == before,
                },
                note=f"exit {code} {seconds:.0f} s after the kill: {said[:120]}; then"
                f" {again.returncode}",
            )
    finally:
        native("down", home=home, check=False)


# -- a full disk -----------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a file system of its own, small enough to fill (tmpfs; needs root)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / "disk"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(folder: Path) -> Path:
    """Write a file until the file system is full; the file, to delete to free the space."""
    filler = folder / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * (1 << 20))
                out.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_during_an_embedded_run_is_one_line_and_run_recovers_once_freed(
    small_disk: Path, faults: FaultLog
) -> None:
    home = small_disk / "home"
    ecomctl("seed", "--scale", SCALE, home=home)
    ecomctl("run", home=home)  # the tables exist: the next run writes more into them
    before = _gold(home, {})
    filled: list[Path] = []
    # Bronze is built: silver writes now, into a disk with no room left.
    ended = _run_until(home, {}, "silver", lambda: filled.append(_fill(small_disk)))
    run, err, seconds, errors = ended, ended.stderr, ended.seconds, ended.errors
    leftovers = [p.name for p in home.rglob("*") if ".tmp" in p.name]
    filled[0].unlink()
    again = ecomctl("run", home=home, check=False)
    after = _gold(home, {}) if again.returncode == 0 else []
    faults.record(
        "embedded: the disk fills during a run",
        {
            "exit 4": run.code == 4,
            "one error line": len(errors) == 1,
            "it says the disk is full": "no space left" in run.error.lower(),
            "it names the home": str(home) in run.error,
            "no dbt logging traceback": "Logging error" not in err and "Traceback" not in err,
            "no hang": seconds < 120,
            "no temporary file left": not leftovers,
            "run after freeing space exits 0": again.returncode == 0,
            "gold as before": after == before,
        },
        note=f"exit {run.code} in {seconds:.0f} s: {(errors or [''])[0][:120]};"
        f" left: {leftovers}; then {again.returncode} {again.stderr.strip()[-200:]}",
    )


def test_a_run_on_a_disk_without_room_is_refused_before_any_work(
    small_disk: Path, faults: FaultLog
) -> None:
    home = small_disk / "home"
    ecomctl("seed", "--scale", SCALE, home=home)
    filler = _fill(small_disk)
    refused = ecomctl("run", home=home, check=False)
    seed = ecomctl("seed", "--scale", SCALE, home=home, check=False)
    leftovers = [p.name for p in home.rglob("*") if ".tmp" in p.name]
    filler.unlink()
    faults.record(
        "embedded: no room on the disk before a run and a seed",
        {
            "run exits 4": refused.returncode == 4,
            "run says where and how much": str(home) in refused.stderr and "free" in refused.stderr,
            "run in one line": len(refused.stderr.strip().splitlines()) == 1,
            "seed exits 4": seed.returncode == 4,
            "seed in one line": len(seed.stderr.strip().splitlines()) == 1,
            "no temporary file left": not leftovers,
        },
        note=f"{refused.stderr.strip()[:160]} | {seed.stderr.strip()[:160]}",
    )
