"""What a run builds, as pure logic: plan() over dbt's graph, and decide() over the flags, the
record of what was built and the landing generation.

The graph is tests/unit/fixtures/manifest.json, cut from the manifest dbt 1.11 wrote for the
bundled project (ecom_analytics) in a real embedded run: its metadata, the models of two chains
(landing orders and payments -> bronze -> silver -> gold) and bronze geolocation, one gold test,
the three landing sources, and the child map among them. tests/stacks/embedded/test_changes.py
runs the same logic on a whole manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecomctl.errors import EcomctlError, ExitStatus
from ecomctl.layers import LAYERS
from ecomctl.transform import changes
from ecomctl.transform.built import BuiltFrom, Inputs
from ecomctl.transform.changes import DbtRequest

FIXTURE = Path(__file__).parent / "fixtures" / "manifest.json"
LANDING = {
    "orders": "1/2026-12-01 10:00:00/100",
    "order_payments": "1/2026-12-01 10:00:00/90",
    "geolocation": "1/2026-12-01 10:00:00/50",
}
ORDERS_DOWNSTREAM = {
    "orders",
    "fact_orders",
    "fact_payments",
    "delivery_performance_monthly",
    "payment_type_mix",
}


def _manifest(project: str = "ecom_analytics") -> dict[str, Any]:
    """The fixture, as dbt writes it for a project of that name (the name is in every id)."""
    found: dict[str, Any] = json.loads(FIXTURE.read_text().replace("ecom_analytics", project))
    return found


def _project(folder: Path, manifest: dict[str, Any]) -> Path:
    """A dbt project holding the fixture's models, each file its model's name."""
    for node in manifest["nodes"].values():
        path = folder / node["original_file_path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"-- {node['name']}\n")
    return folder


def _inputs(project: Path, landing: dict[str, str] = LANDING) -> Inputs:
    return Inputs(dict(landing), changes.project_files(project), "target")


def test_the_fixture_is_the_bundled_projects_graph() -> None:
    manifest = _manifest()
    assert changes.project_name(manifest) == "ecom_analytics"
    assert "model.ecom_analytics.payment_type_mix" in manifest["child_map"]
    assert changes.project_name({"nodes": {}}) == ""
    assert changes.project_name(None) == ""


@pytest.mark.parametrize("project", ["ecom_analytics", "my_shop"])
def test_an_appended_landing_table_builds_what_reads_it_in_any_project(
    project: str, tmp_path: Path
) -> None:
    """A user's own project renamed in dbt_project.yml: its nodes carry its own name."""
    manifest = _manifest(project)
    folder = _project(tmp_path, manifest)
    grown = {**LANDING, "orders": "1/2026-12-02 10:00:00/120"}
    done = changes.plan(_inputs(folder), _inputs(folder, grown), manifest)
    assert done.models == frozenset(ORDERS_DOWNSTREAM)
    assert done.why == "changed since the last run: orders"


@pytest.mark.parametrize("project", ["ecom_analytics", "my_shop"])
def test_an_edited_or_new_model_builds_it_and_what_reads_it(project: str, tmp_path: Path) -> None:
    manifest = _manifest(project)
    folder = _project(tmp_path, manifest)
    before = _inputs(folder)
    (folder / "models" / "silver" / "fact_payments.sql").write_text("-- edited\n")
    (folder / "models" / "gold" / "orders_per_day.sql").write_text("select 1 as n\n")
    done = changes.plan(before, _inputs(folder), manifest)
    assert done.models == frozenset({"fact_payments", "payment_type_mix", "orders_per_day"})


def test_a_manifest_without_a_project_name_is_no_graph(tmp_path: Path) -> None:
    manifest = _manifest()
    del manifest["metadata"]["project_name"]
    folder = _project(tmp_path, manifest)
    done = changes.plan(_inputs(folder), _inputs(folder), manifest)
    assert done.models is None and done.why == "no earlier whole run to compare with"


# -- decide -------------------------------------------------------------------------------
class Home:
    """A home's dbt folder after a whole run: built.json and the manifest of that run."""

    def __init__(self, root: Path, project: str = "ecom_analytics") -> None:
        self.manifest = _manifest(project)
        self.project = _project(root / "project", self.manifest)
        self.dbt = root / "dbt"
        (self.dbt / "target" / "gold").mkdir(parents=True)
        (self.dbt / "target" / "gold" / "manifest.json").write_text(json.dumps(self.manifest))
        self.built = BuiltFrom(self.dbt, "embedded")
        self.built.record(list(LAYERS), 1, _inputs(self.project))
        self.notices: list[str] = []
        self.dropped: set[str] = set()  # layer.table, dropped from outside since the run

    def relations(self, layer: str) -> list[str]:
        """The tables a layer has: every model of the run's graph, but those dropped."""
        return [
            node["name"].upper()  # as an engine may spell them
            for node in self.manifest["nodes"].values()
            if node["original_file_path"].startswith(f"models/{layer}/")
            and f"{layer}.{node['name']}" not in self.dropped
        ]

    def decide(
        self, request: DbtRequest, generation: int | None = 1, landing: dict[str, str] = LANDING
    ) -> changes.RunPlan:
        return changes.decide(
            request,
            self.built,
            generation,
            lambda: _inputs(self.project, landing),
            self.project,
            self.notices.append,
            self.relations,
        )


