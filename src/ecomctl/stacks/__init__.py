"""The stacks, and the one place that knows them by name.

A stack is where each layer's engine is and who runs it:

    embedded  DuckDB in-process, gold in an embedded PostgreSQL server   EmbeddedStack
    native    Trino, Spark Thrift, PostgreSQL, S3 as local processes     LakeStack + NativeServices
    compose   Trino, Spark Thrift, PostgreSQL, S3 under Docker Compose   LakeStack + ComposeServices
    remote    your own Trino, Spark Thrift, PostgreSQL and S3            LakeStack + ProbeOnly

Everything else uses a stack through `Stack` (stacks/base.py).
"""

from __future__ import annotations

from ecomctl.engines import endpoints
from ecomctl.services.compose import ComposeServices
from ecomctl.services.native import NativeServices
from ecomctl.services.probe import ProbeOnly
from ecomctl.settings import STACKS, Settings
from ecomctl.stacks.base import Stack
from ecomctl.stacks.embedded import EmbeddedStack
from ecomctl.stacks.lake import LakeStack


def get_stack(settings: Settings) -> Stack:
    name = settings.stack
    if name == "embedded":
        return EmbeddedStack(settings)
    if name == "native":
        native = NativeServices(settings)
        return LakeStack(name, settings, native.endpoints, native)
    if name == "compose":
        compose = ComposeServices(settings)
        return LakeStack(name, settings, compose.endpoints, compose)
    if name == "remote":

        def yours() -> endpoints.LakeEndpoints:
            return endpoints.from_settings(settings)

        return LakeStack(name, settings, yours, ProbeOnly(yours))
    raise AssertionError(f"stack {name!r} is in settings.STACKS {STACKS} but has no factory")
