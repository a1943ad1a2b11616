"""`ecomctl report`: one self-contained HTML file with gold as charts and tables, the last run,
the dbt tests' results and the history of the home's runs.

Self-contained: plotly's JavaScript is inlined once and nothing is fetched, so the file opens
anywhere, offline, and can be mailed or archived as it is. Gold is read through a query
function (a stack's `query` on gold), so this module knows SQL and gold's tables, never a stack.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from ecomctl.engines.sql import QueryResult
from ecomctl.history import LayerRecord, RunRecord, latest
from ecomctl.home import write_private

Query = Callable[[str], QueryResult]

# The gold tables the report reads (dbt/models/gold/).
GOLD_TABLES = (
    "sales_values_by_category",
    "sales_by_customer_state",
    "delivery_performance_monthly",
    "payment_type_mix",
    "review_score_by_category",
)
TOP_CATEGORIES = 8  # more stacked colours than this and no one can tell them apart
TOP_REVIEWED = 15


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Section:
    title: str
    text: str = ""  # a sentence under the title
    figure: Any = None  # a plotly figure, None for a table alone
    tables: list[Table] = field(default_factory=list)


@dataclass(frozen=True)
class Part:
    title: str
    sections: list[Section]


# -- values as shown ------------------------------------------------------------------------
def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float | Decimal) else 0.0


def _money(value: Any) -> str:
    return f"{_number(value):,.2f}"


def _count(value: Any) -> str:
    return "-" if value is None else f"{int(value):,}"


def _share(value: Any) -> str:
    return "-" if value is None else f"{100 * _number(value):.1f}%"


def _fixed(value: Any, digits: int = 1) -> str:
    return "-" if value is None else f"{_number(value):.{digits}f}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _when(iso: str) -> str:
    """A record's UTC time, to the second."""
    return iso[:19].replace("T", " ") if iso else "-"


def _records(result: QueryResult) -> list[dict[str, Any]]:
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


# -- gold ----------------------------------------------------------------------------------
def _layout(fig: Any, **axes: Any) -> Any:
    style = {
        "template": "plotly_white",
        "height": 420,
        "margin": {"l": 60, "r": 30, "t": 30, "b": 60},
        "legend": {"orientation": "h", "y": -0.18},
    }
    fig.update_layout(**{**style, **axes})
    return fig


def revenue_by_category(query: Query) -> Section:
    import plotly.graph_objects as go

    rows = _records(query("select monthly, category, total_sales from sales_values_by_category"))
    totals: dict[str, float] = defaultdict(float)
    for row in rows:
        totals[str(row["category"])] += _number(row["total_sales"])
    top = sorted(totals, key=lambda c: -totals[c])[:TOP_CATEGORIES]
    by_month: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        category = str(row["category"])
        by_month[str(row["monthly"])][category if category in top else "other"] += _number(
            row["total_sales"]
        )
    months = sorted(by_month)
    shown = top + (["other"] if len(totals) > len(top) else [])
    # "other" in grey: a sum of many categories, not one to compare with the rest
    colour = {"other": "#bcccdc"}
    fig = go.Figure(
        [
            go.Bar(name=c, x=months, y=[by_month[m][c] for m in months], marker_color=colour.get(c))
            for c in shown
        ]
    )
    _layout(fig, barmode="stack", yaxis_title="revenue (R$)", xaxis_title="month of purchase")
    table = Table(
        ["month", *shown, "total"],
        [
            [m, *(_money(by_month[m][c]) for c in shown), _money(sum(by_month[m].values()))]
            for m in months
        ],
    )
    return Section(
        "Monthly revenue by category",
        f"Items of delivered orders, price plus freight; the {len(top)} categories with the most"
        ' revenue, the others together as "other".',
        fig,
        [table],
    )


