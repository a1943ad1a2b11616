"""The native stack's own state under <home>/native/, apart from the services' data: the ports
chosen once and kept (ports.json), the generated secrets (secrets/, 0600) and the engines'
configuration rendered for local processes (conf/)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ecomctl import home
from ecomctl.runners import engine_conf, trino_auth
from ecomctl.runners.common import LOOPBACK, free_port, port_is_free
from ecomctl.runners.engine_conf import EngineHosts
from ecomctl.settings import Settings

S3_USER = "ecomctl"
METASTORE_ROLE = "metastore"
# The PostgreSQL role Trino's gold catalog (de_psql) logs in as: it owns schema gold of the
# analytics database and nothing else (no superuser, no other schema, no server files).
GOLD_WRITER_ROLE = "gold_writer"
# Secrets of Trino (files under secrets/, 0600): each login's password, the secret its nodes
# sign internal requests with, and gold's writer's PostgreSQL password.
TRINO_PASSWORDS = {
    trino_auth.WRITER: "trino_password",
    trino_auth.READER: "trino_reader_password",
}
TRINO_SHARED_SECRET = "trino_shared_secret"
GOLD_WRITER_SECRET = "gold_writer_password"
WEED_PORTS = ("master", "volume", "filer", "admin")
# log4j2 without the plugin-package scan of the tarball's file (6 s of CPU at every start).
_METASTORE_LOG4J = """status = WARN
name = EcomctlMetastore
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{ISO8601} %5p [%t] %c{2}: %m%n
rootLogger.level = INFO
rootLogger.appenderRefs = console
rootLogger.appenderRef.console.ref = console
"""


class NativeConfig:
    """Ports, secrets and configuration files of one home's native stack."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.paths.native
        self.secrets = self.root / "secrets"
        self.conf = self.root / "conf"
        self.ports_file = self.root / "ports.json"
        # Trino's certificate: its CA's (public, handed to clients) and the server's key (0600).
        self.tls = self.root / "tls"
        self.trino_ca = self.tls / "trino-ca.pem"
        self.trino_keystore = self.tls / "trino-server.pem"
        self.notices: list[str] = []  # moved ports, for the next `up` to tell

    # -- secrets: generated on first use, 0600 ------------------------------------------------
    def secret(self, name: str, create: bool = True) -> str | None:
        path = self.secrets / name
        if not create and not path.exists():
            return None
        return home.read_or_create(path)

    def env(self, **extra: str) -> dict[str, str]:
        """A service's environment: a plain base (no ecomctl settings), then its own secrets."""
        base = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ")}
        return {"HOME": str(self.root), **base, **extra}

    def lake_secrets(self) -> dict[str, str]:
        key = self.secret("s3_secret_key") or ""
        pg = self.secret("postgres_password") or ""
        return {
            # The names the engine configuration reads (conf/): the same on the compose stack.
            "MINIO_ROOT_USER": S3_USER,
            "MINIO_ROOT_PASSWORD": key,
            "AWS_ACCESS_KEY_ID": S3_USER,
            "AWS_SECRET_ACCESS_KEY": key,
            "AWS_REGION": self.settings.s3_region,
            "POSTGRES_USER": "ecomctl",
            "POSTGRES_PASSWORD": pg,
        }

    def trino_env(self) -> dict[str, str]:
        """What Trino's configuration reads from its environment (${ENV:...}): no superuser's
        password, only gold's writer's."""
        lake = {k: v for k, v in self.lake_secrets().items() if not k.startswith("POSTGRES_")}
        return {
            **lake,
            "GOLD_WRITER_USER": GOLD_WRITER_ROLE,
            "GOLD_WRITER_PASSWORD": self.secret(GOLD_WRITER_SECRET) or "",
            "TRINO_SHARED_SECRET": self.secret(TRINO_SHARED_SECRET) or "",
        }

    def trino_password(self, user: str, create: bool = False) -> str | None:
        return self.secret(TRINO_PASSWORDS[user], create)

    def trino_password_file(self, user: str) -> Path:
        return self.secrets / TRINO_PASSWORDS[user]

    # -- ports: chosen once per home, moved (and said) when another program took one --------
    def ports(self) -> dict[str, int]:
        try:
            return {str(k): int(v) for k, v in json.loads(self.ports_file.read_text()).items()}
        except (FileNotFoundError, ValueError):
            return {}

    def assign_ports(self, stopped: set[str], minio: bool) -> dict[str, int]:
        """Keep each remembered port; choose one for a new name, or for a stopped service
        whose port another program holds now (and say so: clients must change)."""
        ports = self.ports()
        for name in _port_names(minio):
            service = _service_of_port(name)
            old = ports.get(name)
            if old is not None and (service not in stopped or port_is_free(old)):
                continue
            ports[name] = _unused_port(set(ports.values()))
            if old is not None:
                self.notices.append(
                    f"{service}: port {old} on {LOOPBACK} is taken by another program;"
                    f" now using {ports[name]}"
                )
        self.root.mkdir(parents=True, exist_ok=True)
        self.ports_file.write_text(json.dumps(ports, indent=2) + "\n")
        return ports

    # -- the engines' configuration --------------------------------------------------------
    def render(self, ports: dict[str, int], postgres_port: int, trino_plugins: Path) -> None:
        """The engines' shared configuration, plus what only local processes need."""
        hosts = EngineHosts(
            metastore_host=LOOPBACK,
            metastore_port=ports["metastore"],
            metastore_bind_host=LOOPBACK,
            s3_endpoint=f"http://{LOOPBACK}:{ports['s3']}",
            postgres_host=LOOPBACK,
            postgres_port=postgres_port,
            lake_bucket=self.settings.lake_bucket,
        )
        engine_conf.render(self.conf, hosts)
        (self.conf / "hive" / "metastore-log4j2.properties").write_text(_METASTORE_LOG4J)
        etc = self.conf / "trino" / "etc"
        etc.mkdir(parents=True, exist_ok=True)
        trino_auth.ensure_certificate(self.trino_ca, self.trino_keystore)
        users = self.secrets / "trino_users.db"
        trino_auth.password_file(
            users, {user: self.secret(name) or "" for user, name in TRINO_PASSWORDS.items()}
        )
        (etc / "password-authenticator.properties").write_text(
            f"password-authenticator.name=file\nfile.password-file={users}\n"
        )
        (etc / "access-control.properties").write_text(
            f"access-control.name=file\nsecurity.config-file={self.conf / 'trino' / 'rules.json'}\n"
        )
        (etc / "config.properties").write_text(
            "\n".join(
                [
                    "coordinator=true",
                    "node-scheduler.include-coordinator=true",
                    # Clients: HTTPS with a password (Trino refuses passwords over plain HTTP).
                    # HTTP stays for the node's own internal requests, which it signs with the
                    # shared secret; a client's request there is refused (no authentication over
                    # insecure HTTP, Trino's default).
                    "http-server.https.enabled=true",
                    f"http-server.https.port={ports['trino']}",
                    f"http-server.https.keystore.path={self.trino_keystore}",
                    "http-server.authentication.type=PASSWORD",
                    "http-server.authentication.allow-insecure-over-http=false",
                    "internal-communication.shared-secret=${ENV:TRINO_SHARED_SECRET}",
                    f"http-server.http.port={ports['trino-http']}",
                    f"discovery.uri=http://{LOOPBACK}:{ports['trino-http']}",
                    f"password-authenticator.config-files={etc / 'password-authenticator.properties'}",
                    f"access-control.config-files={etc / 'access-control.properties'}",
                    "query.max-memory=1GB",
                    "query.max-memory-per-node=1GB",
                    "memory.heap-headroom-per-node=512MB",
                    "task.concurrency=2",
                    "task.max-worker-threads=8",
                    "catalog.management=static",
                    f"plugin.dir={trino_plugins}",
                    f"catalog.config-dir={self.conf / 'trino' / 'catalog'}",
                    "",
                ]
            )
        )
        (etc / "log.properties").write_text("io.trino=INFO\n")


def _port_names(minio: bool) -> list[str]:
    names = ["s3", "metastore", "trino", "trino-http", "spark-thrift"]
    if minio:
        names.append("s3-console")
    else:
        names += [f"weed-{p}" for p in WEED_PORTS] + [f"weed-{p}-grpc" for p in WEED_PORTS]
        names.append("s3-grpc")
    return names


def _service_of_port(name: str) -> str:
    if name.startswith("trino"):
        return "trino"
    return "s3" if name.startswith(("weed-", "s3")) else name


def _unused_port(taken: set[int]) -> int:
    while True:
        port = free_port()
        if port not in taken:
            return port
