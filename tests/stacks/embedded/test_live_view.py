"""`run` and `test` on a terminal: a live view of what is starting, per layer a bar of N of M
nodes and the nodes running, and each layer's report as soon as the layer ends. Driven through
a pseudo-terminal, as a person's terminal would show it."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

from support.helpers import ecomctl, open_way_to

TINY = {"ECOMCTL_SCALE": "0.002"}
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def _on_a_terminal(home: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run ecomctl with a pseudo-terminal as stdout and stderr; its exit code and all it wrote."""
    open_way_to(home)
    controller, terminal = pty.openpty()
    plain = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecomctl", *args, "--home", str(home)],
        stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal,
        env={**plain, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40", **(env or {})},
    )  # fmt: skip
    os.close(terminal)
    shown = bytearray()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the process is gone
                break
            if not chunk:
                break
            shown += chunk
        elif proc.poll() is not None:
            break
    os.close(controller)
    return proc.wait(timeout=60), _ESCAPES.sub("", shown.decode(errors="replace"))


def test_run_and_test_show_bars_running_nodes_and_each_layer_as_it_ends(tmp_path: Path) -> None:
    home = tmp_path / "home"
    try:
        code, shown = _on_a_terminal(home, "run", env=TINY)
        tested, tests_shown = _on_a_terminal(home, "test", env=TINY)
    finally:
        ecomctl("down", home=home, check=False)
    assert code == 0, shown[-2000:]
    assert tested == 0, tests_shown[-2000:]
    # `test` shows the same view: a bar per layer over its dbt tests, and each layer's result.
    assert re.search(r"bronze +\S* *\d+/\d+ nodes", tests_shown)
    assert tests_shown.index("bronze: dbt test on profile") < tests_shown.index("gold: dbt test")
    assert "starting PostgreSQL (gold's server) ..." in shown
    assert "bronze: starting dbt (it reads the project) ..." in shown
    # A bar per layer with N of M nodes: bronze has 9 models, silver 7, gold 6.
    for layer, nodes in (("bronze", 9), ("silver", 7), ("gold", 6)):
        assert re.search(rf"{layer} +\S* *\d+/{nodes} nodes", shown), layer
    assert re.search(r"running \w+ +\d+\.\ds", shown)
    # Each layer's report arrives before the next layer's bar, not all at the end.
    bronze_report = shown.index("bronze: dbt run on profile")
    assert bronze_report < shown.index("silver  ") < shown.index("silver: dbt run on profile")
    assert shown.index("silver: dbt run on profile") < shown.index("gold    ")
    # Once: the reports shown as layers ended are not printed again at the end.
    assert shown.count("bronze: dbt run on profile") == 1
    assert "gold tables: postgresql://" in shown


def test_no_color_keeps_plain_lines_on_a_terminal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    try:
        code, shown = _on_a_terminal(home, "run", env={**TINY, "NO_COLOR": "1"})
    finally:
        ecomctl("down", home=home, check=False)
    assert code == 0, shown[-2000:]
    assert " nodes " not in shown and "running " not in shown
    assert re.search(r"^\s+ok\s+model\.ecom_analytics\.orders\s", shown, re.MULTILINE)
    assert shown.count("bronze: dbt run on profile") == 1
