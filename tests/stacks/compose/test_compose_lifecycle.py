"""`ecomctl up / status / logs / down --stack compose` against a real Docker engine.

The engine and Compose are real (tests/support/dockerd.py); the services are stand-ins from
tests/stacks/compose/project/compose.test.yaml, one per behaviour (healthy at once, slow to become healthy,
never healthy, exiting, a one-shot job), because the stack's real images cannot be pulled here.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from support.helpers import ecomctl

pytestmark = pytest.mark.docker

TEST_COMPOSE = Path(__file__).parent / "project" / "compose.test.yaml"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _settings_env(engine: dict[str, str], **extra: str) -> dict[str, str]:
    return {
        **engine,
        "ECOMCTL_STACK": "compose",
        "ECOMCTL_COMPOSE_FILE": str(TEST_COMPOSE),
        "ECOMCTL_COMPOSE_PROJECT": f"t{uuid.uuid4().hex[:8]}",
        "ECOMCTL_TRINO_PORT": str(_free_port()),
        **extra,
    }


@contextmanager
def _own_stack(engine: dict[str, str], home: Path, **extra: str) -> Iterator[dict[str, str]]:
    """Settings for a compose project of the test's own, removed with its volumes after."""
    env = _settings_env(engine, **extra)
    try:
        yield env
    finally:
        ecomctl("down", "--volumes", "--yes", home=home, env=env, check=False)


def _docker(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        ["docker", *args], env={**os.environ, **env}, capture_output=True, text=True, check=True
    ).stdout


def _containers(env: dict[str, str], service: str | None = None) -> list[str]:
    labels = [f"label=com.docker.compose.project={env['ECOMCTL_COMPOSE_PROJECT']}"]
    if service is not None:
        labels.append(f"label=com.docker.compose.service={service}")
    return _docker(env, "ps", "-aq", *(f for label in labels for f in ("--filter", label))).split()


def _volumes(env: dict[str, str]) -> list[str]:
    return _docker(env, "volume", "ls", "-q").split()


def _inspect(env: dict[str, str], service: str) -> dict[str, object]:
    ids = _containers(env, service)
    assert len(ids) == 1, f"{service}: containers {ids}"
    state: dict[str, object] = json.loads(_docker(env, "inspect", ids[0]))[0]["State"]
    return state


def _time(value: object) -> datetime:
    # Docker prints nanoseconds; datetime takes microseconds.
    text = str(value).replace("Z", "+00:00")
    head, _, tail = text.partition(".")
    digits, _, zone = tail.partition("+")
    return datetime.fromisoformat(f"{head}.{digits[:6]}+{zone}")


@pytest.fixture(scope="module")
def running(
    docker_engine: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, dict[str, str], subprocess.CompletedProcess[str]]]:
    """One stack brought up by `ecomctl up`, shared by the tests that only look at it."""
    home = tmp_path_factory.mktemp("compose") / "home"
    env = _settings_env(docker_engine)
    proc = ecomctl("up", "--json", home=home, env=env, check=False, timeout=300)
    try:
        yield home, env, proc
    finally:
        ecomctl("down", "--volumes", "--yes", home=home, env=env, check=False)


def test_up_waits_until_every_service_is_healthy_and_the_one_shot_job_is_done(
    running: tuple[Path, dict[str, str], subprocess.CompletedProcess[str]],
) -> None:
    _, _, proc = running
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    states = {s["name"]: s["state"] for s in doc["services"]}
    assert states == {"fast": "running", "slow": "running", "init": "completed", "app": "running"}
    assert all(s["healthy"] for s in doc["services"])
    # Progress lines show the wait: slow turns healthy seconds after fast.
    assert "slow                 starting" in proc.stderr
    assert "slow                 running" in proc.stderr


def test_up_starts_services_in_dependency_order(
    running: tuple[Path, dict[str, str], subprocess.CompletedProcess[str]],
) -> None:
    _, env, _ = running
    fast, slow = _inspect(env, "fast"), _inspect(env, "slow")
    init, app = _inspect(env, "init"), _inspect(env, "app")
    assert init["ExitCode"] == 0
    assert _time(init["StartedAt"]) > _time(fast["StartedAt"])
    # app waits for the job to finish and for slow's health (about 4 s after its start).
    assert _time(app["StartedAt"]) >= _time(init["FinishedAt"])
    assert (_time(app["StartedAt"]) - _time(slow["StartedAt"])).total_seconds() >= 3.5


