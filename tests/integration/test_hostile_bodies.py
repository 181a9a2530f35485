"""Hostile request bodies on the real routes (the profile function): each a 400 naming what is wrong, never a
500, and nothing of the body taken."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from function_apps import Api, serve

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

NOW = "2026-03-01T10:00:00Z"


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    with serve("profile", Api) as api:
        body = {"reader_id": "r1", "member": "riverside", "consents": ["personalization"], "declared": {"lang": "chi"}}
        assert api.as_library("riverside").call("post", "/readers", body)[0] == 201
        yield api


@pytest.mark.parametrize(
    ("route", "body", "reason"),
    [
        ("/readers/r1/profile", "[" * 50_000 + "]" * 50_000, "nested too deeply to read"),
        ("/readers/r1/profile", '{"lang":' * 3000 + '"eng"' + "}" * 3000, "nested too deeply to read"),
        ("/readers/r1/profile", '{"lang": "eng", "lang": "fre"}', "field 'lang': given twice in one object"),
        ("/readers/r1/profile", '{"lang": NaN}', "NaN is not a JSON number"),
        ("/readers/r1/interests", '{"weight": Infinity}', "Infinity is not a JSON number"),
        ("/readers/r1/interests", '{"weight": 1e400}', "too large for a JSON number"),
        ("/readers/r1/profile", '{"lang": "\\ud800"}', "a string holds a lone surrogate (\\ud800)"),  # was a 500
    ],
)
def test_a_body_json_cannot_read_as_meant_is_a_400_saying_why(api: Api, route: str, body: str, reason: str) -> None:
    response = api.as_reader("r1").raw("put", route, body)
    assert response.status_code == 400, response.body
    assert reason in response.json_body["Message"]
    assert api.as_reader("r1").call("get", "/readers/r1/profile")[1]["profile"] == {"lang": "chi"}


def test_an_event_with_a_key_given_twice_is_refused_not_read_by_its_last_value(api: Api) -> None:
    body = f'{{"event_id": "e1", "type": "search", "at": "{NOW}", "query": "a", "type": "rating"}}'
    response = api.as_reader("r1").raw("post", "/readers/r1/events", body)
    assert response.status_code == 400
    assert response.json_body["Message"] == "the body is not JSON: field 'type': given twice in one object"
