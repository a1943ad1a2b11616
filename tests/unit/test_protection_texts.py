"""What `status` says of each service's protection is read from what is really configured, and
the isolation chain of a home is its own: named from the home, short enough for iptables,
one rule per port that resets other users' connections."""

from __future__ import annotations

from pathlib import Path

from ecomctl import protection
from ecomctl.runners.native.config import unauthenticated_ports
from ecomctl.runners.native.isolation import chain_name, jump, rules


def test_a_homes_chain_is_its_own_and_fits_iptables(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "a")
    same = {chain_name(tmp_path / "a"), chain_name(tmp_path / "link"), chain_name(tmp_path / "a/.")}
    assert len(same) == 1
    assert chain_name(tmp_path / "b") not in same
    assert all(len(name) <= 28 and name.startswith("ecomctl-") for name in same)
    assert jump("ecomctl-x") == ["-o", "lo", "-j", "ecomctl-x"]


def test_each_port_gets_one_rule_that_resets_other_users() -> None:
    others_reset = "-m owner ! --uid-owner 0 -j REJECT --reject-with tcp-reset"
    assert [" ".join(rule) for rule in rules([9083, 8888, 9083], 0)] == [
        f"-p tcp --dport {port} {others_reset}" for port in (8888, 9083)
    ]


def test_the_ports_that_check_no_credentials_are_all_but_s3s_own() -> None:
    ports = {"s3": 1, "s3-grpc": 2, "metastore": 3, "trino": 4, "spark-thrift": 5,
             "weed-master": 6, "weed-filer-grpc": 7, "s3-console": 8, "trino-http": 9,
             "spark-driver": 10, "spark-blocks": 11}  # fmt: skip
    # Trino's plain HTTP port takes only requests signed with its internal secret.
    assert sorted(unauthenticated_ports(ports)) == [2, 3, 6, 7, 10, 11]


def test_trino_is_called_secured_only_with_https_and_passwords() -> None:
    secured = "http-server.https.enabled=true\nhttp-server.authentication.type=PASSWORD\n"
    assert protection.trino_native(secured) == protection.TRINO_SECURED
    assert "no authentication" in protection.trino_native("http-server.http.port=8080\n")
    plain = "http-server.authentication.type=PASSWORD\n"
    assert protection.trino_native(plain) == "password over plain HTTP"


def test_spark_is_read_from_its_command_line_or_hive_site() -> None:
    argv = "spark-submit --hiveconf hive.server2.authentication=NONE --hiveconf x=y"
    assert "no authentication" in protection.spark_native(argv)
    assert "no authentication" in protection.spark_native("")
    xml = "<name>hive.server2.authentication</name>\n  <value>CUSTOM</value>"
    assert protection.spark_native(xml) == protection.SPARK_SECURED
    # The command line, read last, wins over a file.
    assert "no authentication" in protection.spark_native(f"{xml}\n{argv}")


def test_unisolated_ports_are_said_to_be_reachable_with_the_reason() -> None:
    assert protection.metastore("isolation needs root") == (
        "reachable by other local users (no authentication; isolation needs root)"
    )
    assert "ecomctl's user only" in protection.metastore(None)
    assert "ecomctl's user only" in protection.seaweed(None)
    assert "isolation needs root" in protection.seaweed("isolation needs root")
