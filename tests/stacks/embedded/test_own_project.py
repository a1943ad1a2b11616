"""Your own dbt project: `init` copies the bundled one out, and `--project-dir` (or
ECOMCTL_DBT_PROJECT) makes every command run it, so that an edited model reaches gold."""

from __future__ import annotations

import json
from pathlib import Path

from support.helpers import NO_PARTIAL_PARSE, dbt_log, ecomctl

from ecomctl.resources import bundled

TINY = {"ECOMCTL_SCALE": "0.005"}
GOLD_MODEL = Path("models/gold/payment_type_mix.sql")


def _tag_payment_mix(project: Path, tag: str) -> None:
    """Make the gold model payment_type_mix the bundled one plus a column `edited_by` = tag."""
    text = (bundled("dbt") / GOLD_MODEL).read_text()
    marker = "    avg_installments,\n"
    assert marker in text
    (project / GOLD_MODEL).write_text(text.replace(marker, f"{marker}    '{tag}' as edited_by,\n"))


def _edited_by(home: Path) -> list[str]:
    found = ecomctl("query", "select distinct edited_by from payment_type_mix", "--json", home=home)
    return [row[0] for row in json.loads(found.stdout)["rows"]]


def test_an_edited_model_of_your_own_project_reaches_gold(tmp_path: Path) -> None:
    home, project = tmp_path / "home", tmp_path / "mine"
    made = json.loads(ecomctl("init", str(project), "--json", cwd=tmp_path).stdout)
    assert made["path"] == str(project) and (project / "dbt_project.yml").is_file()
    assert not {"target", "logs", "dbt_packages"} & {p.name for p in project.iterdir()}
    _tag_payment_mix(project, "flag")
    try:
        run = json.loads(
            ecomctl("run", "--project-dir", str(project), "--json", home=home, env=TINY).stdout
        )
        assert run["dbt_project"] == {"path": str(project), "bundled": False}
        assert _edited_by(home) == ["flag"]

        # Through the environment, and the up-to-date check sees the edit: that model alone.
        _tag_payment_mix(project, "env")
        env = {**TINY, "ECOMCTL_DBT_PROJECT": str(project)}
        again = ecomctl("run", home=home, env=env)
        assert "changed since the last run: payment_type_mix" in again.stderr
        assert f"dbt project: {project}" in again.stderr
        assert _edited_by(home) == ["env"]
        status = json.loads(ecomctl("status", "--json", home=home, env=env).stdout)
        assert status["dbt_project"] == {"path": str(project), "bundled": False}
        assert f"dbt project: {project}" in ecomctl("status", home=home, env=env).stdout

        # Back on the bundled project, the bundled model is built again.
        ecomctl("run", home=home, env=TINY)
        columns = ecomctl("query", "select * from payment_type_mix limit 1", "--json", home=home)
        assert "edited_by" not in json.loads(columns.stdout)["columns"]
        bundled = json.loads(ecomctl("status", "--json", home=home).stdout)["dbt_project"]
        assert bundled["bundled"] is True
    finally:
        ecomctl("down", home=home, check=False)


def test_init_refuses_a_folder_that_is_not_empty_and_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    refused = ecomctl("init", str(folder), "--json", check=False, cwd=tmp_path)
    assert refused.returncode == 2
    assert "not empty" in json.loads(refused.stdout)["error"]
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]  # no partial copy left


def test_init_without_a_folder_makes_the_default_one_and_says_what_next(tmp_path: Path) -> None:
    made = ecomctl("init", cwd=tmp_path)
    assert (tmp_path / "ecomctl-dbt" / GOLD_MODEL).is_file()
    assert "--project-dir ecomctl-dbt" in made.stdout and "ECOMCTL_DBT_PROJECT" in made.stdout


def test_a_folder_that_is_not_a_dbt_project_is_a_usage_error(tmp_path: Path) -> None:
    home, folder = tmp_path / "home", tmp_path / "empty"
    folder.mkdir()
    for command in ("run", "test", "docs", "status"):
        proc = ecomctl(command, "--project-dir", str(folder), home=home, check=False)
        assert proc.returncode == 2, command
        assert f"dbt project {folder}: not a dbt project" in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    assert not home.exists()  # refused before any work


def test_a_new_home_starts_from_the_parse_of_the_project_before_its_edit(tmp_path: Path) -> None:
    """The shared parse (transform/parse_cache.py) is dbt's partial parse: a model edited
    since another home parsed the project is parsed again, and its edit reaches gold."""
    env = {**TINY, "ECOMCTL_CACHE_DIR": str(tmp_path / "cache")}
    project, first, second = tmp_path / "mine", tmp_path / "first", tmp_path / "second"
    ecomctl("init", str(project), cwd=tmp_path)
    try:
        _tag_payment_mix(project, "before")
        ecomctl("run", "--project-dir", str(project), home=first, env=env)
        _tag_payment_mix(project, "after")
        ecomctl("run", "--project-dir", str(project), home=second, env=env)
        assert NO_PARTIAL_PARSE not in dbt_log(second), dbt_log(second)
        assert _edited_by(second) == ["after"]
    finally:
        for home in (first, second):
            ecomctl("down", home=home, check=False)


def _rename(project: Path, name: str) -> None:
    """Rename the project as a user would: its `name:` and what must follow it in
    dbt_project.yml (the `models:` and `data_tests:` keys); nothing else names it."""
    path = project / "dbt_project.yml"
    path.write_text(path.read_text().replace("ecom_analytics", name))


def test_a_renamed_project_rebuilds_what_depends_on_an_appended_landing_table(
    tmp_path: Path,
) -> None:
    home, project = tmp_path / "home", tmp_path / "mine"
    ecomctl("init", str(project), cwd=tmp_path)
    _rename(project, "my_shop")
    env = {**TINY, "ECOMCTL_DBT_PROJECT": str(project)}
    try:
        ecomctl("run", home=home, env=env)
        orders = "select count(*) from fact_orders"
        before = ecomctl("query", orders, "--layer", "silver", "--json", home=home)
        gold = ecomctl("query", "select * from sales_values_by_category", "--json", home=home)

        added = json.loads(ecomctl("seed", "--increment", "--json", home=home, env=env).stdout)
        run = ecomctl("run", "--json", home=home, env=env)
        assert "changed since the last run: " in run.stderr
        built = {
            n["unique_id"] for layer in json.loads(run.stdout)["layers"] for n in layer["nodes"]
        }
        assert {"model.my_shop.orders", "model.my_shop.fact_orders"} <= built
        assert "model.my_shop.sales_values_by_category" in built
        assert "model.my_shop.geolocation" not in built  # not appended to: not rebuilt
        after = ecomctl("query", orders, "--layer", "silver", "--json", home=home)
        grown = json.loads(after.stdout)["rows"][0][0] - json.loads(before.stdout)["rows"][0][0]
        assert grown == added["new_orders"] > 0
        changed = ecomctl("query", "select * from sales_values_by_category", "--json", home=home)
        assert json.loads(changed.stdout)["rows"] != json.loads(gold.stdout)["rows"]
    finally:
        ecomctl("down", home=home, check=False)
