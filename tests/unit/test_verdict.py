"""How `run` and `test` judge a run: a failed layer, or a model that lost more rows than
--fail-on-drop allows, fails it, with one line saying why (the JSON's `error`, the history's)."""

from __future__ import annotations

from ecomctl.commands.dbt import verdict
from ecomctl.transform.pipeline import LayerReport, ModelDiff


def _layer(layer: str, *diffs: ModelDiff, error: str = "", skipped: bool = False) -> LayerReport:
    failed = bool(error) or skipped
    report = LayerReport(layer, layer, "run", success=not failed, skipped=skipped, error=error)
    report.diffs = list(diffs)
    return report


def test_a_run_whose_layers_succeeded_is_ok() -> None:
    judged = verdict([_layer("bronze", ModelDiff("orders", 100, 50)), _layer("gold")], None)
    assert judged.ok and judged.success
    assert judged.dropped is None and judged.error == ""  # no --fail-on-drop: no drop counted


def test_the_first_failed_layer_says_why_in_one_line() -> None:
    dbt_says = "Runtime Error in model sellers (models/bronze/sellers.sql)\n  column x not found\n"
    reports = [
        _layer("bronze"),
        _layer("silver", error=dbt_says),
        _layer("gold", skipped=True),
    ]
    judged = verdict(reports, None)
    assert not judged.ok and not judged.success
    assert judged.error == "silver: column x not found"


def test_rows_lost_beyond_fail_on_drop_fail_a_run_whose_layers_succeeded() -> None:
    reports = [
        _layer("silver", ModelDiff("fact_orders", 100, 94), ModelDiff("dim_dates", 10, 10)),
        _layer("gold", ModelDiff("payment_type_mix", 200, 100), ModelDiff("new_one", None, 5)),
    ]
    judged = verdict(reports, 5)
    assert judged.success and not judged.ok
    assert [d.name for d in judged.dropped or []] == ["fact_orders", "payment_type_mix"]
    assert judged.error == "row counts fell beyond --fail-on-drop: fact_orders, payment_type_mix"


def test_rows_lost_within_fail_on_drop_are_fine() -> None:
    judged = verdict([_layer("gold", ModelDiff("payment_type_mix", 200, 190))], 5)
    assert judged.ok and judged.dropped == [] and judged.error == ""


def test_a_failed_layer_is_named_before_the_rows_lost() -> None:
    reports = [_layer("bronze", ModelDiff("orders", 100, 1)), _layer("silver", error="boom")]
    judged = verdict(reports, 5)
    assert not judged.ok and judged.error == "silver: boom"
    assert [d.name for d in judged.dropped or []] == ["orders"]
