"""The CORS rules of a portal served from another address: origins read strictly from the setting, answers and
preflights that name only an allowed origin, and ``Vary: Origin`` kept with the answer's own."""

from __future__ import annotations

import pytest

from consortium.config import Settings, parse_origins
from consortium.http import cors

PORTAL = "https://portal.library.example.edu"


def test_origins_are_read_strictly_and_named_when_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_origins(" https://Portal.Example.edu/ , http://127.0.0.1:8080,https://portal.example.edu") == (
        "https://portal.example.edu",
        "http://127.0.0.1:8080",
    )
    assert parse_origins("") == ()
    for bad in ("*", "portal.example.edu", "https://portal.example.edu/app", "ftp://x.example", "https://u:p@x.edu"):
        with pytest.raises(ValueError, match="is not an origin"):
            parse_origins(bad)
    monkeypatch.setenv("CONSORTIUM_PORTAL_ORIGINS", "https://a.example.edu/, https://b.example.edu")
    assert Settings().cors_origins == ("https://a.example.edu", "https://b.example.edu")
    monkeypatch.setenv("CONSORTIUM_PORTAL_ORIGINS", "https://a.example.edu/path")
    with pytest.raises(ValueError, match="portal_origins"):
        Settings()


def test_an_answer_names_only_an_allowed_origin() -> None:
    assert cors.answer_headers(PORTAL, ()) == {}  # no portal elsewhere: nothing added, not even Vary
    allowed = cors.answer_headers(PORTAL + "/", (PORTAL,))
    assert allowed["Access-Control-Allow-Origin"] == PORTAL and allowed["Vary"] == "Origin"
    assert "ETag" in allowed["Access-Control-Expose-Headers"]
    assert cors.answer_headers("https://evil.example", (PORTAL,)) == {"Vary": "Origin"}
    assert cors.answer_headers(None, (PORTAL,)) == {"Vary": "Origin"}


def test_a_preflight_is_answered_for_an_allowed_origin_only() -> None:
    found = cors.preflight_headers(PORTAL, (PORTAL,), ["GET", "PUT"])
    assert found is not None
    assert found["Access-Control-Allow-Methods"] == "GET, OPTIONS, PUT"
    assert "Authorization" in found["Access-Control-Allow-Headers"]
    assert cors.preflight_headers("https://evil.example", (PORTAL,)) is None
    assert cors.preflight_headers(PORTAL, ()) is None


def test_vary_keeps_what_the_answer_varies_by() -> None:
    extra = cors.answer_headers(PORTAL, (PORTAL,))
    assert cors.merged({"Vary": "Accept-Language"}, extra)["Vary"] == "Accept-Language, Origin"
    assert cors.merged({"vary": ["Accept", "Origin"]}, extra)["Vary"] == "Accept, Origin"
    assert cors.merged({}, extra)["Vary"] == "Origin"
