"""Nothing let in: no shell ever sees a path, readers get a read-only login on gold only, a home
is private to its owner, a copied home never drives the original's server, and the password
goes only to a server proven to be this home's.

The permission tests run as a second, unprivileged user the test creates (root only).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from support.faultlog import FaultLog
from support.helpers import ecomctl, kill_group, open_way_to, start, wait_for
from support.stranger import as_root, as_stranger

from ecomctl.proc import poll_until

TINY = {"ECOMCTL_SCALE": "0.002"}


def _gold(home: Path) -> list[str]:
    # Ordered by the whole grain (month, payment type): by the month alone, the rows of one
    # month come back in any order, and equal gold would compare unequal.
    doc = json.loads(
        ecomctl("query", "select * from payment_type_mix order by 1, 2", "--json", home=home).stdout
    )
    return [json.dumps(row) for row in doc["rows"]]


def _server_pid(home: Path) -> int:
    return int((home / "postgres" / "data" / "postmaster.pid").read_text().split("\n")[0])


def test_no_shell_ever_sees_a_home_path(tmp_path: Path, faults: FaultLog) -> None:
    marker = tmp_path / "a-command-ran"
    hostile = f"h $(touch {marker}) `touch {marker}` \"q\" 'q' \\ ;|&<>*[]{{}} é"
    homes = [tmp_path / hostile, tmp_path / "with\nnewline"]
    # The same name from ecomctl.toml, as a project would give it.
    project = tmp_path / "project"
    project.mkdir()
    (project / "ecomctl.toml").write_text(f"home = {json.dumps(hostile + ' toml')}\n")
    try:
        results = [ecomctl("run", home=h, env=TINY, check=False) for h in homes]
        results.append(ecomctl("run", cwd=project, env=TINY, check=False))
        gold = [_gold(h) for h in [*homes, project / (hostile + " toml")]]
    finally:
        for h in homes:
            ecomctl("down", home=h, check=False)
        ecomctl("down", cwd=project, check=False)
    same_gold = all(gold) and len(set(map(str, gold))) == 1
    # The one character DuckDB cannot take in a database path is refused before any work.
    question = ecomctl("run", home=tmp_path / "why?", check=False)
    refused = question.returncode == 2 and "a ? in the home's path" in question.stderr
    why = [f"run exited {r.returncode}: {r.stderr.strip()[-300:]}" for r in results if r.returncode]
    if not why and not same_gold:
        why.append(f"gold differs between the homes: {[len(g) for g in gold]} rows")
    if not refused:
        why.append(f"a ? was not refused: exit {question.returncode}: {question.stderr.strip()}")
    if marker.exists():
        why.append("a command ran")
    faults.record(
        "shell metacharacters and a newline in the home path",
        {
            "every run exits 0": all(r.returncode == 0 for r in results),
            "the same gold in every home": same_gold,
            "a ? refused": refused,
            "no command ran": not marker.exists(),
            "no home made at the ? path": not (tmp_path / "why?").exists(),
        },
        note="; ".join(why),
    )


@as_root
def test_root_never_widens_a_folder_outside_the_home(
    tmp_path: Path, stranger: str, faults: FaultLog
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o700)
    open_way_to(locked)  # the tests' own temporary folders: only `locked` stays shut
    cmd = [sys.executable, "-m", "ecomctl", "up", "--home", str(locked / "home")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    # A home that belongs to another user is not taken over by root.
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    shutil.chown(theirs, stranger)
    other = ecomctl("up", home=theirs, check=False)
    refused = {
        "up below a shut folder exits 4": proc.returncode == 4,
        "it names the folder": f"cannot pass through {locked} (mode 700)" in proc.stderr,
        "the folder stays 0700": stat.S_IMODE(locked.stat().st_mode) == 0o700,
        "up in another user's home exits 4": other.returncode == 4,
        "it names the owner": f"belongs to {stranger}" in other.stderr,
        "the home stays the owner's": theirs.stat().st_uid == pwd.getpwnam(stranger).pw_uid,
        "nothing made in it": not (theirs / "postgres").exists(),
    }
    faults.record(
        "root: a home its server cannot reach, a home of another user",
        refused,
        note="; ".join(
            line
            for line in (proc.stderr + other.stderr).splitlines()
            if line.startswith("ecomctl:")
        )[:80],
    )


def test_readers_get_a_read_only_login_on_gold_only(
    pipeline_home: Path, first_run: object, faults: FaultLog
) -> None:
    env = ecomctl("status", "-o", "env", home=pipeline_home).stdout
    values = dict(line.removeprefix("export ").split("=", 1) for line in env.splitlines())
    superuser_password = (pipeline_home / "secrets" / "postgres_password").read_text().strip()
    password = Path(values["ECOMCTL_PG_PASSWORD_FILE"].strip("'")).read_text().strip()
    refused = []
    with psycopg.connect(values["ECOMCTL_GOLD_URL"], password=password, autocommit=True) as conn:
        (n,) = conn.execute("select count(*) from gold.payment_type_mix").fetchone() or (0,)
        for attack in (
            "copy (select 1) to program 'true'",
            "select pg_read_binary_file('/etc/hostname')",
            "drop table gold.payment_type_mix",
            "create table gold.mine (a int)",
            "set default_transaction_read_only = off; create table public.mine (a int)",
        ):
            try:
                conn.execute(attack)
            except psycopg.Error:
                refused.append(attack)
    smuggled = ecomctl(
        "query", "commit; drop table payment_type_mix", home=pipeline_home, check=False
    )
    writes = ecomctl("query", "delete from payment_type_mix", home=pipeline_home, check=False)
    survived = {
        "the login is gold_reader": values["ECOMCTL_PG_USER"] == "gold_reader",
        "no superuser password": superuser_password not in env,
        "gold reads": n > 0,
        "every attack refused": len(refused) == 5,
        "`commit; drop` exits 2": smuggled.returncode == 2,
        "it says exactly one statement": "exactly one statement" in smuggled.stderr,
        "a delete exits 1": writes.returncode == 1,
        "gold still there": bool(_gold(pipeline_home)),
    }
    faults.record(
        "readers: superuser rights, `commit; drop table` through query",
        survived,
        note=f"{len(refused)} of 5 attacks refused; query: exit {smuggled.returncode}",
    )


def test_a_home_is_private_to_its_owner(home: Path, faults: FaultLog) -> None:
    ecomctl("run", home=home, env=TINY)
    mode = stat.S_IMODE(home.stat().st_mode)
    expected = 0o710 if os.geteuid() == 0 else 0o700
    readable = [
        str(p.relative_to(home))
        for p in home.rglob("*")
        if p.is_file() and stat.S_IMODE(p.stat().st_mode) & 0o007
    ]
    # Nothing in the home may be reached by others, whatever its own mode says.
    note = f"home {mode:o}"
    faults.record(
        "the home and its warehouse readable by other users",
        mode == expected,
        note=note
        + (f"; files others could read if they got in: {len(readable)}" if readable else ""),
    )


@as_root
def test_another_user_can_read_nothing_in_a_home(
    home: Path, stranger: str, faults: FaultLog
) -> None:
    ecomctl("run", home=home, env=TINY)

    control = as_stranger("cat", "/etc/hostname")
    attempts = [
        as_stranger("cat", str(home / "warehouse.duckdb")),
        as_stranger("ls", str(home)),
        as_stranger("cat", str(home / "secrets" / "gold_reader_password")),
        as_stranger("ls", str(home / "data" / "generated")),
    ]
    denied = all(a.returncode != 0 and "Permission denied" in a.stderr for a in attempts)
    faults.record(
        "another local user reads the warehouse, secrets, files",
        {"the stranger reads what is public": control.returncode == 0, "every read denied": denied},
        note="; ".join(a.stderr.strip()[-40:] for a in attempts if a.returncode == 0),
    )


def test_a_copied_home_never_touches_the_original(tmp_path: Path, faults: FaultLog) -> None:
    original, copy = tmp_path / "original", tmp_path / "copy"
    try:
        ecomctl("run", home=original, env=TINY)
        pid, gold = _server_pid(original), _gold(original)
        subprocess.run(["cp", "-a", str(original), str(copy)], check=True)
        status = ecomctl("status", home=copy, check=False)
        ecomctl("seed", "--seed", "43", home=copy, env=TINY)
        ecomctl("run", home=copy)
        ecomctl("down", home=copy)
        server_kept = _server_pid(original) == pid
        gold_kept = _gold(original) == gold
        own = "not this home's server" in status.stdout
    finally:
        ecomctl("down", home=copy, check=False)
        ecomctl("down", home=original, check=False)
    faults.record(
        "a copied home: status, seed, run, down on the copy",
        {
            "the original's server kept": server_kept,
            "the original's gold kept": gold_kept,
            "the copy's status says not this home's server": own,
            "the copy's status exits 1": status.returncode == 1,
        },
        note="" if own and status.returncode == 1 else status.stdout.strip()[-80:],
    )


class _Listener:
    """A stranger on a port: records every connection it is offered."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_server(("127.0.0.1", port))
        self.sock.settimeout(0.2)
        self.connections = 0
        self.done = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.done:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.done = True
        self.thread.join(5)
        self.sock.close()


