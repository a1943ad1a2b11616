"""How each service is protected, as `status` says it (its `protection` column): every text in
one place, so that what the tool claims and docs/reliability.md can be read side by side.

A text says what stands between another local user and the service, and plainly when
nothing does."""

from __future__ import annotations

import re

ANYONE = "none: any local user"

# The embedded stack, and the PostgreSQL of the native one.
DUCKDB = "a file in the home (0700; 0710 for the server's group under root): the owner's alone"
POSTGRES = "password (scram-sha-256), 127.0.0.1 only, no Unix socket"

# Trino and the Spark Thrift server as the native stack configures them.
TRINO_SECURED = "HTTPS + password, file access control"
SPARK_SECURED = "password (custom authenticator), no script transforms"
_SPARK_OPEN_MODES = {"NONE", "NOSASL"}

_S3_KEYS = "signed requests (S3 keys)"
_INTERNAL = "master, volume, filer ports"
_ONLY_OURS = "reachable by ecomctl's user only (iptables owner match)"


def reachable(why: str) -> str:
    return f"reachable by other local users ({why})"


def seaweed(isolated: str | None) -> str:
    """SeaweedFS: the S3 port checks signatures; the filer and volume servers check JWTs;
    the master and every gRPC port check nothing. isolated: None when the internal ports are
    isolated, else why not."""
    internal = _ONLY_OURS if isolated is None else reachable(f"no authentication; {isolated}")
    return f"{_S3_KEYS}; filer, volume: JWT; {_INTERNAL} and gRPC: {internal}"


MINIO = f"{_S3_KEYS}; console: login"


def metastore(isolated: str | None) -> str:
    """The Hive Metastore has no authentication Trino and Spark share but Kerberos."""
    return _ONLY_OURS if isolated is None else reachable(f"no authentication; {isolated}")


def trino_native(config_properties: str) -> str:
    """Trino from its rendered config.properties."""
    settings = _properties(config_properties)
    https = settings.get("http-server.https.enabled", "false").lower() == "true"
    password = "PASSWORD" in settings.get("http-server.authentication.type", "").upper()
    if https and password:
        return TRINO_SECURED
    if password:
        return "password over plain HTTP"
    return f"{ANYONE} (no authentication)"


def spark_native(configuration: str) -> str:
    """The Spark Thrift server from what it was started with (its command line, its
    configuration files): hive.server2.authentication."""
    setting = r"hive\.server2\.authentication\s*(?:=|</name>\s*<value>)\s*(\w+)"
    found = re.findall(setting, configuration)
    mode = found[-1].upper() if found else "NONE"
    if mode in _SPARK_OPEN_MODES:
        return f"{ANYONE}, under any name (no authentication)"
    return SPARK_SECURED if mode == "CUSTOM" else f"authentication {mode}"


# The compose stack's containers, as compose/compose.yaml makes them today. A port published
# on 127.0.0.1 is open to every local user; one that is not is still reached at its container
# address (the bridge network is routed on the host).
COMPOSE = {
    "minio": f"{MINIO}; published on 127.0.0.1",
    "minio-init": "one-shot job, no port",
    "postgres": "password (scram-sha-256); published on 127.0.0.1",
    "hive-metastore": reachable("no authentication; not published, at its container address"),
    "trino": f"{ANYONE} (no authentication; published on 127.0.0.1)",
    "spark-master": reachable("no authentication; UI on 127.0.0.1, RPC at its container address"),
    "spark-worker": reachable("no authentication; at its container address"),
    "spark-thrift": f"{ANYONE}, under any name (no authentication; published on 127.0.0.1)",
    "metabase": "its own login (made at the first visit); published on 127.0.0.1",
}


def compose(service: str) -> str:
    return COMPOSE.get(service, "see docs/compose.md")


# The remote stack: what the settings ask of the servers (their protection is their owners').
def remote_trino(scheme: str, password: bool) -> str:
    if scheme == "https" and password:
        return "HTTPS + password (your server's)"
    if password:
        return "password over plain HTTP: the password crosses the network in clear"
    return "no password configured"


def remote_spark(password: bool) -> str:
    return "credentials configured" if password else "no credentials configured"


def remote_postgres(password: bool) -> str:
    return "password" if password else "no password configured"


def _properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs if not k.lstrip().startswith("#")}
