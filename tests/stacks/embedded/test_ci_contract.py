"""What a shell CI job may rely on: JSON on stdout, exit codes, JUnit, GitHub summaries.

Each promise is checked by running the installed ecomctl in a real situation.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from support.helpers import TEST_SCALE, ecomctl

TINY = {"ECOMCTL_SCALE": "0.002"}


def _doc(proc: subprocess.CompletedProcess[str]) -> dict[str, object]:
    doc: dict[str, object] = json.loads(
        proc.stdout
    )  # exactly one document: json.loads rejects trailing text
    assert doc["schema_version"] == 1
    assert doc["exit_code"] == proc.returncode
    return doc


def test_every_command_prints_one_json_document(pipeline_home: Path, first_run: object) -> None:
    # seed before a whole run: the home stays consistent for the tests that share it.
    for args in (
        ("status",),
        ("up",),
        ("seed", "--scale", str(TEST_SCALE)),
        ("run",),
        ("test", "--layer", "gold"),
        ("query", "select count(*) as n from sales_values_by_category"),
        ("docs",),
    ):
        proc = ecomctl(*args, "--json", home=pipeline_home)
        doc = _doc(proc)
        assert doc["command"] == args[0] and doc["ok"] is True, args
        if args[0] != "query":  # a query's only output is its result
            assert proc.stderr  # the human output went to stderr
    run = _doc(ecomctl("run", "--layer", "gold", "--json", home=pipeline_home))
    gold = run["layers"][0]  # type: ignore[index]
    assert gold["profile"] == "gold" and gold["adapter"] == "duckdb"
    node = gold["nodes"][0]
    assert set(node) >= {"unique_id", "status", "seconds", "rows_before", "rows_after", "change"}
    assert node["rows_after"] == node["rows_before"] > 0


def test_down_prints_json_too(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _doc(ecomctl("up", "--json", home=home))
    doc = _doc(ecomctl("down", "--json", home=home))
    assert doc["stopped"] is True
    status = ecomctl("status", "--json", home=home, check=False)
    assert status.returncode == 1
    assert _doc(status)["healthy"] is False


def test_a_failure_is_also_one_json_document(tmp_path: Path) -> None:
    proc = ecomctl("seed", "--from", str(tmp_path), "--json", home=tmp_path / "h", check=False)
    doc = _doc(proc)
    assert proc.returncode == 1 and doc["ok"] is False
    assert "file not found" in str(doc["error"])


def test_status_env_output_is_eval_ready_and_has_no_secret(
    pipeline_home: Path, first_run: object
) -> None:
    proc = ecomctl("status", "-o", "env", home=pipeline_home)
    assert all(line.startswith("export ECOMCTL_") for line in proc.stdout.splitlines())
    values = dict(line.removeprefix("export ").split("=", 1) for line in proc.stdout.splitlines())
    assert values["ECOMCTL_PG_HOST"] == "127.0.0.1"
    assert values["ECOMCTL_GOLD_URL"].startswith("postgresql://gold_reader@127.0.0.1:")
    password = (pipeline_home / "secrets" / "postgres_password").read_text().strip()
    assert password not in proc.stdout
    # A child of the shell (here python, as psql or dbt would be) sees the variables.
    shell = subprocess.run(
        ["bash", "-c", f"eval \"$({sys.executable} -m ecomctl status -o env --home {pipeline_home})\""
         f" && {sys.executable} -c 'import os; print(os.environ[\"ECOMCTL_PG_PORT\"])'"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert shell.stdout.strip() == values["ECOMCTL_PG_PORT"]


def test_status_env_on_a_never_started_home_writes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "never"
    proc = ecomctl("status", "-o", "env", home=home, check=False)
    assert proc.returncode == 1  # nothing runs there
    assert "ECOMCTL_HOME=" in proc.stdout and "ECOMCTL_PG_PORT" not in proc.stdout
    assert not home.exists()


def test_no_escape_codes_off_a_terminal_and_quiet_prints_nothing(
    pipeline_home: Path, first_run: object
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    proc = subprocess.run(
        [sys.executable, "-m", "ecomctl", "run", "--layer", "gold", "--home", str(pipeline_home)],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    assert "\x1b" not in proc.stdout + proc.stderr
    quiet = ecomctl("status", "--quiet", home=pipeline_home)
    assert quiet.stdout == "" and quiet.stderr == ""


@pytest.fixture(scope="module")
def broken_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home whose bronze.orders holds a duplicate order: its unique test fails."""
    home = tmp_path_factory.mktemp("broken") / "home"
    ecomctl("run", "--layer", "bronze", home=home, env=TINY)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("insert into bronze.orders select * from bronze.orders limit 1")
    yield home
    ecomctl("down", home=home, check=False)


def test_junit_xml_has_one_testcase_per_dbt_test_and_the_failure(
    broken_home: Path, tmp_path: Path
) -> None:
    report = tmp_path / "junit.xml"
    proc = ecomctl(
        "test", "--layer", "bronze", "--junit-xml", str(report), home=broken_home, check=False
    )
    assert proc.returncode == 1
    root = ET.parse(report).getroot()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert int(suite.get("tests", "0")) == len(cases) > 10
    assert int(suite.get("failures", "0")) == 1 == int(root.get("failures", "0"))
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name", "").split(".")[2] for c in failed] == ["unique_orders_order_id"]
    assert "Got 1 result" in (failed[0].find("failure").get("message") or "")  # type: ignore[union-attr]
    for case in cases:
        float(case.get("time", "x"))


