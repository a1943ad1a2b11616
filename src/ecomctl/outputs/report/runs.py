"""The report's parts on the home's runs: the last run, the dbt tests, and the history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from ecomctl.history import LayerRecord, RunRecord, latest
from ecomctl.outputs.report.parts import Part, Section, Table, count, duration, layout, when


def _change(before: int | None, after: int | None) -> str:
    if after is None:
        return "-"
    if before is None:
        return "NEW"
    return f"{after - before:+,}"


def _layer_status(layer: LayerRecord) -> str:
    if layer["skipped"]:
        return "skipped"
    counts = ", ".join(f"{k} {v}" for k, v in sorted(layer["status_counts"].items()))
    return ("ok" if layer["success"] else "FAILED") + (f" ({counts})" if counts else "")


def last_run(runs: list[RunRecord]) -> Section:
    built = latest(runs, "run", built=True)
    if built is None:
        return Section("Last run", "No `ecomctl run` that built models is recorded in this home.")
    newest = latest(runs, "run")
    text = (
        f"{when(built['started_at'])} UTC on the {built['stack']} stack: {built['status']}"
        f" in {duration(built['seconds'])} s."
    )
    if newest is not None and newest is not built and newest["up_to_date"]:
        text += f" The latest run, {when(newest['started_at'])} UTC, found everything up to date."
    layers = Table(
        ["layer", "status", "seconds", "nodes", "failures", "rows before", "rows after", "change"],
        [
            [
                lay["layer"],
                _layer_status(lay),
                duration(lay["seconds"]),
                count(lay["nodes"]),
                count(lay["failures"]),
                count(lay["rows_before"]),
                count(lay["rows_after"]),
                _change(lay["rows_before"], lay["rows_after"]),
            ]
            for lay in built["layers"]
        ],
    )
    models = Table(
        ["layer", "model", "rows before", "rows after", "change"],
        [
            [
                lay["layer"],
                m["name"],
                count(m["rows_before"]),
                count(m["rows_after"]),
                _change(m["rows_before"], m["rows_after"]),
            ]
            for lay in built["layers"]
            for m in lay["models"]
            if m["rows_before"] != m["rows_after"]
        ],
    )
    return Section("Last run", text, None, [layers, models] if models.rows else [layers])


def tests(runs: list[RunRecord]) -> Section:
    record = latest(runs, "test")
    if record is None:
        return Section(
            "dbt tests", "No `ecomctl test` is recorded in this home yet: it runs the dbt tests."
        )
    found = record["tests"]
    counts: dict[str, int] = defaultdict(int)
    for t in found:
        counts[t["status"]] += 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no tests ran"
    text = f"The latest `ecomctl test`, {when(record['started_at'])} UTC ({record['status']}): {summary}."
    failing_first = sorted(found, key=lambda t: (t["status"] in ("pass", "success"), t["layer"]))
    table = Table(
        ["layer", "test", "status", "failing rows", "message"],
        [
            [t["layer"], t["name"], t["status"], count(t["failures"]), t["message"]]
            for t in failing_first
        ],
    )
    return Section("dbt tests", text, None, [table] if found else [])


def _label(index: int, record: RunRecord) -> str:
    return f"{index}. {record['command']} {when(record['started_at'])[5:16]}"


def _layers_of(runs: Iterable[RunRecord]) -> list[str]:
    order = ("landing", "bronze", "silver", "gold")
    seen = {lay["layer"] for r in runs for lay in r["layers"]}
    return [x for x in order if x in seen] + sorted(seen - set(order))


def _by_layer(
    runs: list[RunRecord], layers: list[str], value: Callable[[LayerRecord], Any]
) -> dict[str, list[Any]]:
    """Per layer, its value in each run (None where the run did not run it)."""
    return {
        x: [next((value(lay) for lay in r["layers"] if lay["layer"] == x), None) for r in runs]
        for x in layers
    }


def _table_rows(layer: LayerRecord) -> int | None:
    """Rows in every table of the layer after the run; a record from before they were counted
    has only the rows of the models its run built."""
    return layer.get("table_rows", layer["rows_after"])


def history_part(runs: list[RunRecord]) -> Part:
    if not runs:
        return Part("History", [Section("Runs", "No run is recorded in this home yet.")])
    numbered = list(enumerate(runs, start=1))
    everything = Table(
        ["#", "started (UTC)", "command", "stack", "status", "exit", "seconds", "layers"],
        [
            [
                str(i),
                when(r["started_at"]),
                " ".join(r["args"]) or r["command"],
                r["stack"],
                r["status"] + (" (up to date)" if r["up_to_date"] else ""),
                "-" if r["exit_code"] is None else str(r["exit_code"]),
                duration(r["seconds"]),
                ", ".join(lay["layer"] for lay in r["layers"]),
            ]
            for i, r in numbered
        ],
    )
    worked = [(i, r) for i, r in numbered if r["layers"]]
    layers = _layers_of(r for _, r in worked)
    labels = [_label(i, r) for i, r in worked]
    sections = [Section("Runs", f"{len(runs)} recorded, oldest first.", None, [everything])]
    if worked:
        seconds = _by_layer([r for _, r in worked], layers, lambda lay: lay["seconds"])
        sections.append(_time_per_layer(labels, layers, seconds))
    rows = _by_layer([r for _, r in worked], layers, _table_rows)
    counted = [x for x in layers if any(v is not None for v in rows[x])]
    if counted:
        sections.append(_rows_per_layer(labels, counted, rows))
    return Part("History", sections)


def _time_per_layer(labels: list[str], layers: list[str], seconds: dict[str, list[Any]]) -> Section:
    import plotly.graph_objects as go

    timeline = go.Figure([go.Bar(name=x, x=labels, y=seconds[x]) for x in layers])
    layout(timeline, barmode="stack", yaxis_title="seconds", xaxis_title="run")
    table = Table(
        ["run", *layers],
        [[lab, *(duration(seconds[x][n]) for x in layers)] for n, lab in enumerate(labels)],
    )
    return Section(
        "Time per layer, run by run",
        "Each run's time in each layer it ran (seed: loading landing).",
        timeline,
        [table],
    )


def _rows_per_layer(labels: list[str], counted: list[str], rows: dict[str, list[Any]]) -> Section:
    import plotly.graph_objects as go

    growth = go.Figure(
        [
            go.Scatter(name=x, x=labels, y=rows[x], mode="lines+markers", connectgaps=True)
            for x in counted
        ]
    )
    layout(growth, yaxis_title="rows", xaxis_title="run")
    table = Table(
        ["run", *counted],
        [[lab, *(count(rows[x][n]) for x in counted)] for n, lab in enumerate(labels)],
    )
    return Section(
        "Rows per layer, run by run",
        "Rows in every table of each layer after the run, whether the run built it or not"
        " (runs recorded before that was counted show the rows of the models they built).",
        growth,
        [table],
    )