def test_the_password_goes_only_to_this_homes_server(home: Path, faults: FaultLog) -> None:
    ecomctl("up", home=home)
    ecomctl("down", home=home)
    port = int((home / "postgres" / "port").read_text())
    data = home / "postgres" / "data"
    stranger = _Listener(port)
    try:
        # A stale pid file naming a live process (this test) on the port another program holds.
        (data / "postmaster.pid").write_text(f"{os.getpid()}\n{data}\n0\n{port}\n")
        status = ecomctl("status", home=home, check=False)
        up = ecomctl("up", home=home, check=False)
        query = ecomctl("query", "select 1 as one", home=home, check=False)
    finally:
        stranger.close()
    survived = {
        "no connection offered to the stranger": stranger.connections == 0,
        "status exits 1": status.returncode == 1,
        "up exits 0": up.returncode == 0,
        "up says the port is taken": f"port {port} on 127.0.0.1 is taken" in up.stderr,
        "a query exits 0": query.returncode == 0,
    }
    faults.record(
        "a stale pid file and a stranger on the port",
        survived,
        note=f"{stranger.connections} connections offered to the stranger",
    )


def test_a_killed_or_stale_server_is_recovered(home: Path, faults: FaultLog) -> None:
    ecomctl("run", home=home, env=TINY)
    gold = _gold(home)
    os.kill(_server_pid(home), signal.SIGKILL)
    # At once, while it may still be a zombie: no traceback, a fact, then a recovery.
    status = ecomctl("status", home=home, check=False)
    rerun = ecomctl("run", home=home, check=False)
    ecomctl("down", home=home)
    # A pid file naming an unrelated live process.
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        data = home / "postgres" / "data"
        port = (home / "postgres" / "port").read_text().strip()
        (data / "postmaster.pid").write_text(f"{stranger.pid}\n{data}\n0\n{port}\n")
        up = ecomctl("up", home=home, check=False)
    finally:
        stranger.kill()
        stranger.wait()
    outputs = status.stderr + rerun.stderr + up.stderr
    survived = {
        "status exits 1": status.returncode == 1,
        "the next run exits 0": rerun.returncode == 0,
        "up past a stranger's pid exits 0": up.returncode == 0,
        "no traceback": "Traceback" not in outputs,
        "gold kept": _gold(home) == gold,
    }
    faults.record(
        "PostgreSQL SIGKILLed (zombie), a stale pid of another program",
        survived,
        note=outputs.strip()[-80:] if not all(survived.values()) else "",
    )


