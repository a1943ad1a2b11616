"""JUnit XML for CI systems: one testsuite per layer, one testcase per dbt model or test."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ecomctl.transform.pipeline import LayerReport


def write(path: Path, reports: list[LayerReport]) -> None:
    root = ET.Element("testsuites", name="ecomctl")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for report in reports:
        suite = ET.SubElement(root, "testsuite", name=f"{report.layer} ({report.command})")
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for node in report.nodes:
            counts["tests"] += 1
            case = ET.SubElement(
                suite,
                "testcase",
                name=node.unique_id,
                classname=f"ecomctl.{report.layer}",
                time=f"{node.seconds:.3f}",
                file=node.file,
            )
            if node.status == "fail":
                counts["failures"] += 1
                failure = ET.SubElement(
                    case, "failure", message=node.first_message, type="dbt test failure"
                )
                failure.text = f"{node.message}\ncompiled SQL: {node.compiled_path}"
            elif node.failed:
                counts["errors"] += 1
                error = ET.SubElement(
                    case, "error", message=node.first_message, type=f"dbt {node.status}"
                )
                error.text = f"{node.message}\ncompiled SQL: {node.compiled_path}"
            elif node.status == "skipped":
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message="skipped after an upstream failure")
        if report.error and not report.nodes:
            counts["tests"] += 1
            counts["errors"] += 1
            case = ET.SubElement(
                suite, "testcase", name=f"dbt {report.command}", classname=f"ecomctl.{report.layer}"
            )
            ET.SubElement(case, "error", message=report.error.splitlines()[0], type="dbt error")
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", f"{report.seconds:.3f}")
    for key, value in totals.items():
        root.set(key, str(value))
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
