"""`run` and `test`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ecomctl.cli.context import Invocation
from ecomctl.cli.options import (
    JunitOpt,
    LayerOpt,
    ProjectOpt,
    SelectOpt,
    command,
)
from ecomctl.errors import ExitStatus

if TYPE_CHECKING:
    from ecomctl.commands.dbt import DbtRequest, DbtRun
    from ecomctl.settings import Settings

app = typer.Typer()


@command(
    app,
    "ecomctl run",
    "ecomctl run --layer gold --select +sales_values_by_category",
    "ecomctl run --full-refresh --fail-on-drop 5",
    "ecomctl --home ci-home run --json --junit-xml run.xml",
)
def run(
    call: Invocation,
    project_dir: ProjectOpt = None,
    layer: LayerOpt = "all",
    select: SelectOpt = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Rebuild incremental models.")
    ] = False,
    fail_on_drop: Annotated[
        float | None,
        typer.Option(
            "--fail-on-drop",
            min=0,
            metavar="PCT",
            help="Exit 1 when a model loses more than PCT% of its rows.",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Build every model, even when nothing changed since the last run."
        ),
    ] = False,
    junit_xml: JunitOpt = None,
) -> None:
    """Run the pipeline layer by layer (seeding first when landing is empty); a whole run
    builds only what changed since the last one."""
    call.start("run")
    from ecomctl.commands.dbt import DbtRequest
    from ecomctl.layers import parse_layers

    request = DbtRequest("run", parse_layers(layer), select, full_refresh, force, fail_on_drop)
    _run_dbt(call, request, project_dir, junit_xml)


@command(app, "ecomctl test", "ecomctl test --layer silver --junit-xml silver.xml")
def test(
    call: Invocation,
    project_dir: ProjectOpt = None,
    layer: LayerOpt = "all",
    select: SelectOpt = None,
    junit_xml: JunitOpt = None,
) -> None:
    """Run the dbt tests of each layer and list failures."""
    call.start("test")
    from ecomctl.commands.dbt import DbtRequest
    from ecomctl.layers import parse_layers

    request = DbtRequest("test", parse_layers(layer), select)
    _run_dbt(call, request, project_dir, junit_xml)


def _run_dbt(
    call: Invocation,
    request: DbtRequest,
    project_dir: Path | None,
    junit_xml: Path | None,
) -> None:
    from ecomctl.commands.dbt import run_dbt
    from ecomctl.outputs import watch

    screen = call.screen
    st = call.open_stack(dbt_project=project_dir)
    with call.recording(st) as record:
        with watch.stack_events(screen) as events, watch.run_watch(screen) as watching:
            done = run_dbt(st, request, events, watching, record)
        screen.layer_reports([r for r in done.reports if r.layer not in watching.shown])
        screen.failures(done.reports)
        if done.plan is not None and done.plan.up_to_date:
            screen.up_to_date(done.built_at)
        if done.gold is not None:
            screen.gold_hint(done.gold.gold_url, done.gold.password_hint)
        if request.fail_on_drop is not None:
            screen.dropped(done.verdict.dropped or [], request.fail_on_drop)
        _report_for_ci(call, st.settings, done, junit_xml)
    status = ExitStatus.SUCCESS if done.verdict.ok else ExitStatus.FAILURE
    call.finish(status, **_document(st.name, done))


def _document(stack: str, done: DbtRun) -> dict[str, Any]:
    """The fields of `run --json` and `test --json`."""
    from ecomctl.outputs import json_docs

    fields: dict[str, Any] = {
        "stack": stack,
        "success": done.verdict.success,
        "dbt_project": json_docs.dbt_project(done.project),
        "layers": json_docs.layers(done.reports),
    }
    if done.plan is not None:
        fields["up_to_date"] = done.plan.up_to_date
        fields["built_at"] = done.built_at
        fields["why"] = done.plan.why
    if done.gold is not None:
        fields["gold_url"] = done.gold.gold_url
    if done.verdict.dropped is not None:
        fields["dropped"] = [d.name for d in done.verdict.dropped]
    if done.verdict.error:
        fields["error"] = done.verdict.error
    return fields


def _report_for_ci(call: Invocation, settings: Settings, done: DbtRun, junit: Path | None) -> None:
    from ecomctl.outputs import github
    from ecomctl.outputs import junit as junit_xml

    if junit is not None:
        junit_xml.write(junit, done.reports)
        call.screen.err.print(f"JUnit report: {junit}")
    if settings.github_actions:
        stream = sys.stderr if call.json else sys.stdout
        for line in github.error_lines(done.reports):
            print(line, file=stream)
        if settings.github_step_summary is not None:
            github.append_summary(
                settings.github_step_summary, github.summary_markdown(call.command, done.reports)
            )
