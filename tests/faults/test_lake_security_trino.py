"""What another local user can do with the native stack's Trino: nothing without ecomctl's
password, only SELECT with the reader's, never a procedure; the PostgreSQL roles behind its
catalogs are no superusers; `query` through Trino refuses writes as the embedded stack does.

Runs on the session's native stack (no `up` of its own): the stranger of support/stranger.py
is the attacker; what it is handed (the reader's password) it is handed by root, as the test.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from support.faultlog import FaultLog
from support.native import endpoints, native
from support.stranger import as_root, as_stranger

pytestmark = [pytest.mark.native, as_root]

PROBE_TABLE = "security_probe"
# The stranger's client: Python's own urllib (no package of the tests': the stranger cannot
# reach their interpreter), speaking Trino's HTTP protocol, trusting any certificate (an
# attacker does not verify). It prints, per probe, "ran" or how the query was refused.
_CLIENT = """
import base64, json, ssl, urllib.error, urllib.request
port, http_port, probes = {port}, {http_port}, {probes}
insecure = ssl.create_default_context()
insecure.check_hostname = False
insecure.verify_mode = ssl.CERT_NONE
def ask(url, headers, data=None):
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=60, context=insecure) as resp:
        return json.load(resp)
def attempt(base, user, password, sql):
    headers = {{"X-Trino-User": user}}
    if password is not None:
        token = base64.b64encode(f"{{user}}:{{password}}".encode()).decode()
        headers["Authorization"] = "Basic " + token
    try:
        doc = ask(base + "/v1/statement", headers, sql.encode())
        while "error" not in doc and "nextUri" in doc:
            doc = ask(doc["nextUri"], headers)
    except urllib.error.HTTPError as exc:
        return f"HTTP {{exc.code}} {{exc.reason}}"
    except OSError as exc:
        return f"no answer: {{exc}}"
    if "error" in doc:
        return doc["error"].get("errorName", "") + " " + doc["error"].get("message", "")
    return "ran"
said = {{}}
for name, user, password, sql in probes:
    said[name] = attempt(f"https://127.0.0.1:{{port}}", user, password, sql)[:200]
