"""JSON from outside is read strictly: NaN, Infinity, a key given twice, a number no float holds and nesting too
deep to read are each refused with a ValidationError that says which, never another exception."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consortium.errors import ValidationError
from consortium.json_input import read_json

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES)
def test_json_is_read_as_json_reads_it(value: Any) -> None:
    assert read_json(json.dumps(value)) == value


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | st.text(alphabet='[]{}":,0123456789.eE+-NaInfty\\u \x00', max_size=200))
def test_anything_else_is_read_or_refused_with_a_validation_error(raw: bytes | str) -> None:
    try:
        read_json(raw)
    except ValidationError as exc:
        assert str(exc).startswith("the body is not JSON: ")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('{"rating": NaN}', "NaN is not a JSON number"),
        ("[1, -Infinity]", "-Infinity is not a JSON number"),
        ('{"limit": 1e999}', "the number '1e999' is too large for a JSON number"),
        ('{"id": "a", "type": "x", "id": "b"}', "field 'id': given twice in one object"),
        ('{"a": [{"b": 1, "b": 2}]}', "field 'b': given twice in one object"),
        ("[" * 100_000 + "]" * 100_000, "arrays or objects nested too deeply to read"),
        ('{"a":' * 5000 + "1" + "}" * 5000, "arrays or objects nested too deeply to read"),
        (b'{"a": "\xff"}', "'utf-8' codec can't decode byte 0xff"),
        ('{"a": 1' + "0" * 5000 + "}", "Exceeds the limit"),
        ('{"lang": "x\\ud800"}', "a string holds a lone surrogate (\\ud800), no character"),
        ('{"\\udfff": 1}', "a string holds a lone surrogate (\\udfff), no character"),
        ('["\ud800"]', "a string holds a lone surrogate (\\ud800), no character"),
    ],
)
def test_what_is_refused_and_why(raw: str | bytes, reason: str) -> None:
    with pytest.raises(ValidationError, match=r"^the body is not JSON: ") as refused:
        read_json(raw)
    assert reason in str(refused.value)


def test_a_surrogate_pair_is_one_character_and_an_escaped_backslash_no_escape() -> None:
    assert read_json('{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}
    assert read_json('["\\\\ud800"]') == ["\\ud800"]


def test_a_line_of_an_upload_says_not_json_without_naming_the_body() -> None:
    with pytest.raises(ValidationError, match=r"^not JSON: field 'x': given twice"):
        read_json('{"x": 1, "x": 2}', what=None)
