"""`ecomctl report`: one HTML file that a real browser renders offline, every chart drawn."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from support.helpers import ecomctl, hint

DOC_IMAGE = Path(__file__).resolve().parents[3] / "docs" / "images" / "report.png"
# Elements that load what they name: none may point off the machine.
_LOADS = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}  # fmt: skip


class _Page(HTMLParser):
    """What the page loads, and for each plotly chart whether it drew marks: an SVG path
    with a shape inside one of its traces (bars, lines, pie slices)."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.charts: dict[str, bool] = {}
        self._open: list[tuple[str, str]] = []  # (tag, class) of the elements we are in
        self._chart: list[tuple[int, str]] = []  # (depth, id) of the chart div we are in

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag in _LOADS and found.get(_LOADS[tag]):
            self.loads.append(found[_LOADS[tag]])
        if tag == "div" and "plotly-graph-div" in found.get("class", "").split():
            self._chart.append((len(self._open), found["id"]))
            self.charts[found["id"]] = False
        in_trace = any("trace" in cls.split() for _, cls in self._open)
        if tag == "path" and self._chart and in_trace and found.get("d", "").strip("M0,Z "):
            self.charts[self._chart[-1][1]] = True
        if tag not in _VOID:
            self._open.append((tag, found.get("class", "")))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break
        if self._chart and len(self._open) <= self._chart[-1][0]:
            self._chart.pop()


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium with no way out: every request but loopback goes to a closed port."""
    binary = shutil.which("chromium")
    assert binary, "Debian's chromium is needed (apt-get install chromium; .ci/run installs it)"
    return subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}",
         "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000",
         "--window-size=1400,3000", *args],
        capture_output=True, text=True, timeout=180, check=True,
    )  # fmt: skip


def test_the_report_renders_offline_with_every_chart_drawn(
    pipeline_home: Path, first_run: object, tmp_path: Path
) -> None:
    ecomctl("test", home=pipeline_home)  # the report shows the latest test's results
    path = tmp_path / "out" / "report.html"
    made = ecomctl("report", "-o", str(path), "--json", home=pipeline_home)
    assert json.loads(made.stdout)["path"] == str(path)
    text = path.read_text()
    written = _parse(text)
    assert not [u for u in written.loads if re.match(r"(?i)(https?:)?//", u)], written.loads
    assert "Monthly revenue by category" in text
    assert "pass" in text and "No `ecomctl test`" not in text

    url = path.as_uri()
    shown = _chromium(tmp_path, "--dump-dom", url)
    console = [line for line in shown.stderr.splitlines() if ":CONSOLE" in line]
    assert not console, "\n".join(console)
    page = _parse(shown.stdout)
    # Five gold charts, and the history's time and rows per layer.
    assert len(page.charts) == 7, page.charts
    assert all(page.charts.values()), [c for c, drawn in page.charts.items() if not drawn]
    assert not [u for u in page.loads if re.match(r"(?i)(https?:)?//", u)], page.loads

    screenshot = tmp_path / "report.png"
    _chromium(tmp_path, f"--screenshot={screenshot}", url)
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    print(f"screenshot: {screenshot}")
    if os.environ.get("ECOMCTL_UPDATE_DOC_IMAGES") == "1":
        DOC_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot, DOC_IMAGE)


def test_a_report_before_gold_is_built_says_to_run(tmp_path: Path, home: Path) -> None:
    for where in (tmp_path / "nothing-here", home):
        if where == home:
            ecomctl("seed", home=home, env={"ECOMCTL_SCALE": "0.005"})
        refused = ecomctl("report", home=where, check=False)
        assert refused.returncode == 1, refused
        assert "gold is not built yet" in refused.stderr
        assert f"`{hint(where, 'run')}`" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
        assert not (where / "report.html").exists()
