"""Clients of the lake stacks' engines (Trino, Spark Thrift) and of every PostgreSQL.

Each is a DB-API cursor behind a context manager, so row counts and queries read the same on
every engine. Client libraries are imported here, lazily, only when a command needs them.
"""

from __future__ import annotations

import json
import re
import socket
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecomctl import proc
from ecomctl.engines.endpoints import PgEndpoint, SparkEndpoint, TrinoEndpoint
from ecomctl.errors import EcomctlError, ExitStatus, ServiceDown, reason

PROBE_TIMEOUT = 3.0

# The server's version and uptime (seconds), for every stack's status of its PostgreSQL.
SERVER_FACTS_SQL = (
    "select current_setting('server_version'),"
    " extract(epoch from now() - pg_postmaster_start_time())::float8"
)


# A connection that failed or broke, as each client library says it (not a query's error).
_UNREACHABLE = ("TrinoConnectionError", "OperationalError", "TTransportException")

# How the client libraries say that nothing answers at the address (a login refused is not
# one of them: the server is there).
_NOBODY_THERE = {
    "connection refused": "connection refused",
    "errno 111": "connection refused",
    "could not connect to any of": "connection refused",  # thrift
    "timed out": "no answer",
    "timeout expired": "no answer",
    "name or service not known": "unknown host",
    "no route to host": "no route to host",
}


# How the Spark Thrift server prefixes a statement's error: the Java exception's class.
_SPARK_PREFIX = re.compile(r"^(?:Error running query: )?(?:[\w.$]+(?:Exception|Error): )?")


class StatementFailed(Exception):
    """A statement the server refused, in the server's own words (one message, no trace)."""


def spark_refusal(exc: BaseException) -> str | None:
    """What the Spark Thrift server said of a statement it refused (pyhive raises its whole
    Thrift response, traces and all); None for any other error."""
    status = getattr(exc.args[0] if exc.args else None, "status", None)
    said = getattr(status, "errorMessage", None)
    return _SPARK_PREFIX.sub("", said, count=1) if isinstance(said, str) and said else None


def unreachable(exc: BaseException) -> bool:
    if spark_refusal(exc) is not None:  # the server answered: a statement's error
        return False
    return isinstance(exc, OSError) or type(exc).__name__ in _UNREACHABLE


def nobody_there(exc: BaseException) -> str | None:
    """Why nothing answered (connection refused, no answer, ...), or None when something did."""
    text = str(exc).lower()
    return next((said for words, said in _NOBODY_THERE.items() if words in text), None)


def _failed(service: str, where: str, exc: BaseException) -> EcomctlError:
    """A failed connection: a service that is not there says how to start it (exit 3), any
    other failure (a login refused) names the service and the client's reason."""
    detail = nobody_there(exc)
    if detail is not None:
        return ServiceDown(service, where, detail)
    return EcomctlError(f"{service} at {where}: {reason(exc)}", ExitStatus.UNHEALTHY)


@contextmanager
def _connection(service: str, where: str, port: int, connect: Callable[[], Any]) -> Iterator[Any]:
    """A new connection, closed afterwards. A failed or broken connection names the service
    (exit 3); a statement's own error is the caller's to describe."""
    if port == 0:  # no port was ever chosen: this home never started the service
        raise ServiceDown(service, "", "never started in this home")
    try:
        conn = connect()
    except Exception as exc:
        raise _failed(service, where, exc) from exc
    try:
        yield conn
    except EcomctlError:
        raise
    except Exception as exc:
        refused = spark_refusal(exc)
        if refused is not None:
            raise StatementFailed(refused) from exc
        if unreachable(exc):
            raise _failed(service, where, exc) from exc
        raise
    finally:
        with suppress(Exception):  # closing a broken connection says nothing new
            conn.close()


@contextmanager
def _cursor(service: str, where: str, port: int, connect: Callable[[], Any]) -> Iterator[Any]:
    with _connection(service, where, port, connect) as conn:
        yield conn.cursor()


def trino(
    endpoint: TrinoEndpoint,
    catalog: str | None,
    schema: str | None = None,
    max_run_time: float | None = None,
) -> Any:
    """A cursor on Trino; max_run_time: seconds after which Trino fails a statement (a dead
    dependency it keeps retrying never holds ecomctl longer)."""
    import trino.dbapi
    from trino.auth import BasicAuthentication

    auth = (
        None if endpoint.password is None else BasicAuthentication(endpoint.user, endpoint.password)
    )
    return _cursor(
        "trino",
        endpoint.url(),
        endpoint.port,
        lambda: trino.dbapi.connect(  # type: ignore[no-untyped-call]
            host=endpoint.host,
            port=endpoint.port,
            user=endpoint.user,
            catalog=catalog,
            schema=schema,
            http_scheme=endpoint.scheme,
            auth=auth,
            # The CA that signed its certificate (ecomctl's own Trino: the home's), else the
            # system's; verified either way.
            http_session=_session(endpoint.ca_bundle),
            request_timeout=60,
            session_properties={}
            if max_run_time is None
            else {"query_max_run_time": trino_duration(max_run_time)},
        ),
    )


def trino_duration(seconds: float) -> str:
    """Seconds as a Trino duration session property ("90s")."""
    return f"{max(1, round(seconds))}s"


def _session(ca_bundle: Path | None) -> Any:
    """An HTTP session that verifies with ca_bundle (else the system's CAs). requests lets
    REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE replace a session's own CA: not this one's."""
    import requests

    class Pinned(requests.Session):
        def merge_environment_settings(self, *args: Any, **kwargs: Any) -> Any:
            settings = super().merge_environment_settings(*args, **kwargs)
            if ca_bundle is not None:
                settings["verify"] = str(ca_bundle)
            return settings

    return Pinned()


