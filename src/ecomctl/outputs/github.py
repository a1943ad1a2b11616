"""GitHub Actions: a markdown job summary and `::error` annotations on failed nodes."""

from __future__ import annotations

from pathlib import Path

from ecomctl.transform.pipeline import LayerReport


def _escape(text: str) -> str:
    # Workflow command values must not carry raw newlines or '%'.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def error_lines(reports: list[LayerReport], project_prefix: str = "dbt") -> list[str]:
    lines = []
    for report in reports:
        for node in report.failures():
            where = f"{project_prefix}/{node.file}" if node.file else project_prefix
            lines.append(
                f"::error file={where},line=1,title={node.unique_id}::{_escape(node.first_message)}"
            )
    return lines


def summary_markdown(command: str, reports: list[LayerReport]) -> str:
    ok = all(r.success for r in reports)
    out = [f"## ecomctl {command}: {'succeeded' if ok else 'FAILED'}", ""]
    out += ["| layer | profile | status | seconds |", "|---|---|---|---|"]
    for r in reports:
        counts = (
            "skipped"
            if r.skipped
            else ", ".join(f"{k} {v}" for k, v in sorted(r.status_counts().items()))
        )
        out.append(
            f"| {r.layer} | {r.profile} | {counts or 'nothing selected'} | {r.seconds:.1f} |"
        )
    failures = [(r.layer, n) for r in reports for n in r.failures()]
    if failures:
        out += ["", "### Failures", ""]
        for layer, n in failures:
            out.append(f"- **{layer}** `{n.unique_id}` ({n.status}): {n.first_message}")
    diffs = [(r.layer, d) for r in reports for d in r.diffs]
    if diffs:
        out += [
            "",
            "### Row counts",
            "",
            "| layer | model | before | after | change | % |",
            "|---|---|---|---|---|---|",
        ]
        for layer, d in diffs:
            out.append(f"| {layer} | {d.name} | {' | '.join(d.cells())} |")
    return "\n".join(out) + "\n"


def append_summary(path: Path, markdown: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(markdown)
