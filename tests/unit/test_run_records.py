"""A run's record: written whole at its start and at its end, however the command ends, and a
record left "running" by a process that is gone read as interrupted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecomctl import history
from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.settings import HomePaths


def _record(paths: HomePaths, command: str = "run") -> history.Recorder:
    with history.recording(paths, command, "embedded", [command, "--home", "h"]) as record:
        record.start()
    return record


def test_a_command_that_ends_well_is_a_success(tmp_path: Path) -> None:
    paths = HomePaths(tmp_path)
    record = _record(paths, "seed")
    (written,) = history.read(paths)
    assert written == json.loads(record.path.read_text())
    assert (written["status"], written["exit_code"], written["args"]) == ("success", 0, ["seed"])


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (KeyboardInterrupt(), "interrupted", 130),
        (EcomctlError("interrupted", ExitStatus.INTERRUPTED), "interrupted", 130),
        (EcomctlError("gold: boom"), "failed", 1),
        (EcomctlError("postgres is stopped", ExitStatus.UNHEALTHY), "failed", 3),
    ],
)
def test_a_command_that_raises_ends_its_record(
    tmp_path: Path, error: BaseException, status: str, code: int
) -> None:
    paths = HomePaths(tmp_path)
    with (
        pytest.raises(type(error)),
        history.recording(paths, "run", "embedded", ["run"]) as record,
    ):
        record.start()
        raise error
    (written,) = history.read(paths)
    assert (written["status"], written["exit_code"]) == (status, code)


def test_sigterm_is_told_apart_from_ctrl_c(tmp_path: Path) -> None:
    paths = HomePaths(tmp_path)
    with (
        pytest.raises(KeyboardInterrupt),
        history.recording(paths, "run", "embedded", ["run"], lambda: True) as record,
    ):
        record.start()
        raise KeyboardInterrupt
    (written,) = history.read(paths)
    assert (written["status"], written["exit_code"]) == ("interrupted", 143)


def test_a_command_refused_before_it_starts_leaves_no_record(tmp_path: Path) -> None:
    paths = HomePaths(tmp_path)
    with (
        pytest.raises(EcomctlError),
        history.recording(paths, "run", "embedded", ["run"]),
    ):
        raise EcomctlError("another ecomctl holds the home", ExitStatus.ENVIRONMENT)
    assert history.read(paths) == []
    assert not paths.history.exists()


def _left_running(paths: HomePaths, pid: int, pid_started: int | None) -> None:
    """A record as a killed command leaves it: written at its start, never again."""
    record = history.Recorder(paths, "run", "embedded", ["run"])
    record.record["pid"], record.record["pid_started"] = pid, pid_started
    record.start()


def test_a_running_record_reads_as_running_only_while_its_process_lives(tmp_path: Path) -> None:
    paths = HomePaths(tmp_path)
    mine = history.Recorder(paths, "run", "embedded", []).record["pid_started"]
    _left_running(paths, os.getpid(), mine)
    assert history.read(paths)[-1]["status"] == "running"

    _left_running(paths, os.getpid(), (mine or 0) + 1)  # this pid, another process: reused
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    _left_running(paths, int(gone.stdout), None)
    runs = history.read(paths)
    assert [r["status"] for r in runs] == ["running", "interrupted", "interrupted"]
    assert "killed" in runs[-1]["error"]
    # Reading changes nothing: the files still say what was written.
    assert {json.loads(p.read_text())["status"] for p in paths.history.iterdir()} == {"running"}
