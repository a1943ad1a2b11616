"""Secrets stay in 0600 files and out of every output; servers listen on loopback only;
names from the command line are checked before they reach SQL."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from support.faultlog import FaultLog
from support.helpers import ecomctl
from support.net import listening_addresses


def test_secrets_never_leave_their_0600_files(
    pipeline_home: Path, first_run: object, faults: FaultLog
) -> None:
    secret_file = pipeline_home / "secrets" / "postgres_password"
    password = secret_file.read_text().strip()
    outputs = [first_run.stdout + first_run.stderr]  # type: ignore[attr-defined]
    for args in (("status",), ("status", "--json"), ("status", "-o", "env"), ("up", "--json"),
                 ("run", "--layer", "gold", "--json"), ("query", "select 1 as x", "--json")):  # fmt: skip
        proc = ecomctl(*args, home=pipeline_home)
        outputs.append(proc.stdout + proc.stderr)
    failing = ecomctl("query", "select * from no_such_table", home=pipeline_home, check=False)
    outputs.append(failing.stdout + failing.stderr)
    on_disk = [p for p in pipeline_home.rglob("*") if p.is_file() and p != secret_file
               and p.stat().st_size < 50_000_000 and "postgres/data" not in str(p)]  # fmt: skip
    leaks = [str(p) for p in on_disk if password.encode() in p.read_bytes()]
    leaks += [f"output {i}" for i, text in enumerate(outputs) if password in text]
    mode = stat.S_IMODE(secret_file.stat().st_mode)
    faults.record(
        "password in outputs, logs, profiles",
        {"no leak": not leaks, "the file is 0600": mode == 0o600},
        note=", ".join(leaks)[:80],
    )


def test_every_server_listens_on_loopback_only(
    pipeline_home: Path, first_run: object, faults: FaultLog
) -> None:
    ecomctl("up", home=pipeline_home)
    addresses = listening_addresses(names={"postgres"})
    # 0100007F is 127.0.0.1 as /proc writes it.
    faults.record(
        "servers listening beyond 127.0.0.1", addresses == {"0100007F"}, note=str(sorted(addresses))
    )


def test_names_from_the_command_line_are_checked_before_sql(
    tmp_path: Path, faults: FaultLog
) -> None:
    attempts = [
        ("run", "--select", "orders; drop table x"),
        ("run", "--layer", "gold; drop"),
        ("test", "--select", "$(touch /tmp/pwned)"),
        ("query", "select 1", "--layer", "gold; drop schema gold"),
        ("query", "select 1", "--layer", "information_schema"),
    ]
    results = [ecomctl(*args, home=tmp_path / "h", check=False) for args in attempts]
    refused = {
        "every attempt exits 2": all(r.returncode == 2 for r in results),
        "no command ran": not Path("/tmp/pwned").exists(),
    }
    faults.record(
        "hostile names on the command line",
        refused,
        note=json.dumps([r.returncode for r in results]),
    )