def test_status_json_and_env_describe_the_running_stack_without_secrets(
    running: tuple[Path, dict[str, str], subprocess.CompletedProcess[str]],
) -> None:
    home, env, _ = running
    status = ecomctl("status", "--json", home=home, env=env)
    doc = json.loads(status.stdout)
    assert doc["stack"] == "compose" and doc["healthy"] is True
    app = next(s for s in doc["services"] if s["name"] == "app")
    assert app["endpoint"] == f"127.0.0.1:{env['ECOMCTL_TRINO_PORT']}"
    assert app["uptime_seconds"] > 0
    shell = ecomctl("status", "-o", "env", home=home, env=env).stdout
    assert f"ECOMCTL_TRINO_URL=http://127.0.0.1:{env['ECOMCTL_TRINO_PORT']}" in shell
    secrets = [
        line.split("=", 1)[1]
        for line in (home / "compose" / ".env").read_text().splitlines()
        if "PASSWORD=" in line
    ]
    assert len(secrets) == 3  # PostgreSQL's, MinIO's, gold's writer's
    for secret in secrets:
        assert secret not in shell + status.stdout + status.stderr


def test_up_generates_the_env_file_once_private_to_its_owner(
    running: tuple[Path, dict[str, str], subprocess.CompletedProcess[str]],
) -> None:
    home, env, _ = running
    env_file = home / "compose" / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    before = env_file.read_text()
    again = ecomctl("up", home=home, env=env, timeout=300)  # idempotent: all already healthy
    assert again.returncode == 0
    assert env_file.read_text() == before


def test_logs_print_a_services_last_lines(
    running: tuple[Path, dict[str, str], subprocess.CompletedProcess[str]],
) -> None:
    home, env, _ = running
    one = ecomctl("logs", "slow", "--tail", "1", home=home, env=env)
    assert one.stdout.strip().splitlines() == ["slow ready"]
    everything = ecomctl("logs", "--json", home=home, env=env)
    lines = json.loads(everything.stdout)["lines"]
    assert any("fast ready" in line for line in lines)
    assert any("init done" in line for line in lines)


def test_timeout_keeps_the_containers_prints_the_log_tail_and_exits_3(
    docker_engine: dict[str, str],
    tmp_path: Path,
) -> None:
    with _own_stack(docker_engine, tmp_path) as env:
        proc = ecomctl("up", "--only", "slow", "--timeout", "1", home=tmp_path, env=env,
                       check=False, timeout=120)  # fmt: skip
        assert proc.returncode == 3, proc.stderr
        assert "ecomctl: slow: not healthy after 1 s" in proc.stderr
        assert "last log lines of slow:\nslow warming up" in proc.stderr
        assert _inspect(env, "slow")["Running"] is True  # kept for inspection


def test_a_never_healthy_service_fails_with_its_last_50_log_lines(
    docker_engine: dict[str, str],
    tmp_path: Path,
) -> None:
    with _own_stack(docker_engine, tmp_path, ECOMCTL_COMPOSE_PROFILES="broken") as env:
        proc = ecomctl("up", "--only", "never", "--timeout", "60", "--json", home=tmp_path,
                       env=env, check=False, timeout=120)  # fmt: skip
        assert proc.returncode == 3
        assert "never: unhealthy" in proc.stderr
        shown = [line for line in proc.stderr.splitlines() if line.startswith("never line")]
        assert shown == [f"never line {i}" for i in range(31, 81)]
        doc = json.loads(proc.stdout)
        assert doc["ok"] is False and doc["exit_code"] == 3


def test_a_service_that_exits_fails_up_with_its_exit_code_and_output(
    docker_engine: dict[str, str],
    tmp_path: Path,
) -> None:
    with _own_stack(docker_engine, tmp_path, ECOMCTL_COMPOSE_PROFILES="crash") as env:
        proc = ecomctl("up", "--only", "crash", home=tmp_path, env=env, check=False, timeout=120)
        assert proc.returncode == 3
        assert "ecomctl: crash: exited (exit code 3)" in proc.stderr
        assert "crash cannot open its config" in proc.stderr


def test_no_wait_returns_at_once_and_status_follows_until_healthy(
    docker_engine: dict[str, str],
    tmp_path: Path,
) -> None:
    with _own_stack(docker_engine, tmp_path) as env:
        started = ecomctl("up", "--no-wait", "--only", "slow", "--json", home=tmp_path, env=env)
        assert json.loads(started.stdout)["waited"] is False
        first = ecomctl("status", "--json", home=tmp_path, env=env, check=False)
        assert first.returncode == 1  # slow needs about 4 s
        for _ in range(60):
            later = ecomctl("status", "--json", home=tmp_path, env=env, check=False)
            slow = next(s for s in json.loads(later.stdout)["services"] if s["name"] == "slow")
            if slow["healthy"]:
                break
        assert slow["healthy"], later.stdout


