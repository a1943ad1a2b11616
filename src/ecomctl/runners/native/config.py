"""The native stack's own state under <home>/native/, apart from the services' data: the ports
chosen once and kept (ports.json), the generated secrets (secrets/, 0600) and the engines'
configuration rendered for local processes (conf/)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ecomctl import home
from ecomctl.runners import engine_conf, trino_auth
from ecomctl.runners.common import LOOPBACK, free_port, port_is_free, valid_port
from ecomctl.runners.engine_conf import EngineHosts
from ecomctl.settings import Settings

S3_USER = "ecomctl"
METASTORE_ROLE = "metastore"
# The Spark Thrift server's two logins (runners/native/java/ecomctl/spark/PasswordFiles.java):
# the pipeline's writer, and the read-only one `query` uses; each password in its own file.
SPARK_USER = "ecomctl"
SPARK_READER = "reader"
SPARK_PASSWORD_FILES = {SPARK_USER: "spark_password", SPARK_READER: "spark_reader_password"}
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
# security.toml's [jwt.signing], [jwt.signing.read], [jwt.filer_signing], [jwt.filer_signing.read]
WEED_JWT_KEYS = ("jwt_signing", "jwt_signing_read", "jwt_filer_signing", "jwt_filer_signing_read")
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


# Trino's clients log in with a password over HTTPS only: what `up` renders (and what `status`
# says of a home whose Trino was never started).
TRINO_LOGIN = (
    "http-server.https.enabled=true",
    "http-server.authentication.type=PASSWORD",
    "http-server.authentication.allow-insecure-over-http=false",
)


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
        # The JVMs decode their arguments (paths of the home) in the locale's encoding.
        return {"HOME": str(self.root), **base, "LC_ALL": "C.UTF-8", **extra}

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

    def weed_security(self) -> dict[str, str]:
        """SeaweedFS's own checks (its security.toml, as WEED_* variables): JWTs signed with
        keys of this home's, for writes and reads on the volume servers (issued by the master)
        and on the filer (issued by the S3 gateway), and no directory listing from the filer.
        The master's own API checks nothing: isolation.py keeps it to ecomctl's user."""
        keys = {
            f"WEED_{name.upper()}_KEY": self.secret(f"weed_{name}_key") or ""
            for name in WEED_JWT_KEYS
        }
        return {**keys, "WEED_FILER_EXPOSE_DIRECTORY_METADATA_ENABLED": "false"}

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
            held = json.loads(self.ports_file.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        if not isinstance(held, dict):
            return {}
        ports = {str(k): port for k, v in held.items() if (port := valid_port(v)) is not None}
        for name in sorted(set(map(str, held)) - set(ports)):
            notice = (
                f"{self.ports_file} held no port number for {name} ({held[name]!r}); choosing one"
            )
            if notice not in self.notices:
                self.notices.append(notice)
        return ports

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
            f"password-authenticator.name=file\nfile.password-file={_property(users)}\n"
        )
        (etc / "access-control.properties").write_text(
            "access-control.name=file\n"
            f"security.config-file={_property(self.conf / 'trino' / 'rules.json')}\n"
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
                    *TRINO_LOGIN,
                    f"http-server.https.port={ports['trino']}",
                    f"http-server.https.keystore.path={_property(self.trino_keystore)}",
                    "internal-communication.shared-secret=${ENV:TRINO_SHARED_SECRET}",
                    f"http-server.http.port={ports['trino-http']}",
                    f"discovery.uri=http://{LOOPBACK}:{ports['trino-http']}",
                    "password-authenticator.config-files="
                    + _property(etc / "password-authenticator.properties"),
                    f"access-control.config-files={_property(etc / 'access-control.properties')}",
                    "query.max-memory=1GB",
                    "query.max-memory-per-node=1GB",
                    "memory.heap-headroom-per-node=512MB",
                    "task.concurrency=2",
                    "task.max-worker-threads=8",
                    "catalog.management=static",
                    f"plugin.dir={_property(trino_plugins)}",
                    f"catalog.config-dir={_property(self.conf / 'trino' / 'catalog')}",
                    "",
                ]
            )
        )
        (etc / "log.properties").write_text("io.trino=INFO\n")


def unauthenticated_ports(ports: dict[str, int]) -> list[int]:
    """The ports of servers that check no credentials: the metastore, every SeaweedFS port
    but S3's own (the S3 gateway's gRPC one included), and Spark's driver and block manager."""
    unchecked = ("metastore", "s3-grpc", "spark-driver", "spark-blocks")
    return [port for name, port in ports.items() if name in unchecked or name.startswith("weed-")]


def _property(value: object) -> str:
    """A value for a Java .properties file, which Trino reads as ISO-8859-1: any other letter
    of a path (an accent in the home's) as a \\uXXXX escape, a backslash doubled."""
    text = str(value).replace("\\", "\\\\")
    utf16 = text.encode("utf-16-be")  # letters beyond U+FFFF as their two surrogates
    units = [int.from_bytes(utf16[i : i + 2]) for i in range(0, len(utf16), 2)]
    return "".join(chr(u) if u < 128 else f"\\u{u:04x}" for u in units)


def _port_names(minio: bool) -> list[str]:
    # Spark's driver and block manager listen too (local mode): on ports of ours, so that
    # isolation can keep them to ecomctl's user (they check no credentials).
    names = [
        "s3",
        "metastore",
        "trino",
        "trino-http",
        "spark-thrift",
        "spark-driver",
        "spark-blocks",
    ]
    if minio:
        names.append("s3-console")
    else:
        names += [f"weed-{p}" for p in WEED_PORTS] + [f"weed-{p}-grpc" for p in WEED_PORTS]
        names.append("s3-grpc")
    return names


def _service_of_port(name: str) -> str:
    if name.startswith("trino"):
        return "trino"
    if name.startswith("spark"):
        return "spark-thrift"
    return "s3" if name.startswith(("weed-", "s3")) else name


def _unused_port(taken: set[int]) -> int:
    while True:
        port = free_port()
        if port not in taken:
            return port
