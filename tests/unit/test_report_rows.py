"""The report's rows per layer: every table of a layer after each run, so a run that built only
some models does not read as the layer losing rows."""

from __future__ import annotations

from pathlib import Path

from ecomctl import history
from ecomctl.outputs.report.runs import history_part
from ecomctl.settings import HomePaths
from ecomctl.transform.pipeline import LayerReport, ModelDiff


def _run(paths: HomePaths, diffs: list[ModelDiff], table_rows: int) -> None:
    report = LayerReport("bronze", "bronze", "run", "duckdb", 1.0, diffs=diffs)
    report.table_rows = table_rows
    with history.recording(paths, "run", "embedded", ["run"]) as record:
        record.start()
        record.layers([report])


def test_a_run_that_built_some_models_shows_the_whole_layer(tmp_path: Path) -> None:
    paths = HomePaths(tmp_path)
    whole = [ModelDiff("orders", None, 77_000), ModelDiff("customers", None, 51_530)]
    _run(paths, whole, 128_530)
    # The next run built only orders (new orders came): the layer grew, orders alone is less.
    _run(paths, [ModelDiff("orders", 77_000, 77_070)], 128_600)

    (rows_section,) = [s for s in history_part(history.read(paths)).sections if "Rows" in s.title]
    (table,) = rows_section.tables
    assert [row[1] for row in table.rows] == ["128,530", "128,600"]
    assert "every table" in rows_section.text


def test_a_seed_counts_every_landing_table(tmp_path: Path) -> None:
    paths = HomePaths(tmp_path)
    with history.recording(paths, "seed", "embedded", ["seed"]) as record:
        record.start()
        record.landing({}, {"orders": 10, "customers": 5}, 0.5)
    (seed,) = history.read(paths)
    assert seed["layers"][0].get("table_rows") == 15
