"""A native stack of the test session's own: the guide's engines as local processes, started
once through `ecomctl up --stack native` and shared by the native and remote stack tests.

The first start on a machine downloads Trino, the metastore and Spark's jars (about 1 GB) into
the user's cache (ECOMCTL_CACHE_DIR, else ~/.cache/ecomctl), shared with every later run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.helpers import ecomctl

NATIVE = {"ECOMCTL_STACK": "native"}
# A first start downloads about 1 GB; later ones take under a minute.
UP_TIMEOUT = 1800


def native(*args: str, home: Path, check: bool = True, env: dict[str, str] | None = None,
           timeout: float = 900) -> Any:  # fmt: skip
    return ecomctl(*args, home=home, env={**NATIVE, **(env or {})}, check=check, timeout=timeout)


def services(home: Path) -> dict[str, dict[str, Any]]:
    """`status --json` of the native stack, by service name."""
    doc = json.loads(native("status", "--json", home=home, check=False).stdout)
    return {s["name"]: s for s in doc["services"]}


def endpoints(home: Path) -> Any:
    """The home's native logins as ecomctl connects with them (Trino over HTTPS as ecomctl,
    with the home's CA; PostgreSQL; Spark), for what a test does from outside."""
    from ecomctl.runners.native.runner import NativeServices
    from ecomctl.settings import load_settings

    return NativeServices(load_settings(home=home, stack="native")).endpoints()


def pid_of(home: Path, service: str) -> int:
    record = json.loads((home / "native" / "run" / f"{service}.json").read_text())
    return int(record["pid"])


@pytest.fixture(scope="session")
def native_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home whose native stack is up (every service healthy)."""
    home = tmp_path_factory.mktemp("native") / "home"
    native("up", home=home, timeout=UP_TIMEOUT)
    try:
        yield home
    finally:
        native("down", home=home, check=False)


def remote_env(home: Path) -> dict[str, str]:
    """Settings that point `--stack remote` at this native stack's servers, as a user would
    point it at their own."""
    native_dir = home / "native"
    ports = json.loads((native_dir / "ports.json").read_text())
    secrets = native_dir / "secrets"
    return {
        "ECOMCTL_STACK": "remote",
        "ECOMCTL_TRINO_HOST": "127.0.0.1",
        "ECOMCTL_TRINO_PORT": str(ports["trino"]),
        # Its Trino takes passwords over HTTPS only, signed by the home's own CA.
        "ECOMCTL_TRINO_HTTP_SCHEME": "https",
        "ECOMCTL_TRINO_CA_BUNDLE": str(native_dir / "tls" / "trino-ca.pem"),
        "ECOMCTL_TRINO_USER": "ecomctl",
        "ECOMCTL_TRINO_PASSWORD": (secrets / "trino_password").read_text().strip(),
        "ECOMCTL_TRINO_READER_USER": "reader",
        "ECOMCTL_TRINO_READER_PASSWORD": (secrets / "trino_reader_password").read_text().strip(),
        "ECOMCTL_SPARK_HOST": "127.0.0.1",
        "ECOMCTL_SPARK_PORT": str(ports["spark-thrift"]),
        "ECOMCTL_SPARK_USER": "ecomctl",
        "ECOMCTL_SPARK_PASSWORD": (secrets / "spark_password").read_text().strip(),
        "ECOMCTL_SPARK_READER_USER": "reader",
        "ECOMCTL_SPARK_READER_PASSWORD": (secrets / "spark_reader_password").read_text().strip(),
        "ECOMCTL_PG_HOST": "127.0.0.1",
        "ECOMCTL_PG_PORT": (native_dir / "postgres" / "port").read_text().strip(),
        "ECOMCTL_PG_USER": "ecomctl",
        "ECOMCTL_PG_DATABASE": "analytics",
        "ECOMCTL_PG_PASSWORD": (secrets / "postgres_password").read_text().strip(),
        "ECOMCTL_S3_ENDPOINT": f"http://127.0.0.1:{ports['s3']}",
        "ECOMCTL_S3_ACCESS_KEY": "ecomctl",
        "ECOMCTL_S3_SECRET_KEY": (secrets / "s3_secret_key").read_text().strip(),
        "ECOMCTL_LAKE_BUCKET": "lake",
    }
