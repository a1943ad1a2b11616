"""The command line's contract: version, help, settings precedence and exit codes."""

from __future__ import annotations

from pathlib import Path

from helpers import ecomctl

from ecomctl import __version__
from ecomctl.settings import load_settings


def test_version_and_help() -> None:
    assert ecomctl("--version").stdout.strip() == f"ecomctl {__version__}"
    helptext = ecomctl("--help").stdout
    for command in ("seed", "up", "status", "down", "run", "test", "query", "docs"):
        assert command in helptext


def test_help_does_not_import_heavy_libraries() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from ecomctl.cli import app; "
        "heavy = [m for m in ('dbt', 'duckdb', 'pyspark', 'psycopg', 'numpy') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert ecomctl("run", "--layer", "platinum", home=tmp_path, check=False).returncode == 2
    assert ecomctl("run", "--select", "x; drop", home=tmp_path, check=False).returncode == 2
    assert ecomctl("no-such-command", check=False).returncode == 2
    bad = ecomctl("query", "select 1", "--layer", "silver;", home=tmp_path, check=False)
    assert bad.returncode == 2
    assert "--layer" in bad.stderr


def test_settings_precedence(tmp_path: Path, monkeypatch: object) -> None:
    import pytest

    mp: pytest.MonkeyPatch = monkeypatch  # type: ignore[assignment]
    mp.chdir(tmp_path)
    mp.delenv("ECOMCTL_SCALE", raising=False)
    assert load_settings().scale == 0.1  # the default
    (tmp_path / "ecomctl.toml").write_text("scale = 0.5\nseed = 3\n")
    assert load_settings().scale == 0.5
    (tmp_path / ".env").write_text("ECOMCTL_SCALE=0.25\n")
    assert load_settings().scale == 0.25
    mp.setenv("ECOMCTL_SCALE", "0.125")
    assert load_settings().scale == 0.125
    assert load_settings(scale=2.0).scale == 2.0
    assert load_settings(scale=None).seed == 3  # a flag not given leaves the others


def test_bad_setting_is_a_usage_error(tmp_path: Path) -> None:
    proc = ecomctl("seed", "--scale", "-1", home=tmp_path / "h", check=False)
    assert proc.returncode == 2
    assert "scale" in proc.stderr