said["plain http"] = attempt(f"http://127.0.0.1:{{http_port}}", "ecomctl", None, "select 1")
print(json.dumps(said))
"""


def _secret(home: Path, name: str) -> str:
    return (home / "native" / "secrets" / name).read_text().strip()


def _ports(home: Path) -> dict[str, int]:
    return {k: int(v) for k, v in json.loads((home / "native" / "ports.json").read_text()).items()}


@pytest.fixture(scope="module")
def probe_tables(native_home: Path) -> Iterator[Path]:
    """One tiny table in bronze and one in gold, made by ecomctl's login, for the reader to
    try to write to (Trino says "no such table" before it checks rights)."""
    from ecomctl.engines import clients

    made = [f"iceberg.bronze.{PROBE_TABLE}", f"de_psql.gold.{PROBE_TABLE}"]
    with clients.trino(endpoints(native_home).trino, "iceberg") as cur:
        clients.fetch(cur, "create schema if not exists iceberg.bronze")
        for table in made:
            clients.fetch(cur, f"create table if not exists {table} (a integer)")
    try:
        yield native_home
    finally:
        with clients.trino(endpoints(native_home).trino, "iceberg") as cur:
            for table in made:
                clients.fetch(cur, f"drop table if exists {table}")


def test_another_user_gets_nothing_from_trino_without_ecomctls_password(
    probe_tables: Path, stranger: str, faults: FaultLog
) -> None:
    home = probe_tables
    reader = _secret(home, "trino_reader_password")
    probes = [
        ("no credentials", "stranger", None, "select 1"),
        ("ecomctl without its password", "ecomctl", None, "select 1"),
        ("ecomctl with a wrong password", "ecomctl", "guessed", "select 1"),
        ("reader as ecomctl", "ecomctl", reader, "select 1"),
        ("reader: create in bronze", "reader", reader, "create table iceberg.bronze.mine (a int)"),
        ("reader: create in gold", "reader", reader, "create table de_psql.gold.mine (a int)"),
        ("reader: insert", "reader", reader, f"insert into iceberg.bronze.{PROBE_TABLE} values 1"),
        ("reader: insert in gold", "reader", reader, f"insert into de_psql.gold.{PROBE_TABLE} values 1"),
        ("reader: system.execute", "reader", reader,
         "call de_psql.system.execute(query => 'create table gold.mine (a int)')"),
        ("reader: system.query", "reader", reader,
         "select * from table(de_psql.system.query(query => 'select 1'))"),
        ("reader: reads bronze", "reader", reader, f"select * from iceberg.bronze.{PROBE_TABLE}"),
    ]  # fmt: skip
    ports = _ports(home)
    code = _CLIENT.format(port=ports["trino"], http_port=ports["trino-http"], probes=probes)
    ran = as_stranger("/usr/bin/python3", "-I", "-c", textwrap.dedent(code), timeout=300)
    assert ran.returncode == 0, ran.stderr[-2000:]
    said = json.loads(ran.stdout.splitlines()[-1])
    unauthenticated = ("no credentials", "ecomctl without its password",
                       "ecomctl with a wrong password", "reader as ecomctl")  # fmt: skip
    for name in unauthenticated:
        faults.record(
            f"trino, another user: {name}",
            {"refused": said[name] != "ran", "as unauthorized": "401" in said[name]},
            note=said[name][:80],
        )
    for name in [p[0] for p in probes if p[0].startswith("reader: ") and "reads" not in p[0]]:
        faults.record(
            f"trino, another user, {name}",
            {"refused": said[name] != "ran", "access denied": "PERMISSION_DENIED" in said[name]},
            note=said[name][:80],
        )
    faults.record(
        "trino, another user: plain HTTP",
        {"refused": not said["plain http"].startswith("ran")},
        note=said["plain http"][:80],
    )
    faults.record(
        "trino, another user with the reader's password: reads",
        {"select runs": said["reader: reads bronze"] == "ran"},
        note=said["reader: reads bronze"][:80],
    )


def test_the_postgresql_roles_behind_trino_are_no_superusers(
    native_home: Path, faults: FaultLog
) -> None:
    port = int((native_home / "native" / "postgres" / "port").read_text())
    catalog = native_home / "native" / "conf" / "trino" / "catalog" / "de_psql.properties"
    with psycopg.connect(
        host="127.0.0.1", port=port, user="ecomctl", dbname="analytics",
        password=_secret(native_home, "postgres_password"), autocommit=True,
    ) as conn:  # fmt: skip
        roles: dict[str, bool] = dict(
            conn.execute(
                "select rolname, rolsuper from pg_roles where rolname in"
                " ('gold_writer', 'metastore')"
            ).fetchall()
        )
        (gold_owner,) = conn.execute(
            "select nspowner::regrole::text from pg_namespace where nspname = 'gold'"
        ).fetchone() or ("",)
    faults.record(
        "postgres roles of trino's catalogs and the metastore",
        {
            "de_psql logs in as gold_writer": "GOLD_WRITER_USER" in catalog.read_text(),
            "gold_writer is no superuser": roles.get("gold_writer") is False,
            "metastore is no superuser": roles.get("metastore") is False,
            "gold_writer owns schema gold": gold_owner == "gold_writer",
        },
        note=f"rolsuper: {roles}",
    )


@pytest.mark.parametrize(
    ("layer", "statement"),
    [
        ("landing", "create table mine (a integer)"),
        ("bronze", f"insert into {PROBE_TABLE} values (1)"),
        ("bronze", "call iceberg.system.register_table(schema_name => 'bronze',"
         " table_name => 'mine', table_location => 's3://lake/x')"),
        ("gold", f"insert into {PROBE_TABLE} values (1)"),
        ("gold", "create table mine (a integer)"),
    ],
)  # fmt: skip
def test_query_refuses_writes_through_trino_as_the_embedded_stack_does(
    probe_tables: Path, layer: str, statement: str, faults: FaultLog
) -> None:
    proc = native("query", "--layer", layer, statement, home=probe_tables, check=False)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    faults.record(
        f"query --stack native --layer {layer}: {statement.split()[0]}",
        {
            "exit 1": proc.returncode == 1,
            "one line": len(lines) == 1,
            "names the layer": bool(lines) and lines[0].startswith(f"ecomctl: query on {layer}"),
        },
        note=lines[0][:80] if lines else proc.stdout[:80],
    )
