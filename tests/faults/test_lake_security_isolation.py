"""Nothing of the native stack that checks no credentials is reachable by another local user:
the Hive Metastore's Thrift port and SeaweedFS's master, volume and filer ports (isolated to
ecomctl's user, and the filer and volume servers ask for JWTs besides), while the S3 port,
open to all, refuses a request without a signature. And one home's PostgreSQL server runs as
an account of its own, which cannot read another home's files.

The probes run as a second local user (support/stranger.py), against the session's native
stack; each is a line of the fault table. All need root (a second user, iptables).
"""

from __future__ import annotations

import json
import pwd
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
from support.faultlog import FaultLog
from support.helpers import ecomctl
from support.native import services
from support.stranger import as_root, as_stranger

from ecomctl.runners.native.isolation import PortIsolation, chain_name
from ecomctl.runners.postgres.account import account_name

REFUSED = "refused"

# Run as the stranger (and as ecomctl's user, for the control): each probe's outcome, by name.
# A Thrift call is written by hand (TBinaryProtocol, unframed, as the metastore speaks it):
# the stranger needs nothing but Python.
_PROBES = r"""
import json, socket, struct, sys, urllib.request, urllib.error

def http(method, url, body=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, method=method), timeout=5) as r:
            return f"http {r.status}"
    except urllib.error.HTTPError as e:
        return f"http {e.code}"
    except urllib.error.URLError as e:
        return "refused" if isinstance(e.reason, ConnectionError) else f"error {e.reason}"
    except ConnectionError:
        return "refused"

def tcp(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        return "connected"
    except ConnectionError:
        return "refused"

def thrift_databases(port):
    name = b"get_all_databases"
    call = struct.pack(">Ii", 0x80010001, len(name)) + name + struct.pack(">i", 1) + b"\x00"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(call)
            data = b""
            while len(data) < 4096:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
                if b"default" in data:
                    break
    except ConnectionError:
        return "refused"
    return "databases listed" if b"default" in data else f"answer {data[:60]!r}"

ports = json.loads(sys.argv[1])
m, f, v = (f"http://127.0.0.1:{ports[k]}" for k in ("weed-master", "weed-filer", "weed-volume"))
print(json.dumps({
    "metastore tcp": tcp(ports["metastore"]),
    "metastore get_all_databases": thrift_databases(ports["metastore"]),
    "filer listing of /buckets": http("GET", f + "/buckets/lake/landing/"),
    "filer PUT": http("PUT", f + "/buckets/lake/landing/planted.txt", b"planted"),
    "master /dir/status": http("GET", m + "/dir/status"),
    "master /col/delete": http("GET", m + "/col/delete?collection=lake"),
    "volume GET": http("GET", v + "/1,01"),
    "filer gRPC tcp": tcp(ports["weed-filer-grpc"]),
    "master gRPC tcp": tcp(ports["weed-master-grpc"]),
    "S3 without a signature": http("GET", f"http://127.0.0.1:{ports['s3']}/lake/"),
    "Spark driver RPC tcp": tcp(ports["spark-driver"]),
    "Spark block manager tcp": tcp(ports["spark-blocks"]),
}))
"""


def _python(code: str, *args: str, stranger: bool) -> subprocess.CompletedProcess[str]:
    """Standard-library Python code run as the stranger (by the system's python3: the tests'
    own interpreter may lie in a folder the stranger cannot enter), or as ecomctl's user."""
    if stranger:
        return as_stranger("python3", "-I", "-c", code, *args)
    argv = [sys.executable, "-I", "-c", code, *args]
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def _probe(ports: dict[str, int], stranger: bool) -> dict[str, str]:
    done = _python(_PROBES, json.dumps(ports), stranger=stranger)
    assert done.returncode == 0, done.stderr
    outcomes: dict[str, str] = json.loads(done.stdout)
    return outcomes


@pytest.fixture(scope="module")
def probed(native_home: Path, stranger: str) -> dict[str, Any]:
    """The stranger's outcomes, and ecomctl's user's own (the control: the same probe can
    succeed), against the session's native stack."""
    ports = json.loads((native_home / "native" / "ports.json").read_text())
    return {"stranger": _probe(ports, True), "ours": _probe(ports, False), "ports": ports}