def test_no_password_on_disk_outside_its_file_when_set_up_is_killed(
    home: Path, faults: FaultLog
) -> None:
    proc = start(home, "up")

    def initdb_writing() -> bool:
        """The new cluster's folder, built beside data/ (data.partial, or home.building's
        .data.partial.<pid>.<token>), has something in it."""
        try:
            found = list((home / "postgres").iterdir())
            partial = [p for p in found if p.name.lstrip(".").startswith("data.partial")]
            return any(any(p.iterdir()) for p in partial if p.is_dir())
        except FileNotFoundError:  # not made yet, or just renamed into place
            return False

    # Killed while initdb writes the new cluster: the moment a password file would exist.
    poll_until(initdb_writing, 60, every=0.005)
    kill_group(proc)
    left = {
        str(p.relative_to(home)): p.read_bytes()
        for p in home.rglob("*")
        if p.is_file() and p.parent.name != "secrets"
    }
    up = ecomctl("up", home=home, check=False)
    password = (home / "secrets" / "postgres_password").read_bytes().strip()
    copies = [name for name, content in left.items() if password in content]
    faults.record(
        "up SIGKILLed while setting up PostgreSQL",
        {"no copy of the password": not copies, "the next up exits 0": up.returncode == 0},
        note=", ".join(copies),
    )


