"""Servers that do not answer, on the stack whose servers are the user's own (remote, every
endpoint a closed port): each command that needs one says so in one line naming the server,
where, and what to do, exit 3; no client library's raw text. Nothing needs to run for it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.faultlog import FaultLog
from support.helpers import ecomctl, hint

RAW = ("HTTPConnectionPool", "Max retries", "Could not connect", "connection failed", "Errno")


@pytest.fixture
def nobody_home() -> Iterator[dict[str, str]]:
    """Settings of a remote stack whose every endpoint is a port bound by nobody listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
        yield {
            "ECOMCTL_STACK": "remote",
            "ECOMCTL_TRINO_PORT": port,
            "ECOMCTL_SPARK_PORT": port,
            "ECOMCTL_PG_PORT": port,
        }


@pytest.mark.parametrize(
    ("args", "service"),
    [
        (("run",), "trino"),
        (("query", "select 1", "--layer", "landing"), "trino"),
        (("query", "select 1", "--layer", "bronze"), "trino"),
        (("query", "select 1", "--layer", "silver"), "spark-thrift"),
        (("query", "select 1", "--layer", "gold"), "postgres"),
        (("tables", "--layer", "silver"), "spark-thrift"),
        (("report",), "postgres"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else v,
)
def test_a_server_that_does_not_answer_is_named_with_what_to_do(
    args: tuple[str, ...], service: str, nobody_home: dict[str, str], tmp_path: Path,
    faults: FaultLog,
) -> None:  # fmt: skip
    proc = ecomctl(*args, home=tmp_path / "home", env=nobody_home, check=False)
    lines = proc.stderr.strip().splitlines()
    faults.record(
        f"remote {service} does not answer: {' '.join(a for a in args if a != 'select 1')}",
        {
            "exit 3": proc.returncode == 3,
            "one line": len(lines) == 1,
            "names the server": bool(lines) and lines[-1].startswith(f"ecomctl: {service} at "),
            "says why": "does not answer (connection refused)" in proc.stderr,
            "says what to do": f"`{hint(tmp_path / 'home', 'up')}` checks them" in proc.stderr,
            "no raw client text": not any(raw in proc.stderr for raw in RAW),
        },
        note=proc.stderr.strip()[-300:],
    )