pytestmark = as_root


@pytest.mark.native
def test_the_metastore_is_reachable_by_ecomctl_alone(
    probed: dict[str, Any], faults: FaultLog
) -> None:
    theirs, ours = probed["stranger"], probed["ours"]
    faults.record(
        "another local user: a TCP connection to the metastore",
        {
            "refused to the stranger": theirs["metastore tcp"] == REFUSED,
            "accepted from ecomctl's user": ours["metastore tcp"] == "connected",
        },
        note=f"stranger: {theirs['metastore tcp']}",
    )
    faults.record(
        "another local user: metastore Thrift get_all_databases",
        {
            "refused to the stranger": theirs["metastore get_all_databases"] == REFUSED,
            "the same call lists databases for ecomctl's user": (
                ours["metastore get_all_databases"] == "databases listed"
            ),
        },
        note=f"stranger: {theirs['metastore get_all_databases']}",
    )


@pytest.mark.native
@pytest.mark.parametrize(
    ("probe", "ours"),
    [
        # What ecomctl's own user meets: the filer and volume servers want a JWT, the master
        # nothing at all (isolation alone keeps it).
        ("filer listing of /buckets", "http 401"),
        ("filer PUT", "http 401"),
        ("master /dir/status", "http 200"),
        ("master /col/delete", None),
        ("volume GET", "http 401"),
        ("filer gRPC tcp", "connected"),
        ("master gRPC tcp", "connected"),
    ],
)
def test_seaweedfs_internal_ports_refuse_another_user(
    probed: dict[str, Any], probe: str, ours: str | None, faults: FaultLog
) -> None:
    theirs = probed["stranger"][probe]
    conditions = {"refused to the stranger": theirs == REFUSED}
    if ours is not None:  # /col/delete is not sent as ecomctl's user: it would drop the lake
        conditions[f"ecomctl's user gets {ours}"] = probed["ours"][probe] == ours
    faults.record(f"another local user: SeaweedFS {probe}", conditions, note=f"stranger: {theirs}")


@pytest.mark.native
@pytest.mark.parametrize("probe", ["Spark driver RPC tcp", "Spark block manager tcp"])
def test_sparks_internal_ports_refuse_another_user(
    probed: dict[str, Any], probe: str, faults: FaultLog
) -> None:
    theirs, ours = probed["stranger"][probe], probed["ours"][probe]
    faults.record(
        f"another local user: {probe}",
        {
            "refused to the stranger": theirs == REFUSED,
            "accepted from ecomctl's user": ours == "connected",
        },
        note=f"stranger: {theirs}",
    )


@pytest.mark.native
def test_s3_stays_open_and_refuses_an_unsigned_request(
    native_home: Path, probed: dict[str, Any], faults: FaultLog
) -> None:
    theirs = probed["stranger"]["S3 without a signature"]
    found = services(native_home)
    protections = {name: s.get("protection", "") for name, s in found.items()}
    faults.record(
        "another local user: S3 without a signature; status shows each service's protection",
        {
            "the S3 port answers the stranger": theirs.startswith("http "),
            "with 403": theirs == "http 403",
            "every service healthy": all(s["healthy"] for s in found.values()),
            "every service says its protection": all(protections.values()),
            "the metastore: ecomctl's user only": "ecomctl's user only" in protections["metastore"],
            "S3: JWT and isolated internal ports": "JWT" in protections["s3"]
            and "ecomctl's user only" in protections["s3"],
        },
        note=f"stranger: {theirs}; metastore: {protections.get('metastore')}",
    )