def test_sigterm_is_handled_as_ctrl_c(home: Path, faults: FaultLog) -> None:
    ecomctl("run", home=home, env=TINY)
    gold = _gold(home)
    proc = start(home, "run", "--full-refresh", "--json")
    wait_for(proc, "gold")
    wait_for(proc, "model.ecom_analytics.")
    os.kill(proc.pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    doc = json.loads(out)
    ecomctl("up", home=home)
    tables = json.loads(
        ecomctl("query", "select table_name from information_schema.tables", "--json",
                home=home).stdout
    )["rows"]  # fmt: skip
    leftovers = [t for (t,) in tables if "__dbt_" in t]
    survived = {
        "exit 143": proc.returncode == 143,
        "a document with exit_code 143": doc.get("exit_code") == 143,
        "its error says terminated (SIGTERM)": doc.get("error") == "terminated (SIGTERM)",
        "no leaked semaphore": "leaked semaphore" not in err,
        "no traceback": "Traceback" not in err,
        "no dbt temporary table left": not leftovers,
        "gold kept": _gold(home) == gold,
    }
    faults.record(
        "SIGTERM during gold",
        survived,
        note=""
        if all(survived.values())
        else f"exit {proc.returncode}; leftovers {leftovers}; {err[-600:]}",
    )


def test_an_unusable_home_fails_with_one_line(tmp_path: Path, faults: FaultLog) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a home\n")
    attempts = [
        ecomctl("run", home=a_file, check=False),
        ecomctl("seed", home=a_file / "below", check=False),
        ecomctl("seed", "--from", str(a_file), home=tmp_path / "h", check=False),
    ]
    one_line = all(
        a.returncode in (2, 4)
        and "Traceback" not in a.stderr
        and len([ln for ln in a.stderr.splitlines() if ln.startswith("ecomctl:")]) == 1
        for a in attempts
    )
    # A port file that holds garbage: a new port, said once, and the server starts.
    home = tmp_path / "garbled"
    try:
        ecomctl("up", home=home)
        ecomctl("down", home=home)
        (home / "postgres" / "port").write_text("garbage\n")
        up = ecomctl("up", home=home, check=False)
    finally:
        ecomctl("down", home=home, check=False)
    faults.record(
        "a home that is a file, below a file; --from a file; a garbled port file",
        {
            "one error line each, exit 2 or 4": one_line,
            "up past a garbled port file exits 0": up.returncode == 0,
            "it says the file held no port number": "held no port number" in up.stderr,
        },
        note="; ".join(a.stderr.strip()[:40] for a in attempts),
    )


def test_a_folder_that_is_not_a_home_is_left_as_it_was(tmp_path: Path, faults: FaultLog) -> None:
    # A project folder given as the home ("." by mistake, or `home = "."` in ecomctl.toml).
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\n")
    os.chmod(project, 0o755)
    (project / "ecomctl.toml").write_text('home = "."\n')
    before = sorted(p.name for p in project.iterdir())
    attempts = [
        ecomctl("run", cwd=project, env=TINY, check=False),
        ecomctl("down", "--volumes", "--yes", home=project, check=False),
        ecomctl("seed", home=project, env=TINY, check=False),
    ]
    refused = all(
        a.returncode == 2 and "is not an ecomctl home (it holds" in a.stderr for a in attempts
    )
    untouched = (
        sorted(p.name for p in project.iterdir()) == before
        and stat.S_IMODE(project.stat().st_mode) == 0o755
    )
    # A home emptied by `down --volumes` keeps its lock: it is still a home.
    home = tmp_path / "home"
    ecomctl("seed", home=home, env=TINY)
    ecomctl("down", "--volumes", "--yes", home=home)
    again = ecomctl("seed", home=home, env=TINY, check=False)
    faults.record(
        "a project folder given as the home (run, down --volumes, seed)",
        {
            "every command exits 2, saying why": refused,
            "the folder left as it was": untouched,
            "a home emptied by down --volumes is still one": again.returncode == 0,
        },
        note=attempts[0].stderr.strip()[:60],
    )


@contextmanager
def _small_disk(folder: Path, megabytes: int) -> Iterator[Path]:
    """A file system of its own, that fills up: a tmpfs of the given size (root only)."""
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0711", "tmpfs", str(folder)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@as_root
@pytest.mark.parametrize("megabytes", [70, 100])
def test_a_full_disk_fails_with_its_cause_and_leaves_nothing_half_made(
    tmp_path: Path, megabytes: int, faults: FaultLog
) -> None:
    scale = {"ECOMCTL_SCALE": "0.1"}
    with _small_disk(tmp_path / "disk", megabytes) as disk:
        home = disk / "home"
        try:
            full = ecomctl("run", home=home, env=scale, check=False)
            errors = [ln for ln in full.stderr.splitlines() if ln.startswith("ecomctl:")]
            leftovers = [
                str(p.relative_to(home))
                for p in home.rglob("*")
                if (".tmp" in p.name or ".partial" in p.name) and "pg_stat_tmp" not in str(p)
            ]
            subprocess.run(["mount", "-o", "remount,size=400m", str(disk)], check=True)
            again = ecomctl("run", home=home, env=scale, check=False)
        finally:
            ecomctl("down", home=home, check=False)
    survived = {
        "the full run fails": full.returncode != 0,
        "one error line": len(errors) == 1,
        "it says No space left on device": "No space left on device" in (errors or [""])[0],
        "no traceback": "Traceback" not in full.stderr,
        "nothing half-made left": not leftovers,
        "the run with room again exits 0": again.returncode == 0,
    }
    faults.record(
        f"a full disk ({megabytes} MB) under the home, then room again",
        survived,
        note=f"exit {full.returncode}, then {again.returncode}; "
        + (errors or [full.stderr.strip()[-60:]])[0][-70:]
        + (f"; left: {leftovers}" if leftovers else ""),
    )
