"""The report as one HTML page: plotly's JavaScript inlined once, nothing fetched."""

from __future__ import annotations

import html
import re

from ecomctl.outputs.report.parts import Part, Table

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
