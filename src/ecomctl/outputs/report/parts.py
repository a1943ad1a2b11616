"""What the report is made of (parts, sections, tables, plotly figures) and its values as
shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ecomctl.engines.sql import QueryResult

Query = Callable[[str], QueryResult]


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
def number(value: Any) -> float:
    return float(value) if isinstance(value, int | float | Decimal) else 0.0


def money(value: Any) -> str:
    return f"{number(value):,.2f}"


def count(value: Any) -> str:
    return "-" if value is None else f"{int(value):,}"


def share(value: Any) -> str:
    return "-" if value is None else f"{100 * number(value):.1f}%"


def fixed(value: Any, digits: int = 1) -> str:
    return "-" if value is None else f"{number(value):.{digits}f}"


def duration(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def when(iso: str) -> str:
    """A record's UTC time, to the second."""
    return iso[:19].replace("T", " ") if iso else "-"


def records(result: QueryResult) -> list[dict[str, Any]]:
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def layout(fig: Any, **axes: Any) -> Any:
    style = {
        "template": "plotly_white",
        "height": 420,
        "margin": {"l": 60, "r": 30, "t": 30, "b": 60},
        "legend": {"orientation": "h", "y": -0.18},
    }
    fig.update_layout(**{**style, **axes})
    return fig
