"""The stacks, and the one place that knows them by name.

A stack is where each layer's engine is and who runs it:

    embedded  DuckDB in-process, gold in an embedded PostgreSQL server   EmbeddedStack
    native    Trino, Spark Thrift, PostgreSQL, S3 as local processes     LakeStack + NativeServices
    compose   Trino, Spark Thrift, PostgreSQL, S3 under Docker Compose   LakeStack + ComposeServices
    remote    your own Trino, Spark Thrift, PostgreSQL and S3            LakeStack + ProbeOnly

Everything else uses a stack through `Stack` (stacks/base.py).

Each branch imports its own stack's modules: a command loads one stack's runner, not all four
(the native and compose runners alone cost `status` about 40 ms).
"""

from __future__ import annotations

from ecomctl.settings import STACKS, Settings
from ecomctl.stacks.base import Stack


def get_stack(settings: Settings) -> Stack:
    name = settings.stack
    if name == "embedded":
        from ecomctl.stacks.embedded import EmbeddedStack

        return EmbeddedStack(settings)
    from ecomctl.stacks.lake import LakeStack

    if name == "native":
        from ecomctl.runners.native.runner import NativeServices

        native = NativeServices(settings)
        return LakeStack(name, settings, native.endpoints, native, own_lake=True)
    if name == "compose":
        from ecomctl.runners.compose import ComposeServices

        compose = ComposeServices(settings)
        return LakeStack(name, settings, compose.endpoints, compose, own_lake=True)
    if name == "remote":
        from ecomctl.engines import endpoints
        from ecomctl.runners.probe import ProbeOnly

        def yours() -> endpoints.LakeEndpoints:
            return endpoints.from_settings(settings)

        return LakeStack(name, settings, yours, ProbeOnly(yours))
    raise AssertionError(f"stack {name!r} is in settings.STACKS {STACKS} but has no factory")