def revenue_by_state(query: Query) -> Section:
    import plotly.graph_objects as go

    rows = _records(
        query(
            "select customer_state, total_sales, total_bills, customers, values_per_bills"
            " from sales_by_customer_state order by total_sales desc"
        )
    )
    states = [str(r["customer_state"]) for r in rows]
    fig = go.Figure([go.Bar(x=states, y=[_number(r["total_sales"]) for r in rows])])
    _layout(fig, yaxis_title="revenue (R$)", xaxis_title="customer state")
    table = Table(
        ["state", "revenue (R$)", "orders", "customers", "revenue per order (R$)"],
        [
            [
                s,
                _money(r["total_sales"]),
                _count(r["total_bills"]),
                _count(r["customers"]),
                _money(r["values_per_bills"]),
            ]
            for s, r in zip(states, rows, strict=True)
        ],
    )
    return Section(
        "Revenue by customer state", "Delivered orders, by the customer's state.", fig, [table]
    )


def delivery_by_month(query: Query) -> Section:
    import plotly.graph_objects as go

    rows = _records(
        query(
            "select monthly, delivered_orders, on_time_rate, avg_days_to_deliver,"
            " avg_days_estimated from delivery_performance_monthly order by monthly"
        )
    )
    months = [str(r["monthly"]) for r in rows]

    def delay(row: dict[str, Any]) -> float | None:
        if row["avg_days_to_deliver"] is None or row["avg_days_estimated"] is None:
            return None
        return _number(row["avg_days_to_deliver"]) - _number(row["avg_days_estimated"])

    share = [None if r["on_time_rate"] is None else 100 * _number(r["on_time_rate"]) for r in rows]
    fig = go.Figure(
        [
            go.Bar(name="on time (%)", x=months, y=share, marker_color="#9fb3c8"),
            go.Scatter(
                name="average delay (days)",
                x=months,
                y=[delay(r) for r in rows],
                yaxis="y2",
                mode="lines+markers",
                marker_color="#d64545",
            ),
        ]
    )
    _layout(
        fig,
        yaxis={"title": {"text": "delivered on time (%)"}, "range": [0, 100]},
        yaxis2={
            "title": {"text": "days after the promised date"},
            "overlaying": "y",
            "side": "right",
            "zeroline": True,
        },
        xaxis_title="month of purchase",
    )
    table = Table(
        [
            "month",
            "delivered orders",
            "on time",
            "days to deliver",
            "days promised",
            "average delay (days)",
        ],
        [
            [
                m,
                _count(r["delivered_orders"]),
                _share(r["on_time_rate"]),
                _fixed(r["avg_days_to_deliver"]),
                _fixed(r["avg_days_estimated"]),
                _fixed(delay(r)),
            ]
            for m, r in zip(months, rows, strict=True)
        ],
    )
    return Section(
        "Delivery performance by month",
        "Delivered orders by month of purchase: the share delivered by the promised date, and"
        " how many days after it they arrived on average (below zero: early).",
        fig,
        [table],
    )


def payment_mix(query: Query) -> Section:
    import plotly.graph_objects as go

    rows = _records(
        query(
            "select payment_type, sum(payments_count) as payments, sum(payment_value) as paid,"
            " sum(avg_installments * payments_count) as installments"
            " from payment_type_mix group by payment_type order by paid desc"
        )
    )
    total = sum(_number(r["paid"]) for r in rows) or 1.0
    kinds = [str(r["payment_type"]) for r in rows]
    fig = go.Figure(
        [go.Pie(labels=kinds, values=[_number(r["paid"]) for r in rows], hole=0.4, sort=False)]
    )
    _layout(fig)
    table = Table(
        ["payment type", "payments", "value (R$)", "share of value", "average installments"],
        [
            [
                k,
                _count(r["payments"]),
                _money(r["paid"]),
                _share(_number(r["paid"]) / total),
                _fixed(_number(r["installments"]) / max(_number(r["payments"]), 1.0)),
            ]
            for k, r in zip(kinds, rows, strict=True)
        ],
    )
    return Section(
        "Payment type mix", "Every payment, by the value paid with each type.", fig, [table]
    )


