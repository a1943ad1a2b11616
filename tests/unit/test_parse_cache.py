"""The machine's shared dbt parse: given to a home with none of its own, kept when it changed,
never put over a home's own parse, one per project folder."""

from __future__ import annotations

import os
from pathlib import Path

from ecomctl.transform import parse_cache

FILE = parse_cache.FILE


def _parse(target: Path, content: bytes) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    (target / FILE).write_bytes(content)
    return target


def test_a_home_without_a_parse_gets_the_one_another_home_kept(tmp_path: Path) -> None:
    cache, project = tmp_path / "cache", tmp_path / "project"
    first = _parse(tmp_path / "first", b"parsed once")
    parse_cache.keep(cache, project, "duckdb", first)
    second = tmp_path / "second"
    assert parse_cache.restore(cache, project, "duckdb", second)
    assert (second / FILE).read_bytes() == b"parsed once"
    assert oct((cache / "dbt-parse").stat().st_mode & 0o777) == "0o700"


def test_a_home_keeps_its_own_parse(tmp_path: Path) -> None:
    cache, project = tmp_path / "cache", tmp_path / "project"
    parse_cache.keep(cache, project, "duckdb", _parse(tmp_path / "first", b"first's"))
    mine = _parse(tmp_path / "mine", b"my own")
    assert not parse_cache.restore(cache, project, "duckdb", mine)
    assert (mine / FILE).read_bytes() == b"my own"


def test_a_changed_parse_replaces_the_shared_one_whole(tmp_path: Path) -> None:
    cache, project = tmp_path / "cache", tmp_path / "project"
    home = _parse(tmp_path / "home", b"old")
    parse_cache.keep(cache, project, "duckdb", home)
    (home / FILE).write_bytes(b"new and longer")
    os.utime(home / FILE, ns=(1, 1))  # whatever the clock, a changed file is kept again
    parse_cache.keep(cache, project, "duckdb", home)
    other = tmp_path / "other"
    parse_cache.restore(cache, project, "duckdb", other)
    assert (other / FILE).read_bytes() == b"new and longer"
    assert [p.name for p in (cache / "dbt-parse").iterdir() if p.name.startswith(".")] == []


def test_each_project_folder_and_parse_group_has_its_own(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    parse_cache.keep(cache, tmp_path / "one", "duckdb", _parse(tmp_path / "a", b"one's"))
    for project, group in ((tmp_path / "two", "duckdb"), (tmp_path / "one", "trino")):
        assert not parse_cache.restore(cache, project, group, tmp_path / "b")
    assert not (tmp_path / "b" / FILE).exists()


def test_the_parses_used_last_are_kept(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    projects = [tmp_path / f"project-{n}" for n in range(parse_cache.KEPT + 2)]
    for n, project in enumerate(projects[: parse_cache.KEPT]):
        parse_cache.keep(cache, project, "duckdb", _parse(tmp_path / f"home-{n}", b"p"))
    # The first project's parse is given to a new home: used again, it outlives the second.
    assert parse_cache.restore(cache, projects[0], "duckdb", tmp_path / "new-home")
    for n, project in enumerate(projects[parse_cache.KEPT :], start=parse_cache.KEPT):
        parse_cache.keep(cache, project, "duckdb", _parse(tmp_path / f"home-{n}", b"p"))
    assert len(list((cache / "dbt-parse").glob("*.msgpack"))) == parse_cache.KEPT
    assert parse_cache.restore(cache, projects[0], "duckdb", tmp_path / "again")
    for gone in projects[1:3]:
        assert not parse_cache.restore(cache, gone, "duckdb", tmp_path / "gone")
