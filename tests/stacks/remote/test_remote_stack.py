"""The remote stack: endpoints the user already runs, probed by `status` and `up`, never managed.

PostgreSQL is real (the embedded server of a home where `ecomctl run` completed); Trino is the
protocol double of tests/trino_double.py, since no Trino can run here; the Spark endpoint is a
closed loopback port, which is what an unreachable server looks like.
"""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

from support.helpers import ecomctl
from support.trino_double import TrinoDouble

from ecomctl.transform import pipeline


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


def _remote_env(pipeline_home: Path, trino: TrinoDouble, spark_port: int) -> dict[str, str]:
    # The session's pipeline home serves as "your PostgreSQL": make sure it runs, whatever
    # the tests before this one did with it.
    ecomctl("up", home=pipeline_home)
    pg_port = (pipeline_home / "postgres" / "port").read_text().strip()
    password = (pipeline_home / "secrets" / "postgres_password").read_text().strip()
    return {
        "ECOMCTL_STACK": "remote",
        "ECOMCTL_TRINO_PORT": str(trino.port),
        "ECOMCTL_SPARK_PORT": str(spark_port),
        "ECOMCTL_PG_PORT": pg_port,
        "ECOMCTL_PG_PASSWORD": password,
    }


def test_status_probes_each_remote_endpoint_and_exits_1_when_one_is_unreachable(
    first_run: subprocess.CompletedProcess[str],
    pipeline_home: Path,
    trino_double: TrinoDouble,
    tmp_path: Path,
) -> None:
    env = _remote_env(pipeline_home, trino_double, _closed_port())
    proc = ecomctl("status", "--json", home=tmp_path, env=env, check=False)
    assert proc.returncode == 1
    services = {s["name"]: s for s in json.loads(proc.stdout)["services"]}
    assert services["trino"]["state"] == "running"
    assert services["trino"]["version"] == "Trino 476"
    assert services["spark-thrift"]["state"] == "unreachable"
    assert "refused" in services["spark-thrift"]["detail"].lower()
    assert services["postgres"]["state"] == "running", services["postgres"]
    assert services["postgres"]["version"].startswith("PostgreSQL 18")
    assert env["ECOMCTL_PG_PASSWORD"] not in proc.stdout + proc.stderr


def test_up_on_the_remote_stack_checks_the_endpoints_and_starts_nothing(
    first_run: subprocess.CompletedProcess[str],
    pipeline_home: Path,
    trino_double: TrinoDouble,
    tmp_path: Path,
) -> None:
    spark_port = _closed_port()
    env = _remote_env(pipeline_home, trino_double, spark_port)
    proc = ecomctl("up", home=tmp_path, env=env, check=False)
    assert proc.returncode == 3
    assert (
        proc.stderr.strip()
        .splitlines()[-1]
        .startswith(f"ecomctl: spark-thrift at thrift://127.0.0.1:{spark_port} does not answer:")
    )
    down = ecomctl("down", home=tmp_path, env=env)
    assert "not ecomctl's to stop" in down.stderr


def test_remote_endpoints_come_out_as_env_lines_without_the_password(
    pipeline_home: Path, first_run: subprocess.CompletedProcess[str], tmp_path: Path
) -> None:
    env = {
        "ECOMCTL_STACK": "remote",
        "ECOMCTL_TRINO_HOST": "127.0.0.1",
        "ECOMCTL_TRINO_HTTP_SCHEME": "https",
        "ECOMCTL_TRINO_PORT": "8443",
        "ECOMCTL_PG_PASSWORD": "s3cret-value",
        "ECOMCTL_TRINO_PASSWORD": "tr1no-value",
    }
    proc = ecomctl("status", "-o", "env", home=tmp_path, env=env, check=False)
    assert "ECOMCTL_TRINO_URL=https://127.0.0.1:8443" in proc.stdout
    assert "s3cret-value" not in proc.stdout + proc.stderr
    assert "tr1no-value" not in proc.stdout + proc.stderr


def test_the_rendered_remote_profiles_hold_no_password(tmp_path: Path) -> None:
    from ecomctl.settings import load_settings
    from ecomctl.stacks import get_stack

    stack = get_stack(load_settings(home=tmp_path, stack="remote", trino_password="tr1no-value"))
    text = pipeline.write_profiles(stack.paths.dbt, stack.dbt_target().profiles).read_text()
    assert "tr1no-value" not in text
    assert json.loads(text)["trino"]["outputs"]["remote"]["method"] == "ldap"
    assert stack.dbt_target().env == {"DBT_ENV_SECRET_TRINO_PASSWORD": "tr1no-value"}
