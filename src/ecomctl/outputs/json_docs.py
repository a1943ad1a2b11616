"""The JSON documents of `--json`: one per command, a stable shape, versioned.

Bump SCHEMA_VERSION when a field changes meaning or disappears (adding fields does not).
docs/ci.md describes each document.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # types only: `status --json` would otherwise load seeding and dbt's runner
    from ecomctl.data.publish import PublishResult
    from ecomctl.data.seeding import SeedResult
    from ecomctl.engines.sql import QueryResult
    from ecomctl.results import ServiceStatus
    from ecomctl.transform.pipeline import LayerReport
    from ecomctl.transform.project import DbtProject

SCHEMA_VERSION = 1


def dumps(document: Any, indent: int | None = None) -> str:
    """The JSON text of a document. Every value a database answers with is written as JSON
    has it: a Decimal (PostgreSQL's and Trino's numeric: money, ratios) as a number, never as
    a string; dates, times and the like as their text."""
    return json.dumps(document, default=_plain, indent=indent)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal) and value.is_finite():  # NaN has no JSON number: text
        # An integer stays exact at any size; a fraction becomes a float, exact to 15 digits.
        exponent = value.as_tuple().exponent
        return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)
    return str(value)


def envelope(command: str, ok: bool, exit_code: int, **fields: Any) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "ok": ok,
        "exit_code": exit_code,
        **fields,
    }


def services(rows: list[ServiceStatus]) -> list[dict[str, Any]]:
    return [
        {
            "name": s.name,
            "state": s.state,
            "healthy": s.healthy,
            "endpoint": s.endpoint,
            "version": s.version,
            "uptime_seconds": s.uptime_seconds,
            "detail": s.detail,
            "protection": s.protection,
        }
        for s in rows
    ]


def dbt_project(used: DbtProject) -> dict[str, Any]:
    return {"path": str(used.path), "bundled": used.bundled}


def published(result: PublishResult) -> dict[str, Any]:
    return {
        "location": result.location,
        "batch": result.batch,
        "rows": result.rows,
        "seconds": round(result.seconds, 3),
    }


def seed(result: SeedResult) -> dict[str, Any]:
    return {
        "source": str(result.source),
        "generated": result.generated,
        "rows": result.rows,
        "total_rows": result.total_rows,
        "loaded": result.loaded,
        "total_loaded": result.total_loaded,
        "new_orders": result.new_orders,
        "updated_orders": result.updated_orders,
        "rejected": result.rejected,
        "rejects_by_file": result.rejects_by_file,
        "batch": result.batch,
        "appended": result.appended,
    }


def layers(reports: list[LayerReport]) -> list[dict[str, Any]]:
    out = []
    for report in reports:
        diffs = {d.name: d for d in report.diffs}
        nodes = []
        for n in report.nodes:
            d = diffs.get(n.relation) if n.resource_type == "model" else None
            nodes.append(
                {
                    "unique_id": n.unique_id,
                    "resource_type": n.resource_type,
                    "status": n.status,
                    "seconds": round(n.seconds, 3),
                    "message": n.message,
                    "file": n.file,
                    "compiled_path": n.compiled_path,
                    "rows_before": d.rows_before if d else None,
                    "rows_after": d.rows_after if d else None,
                    "change": d.change if d else None,
                    "change_percent": d.percent if d else None,
                }
            )
        out.append(
            {
                "layer": report.layer,
                "profile": report.profile,
                "adapter": report.adapter,
                "command": report.command,
                "success": report.success,
                "skipped": report.skipped,
                "elapsed_seconds": round(report.seconds, 3),
                "status_counts": report.status_counts(),
                "error": report.error,
                "nodes": nodes,
            }
        )
    return out


def query(result: QueryResult) -> dict[str, Any]:
    return {
        "columns": result.columns,
        "rows": [list(row) for row in result.rows],
    }
