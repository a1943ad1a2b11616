"""Files and folders written whole, on real files and by real concurrent processes."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import ecomctl
from ecomctl import home, proc

PARTS = 20
# One builder: builds the target from PARTS files that all name it, says so, then waits for
# the others before it ends its build, so that all put theirs in place at the same moment.
_BUILDER = f"""
import sys, time
from pathlib import Path
from ecomctl.home import building
target, me, replace = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
done = target.parent.parent / "done"
with building(target, replace=replace) as partial:
    for i in range({PARTS}):
        (partial / f"part-{{i:02d}}").write_text(me)
    (done / me).touch()
    while not (done / "all").exists():
        pass
"""


def _left_beside(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir() if p.name != target.name)


def _one_whole_build(target: Path) -> str:
    """The builder whose folder target is; fails when target mixes builders or lacks parts."""
    parts = sorted(target.iterdir())
    assert [p.name for p in parts] == [f"part-{i:02d}" for i in range(PARTS)]
    (builder,) = {p.read_text() for p in parts}
    return builder


def _build_at_once(target: Path, builders: int, replace: bool) -> None:
    done = target.parent.parent / "done"
    done.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(ecomctl.__file__).parent.parent)}
    names = [f"builder-{n}" for n in range(builders)]
    running = [
        subprocess.Popen(
            [sys.executable, "-c", _BUILDER, str(target), name, str(int(replace))], env=env
        )
        for name in names
    ]
    assert proc.poll_until(lambda: all((done / name).exists() for name in names), 60)
    (done / "all").touch()
    assert [p.wait(timeout=60) for p in running] == [0] * builders


@pytest.mark.parametrize("replace", [False, True])
def test_processes_building_the_same_folder_at_once_never_mix_their_builds(
    tmp_path: Path, replace: bool
) -> None:
    target = tmp_path / "built" / "target"
    for _ in range(2):
        _build_at_once(target, builders=4, replace=replace)
        shutil.rmtree(target.parent.parent / "done")
        _one_whole_build(target)
        assert _left_beside(target) == []
        shutil.rmtree(target)


def test_a_folder_built_without_replace_keeps_the_one_already_there(tmp_path: Path) -> None:
    target = tmp_path / "target"
    with home.building(target) as partial:
        (partial / "first").write_text("first")
    with home.building(target, replace=False) as partial:
        (partial / "second").write_text("second")
    assert [p.name for p in target.iterdir()] == ["first"]
    assert _left_beside(target) == []


def test_threads_building_the_same_folder_never_mix_their_builds(tmp_path: Path) -> None:
    target = tmp_path / "target"
    errors: list[BaseException] = []

    def build(me: str) -> None:
        try:
            with home.building(target) as partial:
                for i in range(PARTS):
                    (partial / f"part-{i:02d}").write_text(me)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=build, args=(f"thread {n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    _one_whole_build(target)
    assert _left_beside(target) == []


def test_a_build_that_fails_leaves_the_old_folder_and_nothing_beside(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "old").write_text("old")
    with pytest.raises(RuntimeError), home.building(target) as partial:
        (partial / "new").write_text("half")
        raise RuntimeError("the build broke")
    assert [p.name for p in target.iterdir()] == ["old"]
    assert _left_beside(target) == []


def test_a_build_replaces_the_old_folder_whole(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "old").write_text("old")
    with home.building(target) as partial:
        (partial / "new").write_text("new")
        assert [p.name for p in target.iterdir()] == ["old"]  # not yet in place
    assert [p.name for p in target.iterdir()] == ["new"]
    assert _left_beside(target) == []


def test_a_built_folder_has_the_mode_a_folder_made_in_place_has(tmp_path: Path) -> None:
    made = tmp_path / "made"
    made.mkdir()
    with home.building(tmp_path / "built"):
        pass
    assert stat.S_IMODE((tmp_path / "built").stat().st_mode) == stat.S_IMODE(made.stat().st_mode)


def test_a_build_removes_what_a_killed_build_left_but_not_a_live_one(tmp_path: Path) -> None:
    target = tmp_path / "target"
    ended = subprocess.Popen(["true"])
    ended.wait()
    live = subprocess.Popen(["sleep", "60"])
    try:
        killed = tmp_path / f".target.partial.{ended.pid}.abcd1234"
        running = tmp_path / f".target.partial.{live.pid}.abcd1234"
        other = tmp_path / f".other.partial.{ended.pid}.abcd1234"
        for folder in (killed, running, other):
            folder.mkdir()
            (folder / "half").write_text("half")
        with home.building(target) as partial:
            (partial / "whole").write_text("whole")
        assert not killed.exists()
        assert running.exists() and other.exists()
    finally:
        live.kill()
        live.wait()


def test_write_private_writes_a_file_whole_and_private(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "secret"
    home.write_private(path, "first")
    home.write_private(path, b"second")
    assert path.read_text() == "second"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _left_beside(path) == []


def test_copy_whole_keeps_the_content_and_times(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.write_bytes(b"x" * 100_000)
    os.utime(source, (1_000_000_000, 1_000_000_000))
    dest = tmp_path / "out" / "dest"
    home.copy_whole(source, dest)
    home.copy_whole(source, dest)  # over an existing copy
    assert dest.read_bytes() == source.read_bytes()
    assert dest.stat().st_mtime_ns == source.stat().st_mtime_ns
    assert _left_beside(dest) == []


def test_link_whole_replaces_a_link_in_one_step(tmp_path: Path) -> None:
    link = tmp_path / "link"
    home.link_whole(link, "/first")
    home.link_whole(link, "/second")
    assert os.readlink(link) == "/second"
    assert _left_beside(link) == []


def test_processes_creating_a_secret_at_once_all_read_the_first(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "token"
    script = "import sys; from pathlib import Path; from ecomctl.home import read_or_create; print(read_or_create(Path(sys.argv[1])))"
    env = {**os.environ, "PYTHONPATH": str(Path(ecomctl.__file__).parent.parent)}
    running = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(path)], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    read = {p.communicate(timeout=60)[0].strip() for p in running}
    assert read == {path.read_text().strip()}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
