"""One configuration per engine: the compose project and the native stack render the same
files from conf/, differing only in hosts and ports; the compose image's Spark jars are the
native stack's, checksums included."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecomctl.resources import bundled
from ecomctl.runners import engine_conf
from ecomctl.runners.compose import ComposeServices
from ecomctl.runners.engine_conf import EngineHosts
from ecomctl.runners.native import pins
from ecomctl.settings import load_settings

NATIVE = EngineHosts(
    metastore_host="127.0.0.1",
    metastore_port=41083,
    metastore_bind_host="127.0.0.1",
    s3_endpoint="http://127.0.0.1:41000",
    postgres_host="127.0.0.1",
    postgres_port=41432,
    lake_bucket="lake",
)


@pytest.fixture
def renderings(tmp_path: Path) -> tuple[Path, Path]:
    compose = ComposeServices(load_settings(home=tmp_path / "home")).engine_hosts()
    return (
        engine_conf.render(tmp_path / "compose", compose),
        engine_conf.render(tmp_path / "native", NATIVE),
    )


def _masked(text: str, hosts: EngineHosts) -> str:
    """The text with this runner's hosts and ports replaced by HOST and PORT."""
    kinds = {
        str(value): "PORT" if name.endswith("_port") else "HOST"
        for name, value in vars(hosts).items()
        if name != "lake_bucket"
    }
    kinds[hosts.s3_endpoint] = "http://HOST:PORT"
    values = sorted(kinds, key=len, reverse=True)
    pattern = re.compile("|".join(rf"(?<![\w.]){re.escape(v)}(?![\w])" for v in values))
    return pattern.sub(lambda m: kinds[m.group(0)], text)


def test_every_engine_has_its_files(renderings: tuple[Path, Path]) -> None:
    compose, native = renderings
    expected = {
        "trino/catalog/iceberg.properties", "trino/catalog/hive.properties",
        "trino/catalog/de_psql.properties", "hive/hive-site.xml", "hive/core-site.xml",
        "spark/spark-defaults.conf", "trino/rules.json",
    }  # fmt: skip
    for root in (compose, native):
        assert {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} == expected


def test_compose_and_native_differ_only_in_hosts_and_ports(
    renderings: tuple[Path, Path], tmp_path: Path
) -> None:
    compose_root, native_root = renderings
    compose_hosts = ComposeServices(load_settings(home=tmp_path / "home")).engine_hosts()
    differing = 0
    for path in compose_root.rglob("*"):
        if not path.is_file():
            continue
        compose, native = (
            path.read_text(),
            (native_root / path.relative_to(compose_root)).read_text(),
        )
        differing += compose != native
        assert _masked(compose, compose_hosts) == _masked(native, NATIVE), path.name
    assert differing >= 5  # each engine's file names where the others are


def test_no_rendered_file_holds_a_secret_or_a_placeholder(renderings: tuple[Path, Path]) -> None:
    import xml.etree.ElementTree as ET

    secretive = re.compile(r"(?i)password|secret|access-key|access\.key|username|connection-user")
    for root in renderings:
        for path in root.rglob("*"):
            text = path.read_text() if path.is_file() else ""
            assert "{{" not in text, path
            if path.suffix == ".json":
                pairs = list(_json_pairs(json.loads(text)))
            elif path.suffix == ".xml":
                pairs = [
                    (p.findtext("name") or "", p.findtext("value") or "")
                    for p in ET.fromstring(text).iter("property")
                ]
            else:
                pairs = [
                    tuple(re.split(r"\s*=\s*|\s+", line, maxsplit=1))  # type: ignore[misc]
                    for line in text.splitlines()
                    if line.strip() and not line.startswith("#")
                ]
            for key, value in pairs:
                if secretive.search(key):
                    assert value.startswith(("${ENV:", "${env.")), f"{path.name}: {key}"