def review_by_category(query: Query) -> Section:
    import plotly.graph_objects as go

    rows = _records(
        query(
            "select category, reviewed_orders, avg_review_score, one_star_share, five_star_share"
            " from review_score_by_category order by reviewed_orders desc, category"
        )
    )[:TOP_REVIEWED]
    shown = list(reversed(rows))  # the most reviewed at the top of a horizontal bar chart
    fig = go.Figure(
        [
            go.Bar(
                x=[_number(r["avg_review_score"]) for r in shown],
                y=[str(r["category"]) for r in shown],
                orientation="h",
            )
        ]
    )
    _layout(fig, xaxis={"title": {"text": "average review score"}, "range": [1, 5]}, height=520)
    table = Table(
        ["category", "reviewed orders", "average score", "1 star", "5 stars"],
        [
            [
                str(r["category"]),
                _count(r["reviewed_orders"]),
                _fixed(r["avg_review_score"], 2),
                _share(r["one_star_share"]),
                _share(r["five_star_share"]),
            ]
            for r in rows
        ],
    )
    return Section(
        "Review score by category",
        f"The {len(rows)} categories with the most reviewed orders; an order counts once per"
        " category it bought from.",
        fig,
        [table],
    )


def gold_part(query: Query) -> Part:
    sections = [
        revenue_by_category(query),
        revenue_by_state(query),
        delivery_by_month(query),
        payment_mix(query),
        review_by_category(query),
    ]
    return Part("Gold", sections)


