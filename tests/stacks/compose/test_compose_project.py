"""The compose project users run (`ecomctl up --stack compose`), held to the stack's policies.

Everything here goes through the real `docker compose config` on the bundled project (the copy
in the installed wheel, or the clone's `compose/`): it needs the docker CLI and the Compose v2
plugin, not a daemon. The images themselves cannot be pulled or built on the development
machines; docs/compose.md says what has and has not been run.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from ecomctl.resources import bundled
from ecomctl.runners import engine_conf
from ecomctl.runners.compose import ComposeServices
from ecomctl.settings import load_settings

COMPOSE_DIR = bundled("compose")
COMPOSE_FILE = COMPOSE_DIR / "compose.yaml"
DOCS = Path(__file__).resolve().parents[3] / "docs" / "compose.md"

# What `ecomctl up` must put in the generated .env; compose refuses to run without each.
REQUIRED_SECRETS = (
    "POSTGRES_PASSWORD",
    "MINIO_ROOT_USER",
    "MINIO_ROOT_PASSWORD",
    "GOLD_WRITER_PASSWORD",
)
BI_PROFILE = "bi"
CORE_SERVICES = {
    "minio",
    "minio-init",
    "postgres",
    "hive-metastore",
    "trino",
    "spark-master",
    "spark-worker",
    "spark-thrift",
}
BI_SERVICES = {"metabase"}
ONE_SHOT_SERVICES = {"minio-init"}
# env var -> (service, container port, default host port)
PORT_VARS = {
    "TRINO_PORT": ("trino", 8080, 8080),
    "SPARK_THRIFT_PORT": ("spark-thrift", 10000, 10000),
    "POSTGRES_PORT": ("postgres", 5432, 5432),
    "MINIO_PORT": ("minio", 9000, 9000),
    "MINIO_CONSOLE_PORT": ("minio", 9001, 9001),
    "SPARK_MASTER_UI_PORT": ("spark-master", 8080, 8081),
    "METABASE_PORT": ("metabase", 3000, 3000),
}
# Which services may see each secret (in their environment, nowhere else).
_S3_CLIENTS = {"minio", "minio-init", "hive-metastore", "trino", "spark-worker", "spark-thrift"}
SECRET_READERS = {
    # Trino logs in to gold as gold's writer, never with the server's superuser password.
    "POSTGRES_PASSWORD": {"postgres", "hive-metastore", "metabase"},
    "GOLD_WRITER_PASSWORD": {"postgres", "trino"},
    "MINIO_ROOT_USER": _S3_CLIENTS,
    "MINIO_ROOT_PASSWORD": _S3_CLIENTS,
}
# A 16 GB laptop keeps room for the OS, a browser and the Docker VM's own overhead.
MEMORY_BUDGET_MIB = 12 * 1024
MIB = 1024 * 1024


# -- running docker compose (the CLI set-up is tests/support/dockerd.py's) ---------------------------


def _clean_env(docker_config: Path, extra: Mapping[str, str] | None) -> dict[str, str]:
    """The caller's environment minus every variable the project reads (and COMPOSE_*)."""
    referenced = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE_FILE.read_text()))
    env = {
        k: v for k, v in os.environ.items() if k not in referenced and not k.startswith("COMPOSE_")
    }
    env["DOCKER_CONFIG"] = str(docker_config)
    env.update(extra or {})
    return env


