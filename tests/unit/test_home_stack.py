"""A home belongs to one stack, and is found from the folders below it, as git finds its
repository: the record, the refusal of another stack, the search upwards and where it stops."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import cli
from support.helpers import listing

from ecomctl import hints


def test_the_first_command_that_writes_records_the_stack(tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert cli("down", "--stack", "native", "--home", str(home)).code == 0
    assert (home / "stack").read_text() == "native\n"
    doc = cli("status", "--home", str(home), "--json").document()
    assert (doc["stack"], doc["home"]) == ("native", str(home))
    human = cli("status", "--home", str(home)).stderr + cli("status", "--home", str(home)).stdout
    assert f"home: {home} (native stack)" in human


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--stack", "native"], {}, "--stack native"),
        ([], {"ECOMCTL_STACK": "native"}, "the native stack (set by ECOMCTL_STACK"),
    ],
)
def test_another_stack_on_a_home_is_refused_and_nothing_is_written(
    tmp_path: Path, args: list[str], env: dict[str, str], named: str
) -> None:
    home = tmp_path / "h"
    assert cli("down", "--home", str(home)).code == 0  # the embedded stack's home now
    before = listing(home)
    for command in (["seed"], ["run"], ["up"], ["down", "--volumes", "--yes"], ["status"]):
        ran = cli(*command, *args, "--home", str(home), "--json", env=env)
        assert ran.code == 2, command
        error = ran.document()["error"]
        assert error == (
            f"home {home} belongs to the embedded stack, and {named}" + error.split(named, 1)[1]
        )
        assert "(--home DIR)" in error
        assert ran.stderr.count("\n") == 1
    assert listing(home) == before


def test_the_same_stack_named_again_is_accepted(tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert cli("down", "--stack", "native", "--home", str(home)).code == 0
    assert cli("down", "--stack", "native", "--home", str(home)).code == 0
    assert cli("down", "--home", str(home), env={"ECOMCTL_STACK": "native"}).code == 0


def test_a_toml_setting_chooses_the_stack_of_a_new_home_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ecomctl.toml").write_text('stack = "native"\n')
    assert cli("down").code == 0
    assert (tmp_path / ".ecomctl" / "stack").read_text() == "native\n"
    (tmp_path / "ecomctl.toml").write_text('stack = "embedded"\n')
    refused = cli("down")
    assert refused.code == 2 and "ecomctl.toml" in refused.stderr


def test_a_home_made_before_the_record_is_taken_as_its_folders_show(tmp_path: Path) -> None:
    home = tmp_path / "h"
    (home / "native").mkdir(parents=True)
    (home / "lock").touch()
    assert cli("status", "--home", str(home), "--json").document()["stack"] == "native"
    assert not (home / "stack").exists()  # status only reads
    assert cli("down", "--stack", "embedded", "--home", str(home)).code == 2
    assert cli("down", "--home", str(home)).code == 0
    assert (home / "stack").read_text() == "native\n"  # recorded by its next write


def test_an_emptied_home_forgets_its_stack(tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert cli("down", "--home", str(home)).code == 0
    assert cli("down", "--volumes", "--yes", "--home", str(home)).code == 0
    assert sorted(p.name for p in home.iterdir()) == ["lock"]
    assert cli("down", "--stack", "native", "--home", str(home)).code == 0


def test_a_subfolder_uses_the_home_above_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    monkeypatch.chdir(project.parent)
    assert cli("down", "--home", str(project / ".ecomctl")).code == 0
    below = project / "docs" / "deeper"
    below.mkdir(parents=True)
    monkeypatch.chdir(below)
    ran = cli("status", "--json")
    assert ran.document()["home"] == str(project / ".ecomctl")  # stdout: the document alone
    assert f"using the home {project / '.ecomctl'} (found above this folder)" in ran.stderr
    assert not (below / ".ecomctl").exists()
    assert cli("down").code == 0 and not (below / ".ecomctl").exists()


@pytest.mark.parametrize(
    ("args", "env", "user_home"),
    [
        (["--home", ".ecomctl"], {}, None),
        ([], {"ECOMCTL_HOME": ".ecomctl"}, None),
        ([], {}, "."),  # the home above is in ~ ...
        ([], {}, "project"),  # ... or above it
    ],
    ids=["--home given", "ECOMCTL_HOME given", "home above in ~", "home above ~"],
)
def test_a_home_above_is_not_used(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    user_home: str | None,
) -> None:
    """A home given is taken as given; and the search stops below the user's home folder: a
    home in ~ would otherwise serve every project under it, unasked."""
    assert cli("down", "--home", str(tmp_path / ".ecomctl")).code == 0
    (tmp_path / "project").mkdir()
    if user_home is not None:
        monkeypatch.setenv("HOME", str(tmp_path / user_home))
    monkeypatch.chdir(tmp_path / "project")
    ran = cli("down", *args, env=env)
    assert ran.code == 0 and "found above" not in ran.stderr
    assert (tmp_path / "project" / ".ecomctl" / "stack").exists()


def test_a_folder_above_without_a_home_is_not_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".ecomctl").mkdir()  # a folder of that name, never used by ecomctl
    (tmp_path / "project").mkdir()
    monkeypatch.chdir(tmp_path / "project")
    assert cli("down").code == 0
    assert (tmp_path / "project" / ".ecomctl" / "stack").exists()


def test_hints_name_the_program_as_invoked(tmp_path: Path) -> None:
    script = tmp_path / "bin" / "ecomctl"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    with hints.invoked_as(str(script)):
        assert hints.command("up") == f"{script} up"
        hints.for_home(Path("/a b/h"), "native")
        assert hints.command("up") == f"{script} --home '/a b/h' --stack native up"
    assert hints.command("up") == "ecomctl up"  # forgotten after the command
    with hints.invoked_as("/x/ecomctl/__main__.py"):
        assert hints.command("status").endswith(" -m ecomctl status")


def test_native_status_env_names_gold_readers_password_file(tmp_path: Path) -> None:
    """What `eval "$(ecomctl status -o env)"` gives psql, as on the embedded stack (never the
    password itself)."""
    ran = cli("status", "-o", "env", "--stack", "native", "--home", str(tmp_path / "h"))
    lines = dict(line.removeprefix("export ").split("=", 1) for line in ran.stdout.splitlines())
    assert lines["ECOMCTL_PG_PASSWORD_FILE"].endswith("/secrets/gold_reader_password")
    assert lines["ECOMCTL_PG_USER"] == "gold_reader"