def test_run_junit_xml_has_one_testcase_per_model(pipeline_home: Path, tmp_path: Path) -> None:
    report = tmp_path / "run.xml"
    ecomctl("run", "--layer", "silver", "--junit-xml", str(report), home=pipeline_home)
    names = {c.get("name") for c in ET.parse(report).getroot().iter("testcase")}
    assert "model.ecom_analytics.fact_order_items" in names and len(names) == 7


def test_github_actions_gets_a_step_summary_and_error_annotations(
    broken_home: Path, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    proc = ecomctl("test", "--layer", "bronze", home=broken_home, env=env, check=False)
    assert proc.returncode == 1
    assert (
        "::error file=dbt/models/bronze/orders.yml,line=1,title=test.ecom_analytics.unique_orders_order_id"
        in proc.stdout
    )
    text = summary.read_text()
    assert text.startswith("## ecomctl test: FAILED")
    assert "unique_orders_order_id" in text and "| bronze | trino |" in text
    run_env = {**env, "GITHUB_STEP_SUMMARY": str(tmp_path / "run.md")}
    ecomctl("run", "--layer", "bronze", home=broken_home, env=run_env)
    assert "### Row counts" in (tmp_path / "run.md").read_text()


def test_fail_on_drop_catches_a_table_that_lost_rows(tmp_path: Path) -> None:
    home = tmp_path / "home"
    try:
        ecomctl("run", "--layer", "bronze", home=home, env=TINY)
        with duckdb.connect(str(home / "warehouse.duckdb")) as con:
            # A landing zone that lost half its orders, as a broken upstream export would.
            con.execute("delete from landing.orders where order_id < '8'")
        proc = ecomctl("run", "--layer", "bronze", "--full-refresh", "--fail-on-drop", "10",
                       home=home, check=False)  # fmt: skip
        assert proc.returncode == 1
        assert "row count of orders fell by" in proc.stderr
        calm = ecomctl("run", "--layer", "bronze", "--fail-on-drop", "10", home=home)
        assert calm.returncode == 0
    finally:
        ecomctl("down", home=home, check=False)


def test_a_server_that_cannot_start_exits_3_with_its_log(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ecomctl("up", home=home)
    ecomctl("down", home=home)
    conf = home / "postgres" / "data" / "postgresql.conf"
    conf.write_text(conf.read_text() + "\nno_such_setting = on\n")
    proc = ecomctl("up", home=home, check=False)
    assert proc.returncode == 3
    assert "postgres" in proc.stderr and "server.log" in proc.stderr


def test_a_taken_docs_port_exits_4(pipeline_home: Path, first_run: object) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = ecomctl("docs", "--serve", "--port", str(port), home=pipeline_home, check=False)
    assert proc.returncode == 4
    assert f"127.0.0.1:{port}" in proc.stderr


def test_docs_serve_serves_the_site_on_loopback_until_ctrl_c(
    pipeline_home: Path, first_run: object
) -> None:
    import socket
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cmd = [sys.executable, "-m", "ecomctl", "docs", "--serve", "--port", str(port),
           "--home", str(pipeline_home)]  # fmt: skip
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180  # dbt docs generate runs first
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=5) as r:
                    page = r.read().decode()
                break
            except OSError:
                assert server.poll() is None, server.communicate()
                assert time.monotonic() < deadline, "docs --serve never answered"
                time.sleep(0.5)
        assert "dbt" in page.lower()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/catalog.json", timeout=5) as r:
            catalog = json.loads(r.read())
        assert "model.ecom_analytics.sales_values_by_category" in catalog["nodes"]
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=30)
    assert server.returncode == 130
    assert f"serving http://127.0.0.1:{port}/" in err


def test_ctrl_c_during_a_dbt_run_exits_130(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ecomctl("seed", home=home, env=TINY)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ecomctl", "run", "--home", str(home)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        assert proc.stderr is not None
        deadline = time.monotonic() + 120
        for line in proc.stderr:  # wait until dbt is at work
            if "model.ecom_analytics" in line or time.monotonic() > deadline:
                break
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C sends: the whole group
        _, rest = proc.communicate(timeout=60)
        assert proc.returncode == 130
        # The last line says where the run stopped (docs/ci.md): in bronze, its first layer.
        assert rest.strip().splitlines()[-1].startswith("ecomctl: interrupted during bronze")
        assert "resource_tracker" not in rest and "Traceback" not in rest, rest
    finally:
        ecomctl("down", home=home, check=False)


def test_a_usage_error_with_json_is_one_json_document_too(tmp_path: Path) -> None:
    proc = ecomctl("run", "--bogus", "--json", home=tmp_path, check=False)
    assert proc.returncode == 2
    doc = _doc(proc)
    assert doc["command"] == "run" and doc["ok"] is False
    assert doc["error"] == "No such option: --bogus"
    assert "run --help' for help." in proc.stderr  # click's own message stays


def test_ctrl_c_outside_dbt_exits_130_too(tmp_path: Path) -> None:
    follower = subprocess.Popen(
        [sys.executable, "-m", "ecomctl", "logs", "--follow", "--home", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(2)  # past start-up, into the follow loop
    follower.send_signal(signal.SIGINT)
    _, err = follower.communicate(timeout=30)
    assert follower.returncode == 130
    assert err.strip().endswith("ecomctl: interrupted")
