"""Services someone else runs (the remote stack): probed, never started or stopped."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from ecomctl import protection
from ecomctl.engines import clients
from ecomctl.engines.endpoints import LakeEndpoints
from ecomctl.errors import EcomctlError, ExitStatus, ServiceDown
from ecomctl.layers import ENGINES_OF_LAYER
from ecomctl.results import ServiceStatus, State
from ecomctl.runners.base import Events, UpOptions

# The server of each engine. A layer's run needs its dbt profile's engine and the one where
# its rows are counted (layers.ENGINES_OF_LAYER).
SERVICE_OF_ENGINE = {"trino": "trino", "spark": "spark-thrift", "postgres": "postgres"}


class ProbeOnly:
    def __init__(self, endpoints: Callable[[], LakeEndpoints]) -> None:
        self.endpoints = endpoints

    def start(self, opts: UpOptions, events: Events) -> list[ServiceStatus]:
        """Check that the servers answer: all of them, or those the layers run on."""
        opts.refuse_custom("the remote stack's servers are yours")
        needed = {
            SERVICE_OF_ENGINE[engine]
            for layer in opts.layers or []
            for engine in ENGINES_OF_LAYER[layer].engines
        }
        found = self._probe(needed or None)
        down = [s for s in found if not s.healthy]
        if down:
            first = down[0]
            raise ServiceDown(first.name, first.endpoint, first.detail)
        return found

    def gone(self) -> dict[str, Path]:
        return {}  # no process of ecomctl's: a server that does not answer fails its probe

    def stop(self, remove_data: bool) -> tuple[bool, str]:
        return False, "remote stack: its servers are not ecomctl's to stop"

    def states(self) -> list[ServiceStatus]:
        return self._probe()

    def logs(self, service: str | None, tail: int, follow: bool) -> Iterator[str]:
        raise EcomctlError("remote stack: the logs are on your own servers", ExitStatus.USAGE)

    def _probe(self, names: set[str] | None = None) -> list[ServiceStatus]:
        """Probe the servers named (all when None); a probe waits PROBE_TIMEOUT at most."""
        where = self.endpoints()
        trino, spark, gold = where.trino, where.spark, where.gold
        probes: list[tuple[str, str, Callable[[], clients.Probe]]] = [
            ("trino", trino.url(), lambda: clients.probe_trino(trino)),
            ("spark-thrift", spark.url(), lambda: clients.probe_tcp(spark.host, spark.port)),
            ("postgres", gold.url(), lambda: clients.probe_postgres(gold, where.gold_password)),
        ]
        # What the settings ask of each server (SparkEndpoint carries a password once Spark
        # authentication lands; until then none is configured).
        asked = {
            "trino": protection.remote_trino(trino.scheme, trino.password is not None),
            "spark-thrift": protection.remote_spark(getattr(spark, "password", None) is not None),
            "postgres": protection.remote_postgres(where.gold_password is not None),
        }
        found = []
        for name, url, probe in probes:
            if names is not None and name not in names:
                continue
            p = probe()
            state: State = "running" if p.ok else "unreachable"
            found.append(
                ServiceStatus(name, state, url, p.version, p.uptime_seconds, p.detail, asked[name])
            )
        return found