def run_compose(
    docker_config: Path,
    *args: str,
    env_file: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    cmd = ["docker", "compose", "-f", str(COMPOSE_FILE)]
    if env_file is not None:
        cmd += ["--env-file", str(env_file)]
    return subprocess.run(
        [*cmd, *args],
        capture_output=True,
        text=True,
        env=_clean_env(docker_config, extra_env),
        timeout=120,
        check=False,
    )


def write_env_file(path: Path, values: Mapping[str, str]) -> Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    path.chmod(0o600)
    return path


def render(
    docker_config: Path,
    env_file: Path,
    *,
    profiles: tuple[str, ...] = (),
    extra_env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    profile_args = [arg for p in profiles for arg in ("--profile", p)]
    proc = run_compose(
        docker_config,
        *profile_args,
        "config",
        "--format",
        "json",
        env_file=env_file,
        extra_env=extra_env,
    )
    assert proc.returncode == 0, f"docker compose config failed:\n{proc.stderr}"
    config: dict[str, Any] = json.loads(proc.stdout)
    return config


@pytest.fixture(scope="session")
def generated_secrets() -> dict[str, str]:
    """Secrets shaped like the ones `ecomctl up` generates, unique enough to search for."""
    return {name: f"t{secrets.token_hex(16)}" for name in REQUIRED_SECRETS}


@pytest.fixture(scope="session")
def conf_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The engines' configuration as `ecomctl up` renders it for the compose network."""
    hosts = ComposeServices(load_settings(home=tmp_path_factory.mktemp("home"))).engine_hosts()
    return engine_conf.render(tmp_path_factory.mktemp("rendered") / "conf", hosts)


@pytest.fixture(scope="session")
def env_file(
    tmp_path_factory: pytest.TempPathFactory, generated_secrets: dict[str, str], conf_dir: Path
) -> Path:
    values = {**generated_secrets, "ECOMCTL_CONF_DIR": str(conf_dir)}
    return write_env_file(tmp_path_factory.mktemp("env") / ".env", values)


@pytest.fixture(scope="session")
def core_config(docker_config: Path, env_file: Path) -> dict[str, Any]:
    return render(docker_config, env_file)


@pytest.fixture(scope="session")
def bi_config(docker_config: Path, env_file: Path) -> dict[str, Any]:
    return render(docker_config, env_file, profiles=(BI_PROFILE,))


def services(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = config["services"]
    return result


# -- 1. it renders with the secrets, and refuses without them ---------------------------------


def test_renders_the_core_services_with_generated_secrets(core_config: dict[str, Any]) -> None:
    assert core_config["name"] == "ecomctl"
    assert set(services(core_config)) == CORE_SERVICES


def test_renders_metabase_too_with_the_bi_profile(bi_config: dict[str, Any]) -> None:
    assert bi_config["name"] == "ecomctl"
    assert set(services(bi_config)) == CORE_SERVICES | BI_SERVICES


@pytest.mark.parametrize("missing", REQUIRED_SECRETS)
def test_refuses_to_render_without_a_secret_and_names_it(
    docker_config: Path, tmp_path: Path, generated_secrets: dict[str, str], missing: str
) -> None:
    partial = {k: v for k, v in generated_secrets.items() if k != missing}
    partial["ECOMCTL_CONF_DIR"] = str(tmp_path)
    proc = run_compose(
        docker_config,
        "config",
        "--format",
        "json",
        env_file=write_env_file(tmp_path / ".env", partial),
    )
    assert proc.returncode != 0, f"compose rendered without {missing}:\n{proc.stdout[:500]}"
    assert missing in proc.stderr
    assert "set by ecomctl up" in proc.stderr


def test_refuses_to_render_with_no_env_file_at_all(docker_config: Path) -> None:
    proc = run_compose(docker_config, "config", "--format", "json")
    assert proc.returncode != 0
    # The first variable compose finds missing: a secret, or where the rendered conf is.
    assert any(name in proc.stderr for name in (*REQUIRED_SECRETS, "ECOMCTL_CONF_DIR")), proc.stderr
    assert "set by ecomctl up" in proc.stderr


def test_every_reference_to_a_secret_requires_it() -> None:
    # One `${POSTGRES_PASSWORD}` without `:?` would render as an empty password, silently.
    text = COMPOSE_FILE.read_text()
    for name in REQUIRED_SECRETS:
        # (?<!\$): `$${VAR}` is expanded by a container's shell, not by compose.
        references = re.findall(rf"(?<!\$)\$\{{{name}([^}}]*)\}}", text)
        assert references, f"{name} is never used"
        for modifier in references:
            assert modifier == ":?set by ecomctl up", f"${{{name}{modifier}}}"


# -- 2. policies on the rendered project ------------------------------------------------------


def _tag(image: str) -> str | None:
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


@pytest.mark.parametrize(
    ("image", "pinned"),
    [
        ("trinodb/trino:476", True),
        ("localhost:5000/trino:476", True),
        ("quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z", True),
        ("trinodb/trino", False),
        ("localhost:5000/trino", False),
        ("trinodb/trino:latest", False),
        ("postgres:alpine", False),
    ],
)
def test_the_pin_rule_itself(image: str, pinned: bool) -> None:
    assert _is_pinned(image) is pinned


def _is_pinned(image: str) -> bool:
    tag = _tag(image)
    return tag is not None and tag != "latest" and re.search(r"\d", tag) is not None


def test_every_image_has_a_pinned_version_tag(bi_config: dict[str, Any]) -> None:
    for name, service in services(bi_config).items():
        assert "image" in service, f"{name} has no image"
        assert _is_pinned(service["image"]), f"{name}: {service['image']} is not pinned"


def test_built_images_are_named_ecomctl_and_built_from_pinned_bases(
    bi_config: dict[str, Any],
) -> None:
    built = {n: s for n, s in services(bi_config).items() if "build" in s}
    assert set(built) == {"hive-metastore", "spark-master", "spark-worker", "spark-thrift"}
    for name, service in built.items():
        assert service["image"].startswith("ecomctl/"), name
        dockerfile = Path(service["build"]["context"]) / service["build"].get(
            "dockerfile", "Dockerfile"
        )
        bases = re.findall(r"^FROM\s+(\S+)", dockerfile.read_text(), flags=re.MULTILINE)
        assert bases, f"{dockerfile} has no FROM"
        for base in bases:
            assert _is_pinned(base), f"{dockerfile}: FROM {base} is not pinned"


def test_one_shot_services_are_exactly_the_ones_that_do_not_restart(
    bi_config: dict[str, Any],
) -> None:
    not_restarting = {n for n, s in services(bi_config).items() if s.get("restart", "no") == "no"}
    assert not_restarting == ONE_SHOT_SERVICES
    for name in set(services(bi_config)) - ONE_SHOT_SERVICES:
        assert services(bi_config)[name]["restart"] == "unless-stopped", name


def test_every_long_running_service_has_a_healthcheck(bi_config: dict[str, Any]) -> None:
    for name, service in services(bi_config).items():
        if name in ONE_SHOT_SERVICES:
            continue
        check = service.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        assert not check.get("disable"), f"{name} disables its healthcheck"
        assert check["test"] and check["test"][0] in ("CMD", "CMD-SHELL"), f"{name}: {check}"
        for key in ("interval", "timeout", "retries", "start_period"):
            assert key in check, f"{name}'s healthcheck has no {key}"


def test_depends_on_waits_for_health_or_for_the_one_shot_to_succeed(
    bi_config: dict[str, Any],
) -> None:
    every = services(bi_config)
    edges = 0
    for name, service in every.items():
        for target, spec in service.get("depends_on", {}).items():
            edges += 1
            assert target in every, f"{name} depends on unknown {target}"
            if target in ONE_SHOT_SERVICES:
                assert spec["condition"] == "service_completed_successfully", (name, target)
            else:
                assert spec["condition"] == "service_healthy", (name, target)
                assert every[target].get("healthcheck"), f"{target} cannot become healthy"
    assert edges > 0


def test_published_ports_bind_to_loopback_only(bi_config: dict[str, Any]) -> None:
    published = set()
    for name, service in services(bi_config).items():
        for port in service.get("ports", []):
            assert port.get("host_ip") == "127.0.0.1", f"{name}: {port}"
            published.add((name, port["target"], int(port["published"])))
    expected = {(service, target, default) for service, target, default in PORT_VARS.values()}
    assert published == expected
    assert not services(bi_config)["hive-metastore"].get("ports"), "the metastore is published"


def test_port_variables_move_the_published_ports(docker_config: Path, env_file: Path) -> None:
    moved = {var: str(20000 + i) for i, var in enumerate(PORT_VARS)}
    config = render(docker_config, env_file, profiles=(BI_PROFILE,), extra_env=moved)
    for var, (service, target, _default) in PORT_VARS.items():
        ports = {p["target"]: p for p in services(config)[service]["ports"]}
        assert ports[target]["published"] == moved[var], var
        assert ports[target]["host_ip"] == "127.0.0.1", var


def test_every_service_has_a_memory_limit_within_a_laptop_budget(
    bi_config: dict[str, Any],
) -> None:
    limits = {n: int(s.get("mem_limit", 0)) for n, s in services(bi_config).items()}
    for name, limit in limits.items():
        assert limit >= 64 * MIB, f"{name} has no (or a tiny) memory limit"
    assert sum(limits.values()) <= MEMORY_BUDGET_MIB * MIB, limits


def test_the_docs_state_each_memory_limit_and_the_totals(bi_config: dict[str, Any]) -> None:
    limits = {n: int(s["mem_limit"]) // MIB for n, s in services(bi_config).items()}
    text = DOCS.read_text()
    documented = {
        m[0]: int(m[1]) for m in re.findall(r"^\|\s*`([\w-]+)`\s*\|\s*(\d+) MiB", text, re.M)
    }
    assert documented == limits
    core_total = sum(v for n, v in limits.items() if n not in BI_SERVICES)
    assert f"{core_total} MiB" in text
    assert f"{sum(limits.values())} MiB" in text


def test_metabase_starts_only_under_the_bi_profile(
    core_config: dict[str, Any], bi_config: dict[str, Any]
) -> None:
    assert "metabase" not in services(core_config)
    assert services(bi_config)["metabase"]["profiles"] == [BI_PROFILE]
    for name in CORE_SERVICES:
        assert not services(bi_config)[name].get("profiles"), name


def test_state_lives_in_named_volumes(core_config: dict[str, Any]) -> None:
    assert {"minio-data", "postgres-data"} <= set(core_config["volumes"])
    mounts = {
        name: {v["target"]: v for v in s.get("volumes", [])}
        for name, s in services(core_config).items()
    }
    assert mounts["minio"]["/data"]["type"] == "volume"
    assert mounts["minio"]["/data"]["source"] == "minio-data"
    assert mounts["postgres"]["/var/lib/postgresql/data"]["source"] == "postgres-data"


def test_every_bind_mount_source_exists(bi_config: dict[str, Any]) -> None:
    # Docker would create a missing source as an empty directory and start anyway.
    binds = 0
    for name, service in services(bi_config).items():
        for volume in service.get("volumes", []):
            if volume["type"] == "bind":
                binds += 1
                assert Path(volume["source"]).exists(), f"{name}: {volume['source']}"
                assert volume.get("read_only"), f"{name} mounts {volume['source']} writable"
    assert binds > 0


# -- what the mounted configuration says --------------------------------------------------------


def _properties(path: Path) -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in path.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    return {k.strip(): v.strip() for k, v in pairs}


def _mounted(config: dict[str, Any], service: str, target: str) -> Path:
    """The host path compose mounts at target in the service: what the engine reads."""
    volume = next(v for v in services(config)[service]["volumes"] if v["target"] == target)
    assert volume["type"] == "bind" and volume.get("read_only"), volume
    return Path(volume["source"])


def test_trino_catalogs_share_the_metastore_and_read_credentials_from_env(
    core_config: dict[str, Any],
) -> None:
    catalogs = _mounted(core_config, "trino", "/etc/trino/catalog")
    assert {p.name for p in catalogs.glob("*.properties")} == {
        "iceberg.properties",
        "hive.properties",
        "de_psql.properties",
    }
    iceberg = _properties(catalogs / "iceberg.properties")
    hive = _properties(catalogs / "hive.properties")
    gold = _properties(catalogs / "de_psql.properties")
    assert iceberg["connector.name"] == "iceberg"
    assert iceberg["iceberg.catalog.type"] == "hive_metastore"
    assert hive["connector.name"] == "hive"
    assert hive["hive.non-managed-table-writes-enabled"] == "true"
    for lake in (iceberg, hive):
        assert lake["hive.metastore.uri"] == "thrift://hive-metastore:9083"
        assert lake["fs.native-s3.enabled"] == "true"
        assert lake["s3.endpoint"] == "http://minio:9000"
        assert lake["s3.path-style-access"] == "true"
        assert lake["s3.aws-access-key"] == "${ENV:MINIO_ROOT_USER}"
        assert lake["s3.aws-secret-key"] == "${ENV:MINIO_ROOT_PASSWORD}"
    assert gold["connector.name"] == "postgresql"
    assert gold["connection-url"] == "jdbc:postgresql://postgres:5432/analytics"
    assert gold["connection-user"] == "${ENV:GOLD_WRITER_USER}"
    assert gold["connection-password"] == "${ENV:GOLD_WRITER_PASSWORD}"


def test_spark_puts_iceberg_in_the_session_catalog_on_the_shared_metastore(
    core_config: dict[str, Any],
) -> None:
    target = "/opt/spark/conf/spark-defaults.conf"
    for spark in ("spark-master", "spark-worker", "spark-thrift"):
        assert _mounted(core_config, spark, target) == _mounted(core_config, "spark-thrift", target)
    conf = dict(
        line.split(None, 1)
        for line in _mounted(core_config, "spark-thrift", target).read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    conf = {k: v.strip() for k, v in conf.items()}
    # Iceberg's, then ecomctl's guard (on the native stack; the upstream image lacks its class
    # and Spark skips it with a warning: docs/compose.md).
    assert conf["spark.sql.extensions"].split(",") == [
        "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        "ecomctl.spark.Guard",
    ]
    assert conf["spark.sql.catalog.spark_catalog"] == "org.apache.iceberg.spark.SparkSessionCatalog"
    assert conf["spark.sql.catalog.spark_catalog.type"] == "hive"
    assert conf["spark.hadoop.hive.metastore.uris"] == "thrift://hive-metastore:9083"
    assert conf["spark.hadoop.fs.s3a.endpoint"] == "http://minio:9000"
    assert conf["spark.hadoop.fs.s3a.path.style.access"] == "true"
    assert conf["spark.sql.warehouse.dir"] == "s3a://lake/warehouse"
    assert not any("secret" in k or "access.key" in k for k in conf), "credentials in a file"


def test_the_metastore_keeps_its_schema_in_postgres_and_its_warehouse_on_s3(
    core_config: dict[str, Any],
) -> None:
    import xml.etree.ElementTree as ET

    conf = _mounted(core_config, "hive-metastore", "/hive_custom_conf")
    site = {
        p.findtext("name"): p.findtext("value")
        for p in ET.parse(conf / "hive-site.xml").getroot().iter("property")
    }
    assert site["javax.jdo.option.ConnectionURL"] == "jdbc:postgresql://postgres:5432/metastore"
    assert site["javax.jdo.option.ConnectionUserName"] == "${env.POSTGRES_USER}"
    assert site["javax.jdo.option.ConnectionPassword"] == "${env.POSTGRES_PASSWORD}"
    assert site["metastore.warehouse.dir"] == "s3a://lake/warehouse"
    assert site["metastore.thrift.port"] == "9083"
    assert site["metastore.thrift.bind.host"] == "0.0.0.0"  # inside its container
    core = {
        p.findtext("name"): p.findtext("value")
        for p in ET.parse(conf / "core-site.xml").getroot().iter("property")
    }
    assert core["fs.s3a.endpoint"] == "http://minio:9000"
    assert core["fs.s3.impl"] == core["fs.s3a.impl"] == "org.apache.hadoop.fs.s3a.S3AFileSystem"
    env = services(core_config)["hive-metastore"]["environment"]
    assert {"POSTGRES_USER", "POSTGRES_PASSWORD"} <= set(env)


def test_postgres_init_creates_the_metastore_and_metabase_databases(
    core_config: dict[str, Any],
) -> None:
    postgres = services(core_config)["postgres"]
    assert postgres["environment"]["POSTGRES_DB"] == "analytics"
    initdb = next(
        Path(v["source"])
        for v in postgres["volumes"]
        if v["target"] == "/docker-entrypoint-initdb.d"
    )
    sql = " ".join(p.read_text() for p in sorted(initdb.glob("*.sql")))
    created = set(re.findall(r"CREATE DATABASE (\w+)", sql, flags=re.IGNORECASE))
    assert created == {"metastore", "metabase"}


# -- 3. no literal secrets ------------------------------------------------------------------------

# A key naming a credential; not one inside a `${...}` reference (hence the look-behind).
_SECRET_KEY = r"(?<![\w.${:-])[\w.-]*(?:pass|secret|access[-_.]?key)[\w.-]*"
_ASSIGNMENT = re.compile(rf"(?i)(?P<key>{_SECRET_KEY})[\"']?\s*[:=]\s*[\"']?(?P<value>[^\s\"'#,]+)")
# spark-defaults.conf style: a dotted key, whitespace, the value.
_SPACED = re.compile(rf"(?im)^\s*(?P<key>(?=[\w.-]*\.)(?:{_SECRET_KEY}))[ \t]+(?P<value>[^\s#]+)")
_XML_PROPERTY = re.compile(
    rf"(?is)<name>\s*(?P<key>{_SECRET_KEY})\s*</name>\s*<value>(?P<value>[^<]*)</value>"
)
# Values that are references, not secrets: compose/shell `${VAR...}`, Trino `${ENV:VAR}`,
# Hadoop `${env.VAR}`, or nothing.
_REFERENCE = re.compile(r"^(\$\$?\{[^}]+\}?|\$\$?[A-Za-z_]\w*)?$")
_DEFAULT_CREDENTIALS = ("minioadmin", "changeme", "hunter2")


def literal_secrets(text: str) -> list[str]:
    """Password-like assignments in `text` whose value is a literal, not a reference."""
    found = []
    for pattern in (_ASSIGNMENT, _SPACED, _XML_PROPERTY):
        for match in pattern.finditer(text):
            if not _REFERENCE.match(match["value"].strip()):
                found.append(match.group(0))
    found += [word for word in _DEFAULT_CREDENTIALS if word in text.lower()]
    return found


@pytest.mark.parametrize(
    "line",
    [
        "POSTGRES_PASSWORD: hunter3",
        "      MB_DB_PASS: s3cr3t",
        "PGPASS=s3cr3t",
        "connection-password=s3cr3t",
        "s3.aws-secret-key=abc123",
        "-Djavax.jdo.option.ConnectionPassword=s3cr3t",
        "<name>javax.jdo.option.ConnectionPassword</name>\n  <value>s3cr3t</value>",
        "spark.hadoop.fs.s3a.secret.key  abc123",
        "MINIO_ROOT_PASSWORD=minioadmin",
    ],
)
def test_the_secret_scanner_flags_literals(line: str) -> None:
    assert literal_secrets(line)


@pytest.mark.parametrize(
    "line",
    [
        "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set by ecomctl up}",
        "connection-password=${ENV:POSTGRES_PASSWORD}",
        "      PGPASS: ${POSTGRES_PASSWORD:?set by ecomctl up}",
        '"$${MINIO_ROOT_PASSWORD}"',
        "<name>javax.jdo.option.ConnectionPassword</name><value>${env.PG}</value>",
        "# the password comes from the environment",
        "Secrets are never written here.",
        "spark.hadoop.fs.s3a.aws.credentials.provider  com.amazonaws.auth.Provider",
    ],
)
def test_the_secret_scanner_accepts_references(line: str) -> None:
    assert not literal_secrets(line)


def test_no_file_in_the_compose_project_holds_a_literal_secret() -> None:
    files = [
        p
        for root in (COMPOSE_DIR, engine_conf.source())
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    assert len(files) >= 10
    for path in files:
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        assert not literal_secrets(text), f"{path}: {literal_secrets(text)}"


def _without_environment(service: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in service.items() if k != "environment"})


def test_rendered_secrets_appear_only_in_the_environment_of_services_that_need_them(
    bi_config: dict[str, Any], generated_secrets: dict[str, str]
) -> None:
    for name, value in generated_secrets.items():
        readers = set()
        for service_name, service in services(bi_config).items():
            assert value not in _without_environment(service), f"{name} leaks in {service_name}"
            if any(value in str(v) for v in (service.get("environment") or {}).values()):
                readers.add(service_name)
        assert readers == SECRET_READERS[name], name
    rest = {k: v for k, v in bi_config.items() if k != "services"}
    assert not any(v in json.dumps(rest) for v in generated_secrets.values())


# -- what `ecomctl up` reads from the project ------------------------------------------------


def _stack(home: Path, docker_config: Path, monkeypatch: pytest.MonkeyPatch, **flags: Any) -> Any:
    from ecomctl.runners.compose import ComposeServices
    from ecomctl.settings import load_settings

    monkeypatch.setenv("DOCKER_CONFIG", str(docker_config))
    return ComposeServices(load_settings(home=home, stack="compose", **flags))


def test_ecomctl_reads_the_services_one_shot_jobs_and_ports_from_the_project(
    tmp_path: Path, docker_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = _stack(tmp_path, docker_config, monkeypatch, trino_port=18080)
    project = stack.project()  # before any `up`: placeholder secrets, nothing written
    assert set(project.services) == CORE_SERVICES
    assert [s for s in project.services.values() if s.one_shot] == [project.services["minio-init"]]
    assert project.services["trino"].ports == [("127.0.0.1", 18080, 8080)]
    assert not (tmp_path / "compose" / ".env").exists()


def test_only_trino_brings_what_trino_depends_on(
    tmp_path: Path, docker_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _stack(tmp_path, docker_config, monkeypatch).project()
    assert sorted(project.closure(["trino"])) == [
        "hive-metastore", "minio", "minio-init", "postgres", "trino",
    ]  # fmt: skip


def test_the_unit_tests_fixture_reads_as_the_project_renders_today(
    bi_config: dict[str, Any],
) -> None:
    """tests/unit/fixtures/compose/config.json, which the unit tests of parse_config read, is
    this project's `docker compose config` output: regenerate it when this fails."""
    from ecomctl.runners.compose_config import parse_config

    fixture = Path(__file__).parents[2] / "unit" / "fixtures" / "compose" / "config.json"
    assert parse_config(json.loads(fixture.read_text())) == parse_config(bi_config)


def test_the_bi_profile_setting_adds_metabase(
    tmp_path: Path, docker_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _stack(tmp_path, docker_config, monkeypatch, compose_profiles=["bi"]).project()
    assert set(project.services) == CORE_SERVICES | {"metabase"}
