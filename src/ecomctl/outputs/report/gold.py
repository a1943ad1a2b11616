"""The report's gold part: each gold table as a chart and a table, read through a query function
(a stack's `query` on gold), so this module knows SQL and gold's tables, never a stack."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ecomctl.outputs.report.parts import (
    Part,
    Query,
    Section,
    Table,
    count,
    fixed,
    layout,
    money,
    number,
    records,
    share,
)

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


def revenue_by_category(query: Query) -> Section:
    import plotly.graph_objects as go

    rows = records(query("select monthly, category, total_sales from sales_values_by_category"))
    totals: dict[str, float] = defaultdict(float)
    for row in rows:
        totals[str(row["category"])] += number(row["total_sales"])
    top = sorted(totals, key=lambda c: -totals[c])[:TOP_CATEGORIES]
    by_month: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        category = str(row["category"])
        by_month[str(row["monthly"])][category if category in top else "other"] += number(
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
    layout(fig, barmode="stack", yaxis_title="revenue (R$)", xaxis_title="month of purchase")
    table = Table(
        ["month", *shown, "total"],
        [
            [m, *(money(by_month[m][c]) for c in shown), money(sum(by_month[m].values()))]
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

    rows = records(
        query(
            "select customer_state, total_sales, total_bills, customers, values_per_bills"
            " from sales_by_customer_state order by total_sales desc"
        )
    )
    states = [str(r["customer_state"]) for r in rows]
    fig = go.Figure([go.Bar(x=states, y=[number(r["total_sales"]) for r in rows])])
    layout(fig, yaxis_title="revenue (R$)", xaxis_title="customer state")
    table = Table(
        ["state", "revenue (R$)", "orders", "customers", "revenue per order (R$)"],
        [
            [
                s,
                money(r["total_sales"]),
                count(r["total_bills"]),
                count(r["customers"]),
                money(r["values_per_bills"]),
            ]
            for s, r in zip(states, rows, strict=True)
        ],
    )
    return Section(
        "Revenue by customer state", "Delivered orders, by the customer's state.", fig, [table]
    )


def delivery_by_month(query: Query) -> Section:

    rows = records(
        query(
            "select monthly, delivered_orders, on_time_rate, avg_days_to_deliver,"
            " avg_days_estimated from delivery_performance_monthly order by monthly"
        )
    )
    months = [str(r["monthly"]) for r in rows]

    def delay(row: dict[str, Any]) -> float | None:
        if row["avg_days_to_deliver"] is None or row["avg_days_estimated"] is None:
            return None
        return number(row["avg_days_to_deliver"]) - number(row["avg_days_estimated"])

    on_time = [None if r["on_time_rate"] is None else 100 * number(r["on_time_rate"]) for r in rows]
    fig = _on_time_and_delay(months, on_time, [delay(r) for r in rows])
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
                count(r["delivered_orders"]),
                share(r["on_time_rate"]),
                fixed(r["avg_days_to_deliver"]),
                fixed(r["avg_days_estimated"]),
                fixed(delay(r)),
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


def _on_time_and_delay(
    months: list[str], on_time: list[float | None], delays: list[float | None]
) -> Any:
    """Bars of the share on time, and a line of the average delay on an axis of its own."""
    import plotly.graph_objects as go

    fig = go.Figure(
        [
            go.Bar(name="on time (%)", x=months, y=on_time, marker_color="#9fb3c8"),
            go.Scatter(
                name="average delay (days)",
                x=months,
                y=delays,
                yaxis="y2",
                mode="lines+markers",
                marker_color="#d64545",
            ),
        ]
    )
    return layout(
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


def payment_mix(query: Query) -> Section:
    import plotly.graph_objects as go

    rows = records(
        query(
            "select payment_type, sum(payments_count) as payments, sum(payment_value) as paid,"
            " sum(avg_installments * payments_count) as installments"
            " from payment_type_mix group by payment_type order by paid desc"
        )
    )
    total = sum(number(r["paid"]) for r in rows) or 1.0
    kinds = [str(r["payment_type"]) for r in rows]
    fig = go.Figure(
        [go.Pie(labels=kinds, values=[number(r["paid"]) for r in rows], hole=0.4, sort=False)]
    )
    layout(fig)
    table = Table(
        ["payment type", "payments", "value (R$)", "share of value", "average installments"],
        [
            [
                k,
                count(r["payments"]),
                money(r["paid"]),
                share(number(r["paid"]) / total),
                fixed(number(r["installments"]) / max(number(r["payments"]), 1.0)),
            ]
            for k, r in zip(kinds, rows, strict=True)
        ],
    )
    return Section(
        "Payment type mix", "Every payment, by the value paid with each type.", fig, [table]
    )


def review_by_category(query: Query) -> Section:
    import plotly.graph_objects as go

    rows = records(
        query(
            "select category, reviewed_orders, avg_review_score, one_star_share, five_star_share"
            " from review_score_by_category order by reviewed_orders desc, category"
        )
    )[:TOP_REVIEWED]
    shown = list(reversed(rows))  # the most reviewed at the top of a horizontal bar chart
    fig = go.Figure(
        [
            go.Bar(
                x=[number(r["avg_review_score"]) for r in shown],
                y=[str(r["category"]) for r in shown],
                orientation="h",
            )
        ]
    )
    layout(fig, xaxis={"title": {"text": "average review score"}, "range": [1, 5]}, height=520)
    table = Table(
        ["category", "reviewed orders", "average score", "1 star", "5 stars"],
        [
            [
                str(r["category"]),
                count(r["reviewed_orders"]),
                fixed(r["avg_review_score"], 2),
                share(r["one_star_share"]),
                share(r["five_star_share"]),
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
