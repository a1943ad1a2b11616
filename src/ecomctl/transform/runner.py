"""dbt in one short-lived child process per ecomctl command, summarised as plain data.

dbt keeps global state (flags, adapters, the manifest), so it never runs in ecomctl's own
process: one child runs the layers' invocations in order (paying dbt's start-up once) and
sends progress back through a queue from dbt's event callbacks.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecomctl.errors import EcomctlError, Interrupted, cause

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

    @property
    def first_message(self) -> str:
        """The line of dbt's message that says why (the database's own words, past dbt's
        "Runtime Error in model ..." heading), or the status when there is none."""
        return cause(self.message, self.status)


@dataclass
class Invocation:
    command: str
    profile: str
    select: list[str]
    full_refresh: bool = False
    extra: list[str] = field(default_factory=list)
    # Invocations with the same non-empty group reuse one parsed manifest, parsed with one
    # profile of the group whatever the layers (so that the parse file left serves them all).
    parse_group: str = ""
    parse_profile: str = ""
    adapter: str = ""  # the profile's adapter type, reported with the outcome


@dataclass
class DbtOutcome:
    success: bool
    adapter: str
    nodes: list[NodeResult]
    error: str = ""
    seconds: float = 0.0
    unselected: str = ""  # dbt's words when the selection matched no node


Progress = Callable[[str, str, dict[str, Any]], None]


@dataclass(frozen=True)
class DbtContext:
    """Where the project is and how to reach the stack's databases."""

    project_dir: Path
    profiles_dir: Path
    work_dir: Path  # target and log folders live here, one per profile
    home: Path  # where the child works: the profiles' relative paths start there
    vars: dict[str, str]
    env: dict[str, str]

    def target(self, profile: str) -> Path:
        """dbt's target folder of a profile: its manifest, compiled SQL, run results."""
        return self.work_dir / "target" / profile

    def where(self) -> dict[str, Any]:
        """What the child needs before any dbt command: its environment and folder."""
        return {"env": self.env, "home": str(self.home)}

    def parse_target(self, group: str) -> Path:
        """Where a parse group's parse keeps its partial-parse file (no manifest.json)."""
        return self.work_dir / "parse" / group

    def args(self, inv: Invocation, target: Path | None = None) -> list[str]:
        """dbt's arguments for inv; target: another target folder than its profile's."""
        import json

        target = target or self.target(inv.profile)
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


def _release_duckdb() -> None:
    """Close dbt-duckdb's database (it keeps one open for the whole process), so that ecomctl
    can read the layer just built; dbt-duckdb opens it again for the next job."""
    connections = sys.modules.get("dbt.adapters.duckdb.connections")
    if connections is None:  # another adapter: nothing held
        return
    from dbt.adapters.factory import cleanup_connections

    # Each connection's cursor holds the database open too.
    cleanup_connections()  # type: ignore[no-untyped-call]
    manager = connections.DuckDBConnectionManager
    with manager._LOCK:
        if manager._ENV is not None:
            manager._ENV.close()
            manager._ENV = None


def _wait_for(control: Any) -> None:
    """Wait until ecomctl has read what the job built; end this process if it says stop."""
    if not control.get():
        sys.exit(143)


def _child(channel: Any, control: Any, env: dict[str, str]) -> None:
    """Import dbt, then do what ecomctl asks through control: parse the project ahead of the
    jobs (optional, repeatable), then run the jobs in order and end. One process pays dbt's
    start-up once for all of them; started before ecomctl knows its jobs, it imports dbt and
    parses while ecomctl does its own checks."""
    import signal

    _die_with_parent()
    # ecomctl decides when to stop: a terminal's Ctrl-C reaches it, and it ends this child
    # with SIGTERM, on which the child exits as Python does (releasing the semaphores dbt
    # made, which Python's resource tracker would otherwise warn about).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.environ.update(env)
    import logging

    # dbt's log file on a full disk: Python's logging would print a "--- Logging error ---"
    # traceback for every line dbt fails to write (hundreds); the run's own error says why.
    logging.raiseExceptions = False
    # The Trino client logs its missing keyring (for OAuth2, unused here) on every connection.
    logging.getLogger("trino.auth").setLevel(logging.WARNING)
    from dbt.cli.main import dbtRunner  # noqa: F401  (imported now, while ecomctl works)

    manifests: dict[str, Any] = {}
    while True:
        message = control.get()
        if not message:  # ecomctl needs no dbt after all
            return
        kind, payload = message
        os.environ.update(payload["env"])
        os.chdir(payload["home"])
        if kind == "parse":
            for group, args in payload["parses"].items():
                _parse(manifests, group, args)
            continue
        _run_jobs(channel, control if payload["wait"] else None, payload, manifests)
        _exit_now()


