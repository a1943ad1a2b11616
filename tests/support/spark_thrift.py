"""A real Spark Thrift server for the tests: no doubles, no mocks.

`spark_thrift_server` starts `HiveThriftServer2` with `spark-submit` from the pyspark wheel
(SPARK_HOME = the pyspark package folder; the wheel has no sbin start scripts), in local mode,
listening on 127.0.0.1 only, with a Derby metastore and a warehouse folder inside a temporary
folder. It is the engine a `remote` stack's `spark` profile (dbt-spark, method thrift) talks to.
Tables are plain Parquet: Iceberg and Delta jars cannot be fetched here.

If the server does not accept a PyHive connection in time, the fixture FAILS (it never skips)
and shows the last lines of the server's log.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HOST = "127.0.0.1"
USER = "ecomctl"
START_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0


@dataclass(frozen=True)
class SparkThrift:
    """Where the test server listens and keeps its state."""

    host: str
    port: int
    root: Path  # metastore, warehouse, scratch and log live here
    log: Path

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    def connect(self) -> Any:
        """A PyHive connection (dbt-spark's thrift method connects the same way)."""
        from pyhive import hive

        return hive.connect(host=self.host, port=self.port, username=USER)

    def execute(self, sql: str) -> list[tuple[Any, ...]]:
        """Run one statement on a fresh connection; rows when it returns any."""
        with closing(self.connect()) as conn, closing(conn.cursor()) as cur:
            cur.execute(sql)
            return [tuple(row) for row in cur.fetchall()] if cur.description else []

    def execute_all(self, statements: Iterable[str]) -> None:
        """Run statements in order on one connection (a Thrift session costs ~0.5 s to open)."""
        with closing(self.connect()) as conn, closing(conn.cursor()) as cur:
            for sql in statements:
                cur.execute(sql)

    def log_tail(self, lines: int = 60) -> str:
        if not self.log.exists():
            return "(no log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def server_command(home: Path, root: Path, port: int) -> list[str]:
    warehouse = root / "warehouse"
    metastore = root / "metastore_db"
    scratch = root / "scratch"
    # Derby writes derby.log into derby.system.home; keep it (and everything else) in root.
    java_options = f"-Dderby.system.home={root} -Djava.io.tmpdir={scratch}"
    conf = {
        "spark.master": "local[2]",
        "spark.app.name": "ecomctl-tests-thrift",
        # Loopback only, and no web UI: nothing listens beyond the Thrift port on 127.0.0.1.
        "spark.driver.bindAddress": HOST,
        "spark.driver.host": HOST,
        "spark.ui.enabled": "false",
        "spark.sql.warehouse.dir": str(warehouse),
        "spark.local.dir": str(scratch),
        "spark.driver.extraJavaOptions": java_options,
        # A test-sized data set on 2 cores: 200 shuffle partitions would be mostly overhead.
        "spark.sql.shuffle.partitions": "2",
        "spark.sql.adaptive.enabled": "true",
        # Timestamps in the lake carry no zone: read and print them as UTC wall-clock times,
        # the way DuckDB does, whatever the machine's zone.
        "spark.sql.session.timeZone": "UTC",
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={metastore};create=true"
        ),
    }
    hiveconf = {
        "hive.server2.thrift.bind.host": HOST,
        "hive.server2.thrift.port": str(port),
        "hive.server2.transport.mode": "binary",
        "hive.server2.authentication": "NONE",
        "hive.server2.enable.doAs": "false",
        "hive.metastore.warehouse.dir": str(warehouse),
        # Hive's other scratch folders default to java.io.tmpdir (= scratch, see above) with a
        # per-session name; a fixed name there races when dbt opens sessions in parallel.
        "hive.exec.scratchdir": str(scratch / "hive"),
    }
    cmd = [
        str(home / "bin" / "spark-submit"),
        "--class",
        "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
        "--name",
        "ecomctl-tests-thrift",
        "--driver-memory",
        "1g",
    ]
    for key, value in conf.items():
        cmd += ["--conf", f"{key}={value}"]
    for key, value in hiveconf.items():
        cmd += ["--hiveconf", f"{key}={value}"]
    return cmd


def _accepts_connections(server: SparkThrift) -> bool:
    # A plain TCP connect first: PyHive logs every refused attempt as an error.
    try:
        socket.create_connection((server.host, server.port), timeout=1.0).close()
    except OSError:
        return False
    try:
        return server.execute("select 1") == [(1,)]
    except Exception:  # listening, but not serving sessions yet
        return False


def start(
    root: Path, timeout: float = START_TIMEOUT
) -> tuple[SparkThrift, subprocess.Popen[bytes]]:
    """Start the server and wait until it answers a query; fail with its log otherwise."""
    home = spark_home()
    root.mkdir(parents=True, exist_ok=True)
    (root / "scratch").mkdir(exist_ok=True)
    server = SparkThrift(HOST, free_port(), root, root / "thriftserver.log")
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_LOCAL_IP": HOST,
        "SPARK_LOG_DIR": str(root),
        "SPARK_CONF_DIR": str(root / "conf"),  # none: no stray spark-defaults.conf applies
    }
    with server.log.open("wb") as log:
        # Own process group: spark-submit is a shell script that execs java, and stopping the
        # group reaches the JVM whatever the script did.
        proc = subprocess.Popen(
            server_command(home, root, server.port),
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"Spark Thrift server exited with {proc.returncode} before accepting "
                f"connections; last lines of {server.log}:\n{server.log_tail()}",
                pytrace=False,
            )
        if _accepts_connections(server):
            return server, proc
        time.sleep(1.0)
    tail = server.log_tail()  # before stopping: the shutdown would push the cause out of view
    stop(proc)
    pytest.fail(
        f"Spark Thrift server did not accept a connection on {HOST}:{server.port} within "
        f"{timeout:.0f} s; last lines of {server.log}:\n{tail}",
        pytrace=False,
    )


def stop(proc: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM the server's process group (the JVM shuts down cleanly), SIGKILL if it hangs."""
    if proc.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def spark_thrift_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkThrift]:
    """A real Spark Thrift server on 127.0.0.1 for the whole session, stopped at the end."""
    server, proc = start(tmp_path_factory.mktemp("spark_thrift"))
    try:
        yield server
    finally:
        stop(proc)
