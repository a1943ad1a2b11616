"""The command line's contract, in process: version, help, settings precedence, and every
flag that is wrong for a command or a stack refused as a usage error (exit 2) before any work."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import cli

from ecomctl import __version__
from ecomctl.settings import load_settings


@pytest.fixture(autouse=True)
def _in_an_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No ecomctl.toml, .env or ECOMCTL_* of the machine leaks into a test."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in __import__("os").environ if n.startswith("ECOMCTL_")]:
        monkeypatch.delenv(name)


def test_version_and_help() -> None:
    assert cli("--version").stdout.strip() == f"ecomctl {__version__}"
    helptext = cli("--help").stdout
    for command in ("seed", "up", "status", "down", "logs", "run", "test", "query", "docs", "init"):
        assert command in helptext
    assert "Exit codes" in helptext


def test_history_and_report_are_listed_in_help() -> None:
    helptext = cli("--help").stdout
    listed = {line.split()[0] for line in helptext.splitlines() if line.startswith("  ")}
    assert {"history", "report"} <= listed, helptext
    assert "--open" in cli("report", "--help").stdout
    assert "--last" in cli("history", "--help").stdout


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys; from ecomctl.cli import app; "
        "heavy = [m for m in ('dbt', 'duckdb', 'pyspark', 'psycopg', 'numpy', 'trino',"
        " 'python_on_whales', 'plotly') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_status_imports_no_engine_client_nor_another_stack(tmp_path: Path) -> None:
    """`status` is the command a person waits on most: on a home with no server to ask, it
    loads no engine's client (psycopg only connects to a running one), no dbt and no other
    stack's runner."""
    code = (
        "import sys\nfrom ecomctl.cli import main\n"
        f"try: main(['status', '--home', {str(tmp_path / 'h')!r}, '-q'])\n"
        "except SystemExit: pass\n"
        "heavy = ('psycopg', 'duckdb', 'dbt', 'trino', 'python_on_whales', 'ecomctl.runners.native.runner',"
        " 'ecomctl.runners.compose', 'ecomctl.transform.runner', 'ecomctl.data.landing')\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_settings_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().scale == 0.1  # the default
    (tmp_path / "ecomctl.toml").write_text("scale = 0.5\nseed = 3\n")
    assert load_settings().scale == 0.5
    (tmp_path / ".env").write_text("ECOMCTL_SCALE=0.25\n")
    assert load_settings().scale == 0.25
    monkeypatch.setenv("ECOMCTL_SCALE", "0.125")
    assert load_settings().scale == 0.125
    assert load_settings(scale=2.0).scale == 2.0
    assert load_settings(scale=None).seed == 3  # a flag not given leaves the others


def test_the_dbt_project_setting_layers_like_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("init", "--json").document()["path"] == str(tmp_path / "ecomctl-dbt")
    cli("init", "other")
    bundled = cli("status", "--json").document()["dbt_project"]
    assert bundled["bundled"] is True and Path(bundled["path"], "dbt_project.yml").is_file()
    (tmp_path / "ecomctl.toml").write_text('dbt_project = "ecomctl-dbt"\n')
    used = cli("status", "--json").document()["dbt_project"]
    assert used == {"path": str(tmp_path / "ecomctl-dbt"), "bundled": False}
    monkeypatch.setenv("ECOMCTL_DBT_PROJECT", "other")
    assert cli("status", "--json").document()["dbt_project"]["path"] == str(tmp_path / "other")
    flag = cli("status", "--json", "--project-dir", "ecomctl-dbt").document()["dbt_project"]
    assert flag["path"] == str(tmp_path / "ecomctl-dbt")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["run", "--layer", "platinum"], "--layer 'platinum'"),
        (["test", "--layer", "landing"], "--layer 'landing'"),
        (["run", "--select", "x; drop"], "not a dbt selector"),
        (["query", "select 1", "--layer", "silver;"], "--layer 'silver;'"),
        (["query", "select 1", "--format", "xml"], "--format 'xml'"),
        (["status", "-o", "yaml"], "--output 'yaml'"),
        (["seed", "--scale", "-1"], "setting scale"),
        (["logs", "--follow", "--json"], "--follow and --json cannot go together"),
        (["up", "--timeout", "0"], "--timeout"),
        (["docs", "--serve", "--port", "80800"], "--port"),
        (["up", "--stack", "nowhere"], "setting stack"),
        (["no-such-command"], "No such command"),
    ],
)
def test_a_wrong_flag_is_a_usage_error_that_names_it(args: list[str], says: str) -> None:
    ran = cli(*args, "--home", "h")
    assert ran.code == 2, ran
    assert says in ran.stderr
    assert not Path("h", "postgres").exists()  # nothing was started


@pytest.mark.parametrize(
    ("stack", "args"),
    [
        ("embedded", ["up", "--only", "postgres"]),
        ("embedded", ["up", "--timeout", "5"]),
        ("embedded", ["up", "--no-wait"]),
        ("remote", ["up", "--only", "trino"]),
        ("remote", ["up", "--no-wait"]),
    ],
)
def test_flags_for_services_ecomctl_starts_are_refused_on_other_stacks(
    stack: str, args: list[str]
) -> None:
    ran = cli(*args, "--stack", stack, "--home", "h")
    assert ran.code == 2, ran
    assert "--only, --timeout and --no-wait are for stacks whose services ecomctl starts" in (
        ran.stderr
    )
    assert not Path("h", "postgres").exists()