def _exit_now() -> None:
    """End as Python would (its exit handlers: dbt's logs flushed, the queue's last words sent,
    the semaphores released), without tearing down dbt's objects one by one (about 0.3 s at
    the end of a run, which ecomctl would wait for)."""
    import atexit

    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _parse(manifests: dict[str, Any], group: str, args: list[str]) -> None:
    """Profiles on one adapter type compile the project alike: parse once for all. A failed
    parse leaves no manifest: each job then parses itself, and reports why it failed."""
    from dbt.cli.main import dbtRunner

    if group in manifests:
        return
    parsed = dbtRunner().invoke(args)
    manifests[group] = parsed.result if parsed.success else None


def _run_jobs(
    channel: Any, resume: Any, payload: dict[str, Any], manifests: dict[str, Any]
) -> None:
    """Run the jobs in order. With resume, wait after each job until ecomctl has read what it
    built. dbt-duckdb's database is closed before the last word, so ecomctl can read the
    layers while this process ends."""
    from dbt.cli.main import dbtRunner

    unselected: list[str] = []

    def on_event(event: Any) -> None:
        name = event.info.name
        if name == "NoNodesForSelectionCriteria":
            unselected.append(str(event.info.msg))
        elif name == "LogStartLine":  # says how many nodes the job runs in all
            channel.put(("start", event.data.node_info.unique_id, {"total": event.data.total}))
        elif name == "NodeFinished":
            run = event.data.run_result
            channel.put(
                (
                    "finish",
                    event.data.node_info.unique_id,
                    {"status": run.status, "seconds": run.execution_time},
                )
            )

    for index, job in enumerate(payload["jobs"]):
        channel.put(("begin", str(index), {}))
        unselected.clear()
        started = time.monotonic()
        try:
            group = job["parse_group"]
            if group:
                _parse(manifests, group, job["parse_args"])
            runner = dbtRunner(manifest=manifests.get(group), callbacks=[on_event])
            res = runner.invoke(job["args"])
            nodes = _summarise(res.result, Path(job["target"]))
            error = "" if res.exception is None else str(res.exception).strip()
            success = bool(res.success) and not any(n.failed for n in nodes)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            nodes, error, success = [], repr(exc), False
        summary = {"success": success, "nodes": nodes, "error": error,
                   "adapter": job["adapter"], "seconds": time.monotonic() - started,
                   "unselected": " ".join(unselected)}  # fmt: skip
        if resume is not None:
            _release_duckdb()  # before "done": ecomctl reads the database as soon as it hears
        channel.put(("done", str(index), summary))
        if resume is not None:
            _wait_for(resume)
        if not success and not payload["keep_going"]:
            break
    _release_duckdb()
    channel.put(("end", "", {}))


# dbt phones home and checks its version online by default; there is no network to wait for.
_QUIET_ENV = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DO_NOT_TRACK": "1",
    "DBT_VERSION_CHECK": "false",
    "DBT_PRINTER_WIDTH": "100",
}
_QUIET = ["--log-level", "none", "--log-level-file", "info"]


