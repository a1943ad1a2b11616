"""The embedded stack's PostgreSQL: a real server, loopback only, secrets in 0600 files."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import psycopg
from support.helpers import ecomctl


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a TCP socket listening on port, read from /proc/net/tcp{,6}."""
    found: set[str] = set()
    for name in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{name}").read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:  # 0A = LISTEN
                found.add(address)
    return found


def test_up_status_down_keeps_data_and_port(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ecomctl("up", home=home)
    try:
        port = int((home / "postgres" / "port").read_text())
        # 0100007F is 127.0.0.1 in /proc's byte order: nothing listens on another address.
        assert _listening_addresses(port) == {"0100007F"}

        secret = home / "secrets" / "postgres_password"
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        password = secret.read_text().strip()
        with psycopg.connect(host="127.0.0.1", port=port, user="ecomctl", dbname="analytics",
                             password=password, autocommit=True) as conn:  # fmt: skip
            conn.execute("create table kept (x int)")
            conn.execute("insert into kept values (42)")

        status = ecomctl("status", home=home)
        assert "running" in status.stdout and "PostgreSQL 18" in status.stdout
        assert password not in status.stdout + status.stderr

        ecomctl("down", home=home)
        down = ecomctl("status", home=home, check=False)
        assert down.returncode == 1
        assert "stopped" in down.stdout

        ecomctl("up", home=home)
        assert int((home / "postgres" / "port").read_text()) == port
        with psycopg.connect(host="127.0.0.1", port=port, user="ecomctl", dbname="analytics",
                             password=password) as conn:  # fmt: skip
            assert conn.execute("select x from kept").fetchone() == (42,)
    finally:
        ecomctl("down", home=home, check=False)


def test_wrong_password_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ecomctl("up", home=home)
    try:
        port = int((home / "postgres" / "port").read_text())
        try:
            psycopg.connect(host="127.0.0.1", port=port, user="ecomctl", dbname="analytics",
                            password="not-the-password", connect_timeout=5).close()  # fmt: skip
        except psycopg.OperationalError as exc:
            assert "password authentication failed" in str(exc)
        else:
            raise AssertionError("a wrong password was accepted")
    finally:
        ecomctl("down", home=home, check=False)


def test_rendered_dbt_profiles_hold_no_password(pipeline_home: Path, first_run: object) -> None:
    profiles = pipeline_home / "dbt" / "profiles.yml"
    password = (pipeline_home / "secrets" / "postgres_password").read_text().strip()
    text = profiles.read_text()
    assert password not in text
    gold = json.loads(text)["gold"]["outputs"]["embedded"]
    assert gold["attach"][0]["alias"] == "de_psql"


def test_a_port_taken_while_down_moves_the_server_and_says_so(tmp_path: Path) -> None:
    import socket

    home = tmp_path / "home"
    ecomctl("up", home=home)
    try:
        port_file = home / "postgres" / "port"
        old = int(port_file.read_text())
        ecomctl("down", home=home)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
            # As servers do: the stopped server's connections may linger in TIME_WAIT.
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            squatter.bind(("127.0.0.1", old))
            squatter.listen()
            moved = ecomctl("up", home=home)
        new = int(port_file.read_text())
        assert new != old
        assert (
            f"port {old} on 127.0.0.1 is taken by another program; now using {new}" in moved.stderr
        )
        assert _listening_addresses(new) == {"0100007F"}
    finally:
        ecomctl("down", home=home, check=False)


def test_query_tables_keep_values_whole_when_wider_than_the_screen(
    pipeline_home: Path, first_run: object
) -> None:
    # Six 32-character ids and a count: wider than the 200 columns ecomctl takes off a terminal.
    ids = ", ".join(f"{c} as {c}_{n}" for n in range(3) for c in ("order_id", "customer_id"))
    shown = ecomctl(
        "query", f"select {ids}, count(*) from orders group by all order by 1 limit 3",
        "--layer", "bronze", home=pipeline_home,
    ).stdout  # fmt: skip
    header, *rows = shown.splitlines()
    assert len(header.rstrip()) > 200
    assert header.split()[-1] == "count(*)"
    for row in rows:
        *values, count = row.split()
        assert [len(v) for v in values] == [32] * 6 and "…" not in row
        # A number is right-aligned under its header.
        assert len(row.rstrip()) == len(header.rstrip()) and count.isdigit()
