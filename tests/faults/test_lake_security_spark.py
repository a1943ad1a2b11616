"""Nothing let in through Spark: the native stack's Spark Thrift server asks for one of
ecomctl's logins, refuses what reaches beyond SQL (a shell through TRANSFORM, code through a
jar or reflection) even to ecomctl, and `query` on silver logs in read-only.

Probes of the session's native stack (support/native.py); logins as the second local user.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyhive import hive
from support.faultlog import FaultLog
from support.native import native
from support.stranger import as_root, python_as_stranger

from ecomctl.engines import clients

pytestmark = pytest.mark.native

PROBE_TABLE = "silver.security_probe"
NEW_TABLE = "silver.security_probe_new"


def _login(home: Path, user: str = "ecomctl") -> Any:
    native_dir = home / "native"
    port = json.loads((native_dir / "ports.json").read_text())["spark-thrift"]
    name = {"ecomctl": "spark_password", "reader": "spark_reader_password"}[user]
    password = (native_dir / "secrets" / name).read_text().strip()
    return hive.connect(
        host="127.0.0.1", port=port, username=user, password=password, auth="CUSTOM"
    ).cursor()


def _refused(cursor: Any, statement: str) -> str:
    """The server's refusal of statement ("" when it ran)."""
    try:
        cursor.execute(statement)
        cursor.fetchall()
    except Exception as exc:
        return clients.spark_refusal(exc) or str(exc)
    return ""


@pytest.fixture(scope="module")
def probe_table(native_home: Path) -> Iterator[str]:
    """A one-row table in silver, written with ecomctl's own login, dropped afterwards."""
    cursor = _login(native_home)
    cursor.execute("create database if not exists silver")
    cursor.execute(f"create table if not exists {PROBE_TABLE} (a int) using iceberg")
    cursor.execute(f"insert overwrite {PROBE_TABLE} values (1)")
    yield PROBE_TABLE
    cursor.execute(f"drop table if exists {PROBE_TABLE} purge")
    cursor.execute(f"drop table if exists {NEW_TABLE} purge")


# The logins the stranger tries, and whether it can read ecomctl's password (after a first
# line that sets `port` and `password_file`).
_STRANGER_LOGINS = """
import json
from pyhive import hive
def attempt(**login):
    try:
        hive.connect(host="127.0.0.1", port=port, **login).cursor().execute("select 1")
        return "logged in"
    except Exception as exc:
        return "refused: " + str(exc)[:200]
try:
    open(password_file).read()
    readable = True
except OSError:
    readable = False
print(json.dumps({
    "no password": attempt(username="ecomctl"),
    "wrong password": attempt(username="ecomctl", password="guess", auth="CUSTOM"),
    "another user": attempt(username="root", password="guess", auth="CUSTOM"),
    "password file readable": readable,
}))
"""


@as_root
def test_spark_refuses_every_login_but_ecomctls(
    native_home: Path, stranger: str, faults: FaultLog
) -> None:
    native_dir = native_home / "native"
    port = json.loads((native_dir / "ports.json").read_text())["spark-thrift"]
    password_file = native_dir / "secrets" / "spark_password"
    given = f"port, password_file = {port}, {str(password_file)!r}\n"
    done = python_as_stranger(given + _STRANGER_LOGINS, timeout=120)
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout)
    for probe in ("no password", "wrong password", "another user"):
        faults.record(
            f"spark: another local user logs in with {probe}",
            {
                "refused": said[probe].startswith("refused"),
                "as a failed login": "Error validating the login" in said[probe],
            },
            note=said[probe][:120],
        )
    modes = {
        name: stat.S_IMODE((native_dir / "secrets" / name).stat().st_mode)
        for name in ("spark_password", "spark_reader_password")
    }
    faults.record(
        "spark: another local user reads ecomctl's Spark password",
        {"files 0600": set(modes.values()) == {0o600}, "unreadable": not said["password file readable"]},
        note=str({k: oct(v) for k, v in modes.items()}),
    )  # fmt: skip


def test_spark_refuses_shell_and_code_even_to_ecomctl(
    native_home: Path, tmp_path: Path, faults: FaultLog
) -> None:
    marker = tmp_path / "transform-ran"
    cursor = _login(native_home)
    refusal = _refused(cursor, f"select transform(1) using 'touch {marker}' as (x)")
    faults.record(
        "spark: SELECT TRANSFORM ... USING a shell command",
        {"refused": "script transforms" in refusal, "no command ran": not marker.exists()},
        note=refusal[:120],
    )
    probes = {
        "reflect (a static Java method)": "select reflect('java.lang.System', 'getProperty',"
        " 'user.name')",
        "ADD JAR": f"add jar {tmp_path / 'none.jar'}",
        "CREATE FUNCTION ... USING JAR": "create temporary function f as 'x.Y' using jar"
        f" '{tmp_path / 'none.jar'}'",
    }
    for name, statement in probes.items():
        refusal = _refused(cursor, statement)
        faults.record(
            f"spark: {name} by ecomctl's own login",
            {"refused by ecomctl's guard": "ecomctl refused" in refusal},
            note=refusal[:120],
        )


def test_query_on_silver_is_read_only_on_spark(
    native_home: Path, probe_table: str, faults: FaultLog
) -> None:
    writes = {
        "INSERT": f"insert into {probe_table} values (2)",
        "CREATE": f"create table {NEW_TABLE} (a int)",
        "DROP": f"drop table {probe_table}",
    }
    for kind, statement in writes.items():
        done = native("query", "--layer", "silver", statement, home=native_home, check=False)
        lines = done.stderr.strip().splitlines()
        count = _login(native_home, "reader")
        count.execute(f"select count(*) from {probe_table}")
        rows = count.fetchall()[0][0]
        count.execute("show tables in silver like 'security_probe_new'")
        faults.record(
            f"spark: `ecomctl query` runs {kind} on silver",
            {
                "exit 1 (as the embedded stack)": done.returncode == 1,
                "one line": len(lines) == 1,
                "says read-only": "read-only" in done.stderr,
                "table unchanged": rows == 1,
                "nothing created": not count.fetchall(),
            },
            note=lines[0][:120] if lines else done.stdout[:120],
        )
    # The reader reads: the same login answers a query.
    done = native("query", "--layer", "silver", f"select count(*) as n from {probe_table}",
                  "--format", "csv", home=native_home)  # fmt: skip
    assert done.stdout.split() == ["n", "1"]