def test_a_whole_run_with_nothing_changed_is_up_to_date(tmp_path: Path) -> None:
    home = Home(tmp_path)
    request = DbtRequest("run", list(LAYERS))
    assert changes.may_be_up_to_date(request, home.built)
    done = home.decide(request)
    assert done.up_to_date and done.compared is not None
    assert done.refresh == set() and home.notices == []


def test_a_table_dropped_from_outside_is_built_again(tmp_path: Path) -> None:
    home = Home(tmp_path)
    home.dropped = {"gold.payment_type_mix"}
    done = home.decide(DbtRequest("run", list(LAYERS)))
    assert done.layers == ["gold"] and done.select == ["payment_type_mix"]
    assert home.notices == ["gold.payment_type_mix is missing: building 1 model and no others"]


def test_a_missing_table_adds_to_what_changed(tmp_path: Path) -> None:
    home = Home(tmp_path)
    home.dropped = {"bronze.geolocation", "silver.fact_orders"}
    (home.project / "models" / "gold" / "payment_type_mix.sql").write_text("-- edited\n")
    done = home.decide(DbtRequest("run", list(LAYERS)))
    assert done.select == ["fact_orders", "geolocation", "payment_type_mix"]
    assert home.notices == [
        "changed since the last run: payment_type_mix; bronze.geolocation, silver.fact_orders"
        " are missing: building 3 models and no others"
    ]


@pytest.mark.parametrize("project", ["ecom_analytics", "my_shop"])
def test_a_whole_run_builds_the_changed_models_in_their_layers_only(
    project: str, tmp_path: Path
) -> None:
    home = Home(tmp_path, project)
    (home.project / "models" / "gold" / "payment_type_mix.sql").write_text("-- edited\n")
    done = home.decide(DbtRequest("run", list(LAYERS)))
    assert not done.up_to_date
    assert done.layers == ["gold"] and done.select == ["payment_type_mix"]
    assert done.inputs == _inputs(home.project)  # recorded once the run succeeds
    assert home.notices == [
        "changed since the last run: payment_type_mix: building 1 model and no others"
    ]


def test_force_and_full_refresh_build_every_model(tmp_path: Path) -> None:
    home = Home(tmp_path)
    forced = DbtRequest("run", list(LAYERS), force=True)
    assert not changes.may_be_up_to_date(forced, home.built)
    done = home.decide(forced)
    assert done.compared is None and done.layers == list(LAYERS) and done.select is None
    assert done.inputs is not None  # a whole run still records what it was built from
    refreshed = home.decide(DbtRequest("run", list(LAYERS), full_refresh=True))
    assert refreshed.compared is None and refreshed.refresh == set(LAYERS)


@pytest.mark.parametrize(
    "request_",
    [
        DbtRequest("run", ["gold"]),
        DbtRequest("run", list(LAYERS), select=["+payment_type_mix"]),
        DbtRequest("test", list(LAYERS)),
    ],
    ids=["one layer", "select", "test"],
)
def test_only_a_whole_run_compares(request_: DbtRequest, tmp_path: Path) -> None:
    home = Home(tmp_path)
    assert not changes.may_be_up_to_date(request_, home.built)
    done = home.decide(request_)
    assert done.compared is None and done.inputs is None
    assert done.layers == request_.layers and done.select == request_.select


def test_no_landing_means_nothing_to_compare(tmp_path: Path) -> None:
    done = Home(tmp_path).decide(DbtRequest("run", list(LAYERS)), generation=None)
    assert done.compared is None and done.inputs is None and done.refresh == set()


def test_replaced_landing_rebuilds_the_layers_from_scratch(tmp_path: Path) -> None:
    home = Home(tmp_path)
    replaced = {t: "2" + v[1:] for t, v in LANDING.items()}
    done = home.decide(DbtRequest("run", list(LAYERS)), generation=2, landing=replaced)
    assert done.refresh == set(LAYERS) and done.compared is None
    assert home.notices == [
        "landing was replaced since the last run (seed): rebuilding bronze, silver, gold from"
        " scratch"
    ]


def test_replaced_landing_refuses_a_selection(tmp_path: Path) -> None:
    home = Home(tmp_path)
    with pytest.raises(EcomctlError) as refused:
        home.decide(DbtRequest("run", ["silver"], select=["fact_orders"]), generation=2)
    assert refused.value.status == ExitStatus.USAGE
    assert "ecomctl run --layer silver" in refused.value.message