def test_down_keeps_volumes_and_down_volumes_removes_them_only_when_confirmed(
    docker_engine: dict[str, str],
    tmp_path: Path,
) -> None:
    with _own_stack(docker_engine, tmp_path) as env:
        volume = f"{env['ECOMCTL_COMPOSE_PROJECT']}_data"
        ecomctl("up", "--only", "fast", home=tmp_path, env=env, timeout=120)
        down = ecomctl("down", home=tmp_path, env=env)
        assert _containers(env) == [], down.stderr
        assert volume in _volumes(env)
        refused = ecomctl("down", "--volumes", home=tmp_path, env=env, check=False)
        assert refused.returncode == 2 and "add --yes" in refused.stderr, refused.stderr
        assert volume in _volumes(env)
        removed = ecomctl("down", "--volumes", "--yes", home=tmp_path, env=env)
        assert volume not in _volumes(env), removed.stderr


def test_a_taken_host_port_fails_the_preflight_with_exit_4(
    docker_engine: dict[str, str],
    tmp_path: Path,
) -> None:
    env = _settings_env(docker_engine)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", int(env["ECOMCTL_TRINO_PORT"])))
        squatter.listen()
        proc = ecomctl("up", home=tmp_path, env=env, check=False, timeout=120)
    assert proc.returncode == 4
    port = env["ECOMCTL_TRINO_PORT"]
    assert f"port {port} on 127.0.0.1 (service app) is taken by another program" in proc.stderr
    assert _containers(env) == []  # nothing was started


def test_preflight_names_a_missing_docker_daemon_with_exit_4(
    compose_cli: dict[str, str],
    tmp_path: Path,
) -> None:
    env = {**compose_cli, "ECOMCTL_STACK": "compose", "DOCKER_HOST": f"unix://{tmp_path}/none.sock"}
    for command in ("up", "status", "logs", "down"):
        proc = ecomctl(command, home=tmp_path, env=env, check=False)
        assert proc.returncode == 4, command
        assert proc.stderr.strip().startswith(
            f"ecomctl: docker daemon not reachable at unix://{tmp_path}/none.sock"
        ), command
        assert len(proc.stderr.strip().splitlines()) == 1, command


def test_preflight_names_a_missing_docker_cli_with_exit_4(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    proc = ecomctl("up", "--stack", "compose", home=tmp_path / "home", env={"PATH": str(empty)},
                   check=False)  # fmt: skip
    assert proc.returncode == 4
    assert "ecomctl: docker CLI not found on PATH" in proc.stderr


def test_logs_follow_streams_until_stopped(
    running: tuple[Path, dict[str, str], subprocess.CompletedProcess[str]],
) -> None:
    home, env, _ = running
    cmd = [sys.executable, "-m", "ecomctl", "logs", "fast", "--follow", "--home", str(home)]
    follower = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env={**os.environ, **env})
    try:
        assert follower.stdout is not None
        deadline = time.monotonic() + 30
        line = ""
        while "fast ready" not in line and time.monotonic() < deadline:
            line = follower.stdout.readline()
        assert "fast ready" in line
        assert follower.poll() is None  # still following
    finally:
        follower.terminate()
        follower.wait(timeout=30)


def test_only_with_an_unknown_service_is_a_usage_error_naming_the_services(
    running: tuple[Path, dict[str, str], subprocess.CompletedProcess[str]],
) -> None:
    home, env, _ = running
    proc = ecomctl("up", "--only", "nope", home=home, env=env, check=False)
    assert proc.returncode == 2
    assert "--only 'nope': no such service (services: app, fast, init, slow)" in proc.stderr


def test_up_builds_a_missing_local_image_first_and_only_once(
    docker_engine: dict[str, str],
    tmp_path: Path,
) -> None:
    with _own_stack(docker_engine, tmp_path, ECOMCTL_COMPOSE_PROFILES="build") as env:
        first = ecomctl("up", "--only", "built", home=tmp_path, env=env, timeout=180)
        assert "building ecomctl-test/built:1 (first time only" in first.stderr
        logs = ecomctl("logs", "built", home=tmp_path, env=env)
        assert "made by the build" in logs.stdout
        again = ecomctl("up", "--only", "built", home=tmp_path, env=env, timeout=180)
        assert "building" not in again.stderr


def test_a_failed_build_exits_3_with_the_build_log_tail_and_starts_nothing(
    docker_engine: dict[str, str],
    tmp_path: Path,
) -> None:
    env = _settings_env(docker_engine, ECOMCTL_COMPOSE_PROFILES="badbuild")
    proc = ecomctl("up", "--only", "badbuild", home=tmp_path, env=env, check=False, timeout=180)
    assert proc.returncode == 3
    assert "ecomctl: badbuild: building its image failed:" in proc.stderr
    assert "download refused" in proc.stderr  # from the build's last log lines
    assert _containers(env) == []
