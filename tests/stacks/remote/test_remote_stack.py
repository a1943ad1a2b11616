"""The remote stack: servers the user already runs, probed by `status` and `up`, never managed,
and the whole pipeline run on them. "Your servers" here are the native stack's real Trino,
Spark Thrift server, PostgreSQL and S3, reached only through the remote stack's settings."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from support.helpers import TEST_SCALE, ecomctl
from support.native import remote_env

from ecomctl.settings import load_settings
from ecomctl.stacks import get_stack
from ecomctl.transform import pipeline

pytestmark = pytest.mark.native


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


@pytest.fixture(scope="module")
def yours(native_home: Path) -> dict[str, str]:
    return remote_env(native_home)


def _services(proc: Any) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in json.loads(proc.stdout)["services"]}


def test_status_probes_each_server_and_exits_0_when_all_answer(
    yours: dict[str, str], tmp_path: Path
) -> None:
    proc = ecomctl("status", "--json", home=tmp_path, env=yours, check=False)
    found = _services(proc)
    assert proc.returncode == 0, found
    assert found["trino"]["version"] == "Trino 476"
    assert found["spark-thrift"]["detail"] == "accepting connections"
    assert found["postgres"]["version"].startswith("PostgreSQL 18")
    assert not (tmp_path / "native").exists()  # nothing of a native stack was made


def test_status_exits_1_naming_an_unreachable_server(yours: dict[str, str], tmp_path: Path) -> None:
    env = {**yours, "ECOMCTL_SPARK_PORT": str(_closed_port())}
    proc = ecomctl("status", "--json", home=tmp_path, env=env, check=False)
    found = _services(proc)
    assert proc.returncode == 1
    assert found["spark-thrift"]["state"] == "unreachable"
    assert "refused" in found["spark-thrift"]["detail"].lower()
    assert found["trino"]["state"] == found["postgres"]["state"] == "running"


def test_up_starts_nothing_and_exits_3_naming_the_server_that_does_not_answer(
    yours: dict[str, str], tmp_path: Path
) -> None:
    port = _closed_port()
    proc = ecomctl("up", home=tmp_path, env={**yours, "ECOMCTL_SPARK_PORT": str(port)}, check=False)
    assert proc.returncode == 3
    assert f"spark-thrift at thrift://127.0.0.1:{port} does not answer" in proc.stderr
    assert ecomctl("down", home=tmp_path, env=yours).returncode == 0


def test_endpoints_come_out_as_env_lines_without_a_secret(
    yours: dict[str, str], tmp_path: Path
) -> None:
    proc = ecomctl("status", "-o", "env", home=tmp_path, env=yours, check=False)
    assert f"ECOMCTL_TRINO_URL=https://127.0.0.1:{yours['ECOMCTL_TRINO_PORT']}" in proc.stdout
    assert f"ECOMCTL_TRINO_CA_BUNDLE={yours['ECOMCTL_TRINO_CA_BUNDLE']}" in proc.stdout
    secrets = ("ECOMCTL_PG_PASSWORD", "ECOMCTL_S3_SECRET_KEY", "ECOMCTL_TRINO_PASSWORD")
    for secret in (*secrets, "ECOMCTL_TRINO_READER_PASSWORD"):
        assert yours[secret] not in proc.stdout + proc.stderr


def test_the_rendered_profiles_hold_no_password(tmp_path: Path) -> None:
    stack = get_stack(load_settings(home=tmp_path, stack="remote", trino_password="tr1no-value"))
    text = pipeline.write_profiles(stack.paths.dbt, stack.dbt_target().profiles).read_text()
    assert "tr1no-value" not in text
    assert json.loads(text)["trino"]["outputs"]["remote"]["method"] == "ldap"
    assert stack.dbt_target().env == {"DBT_ENV_SECRET_TRINO_PASSWORD": "tr1no-value"}


def test_the_whole_pipeline_runs_on_your_servers(
    yours: dict[str, str], tmp_path: Path, native_home: Path
) -> None:
    # The native stack's own scale and seed: the lake's tables then hold the same rows.
    seeded = ecomctl("seed", "--scale", str(TEST_SCALE), "--json", home=tmp_path, env=yours)
    assert json.loads(seeded.stdout)["lake"]["location"] == "s3://lake/landing/"
    run = json.loads(ecomctl("run", "--json", home=tmp_path, env=yours).stdout)
    assert run["ok"] is True
    assert {layer["layer"]: layer["adapter"] for layer in run["layers"]} == {
        "bronze": "trino", "silver": "spark", "gold": "trino",
    }  # fmt: skip
    tested = json.loads(ecomctl("test", "--json", home=tmp_path, env=yours).stdout)
    assert tested["ok"] is True
    assert not (tmp_path / "native").exists() and not (tmp_path / "postgres").exists()
    secrets = (yours["ECOMCTL_PG_PASSWORD"], yours["ECOMCTL_S3_SECRET_KEY"])
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert not any(s.encode() in path.read_bytes() for s in secrets), path