def spark(endpoint: SparkEndpoint) -> Any:
    import logging

    from pyhive import hive

    # thrift logs each refused connection itself, raw; ecomctl says it once, in its own words.
    logging.getLogger("thrift.transport.TSocket").setLevel(logging.CRITICAL)
    # With a password, a PLAIN SASL login that the server checks (its CUSTOM or LDAP mode).
    login: dict[str, Any] = (
        {} if endpoint.password is None else {"auth": "CUSTOM", "password": endpoint.password}
    )
    return _cursor(
        "spark-thrift",
        endpoint.url(),
        endpoint.port,
        lambda: hive.connect(
            host=endpoint.host, port=endpoint.port, username=endpoint.user, **login
        ),
    )


def postgres(endpoint: PgEndpoint, password: str | None) -> Any:
    """A cursor on PostgreSQL (autocommit)."""
    return _cursor("postgres", endpoint.url(), endpoint.port, _pg_connect(endpoint, password))


def postgres_connection(endpoint: PgEndpoint, password: str | None) -> Any:
    """A connection to PostgreSQL, for callers that set its transaction themselves."""
    return _connection("postgres", endpoint.url(), endpoint.port, _pg_connect(endpoint, password))


def _pg_connect(endpoint: PgEndpoint, password: str | None) -> Callable[[], Any]:
    import psycopg

    def connect() -> Any:
        return psycopg.connect(
            host=endpoint.host,
            port=endpoint.port,
            user=endpoint.user,
            dbname=endpoint.database,
            password=password,
            connect_timeout=int(PROBE_TIMEOUT),
            autocommit=True,
        )

    return connect


# A Trino just started can refuse a query's splits for a few seconds after its node is listed
# active (trinodb/trino#2214). Nothing has run when it says so, so asking again is safe.
_NOT_YET = "NO_NODES_AVAILABLE"
NOT_YET_SECONDS = 30.0


def fetch(cursor: Any, sql: str) -> list[tuple[Any, ...]]:
    not_yet: list[Exception] = []  # the last such answer, raised when the time is up

    def attempt() -> list[tuple[Any, ...]] | None:
        try:  # (Trino's client may report the error on fetching)
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
        except Exception as exc:
            if getattr(exc, "error_name", "") != _NOT_YET:
                raise
            not_yet[:] = [exc]
            return None

    rows = proc.poll_until(attempt, NOT_YET_SECONDS, every=1.0)
    if rows is None:
        raise not_yet[0]
    return rows


# -- probes: fast answers for `status`, never an exception ----------------------------------
@dataclass(frozen=True)
class Probe:
    ok: bool
    version: str = ""
    uptime_seconds: float | None = None
    detail: str = ""


def probe_trino(endpoint: TrinoEndpoint) -> Probe:
    try:
        context = None
        if endpoint.scheme == "https":
            import ssl

            cafile = str(endpoint.ca_bundle) if endpoint.ca_bundle else None
            context = ssl.create_default_context(cafile=cafile)
        with urllib.request.urlopen(
            f"{endpoint.url()}/v1/info", timeout=PROBE_TIMEOUT, context=context
        ) as resp:
            info = json.loads(resp.read())
    except Exception as exc:
        return Probe(False, detail=nobody_there(exc) or reason(exc))
    return trino_info(info)


def trino_info(info: dict[str, Any]) -> Probe:
    """What Trino's /v1/info answer says: its version, its uptime, and whether it is still
    starting (then it takes no queries)."""
    version = f"Trino {info.get('nodeVersion', {}).get('version', '?')}"
    if info.get("starting"):
        return Probe(False, version, detail="starting")
    return Probe(True, version, trino_uptime(str(info.get("uptime", ""))))


def probe_trino_query(endpoint: TrinoEndpoint) -> Probe:
    """Trino takes work on tables: a node has announced itself active to the scheduler.

    `select 1` is not enough: it runs on the coordinator alone, and answers seconds before
    the scheduler has a node for a catalog's splits (NO_NODES_AVAILABLE)."""
    info = probe_trino(endpoint)
    if not info.ok:
        return info
    try:
        with trino(endpoint, "system") as cur:
            rows = fetch(cur, "select count(*) from system.runtime.nodes where state = 'active'")
    except Exception as exc:
        return Probe(
            False, info.version, info.uptime_seconds, f"not taking queries yet: {reason(exc)}"
        )
    if not rows or not rows[0][0]:
        return Probe(False, info.version, info.uptime_seconds, "no active node yet")
    return info


def trino_uptime(text: str) -> float | None:
    """Seconds in a duration as Trino writes it ("1.23m", "4.56h", "850.00ms")."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit):
            try:
                return float(text[: -len(unit)]) * units[unit]
            except ValueError:
                return None
    return None


def probe_tcp(host: str, port: int) -> Probe:
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT):
            return Probe(True, detail="accepting connections")
    except OSError as exc:
        return Probe(False, detail=nobody_there(exc) or reason(exc))


def probe_postgres(endpoint: PgEndpoint, password: str | None) -> Probe:
    try:
        with postgres(endpoint, password) as cur:
            version, uptime = fetch(cur, SERVER_FACTS_SQL)[0]
    except Exception as exc:
        return Probe(False, detail=nobody_there(exc) or reason(exc))
    return Probe(True, f"PostgreSQL {version}", float(uptime))
