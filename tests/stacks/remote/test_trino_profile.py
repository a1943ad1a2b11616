"""Every model and test of the dbt project compiles for the Trino adapter, into Trino SQL.

The compose and remote stacks run bronze and silver on dbt-trino (catalog `iceberg`, landing
read through catalog `hive`) and gold on dbt-trino into the PostgreSQL catalog `de_psql`. No
Trino can run on this machine, so dbt-trino talks to `trino_double` (tests/trino_double.py),
a stand-in for Trino's HTTP protocol that answers dbt's catalog queries and records them.
What is checked: dbt-trino renders every node (dispatch macros, catalogs, quoting, both
branches of is_incremental()) and the result uses Trino's dialect. What is not: whether Trino
would accept or correctly execute that SQL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support import trino_double as double_module
from support.trino_double import TrinoDouble

from ecomctl.settings import load_settings
from ecomctl.stacks import get_stack
from ecomctl.stacks.base import Stack
from ecomctl.transform import pipeline, project
from ecomctl.transform import runner as dbt_runner
from ecomctl.transform.runner import DbtOutcome, Invocation

trino_double = double_module.trino_double  # the fixture, under its name in this module
FirstRun = tuple[TrinoDouble, Path, dict[str, DbtOutcome]]

LAYER_PROFILES = (("bronze", "trino"), ("silver", "trino"), ("gold", "gold"))
DBT_DIR = project.dbt_project_dir()
LANDING_TABLES = sorted(p.stem for p in (DBT_DIR / "models" / "bronze").glob("*.sql"))
SILVER_FACTS = ("fact_order_items", "fact_orders", "fact_payments")

# Constructs of the other engines' dialects that Trino rejects or reads differently.
FOREIGN_SQL = {
    r"::": "PostgreSQL/DuckDB cast",
    r"\bstrftime\s*\(": "DuckDB date formatting",
    r"\bqualify\b": "QUALIFY (DuckDB, Spark 3.4+, not Trino)",
    r"\blist_\w+\s*\(": "DuckDB list functions",
    r"\bepoch_ms\s*\(": "DuckDB epoch conversion",
    r"\bto_char\s*\(": "PostgreSQL formatting",
    r"\bisodow\b": "DuckDB/PostgreSQL day of week",
    r"`": "Spark identifier quoting",
    r"\bas\s+string\b": "Spark type name",
    r"'y{2,4}-MM'|'YYYY-MM'": "Java/PostgreSQL date pattern (Trino's date_format is MySQL-style)",
}


def _remote_stack(home: Path, double: TrinoDouble) -> Stack:
    """The stack ecomctl builds for `--stack remote`, its Trino being the double."""
    settings = load_settings(
        home=home, stack="remote", trino_host=double.host, trino_port=double.port
    )
    return get_stack(settings)


def _compile(double: TrinoDouble, home: Path) -> dict[str, DbtOutcome]:
    """`dbt compile` of each layer on its profile, as `ecomctl run` selects them."""
    stack = _remote_stack(home, double)
    invocations = [
        Invocation(
            "compile",
            profile,
            pipeline.layer_selection(layer, []),
            extra=["--indirect-selection", "cautious"],
            parse_group=profile,
        )
        for layer, profile in LAYER_PROFILES
    ]
    ctx, _ = pipeline.context(stack)
    outcomes = dbt_runner.invoke_all(ctx, invocations)
    done = {}
    for (layer, _), outcome in zip(LAYER_PROFILES, outcomes, strict=True):
        assert outcome is not None, f"{layer}: not compiled (an earlier layer failed)"
        done[layer] = outcome
    return done


def _manifest(home: Path, profile: str) -> dict[str, Any]:
    path = home / "dbt" / "target" / profile / "manifest.json"
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _layer_nodes(manifest: dict[str, Any], layer: str) -> tuple[set[str], set[str]]:
    """The layer's models, and the tests that cautious selection attaches to them: those
    under tests/<layer>, and generic tests whose models are all in the layer."""
    nodes = manifest["nodes"]
    models = {
        uid for uid, n in nodes.items()
        if n["resource_type"] == "model" and n["original_file_path"].startswith(f"models/{layer}/")
    }  # fmt: skip
    tests = set()
    for uid, node in nodes.items():
        if node["resource_type"] != "test":
            continue
        parents = [p for p in node["depends_on"]["nodes"] if p.startswith("model.")]
        own_folder = node["original_file_path"].startswith(f"tests/{layer}/")
        if own_folder or (parents and set(parents) <= models):
            tests.add(uid)
    return models, tests


_SQL_COMMENT = re.compile(r"/\*.*?\*/|--[^\n]*", re.DOTALL)


def _sql(outcome: DbtOutcome) -> dict[str, str]:
    """Compiled SQL of every node, by unique_id: comments dropped (prose may quote other
    dialects) and whitespace collapsed, for matching."""
    sql = {}
    for node in outcome.nodes:
        text = Path(node.compiled_path).read_text(encoding="utf-8")
        sql[node.unique_id] = " ".join(_SQL_COMMENT.sub(" ", text).split())
    return sql


def _by_name(outcome: DbtOutcome) -> dict[str, str]:
    return {
        uid.split(".")[-1]: sql for uid, sql in _sql(outcome).items() if uid.startswith("model.")
    }


def _watermark(this: str) -> str:
    """The bronze/silver incremental filter (macros/incremental.sql), as compiled on Trino."""
    return (
        f"_loaded_at > (select coalesce(max(_loaded_at), "
        f"cast('1900-01-01 00:00:00' as timestamp)) from {this})"
    )


def _existing_relations(relations: Iterable[tuple[str, str, str]]) -> Any:
    """A responder answering dbt-trino's relation listing (information_schema.tables, one
    query per catalog and schema) with `relations` as tables, as on a second run."""

    def respond(sql: str) -> Any:
        catalog = re.search(r"catalog_name = '(\w+)'", sql)
        schema = re.search(r"t\.table_schema = '(\w+)'", sql)
        if "information_schema.tables" not in sql.lower() or not (catalog and schema):
            return None
        rows = [
            [c, name, s, "table"]
            for c, s, name in relations
            if (c, s) == (catalog.group(1), schema.group(1))
        ]
        return ["database", "name", "schema", "table_type"], rows

    return respond


def test_the_double_answers_the_trino_client(trino_double: TrinoDouble) -> None:
    """The stand-in itself: what it answers through the real `trino` client."""
    import requests
    import trino

    info = requests.get(f"{trino_double.url}/v1/info", timeout=5).json()
    assert info["nodeVersion"] == {"version": "476"} and info["starting"] is False

    def responder(sql: str) -> Any:
        if sql.startswith("select count(*)"):
            return ["_col0"], [[42]]
        if "missing" in sql:
            raise double_module.TrinoQueryError("Table 'missing' does not exist", "TABLE_NOT_FOUND")
        return None  # the double's rules

    trino_double.responder = responder
    conn = trino.dbapi.connect(  # type: ignore[no-untyped-call]
        host=trino_double.host, port=trino_double.port, user="u", catalog="iceberg", schema="bronze"
    )
    cur = conn.cursor()
    cur.execute("select count(*) from orders")
    assert cur.fetchall() == [[42]]
    cur.execute("select order_id, max(_loaded_at) as latest from orders group by 1")
    assert cur.fetchall() == [] and [d[0] for d in cur.description] == ["order_id", "latest"]
    cur.execute("insert into orders select * from staged")
    assert cur.fetchall() == [[0]] and cur.rowcount == 0
    with pytest.raises(trino.exceptions.TrinoUserError, match="TABLE_NOT_FOUND"):
        cur.execute("select * from missing")
    assert [(s.catalog, s.schema, s.user) for s in trino_double.statements] == [
        ("iceberg", "bronze", "u")
    ] * 4


@pytest.fixture(scope="module")
def first_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[FirstRun]:
    """Every layer compiled against an empty lake (no relation exists yet), once for the
    tests that only read the result."""
    home = tmp_path_factory.mktemp("trino") / "home"
    with double_module.serve() as double:
        yield double, home, _compile(double, home)


def test_every_model_and_test_of_each_layer_compiles_on_its_trino_profile(
    first_run: FirstRun,
) -> None:
    _, home, outcomes = first_run
    for layer, profile in LAYER_PROFILES:
        outcome = outcomes[layer]
        assert outcome.success and not outcome.error, f"{layer}: {outcome.error}"
        assert outcome.adapter == "trino"
        models, tests = _layer_nodes(_manifest(home, profile), layer)
        compiled = {n.unique_id for n in outcome.nodes}
        # Every node of the layer, and nothing else: no layer drags in another's nodes.
        assert compiled == models | tests, f"{layer}: {sorted(compiled ^ (models | tests))}"
        assert models and tests
        assert {n.status for n in outcome.nodes} == {"success"}


def test_each_layer_reads_and_writes_its_trino_catalog(
    first_run: FirstRun,
) -> None:
    _, home, outcomes = first_run
    # dbt-trino quotes catalog, schema and table.
    bronze = _by_name(outcomes["bronze"])
    for table in LANDING_TABLES:
        # Landing is Parquet behind Hive external tables; bronze and silver are Iceberg.
        assert f'from "hive"."landing"."{table}"' in bronze[table]
    for name, sql in _by_name(outcomes["silver"]).items():
        assert '"iceberg"."bronze".' in sql, name
        assert '"hive".' not in sql and '"iceberg"."silver"' not in sql, name
    for name, sql in _by_name(outcomes["gold"]).items():
        assert '"iceberg"."silver".' in sql, name
        assert '"iceberg"."bronze".' not in sql, name
    # The reconciliation tests compare silver and gold with landing, read where it lives.
    for layer in ("silver", "gold"):
        reconciliation = [
            sql for uid, sql in _sql(outcomes[layer]).items() if "_match_landing" in uid
        ]
        assert reconciliation and all('"hive"."landing".' in sql for sql in reconciliation)
    # Where each model is written: the relation dbt-trino creates and the tests query.
    for layer, profile in LAYER_PROFILES:
        catalog = "de_psql" if layer == "gold" else "iceberg"
        for node in _manifest(home, profile)["nodes"].values():
            if node["resource_type"] == "model" and node["original_file_path"].startswith(
                f"models/{layer}/"
            ):
                assert node["relation_name"] == f'"{catalog}"."{layer}"."{node["name"]}"'
    everything = " ".join(sql for o in outcomes.values() for sql in _sql(o).values())
    assert '"iceberg"."landing"' not in everything and '"warehouse".' not in everything


def test_compiled_sql_is_trino_dialect(
    first_run: FirstRun,
) -> None:
    _, _, outcomes = first_run
    for layer, outcome in outcomes.items():
        for uid, sql in _sql(outcome).items():
            for pattern, what in FOREIGN_SQL.items():
                assert not re.search(pattern, sql, re.IGNORECASE), f"{layer} {uid}: {what}"
    # month_label: Trino's date_format takes MySQL-style patterns. The guide's Java pattern
    # 'yyyy-MM' gave one "month" for all rows.
    gold = _by_name(outcomes["gold"])
    monthly = "date_format(items.order_purchase_timestamp, '%Y-%m') as monthly"
    assert monthly in gold["sales_values_by_category"]
    silver = _by_name(outcomes["silver"])
    assert "date_format(date_day, '%Y-%m') as month_label" in silver["dim_dates"]
    # ISO day of week (1 = Monday) and cleaning functions that exist in Trino.
    assert "day_of_week(date_day)" in silver["dim_dates"]
    bronze = _by_name(outcomes["bronze"])
    assert "try_cast(order_purchase_timestamp as timestamp)" in bronze["orders"]


def test_first_run_reads_every_landing_row_and_compiling_writes_nothing(
    first_run: FirstRun,
) -> None:
    double, _, outcomes = first_run
    for name, sql in _by_name(outcomes["bronze"]).items():
        assert "_loaded_at >" not in sql, f"{name}: filtered although bronze is empty"
    for name in SILVER_FACTS:
        assert "changed_orders" not in _by_name(outcomes["silver"])[name]
    # Compiling only looks: dbt-trino listed relations, it created and inserted nothing.
    assert double.statements
    for statement in double.statements:
        words = re.sub(r"/\*.*?\*/", " ", statement.sql, flags=re.DOTALL).split()
        assert words[0].lower() in ("select", "show", "with"), statement.sql
        assert statement.user == "ecomctl"
    # Sessions start in the profile's catalog: `trino` in the lake, `gold` in PostgreSQL.
    assert {s.catalog for s in double.statements} == {"iceberg", "de_psql"}


def test_second_run_compiles_the_incremental_filters(
    trino_double: TrinoDouble,
    tmp_path: Path,
) -> None:
    # The lake as after a first run: every bronze and silver table exists.
    lake = [("iceberg", "bronze", t) for t in LANDING_TABLES] + [
        ("iceberg", "silver", p.stem) for p in (DBT_DIR / "models" / "silver").glob("*.sql")
    ]
    trino_double.responder = _existing_relations(lake)
    outcomes = _compile(trino_double, tmp_path / "home")
    assert all(o.success and not o.error for o in outcomes.values())

    bronze = _by_name(outcomes["bronze"])
    for table in LANDING_TABLES:
        # Only landing rows newer than bronze's own high-water mark.
        landing = f'select * from "hive"."landing"."{table}" where '
        assert landing + _watermark(f'"iceberg"."bronze"."{table}"') in bronze[table]
    silver = _by_name(outcomes["silver"])
    for fact in SILVER_FACTS:
        # Orders touched by bronze rows newer than the fact's own high-water mark.
        this = f'"iceberg"."silver"."{fact}"'
        changed = f'select order_id from "iceberg"."bronze"."orders" where {_watermark(this)}'
        assert "changed_orders as (" in silver[fact] and changed in silver[fact], fact
    # Dims are tables: rebuilt whole, never filtered.
    assert "_loaded_at >" not in silver["dim_products"]


def test_compiled_sql_parses_as_trino(
    first_run: FirstRun,
) -> None:
    import sqlglot  # a test dependency: an independent parser of Trino's dialect

    for outcome in first_run[2].values():
        for uid, sql in _sql(outcome).items():
            try:
                sqlglot.parse_one(sql, read="trino")
            except sqlglot.errors.ParseError as exc:
                pytest.fail(f"{uid}: not Trino SQL: {exc}")


# The true key of each bronze table (dbt/README.md): the grain delete+insert must replace on.
BRONZE_KEYS = {
    "orders": ("order_id",),
    "order_items": ("order_id", "order_item_id"),
    "order_payments": ("order_id", "payment_sequential"),
    "order_reviews": ("review_id", "order_id"),
    "customers": ("customer_id",),
    "products": ("product_id",),
    "sellers": ("seller_id",),
    "category_translation": ("product_category_name",),
    "geolocation": ("geolocation_key",),
}


def _delete_on_key(table: str, key: tuple[str, ...]) -> str:
    """dbt-trino's delete+insert DELETE: `in` for one key column, `exists` for several."""
    target, staged = f'"iceberg"."bronze"."{table}"', f'"iceberg"."bronze"."{table}__dbt_tmp"'
    if len(key) == 1:
        return f"delete from {target} where ( {key[0]}) in ( select {key[0]} from {staged} )"
    match = " and ".join(f"{target}.{c} = {staged}.{c}" for c in key)
    return f"delete from {target} where exists ( select 1 from {staged} where {match} )"


