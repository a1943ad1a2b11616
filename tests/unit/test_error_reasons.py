"""The one line an error is said in: the cause, where it is, and nothing of a library's repr."""

from __future__ import annotations

from trino.exceptions import TrinoUserError

from ecomctl.errors import reason


def test_a_trino_error_is_its_message_with_line_and_column() -> None:
    error = {
        "message": "line 1:15: Schema 'nope' does not exist",
        "errorName": "SCHEMA_NOT_FOUND",
        "errorType": "USER_ERROR",
        "errorCode": 1,
        "errorLocation": {"lineNumber": 1, "columnNumber": 15},
    }
    said = reason(TrinoUserError(error, "20261207_000000_00001_abcde"))
    assert said == "line 1:15: Schema 'nope' does not exist"


def test_any_other_error_is_the_first_line_of_its_text() -> None:
    assert reason(ValueError("bad value\nmore detail")) == "bad value"
    assert reason(ValueError()) == "ValueError"