# -- runs ----------------------------------------------------------------------------------
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
        f"{_when(built['started_at'])} UTC on the {built['stack']} stack: {built['status']}"
        f" in {_seconds(built['seconds'])} s."
    )
    if newest is not None and newest is not built and newest["up_to_date"]:
        text += f" The latest run, {_when(newest['started_at'])} UTC, found everything up to date."
    layers = Table(
        ["layer", "status", "seconds", "nodes", "failures", "rows before", "rows after", "change"],
        [
            [
                lay["layer"],
                _layer_status(lay),
                _seconds(lay["seconds"]),
                _count(lay["nodes"]),
                _count(lay["failures"]),
                _count(lay["rows_before"]),
                _count(lay["rows_after"]),
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
                _count(m["rows_before"]),
                _count(m["rows_after"]),
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
    text = f"The latest `ecomctl test`, {_when(record['started_at'])} UTC ({record['status']}): {summary}."
    failing_first = sorted(found, key=lambda t: (t["status"] in ("pass", "success"), t["layer"]))
    table = Table(
        ["layer", "test", "status", "failing rows", "message"],
        [
            [t["layer"], t["name"], t["status"], _count(t["failures"]), t["message"]]
            for t in failing_first
        ],
    )
    return Section("dbt tests", text, None, [table] if found else [])


def _label(index: int, record: RunRecord) -> str:
    return f"{index}. {record['command']} {_when(record['started_at'])[5:16]}"


def _layers_of(runs: Iterable[RunRecord]) -> list[str]:
    order = ("landing", "bronze", "silver", "gold")
    seen = {lay["layer"] for r in runs for lay in r["layers"]}
    return [x for x in order if x in seen] + sorted(seen - set(order))


def _by_layer(
    runs: list[RunRecord], layers: list[str], value: Literal["seconds", "rows_after"]
) -> dict[str, list[Any]]:
    """Per layer, its value in each run (None where the run did not run it)."""
    return {
        x: [next((lay[value] for lay in r["layers"] if lay["layer"] == x), None) for r in runs]
        for x in layers
    }


def history_part(runs: list[RunRecord]) -> Part:
    import plotly.graph_objects as go

    if not runs:
        return Part("History", [Section("Runs", "No run is recorded in this home yet.")])
    numbered = list(enumerate(runs, start=1))
    everything = Table(
        ["#", "started (UTC)", "command", "stack", "status", "exit", "seconds", "layers"],
        [
            [
                str(i),
                _when(r["started_at"]),
                " ".join(r["args"]) or r["command"],
                r["stack"],
                r["status"] + (" (up to date)" if r["up_to_date"] else ""),
                "-" if r["exit_code"] is None else str(r["exit_code"]),
                _seconds(r["seconds"]),
                ", ".join(lay["layer"] for lay in r["layers"]),
            ]
            for i, r in numbered
        ],
    )
    worked = [(i, r) for i, r in numbered if r["layers"]]
    layers = _layers_of(r for _, r in worked)
    labels = [_label(i, r) for i, r in worked]
    seconds = _by_layer([r for _, r in worked], layers, "seconds")
    rows = _by_layer([r for _, r in worked], layers, "rows_after")
    sections = [Section("Runs", f"{len(runs)} recorded, oldest first.", None, [everything])]
    if worked:
        timeline = go.Figure([go.Bar(name=x, x=labels, y=seconds[x]) for x in layers])
        _layout(timeline, barmode="stack", yaxis_title="seconds", xaxis_title="run")
        sections.append(
            Section(
                "Time per layer, run by run",
                "Each run's time in each layer it ran (seed: loading landing).",
                timeline,
                [
                    Table(
                        ["run", *layers],
                        [
                            [lab, *(_seconds(seconds[x][n]) for x in layers)]
                            for n, lab in enumerate(labels)
                        ],
                    )
                ],
            )
        )
    counted = [x for x in layers if any(v is not None for v in rows[x])]
    if counted:
        growth = go.Figure(
            [
                go.Scatter(name=x, x=labels, y=rows[x], mode="lines+markers", connectgaps=True)
                for x in counted
            ]
        )
        _layout(growth, yaxis_title="rows", xaxis_title="run")
        sections.append(
            Section(
                "Rows per layer, run by run",
                "Rows in the models each run built, per layer, after the run (a run that built"
                " only some models counts only those).",
                growth,
                [
                    Table(
                        ["run", *counted],
                        [
                            [lab, *(_count(rows[x][n]) for x in counted)]
                            for n, lab in enumerate(labels)
                        ],
                    )
                ],
            )
        )
    return Part("History", sections)


# -- the page --------------------------------------------------------------------------------
_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
       max-width: 1200px; padding: 1rem 2rem 4rem; color: #1f2933; }
h1 { margin-bottom: .2rem; } h2 { border-bottom: 2px solid #d9e2ec; padding-top: 1.5rem; }
.meta, .text { color: #52606d; } nav a { margin-right: 1rem; }
table { border-collapse: collapse; margin: .8rem 0 1.5rem; font-size: .85rem; }
th, td { overflow-wrap: anywhere; padding: .25rem .6rem; border-bottom: 1px solid #e4e7eb; text-align: left; }
th { background: #f0f4f8; } th, td:first-child, td.n { white-space: nowrap; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { max-height: 28rem; overflow: auto; }
"""
_NUMERIC = re.compile(r"^(?:[-+]?[\d,]+(?:\.\d+)?%?|-|NEW)$")


def _table_html(table: Table) -> str:
    numeric = [all(_NUMERIC.match(row[i]) for row in table.rows) for i in range(len(table.columns))]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=n' if numeric[i] else ''}>{html.escape(cell)}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in table.rows
    )
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def render(title: str, about: str, parts: list[Part]) -> str:
    """The page: plotly's JavaScript once in the head, each figure as a div of its own."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    body: list[str] = []
    for part in parts:
        body.append(f'<h2 id="{_slug(part.title)}">{html.escape(part.title)}</h2>')
        for section in part.sections:
            body.append(f"<h3>{html.escape(section.title)}</h3>")
            if section.text:
                body.append(f'<p class="text">{html.escape(section.text)}</p>')
            if section.figure is not None:
                body.append(
                    pio.to_html(
                        section.figure,
                        full_html=False,
                        include_plotlyjs=False,
                        div_id=f"chart-{_slug(part.title)}-{_slug(section.title)}",
                        default_height="auto",
                        config={"displaylogo": False, "responsive": True},
                    )
                )
            body.extend(_table_html(t) for t in section.tables)
    nav = "".join(f'<a href="#{_slug(p.title)}">{html.escape(p.title)}</a>' for p in parts)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head>'
        f'<body><h1>{html.escape(title)}</h1><p class="meta">{html.escape(about)}</p>'
        f"<nav>{nav}</nav>{''.join(body)}</body></html>\n"
    )


def report(query: Query, runs: list[RunRecord], stack: str, home: Path) -> str:
    """The whole report of a home: gold through query, its runs from the history."""
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        gold_part(query),
        Part("Last run and tests", [last_run(runs), tests(runs)]),
        history_part(runs),
    ]
    return render("ecomctl report", f"{home} · {stack} stack · made {made}", parts)


def write(path: Path, page: str) -> Path:
    """Replace path with the page whole (a reader never sees half of it)."""
    return write_private(path.resolve(), page)
