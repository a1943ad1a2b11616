"""One dbt invocation in a short-lived child process, summarised as plain data.

dbt keeps global state (flags, adapters, the manifest), so each layer runs in its own child
process; progress comes back through a queue from dbt's event callbacks.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecomctl.errors import EcomctlError, ExitStatus

FAILED = ("error", "fail", "runtime error")


@dataclass(frozen=True)
class NodeResult:
    unique_id: str
    name: str
    resource_type: str
    status: str
    seconds: float
    message: str = ""
    relation: str = ""  # the table's name, for row counts
    file: str = ""  # the model's or test's source file, relative to the project
    compiled_path: str = ""
    failures: int | None = None

    @property
    def failed(self) -> bool:
        return self.status in FAILED


@dataclass
class Invocation:
    command: str
    profile: str
    select: list[str]
    full_refresh: bool = False
    extra: list[str] = field(default_factory=list)


@dataclass
class DbtOutcome:
    success: bool
    adapter: str
    nodes: list[NodeResult]
    error: str = ""
    seconds: float = 0.0


Progress = Callable[[str, str, dict[str, Any]], None]


@dataclass(frozen=True)
class DbtContext:
    """Where the project is and how to reach the stack's databases."""

    project_dir: Path
    profiles_dir: Path
    work_dir: Path  # target and log folders live here, one per profile
    vars: dict[str, str]
    env: dict[str, str]

    def args(self, inv: Invocation) -> list[str]:
        import json

        target = self.work_dir / "target" / inv.profile
        args = [
            *inv.command.split(),
            "--project-dir", str(self.project_dir),
            "--profiles-dir", str(self.profiles_dir),
            "--profile", inv.profile,
            "--target-path", str(target),
            "--log-path", str(self.work_dir / "logs"),
            "--vars", json.dumps(self.vars),
        ]  # fmt: skip
        if inv.select:
            args += ["--select", *inv.select]
        if inv.full_refresh:
            args.append("--full-refresh")
        return args + inv.extra


def _summarise(result: Any, target: Path) -> list[NodeResult]:
    nodes: list[NodeResult] = []
    for r in getattr(result, "results", None) or []:
        node = r.node
        compiled = getattr(node, "compiled_path", None) or ""
        if compiled and not Path(compiled).is_absolute():
            compiled = str(target / Path(compiled).relative_to(Path(compiled).parts[0]))
        nodes.append(
            NodeResult(
                unique_id=node.unique_id,
                name=node.name,
                resource_type=str(node.resource_type),
                status=str(r.status),
                seconds=float(r.execution_time or 0.0),
                message=str(r.message or ""),
                relation=str(getattr(node, "alias", "") or node.name),
                file=str(getattr(node, "original_file_path", "") or ""),
                compiled_path=compiled,
                failures=getattr(r, "failures", None),
            )
        )
    return nodes


def _die_with_parent() -> None:
    """Linux: end this child when ecomctl dies, so a killed run leaves no dbt writing alone."""
    if sys.platform != "linux":
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _child(channel: Any, args: list[str], env: dict[str, str], target: str) -> None:
    _die_with_parent()
    os.environ.update(env)
    from dbt.cli.main import dbtRunner

    def on_event(event: Any) -> None:
        name = event.info.name
        if name == "NodeStart":
            info = event.data.node_info
            channel.put(("start", info.unique_id, {}))
        elif name == "NodeFinished":
            info = event.data.node_info
            run = event.data.run_result
            channel.put(
                ("finish", info.unique_id, {"status": run.status, "seconds": run.execution_time})
            )

    adapter = ""
    try:
        res = dbtRunner(callbacks=[on_event]).invoke(args)
        nodes = _summarise(res.result, Path(target))
        error = "" if res.exception is None else str(res.exception).strip()
        try:
            from dbt.adapters.factory import get_adapter_type_names

            adapter = ",".join(get_adapter_type_names(None))
        except Exception:  # the adapter name is informative only
            adapter = ""
        channel.put(("done", "", {"success": bool(res.success), "nodes": nodes, "error": error,
                                   "adapter": adapter}))  # fmt: skip
    except BaseException as exc:
        channel.put(("done", "", {"success": False, "nodes": [], "error": repr(exc),
                                   "adapter": adapter}))  # fmt: skip


# dbt phones home and checks its version online by default; there is no network to wait for.
_QUIET_ENV = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DO_NOT_TRACK": "1",
    "DBT_VERSION_CHECK": "false",
    "DBT_PRINTER_WIDTH": "100",
}


def invoke(ctx: DbtContext, inv: Invocation, progress: Progress | None = None) -> DbtOutcome:
    """Run one dbt command in a child process and wait for its summary."""
    args = [*ctx.args(inv), "--log-level", "none", "--log-level-file", "info"]
    target = ctx.work_dir / "target" / inv.profile
    spawn = mp.get_context("spawn")
    channel = spawn.Queue()
    env = {**_QUIET_ENV, **ctx.env}
    child = spawn.Process(target=_child, args=(channel, args, env, str(target)), daemon=True)
    started = time.monotonic()
    child.start()
    try:
        while True:
            try:
                kind, uid, data = channel.get(timeout=0.2)
            except queue.Empty:
                if not child.is_alive():
                    raise EcomctlError(
                        f"dbt {inv.command} ({inv.profile}) died with exit code {child.exitcode}"
                    ) from None
                continue
            if kind == "done":
                break
            if progress is not None:
                progress(kind, uid, data)
    except KeyboardInterrupt:
        child.terminate()
        child.join(10)
        raise EcomctlError("interrupted", ExitStatus.INTERRUPTED) from None
    child.join(30)
    return DbtOutcome(
        success=bool(data["success"]),
        adapter=str(data["adapter"]),
        nodes=list(data["nodes"]),
        error=str(data["error"]),
        seconds=time.monotonic() - started,
    )