def _json_pairs(value: Any) -> Iterator[tuple[str, str]]:
    """Every key of a JSON document with its value, however deep."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, json.dumps(inner)
            yield from _json_pairs(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _json_pairs(inner)


def test_an_unknown_placeholder_is_refused() -> None:
    with pytest.raises(KeyError, match="no value for placeholder"):
        engine_conf.render_text("x={{nowhere_host}}", NATIVE)


def test_the_compose_spark_image_adds_exactly_the_native_stacks_jars() -> None:
    spark = bundled("compose") / "spark"
    adds = re.findall(
        r"^ADD --chmod=0644 \$\{MAVEN\}/(\S+) /opt/spark/jars/$",
        (spark / "Dockerfile").read_text(),
        re.M,
    )
    assert adds == [a.path("").lstrip("/") for a in pins.SPARK_JARS]
    pinned = [
        tuple(line.split())
        for line in (spark / "jars.sha1").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert pinned == [(a.sha1, a.filename) for a in pins.SPARK_JARS]


def test_rendering_again_replaces_the_folder_whole_readable_by_the_engines(
    tmp_path: Path,
) -> None:
    target = tmp_path / "conf"
    engine_conf.render(target, NATIVE)
    (target / "stale.properties").write_text("left from an older ecomctl\n")
    moved = EngineHosts(**{**vars(NATIVE), "metastore_port": 42083})
    engine_conf.render(target, moved)
    assert not (target / "stale.properties").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conf"]  # no side folder left
    catalog = (target / "trino" / "catalog" / "iceberg.properties").read_text()
    assert "thrift://127.0.0.1:42083" in catalog
    assert {p.stat().st_mode & 0o777 for p in target.rglob("*") if p.is_file()} == {0o644}
    assert {p.stat().st_mode & 0o777 for p in [target, *target.rglob("*")] if p.is_dir()} == {0o755}


def test_trino_finds_its_files_below_a_home_path_with_any_letter(tmp_path: Path) -> None:
    """Trino reads its .properties as ISO-8859-1: the home's letters beyond ASCII are escaped."""
    from ecomctl.runners.native.config import NativeConfig

    home = tmp_path / "home dir 'q' é 😀"
    config = NativeConfig(load_settings(home=home))
    ports = {"metastore": 41083, "s3": 41000, "trino": 41080, "trino-http": 41081}
    config.render(ports, 41432, home / "plugins")
    etc = config.conf / "trino" / "etc"

    def as_java(name: str) -> dict[str, str]:
        text = (etc / name).read_bytes().decode("ascii")
        values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        read = {k: v.encode().decode("unicode_escape", "surrogatepass") for k, v in values.items()}
        return {k: v.encode("utf-16", "surrogatepass").decode("utf-16") for k, v in read.items()}

    server = as_java("config.properties")
    assert server["catalog.config-dir"] == str(config.conf / "trino" / "catalog")
    assert server["plugin.dir"] == str(home / "plugins")
    # Every other file Trino is pointed at is found by the same path, written the same way.
    named = [server["http-server.https.keystore.path"], server["access-control.config-files"],
             server["password-authenticator.config-files"],
             as_java("access-control.properties")["security.config-file"],
             as_java("password-authenticator.properties")["file.password-file"]]  # fmt: skip
    assert all(Path(path).is_relative_to(home) for path in named)


def test_a_port_out_of_range_in_ports_json_is_chosen_again(tmp_path: Path) -> None:
    from ecomctl.runners.native.config import NativeConfig

    config = NativeConfig(load_settings(home=tmp_path / "home"))
    config.root.mkdir(parents=True)
    config.ports_file.write_text('{"s3": 99999, "trino": 41080, "metastore": "x"}')
    assert config.ports() == {"trino": 41080}
    assert [n.split(" held ")[1] for n in config.notices] == [
        "no port number for metastore ('x'); choosing one",
        "no port number for s3 (99999); choosing one",
    ]