def test_the_isolation_chain_is_ones_own_and_leaves_nothing_behind(
    tmp_path: Path, stranger: str, faults: FaultLog
) -> None:
    """Applied twice (as every `up` does), left by a crash, removed by a new process (the next
    `down`): one chain, one jump, then nothing; other users refused meanwhile."""
    before = _iptables_rules()
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(30)
    port = server.getsockname()[1]

    def accept_two() -> None:
        for _ in range(2):
            server.accept()[0].close()

    accepting = threading.Thread(target=accept_two, daemon=True)
    accepting.start()
    chain = chain_name(tmp_path)
    try:
        first = PortIsolation(tmp_path).apply([port])
        again = PortIsolation(tmp_path).apply([port])
        during = _iptables_rules()
        theirs = _python(_connect(port), stranger=True)
        ours = _python(_connect(port), stranger=False)
        PortIsolation(tmp_path).remove()  # another process than the one that applied it
        PortIsolation(tmp_path).remove()  # nothing left to remove: no error
        after = _iptables_rules()
    finally:
        PortIsolation(tmp_path).remove()
        socket.create_connection(("127.0.0.1", port)).close()
        accepting.join(5)
        server.close()
    faults.record(
        "iptables isolation applied twice, then removed by another process",
        {
            "applied": first is None and again is None,
            "one jump to the chain": sum(f"-j {chain}" in r for r in during) == 1,
            "one rule in it": sum(r.startswith(f"-A {chain} ") for r in during) == 1,
            "the stranger refused": "refused" in theirs.stdout,
            "ecomctl's user connects": "connected" in ours.stdout,
            "nothing left after remove": after == before,
        },
        note=f"stranger: {theirs.stdout.strip()}{theirs.stderr.strip()[-80:]}",
    )


def _connect(port: int) -> str:
    return (
        "import socket\ntry:\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=5).close(); print('connected')\n"
        "except ConnectionError:\n    print('refused')\n"
    )


def _iptables_rules() -> list[str]:
    done = subprocess.run(["iptables", "-w", "-S"], capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def test_one_homes_server_cannot_read_another_homes_files(
    tmp_path: Path, stranger: str, faults: FaultLog
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    try:
        ecomctl("up", home=first)
        ecomctl("up", home=second)
        ecomctl("down", home=second)
        # A home of an earlier version: its data owned by another account (then the one
        # shared account); the next start hands it to the home's own.
        subprocess.run(["chown", "-R", stranger, str(second / "postgres" / "data")], check=True)
        migrated = ecomctl("up", home=second, check=False)
        accounts = [pwd.getpwnam(account_name(h)) for h in (first, second)]
        owners = [(h / "postgres" / "data").stat().st_uid for h in (first, second)]
        theirs = second / "postgres" / "data" / "PG_VERSION"
        # As the first home's server account itself, then through its server (a superuser
        # login made to read files, as the attack did through Trino).
        direct = subprocess.run(
            ["cat", str(theirs)], capture_output=True, text=True, check=False,
            **_as(accounts[0]),
        )  # fmt: skip
        password = (first / "secrets" / "postgres_password").read_text().strip()
        port = int((first / "postgres" / "port").read_text())
        with psycopg.connect(
            host="127.0.0.1", port=port, user="ecomctl", dbname="analytics", password=password,
            autocommit=True,
        ) as conn:  # fmt: skip
            own = conn.execute("select pg_read_file('PG_VERSION')").fetchone()
            try:
                conn.execute("select pg_read_file(%s)", (str(theirs),))
                through_server = "read"
            except psycopg.Error as exc:
                through_server = str(exc).splitlines()[0]
        ecomctl("down", "--volumes", "--yes", home=first)
        removed = _gone(account_name(first))
    finally:
        for h in (first, second):
            ecomctl("down", "--volumes", "--yes", home=h, check=False)
    faults.record(
        "one home's PostgreSQL server reads another home's files",
        {
            "one account per home": accounts[0].pw_uid != accounts[1].pw_uid,
            "each data folder its own account's": owners == [a.pw_uid for a in accounts],
            "an older home's data handed over at start": migrated.returncode == 0,
            "the account cannot read the other's file": direct.returncode != 0,
            "its server cannot either": "Permission denied" in through_server,
            "its server reads its own": own is not None,
            "down --volumes removes the account": removed,
        },
        note=f"{direct.stderr.strip()[-50:]}; {through_server[-60:]}",
    )


def _as(account: pwd.struct_passwd) -> dict[str, Any]:
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _gone(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return True
    return False