def test_down_volumes_resets_the_embedded_home() -> None:
    from ecomctl import home

    home.read_or_create(Path("h", "secrets", "postgres_password"))
    Path("h", "warehouse.duckdb").write_text("")
    ran = cli("down", "--volumes", "--yes", "--home", "h")
    assert ran.code == 0, ran
    assert "embedded stack reset" in ran.stderr
    assert sorted(p.name for p in Path("h").iterdir()) == ["lock"]


def test_down_volumes_without_a_terminal_asks_for_yes() -> None:
    ran = cli("down", "--volumes", "--home", "h")
    assert ran.code == 2
    assert "add --yes" in ran.stderr


def test_logs_names_the_embedded_stacks_one_service() -> None:
    ran = cli("logs", "trino", "--home", "h")
    assert ran.code == 2
    assert "its one server is postgres" in ran.stderr


def test_a_usage_error_with_json_is_one_json_document() -> None:
    ran = cli("run", "--bogus", "--json")
    assert ran.code == 2
    assert ran.document() == {
        "schema_version": 1,
        "command": "run",
        "ok": False,
        "exit_code": 2,
        "error": "No such option: --bogus",
    }


def test_a_refused_flag_with_json_is_one_json_document_too() -> None:
    ran = cli("up", "--only", "x", "--json", "--home", "h")
    doc = ran.document()
    assert ran.code == doc["exit_code"] == 2
    assert doc["command"] == "up" and doc["ok"] is False
    assert "--only" in doc["error"]


def test_status_env_of_a_never_started_home_has_no_gold_lines() -> None:
    ran = cli("status", "-o", "env", "--home", "h")
    assert "ECOMCTL_STACK=embedded" in ran.stdout
    assert "ECOMCTL_GOLD_URL" not in ran.stdout
    assert not Path("h", "postgres").exists()


def test_the_psql_hint_reads_the_password_from_a_home_with_spaces(tmp_path: Path) -> None:
    from ecomctl import home as homefiles
    from ecomctl.stacks import get_stack

    home = tmp_path / "my data $HOME 'x'"
    stack = get_stack(load_settings(home=home))
    secret = homefiles.read_or_create(home / "secrets" / "gold_reader_password")
    hint = stack.endpoints().password_hint
    shell = subprocess.run(
        ["bash", "-c", f'PGPASSWORD={hint}; printf %s "$PGPASSWORD"'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shell.stdout == secret


def test_query_in_a_folder_without_a_home_says_how_to_point_at_one() -> None:
    ran = cli("query", "select 1")
    assert ran.code == 2
    assert "no ecomctl home at" in ran.stderr and "--home DIR or ECOMCTL_HOME" in ran.stderr
    assert not Path(".ecomctl").exists()  # a read-only command makes nothing


def test_json_writes_a_databases_numbers_as_numbers() -> None:
    import json
    from datetime import date
    from decimal import Decimal

    from ecomctl.outputs import json_docs

    row = [Decimal("1172.25"), Decimal("100.00"), Decimal("0.793563"), Decimal("12"), 7,
           Decimal("NaN"), date(2017, 1, 5)]  # fmt: skip
    text = json_docs.dumps({"rows": [row]})
    assert json.loads(text)["rows"] == [[1172.25, 100.0, 0.793563, 12, 7, "NaN", "2017-01-05"]]
    assert "1172.25" in text and '"1172.25"' not in text


@pytest.mark.parametrize(
    "command", ["seed", "up", "status", "down", "logs", "run", "test", "query", "docs", "init",
                "history", "report"],
)  # fmt: skip
def test_each_commands_help_names_its_values_and_gives_examples(command: str) -> None:
    helptext = cli(command, "--help").stdout
    options = helptext[helptext.index("Options:") :]
    # Typer's internal metavars (<list[str]>, <int range>, <path>) say nothing to a person.
    assert not re.search(r"<[a-z]", options), options
    assert "Examples:\n" in helptext and f"    ecomctl {command}" in helptext


def test_seed_help_shows_the_defaults_it_uses() -> None:
    from ecomctl.settings import Settings

    helptext = " ".join(cli("seed", "--help").stdout.split())
    defaults = Settings.model_fields
    assert f"default {defaults['scale'].default}" in helptext
    assert f"default {defaults['seed'].default}" in helptext
    assert "embedded, native, compose or remote" in helptext


def test_home_and_stack_may_come_before_the_command() -> None:
    before = cli("--home", "h", "--stack", "native", "status", "-o", "env")
    assert "ECOMCTL_STACK=native" in before.stdout and "ECOMCTL_HOME=" in before.stdout
    assert str(Path("h").resolve()) in before.stdout
    # The command's own flag wins over the one before it.
    after = cli("--stack", "native", "status", "-o", "env", "--stack", "embedded", "--home", "h")
    assert "ECOMCTL_STACK=embedded" in after.stdout


def test_a_fresh_home_calls_duckdb_empty_not_ready() -> None:
    ran = cli("status", "--json", "--home", "h")
    duck = next(s for s in ran.document()["services"] if s["name"] == "duckdb")
    assert duck["state"] == "empty" and "no warehouse yet" in duck["detail"]


def test_sigterm_takes_ctrl_cs_way_out_with_its_own_code_and_words() -> None:
    """A command stopped by SIGTERM (a CI runner cancelling a job) ends as Ctrl-C ends it,
    but exits 143 and says which signal it was."""
    import os
    import signal
    import threading

    previous = signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        ran = cli("logs", "--follow", "--home", "h")  # follows the log until stopped
    finally:
        timer.cancel()
        signal.signal(signal.SIGTERM, previous)
    assert ran.code == 143, ran
    assert ran.stderr.endswith("ecomctl: terminated (SIGTERM)\n"), ran.stderr