class DbtChild:
    """dbt's child process, started before ecomctl knows what to run: Python's start and dbt's
    imports (about 1.8 s) and the project's parse then overlap ecomctl's own work (the
    services, landing, row counts). Close it (or leave the `with` block) to end it."""

    def __init__(self) -> None:
        spawn = mp.get_context("spawn")
        self._channel: Any = spawn.Queue()
        self._control: Any = spawn.Queue()
        self._process = spawn.Process(
            target=_child, args=(self._channel, self._control, _QUIET_ENV), daemon=True
        )
        self._process.start()
        self._ran = self._finished = False

    def __enter__(self) -> DbtChild:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def parse(self, ctx: DbtContext, invocations: list[Invocation]) -> None:
        """Parse the project for the invocations' parse groups now, ahead of their run."""
        parses = {inv.parse_group: _parse_args(ctx, inv) for inv in invocations if inv.parse_group}
        if parses:
            self._control.put(("parse", {**ctx.where(), "parses": parses}))

    def run(
        self,
        ctx: DbtContext,
        invocations: list[Invocation],
        progress: Progress | None = None,
        on_begin: Callable[[int], None] | None = None,
        keep_going: bool = False,
        on_done: Callable[[int, DbtOutcome], None] | None = None,
        check: Callable[[], None] | None = None,
    ) -> list[DbtOutcome | None]:
        """Run dbt commands in order; None for those not run because an earlier one failed
        (unless keep_going). on_done is called as each command ends, while the child waits
        (its databases closed), so it may read what the command built. check is called
        while dbt works (several times a second): what it raises (a service that died) ends
        the child and the run. Once only."""
        assert not self._ran, "a dbt child runs one list of jobs"
        self._ran = True
        jobs = [
            {
                "args": [*ctx.args(inv), *_QUIET],
                "parse_args": _parse_args(ctx, inv),
                "parse_group": inv.parse_group,
                "adapter": inv.adapter,
                "target": str(ctx.target(inv.profile)),
            }
            for inv in invocations
        ]
        payload = {**ctx.where(), "jobs": jobs, "keep_going": keep_going,
                   "wait": on_done is not None}  # fmt: skip
        self._control.put(("run", payload))
        outcomes: list[DbtOutcome | None] = [None] * len(invocations)
        try:
            while True:
                if check is not None:
                    self._checked(check)
                try:
                    kind, key, data = self._channel.get(timeout=0.2)
                except queue.Empty:
                    if not self._process.is_alive():
                        code = self._process.exitcode
                        raise EcomctlError(f"dbt died with exit code {code}") from None
                    continue
                if kind == "end":
                    self._finished = True
                    break
                if kind == "begin" and on_begin is not None:
                    on_begin(int(key))
                elif kind == "done":
                    outcome = outcomes[int(key)] = DbtOutcome(
                        success=bool(data["success"]),
                        adapter=str(data["adapter"]),
                        nodes=list(data["nodes"]),
                        error=str(data["error"]),
                        seconds=float(data["seconds"]),
                        unselected=str(data["unselected"]),
                    )
                    if on_done is not None:
                        on_done(int(key), outcome)
                        self._control.put(True)
                elif progress is not None:
                    progress(kind, key, data)
        except KeyboardInterrupt as stopped:
            # The interrupted frames (a queue's get() among them) would hold the queues.
            traceback.clear_frames(stopped.__traceback__)
            self.close()
            raise Interrupted(outcomes) from None
        return outcomes

    def _checked(self, check: Callable[[], None]) -> None:
        """check(); what it raises ends the child first (its statements wait on nothing)."""
        try:
            check()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """End the child. Done with its jobs, it ends by itself. Waiting between jobs, it is
        told to stop. Before its jobs (importing, parsing or waiting) it is terminated at once:
        SIGTERM ends it in each of those. Busy in a job, it is terminated, then killed."""
        child = self._process
        if child.is_alive() and not self._finished:
            self._control.put(False)
            if self._ran:
                child.join(2)
            if child.is_alive():
                child.terminate()
        child.join(30 if self._finished else 10)
        if child.is_alive():  # busy in a call that does not return soon
            child.kill()
            child.join(10)
        # Let go of the queues now: their semaphores are released only when they are
        # collected, and Python's resource tracker warns at exit about any still held.
        for held in (self._channel, self._control):
            held.close()
            held.join_thread()


def _parse_args(ctx: DbtContext, inv: Invocation) -> list[str]:
    """A parse writes only its partial-parse file, in a target folder of its own: the jobs'
    manifests (what the next run compares with) stay the last run's until a job writes."""
    parse = Invocation("parse", inv.parse_profile or inv.profile, [], extra=["--no-write-json"])
    return [*ctx.args(parse, ctx.parse_target(inv.parse_group)), *_QUIET]


def invoke(ctx: DbtContext, inv: Invocation, progress: Progress | None = None) -> DbtOutcome:
    """Run one dbt command in a child process and wait for its summary."""
    with DbtChild() as child:
        (outcome,) = child.run(ctx, [inv], progress)
    assert outcome is not None
    return outcome
