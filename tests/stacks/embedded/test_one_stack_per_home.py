"""Two stacks in one folder never share a home's data: the second is refused (exit 2) before
anything is written, and every row stays; a subfolder finds the home above; and every command
ecomctl prints as a hint runs as printed, from another folder, with ecomctl run by its path."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from support.helpers import TEST_SCALE, ecomctl, listing, open_way_to

TABLES = ("orders", "order_items", "customers", "order_payments")
NATIVE = [["seed", "--stack", "native"], ["seed", "--increment", "--stack", "native"],
          ["run", "--stack", "native"], ["up", "--stack", "native"]]  # fmt: skip


def _landing(cwd: Path) -> dict[str, int]:
    """Each table's rows in landing, read by `query` in cwd."""
    found = {}
    for table in TABLES:
        ran = ecomctl("query", f"select count(*) from {table}", "--layer", "landing", "--json",
                      cwd=cwd)  # fmt: skip
        found[table] = json.loads(ran.stdout)["rows"][0][0]
    return found


def _refused(cwd: Path, args: list[str], env: dict[str, str] | None = None) -> str:
    ran = ecomctl(*args, cwd=cwd, env=env, check=False)
    assert ran.returncode == 2, (args, ran.stderr)
    assert ran.stderr.count("\n") == 1 and "--home DIR" in ran.stderr
    return ran.stderr


def test_embedded_then_native_in_one_folder_loses_no_row(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    ecomctl("seed", "--scale", str(TEST_SCALE), cwd=folder)
    for _ in range(2):
        ecomctl("seed", "--increment", cwd=folder)
    rows, before = _landing(folder), listing(folder)
    for args in NATIVE:
        said = _refused(folder, args)
        assert "belongs to the embedded stack, and --stack native names another" in said
    _refused(folder, ["seed", "--increment"], env={"ECOMCTL_STACK": "native"})
    (folder / "ecomctl.toml").write_text('stack = "native"\n')
    _refused(folder, ["run"])
    (folder / "ecomctl.toml").unlink()
    assert listing(folder) == before
    assert _landing(folder) == rows


def test_native_then_embedded_in_one_folder_loses_no_row(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    # Landing is loaded, then publishing it needs the native stack's S3 (not up here: exit 3);
    # the home is the native stack's from that first write on.
    seeded = ecomctl("seed", "--scale", str(TEST_SCALE), "--stack", "native", cwd=folder,
                     check=False)  # fmt: skip
    assert seeded.returncode == 3, seeded.stderr
    assert (folder / ".ecomctl" / "stack").read_text() == "native\n"
    before = listing(folder)
    for args in (["seed", "--stack", "embedded"], ["run", "--stack", "embedded"]):
        said = _refused(folder, args)
        assert "belongs to the native stack, and --stack embedded names another" in said
    _refused(folder, ["seed", "--increment"], env={"ECOMCTL_STACK": "embedded"})
    assert listing(folder) == before
    status = json.loads(ecomctl("status", "--json", cwd=folder, check=False).stdout)
    assert status["stack"] == "native"  # no --stack: the home's own


def test_a_subfolder_uses_the_home_above(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    below = folder / "docs"
    below.mkdir(parents=True)
    ecomctl("seed", "--scale", str(TEST_SCALE), cwd=folder)
    orders = _landing(folder)["orders"]
    ran = ecomctl("seed", "--increment", "--json", cwd=below)
    assert json.loads(ran.stdout)["batch"] == 1  # stdout: the document alone
    assert f"using the home {folder / '.ecomctl'} (found above this folder)" in ran.stderr
    assert not (below / ".ecomctl").exists()
    assert _landing(folder)["orders"] > orders


HINT = re.compile(r"`([^`]+)`|look: (.+)$", re.M)


def test_every_hint_runs_as_printed(tmp_path: Path) -> None:
    """ecomctl run by its path, not on PATH, with --home: each hint it prints names both, and
    runs as printed from another folder."""
    program = Path(sys.executable).parent / "ecomctl"
    if not program.exists():
        pytest.skip(f"no ecomctl script beside {sys.executable}")
    home, elsewhere = tmp_path / "project" / "state", tmp_path / "elsewhere"
    elsewhere.mkdir(parents=True)
    home.parent.mkdir()
    open_way_to(home)
    env = {**os.environ, "PATH": "/usr/bin:/bin", "NO_COLOR": "1", "COLUMNS": "300"}

    def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd,
                              stdin=subprocess.DEVNULL, timeout=600, check=False)  # fmt: skip

    def hints(*args: str, code: int = 0) -> list[str]:
        done = run([str(program), "--home", str(home), *args], tmp_path / "project")
        text = done.stdout + done.stderr
        assert done.returncode == code, f"{args}: exit {done.returncode}\n{text}"
        return [a or b for a, b in HINT.findall(text) if str(program) in (a or b)]

    printed: list[str] = []
    try:
        printed += hints("status", code=1)  # before anything: `up`, and `seed` or `run`
        printed += hints("query", "select 1", code=2)  # no home yet: `run`
        printed += hints("seed", "--scale", str(TEST_SCALE))
        printed += hints(
            "run", "--layer", "gold", code=1
        )  # silver not built: `run --layer silver`, `run`
        printed += hints("run")  # look: query ...
        printed += hints("run")  # up to date: `run --force`
        printed += hints("up")  # `down` stops it
        printed += hints("status")
        printed += hints("down")
        printed += hints("query", "select 1", code=3)  # postgres stopped: `up` starts it
        commands = {hint.split(f"{home} ", 1)[1] for hint in printed}
        assert {"up", "seed", "run", "run --layer silver", "run --force", "down"} <= commands
        assert "query 'select * from sales_values_by_category limit 10'" in commands
        for hint in dict.fromkeys(printed):
            assert hint.startswith(f"{program} --home {home} "), hint
            done = run(shlex.split(hint), elsewhere)
            assert done.returncode == 0, f"{hint}: exit {done.returncode}\n{done.stderr}"
        assert not (elsewhere / ".ecomctl").exists()
    finally:
        run([str(program), "--home", str(home), "down"], elsewhere)
