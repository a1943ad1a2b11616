"""What ecomctl reads from Trino's /v1/info answer, from answers as a Trino 476 gives them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecomctl.engines.clients import trino_info, trino_uptime

FIXTURES = Path(__file__).parent / "fixtures"


def _answer(name: str) -> dict[str, object]:
    return dict(json.loads((FIXTURES / name).read_text()))


def test_a_running_trino_reads_as_up_with_its_version_and_uptime() -> None:
    probe = trino_info(_answer("trino_v1_info.json"))
    assert probe.ok
    assert probe.version == "Trino 476"
    assert probe.uptime_seconds == pytest.approx(4.56 * 3600)
    assert probe.detail == ""


def test_a_starting_trino_reads_as_not_up_yet_and_says_so() -> None:
    probe = trino_info(_answer("trino_v1_info_starting.json"))
    assert not probe.ok
    assert probe.version == "Trino 476"
    assert probe.detail == "starting"


def test_an_answer_without_a_version_still_reads() -> None:
    probe = trino_info({"starting": False, "uptime": "12.00s"})
    assert probe.ok
    assert probe.version == "Trino ?"
    assert probe.uptime_seconds == pytest.approx(12.0)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1.23m", 1.23 * 60),
        ("4.56h", 4.56 * 3600),
        ("850.00ms", 0.85),
        ("30.00s", 30.0),
        ("2.00d", 2 * 86400),
    ],
)
def test_trino_durations_read_in_seconds(text: str, seconds: float) -> None:
    assert trino_uptime(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "soon", "1.2.3m", "12"])
def test_a_duration_that_does_not_read_gives_no_uptime(text: str) -> None:
    assert trino_uptime(text) is None