def _sent(double: TrinoDouble) -> list[str]:
    return [" ".join(_SQL_COMMENT.sub(" ", sql).split()) for sql in double.sqls()]


def _created(double: TrinoDouble) -> list[str]:
    made = (re.match(r'create table "iceberg"\."bronze"\."(\w+)" as', s) for s in _sent(double))
    return sorted(m.group(1) for m in made if m)


def test_bronze_runs_through_ecomctls_pipeline_on_dbt_trino(
    trino_double: TrinoDouble, tmp_path: Path
) -> None:
    """`run_layers` drives dbt-trino's materializations; checked is what Trino is sent, not
    rows (the double executes nothing). First run: one CREATE TABLE AS per model."""
    (report,) = pipeline.run_layers(_remote_stack(tmp_path / "home", trino_double), ["bronze"])
    assert report.success and report.adapter == "trino", report.error
    assert sorted(n.name for n in report.nodes if n.resource_type == "model") == LANDING_TABLES
    assert _created(trino_double) == LANDING_TABLES


def test_a_second_bronze_run_on_trino_deletes_and_inserts_on_each_tables_true_key(
    trino_double: TrinoDouble, tmp_path: Path
) -> None:
    """The guide's bug was incremental keys that did not match the grain: here every bronze
    table's staged rows replace the target's rows on exactly its key. (The double answers no
    column query, so the INSERT's column list is not checked.)"""
    trino_double.responder = _existing_relations([("iceberg", "bronze", t) for t in LANDING_TABLES])
    (report,) = pipeline.run_layers(_remote_stack(tmp_path / "home", trino_double), ["bronze"])
    assert report.success, report.error
    sent = _sent(trino_double)
    for table, key in BRONZE_KEYS.items():
        assert _delete_on_key(table, key) in sent, table
        assert f'drop table if exists "iceberg"."bronze"."{table}__dbt_tmp"' in sent, table
