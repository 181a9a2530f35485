"""The "My library" page's messages: every key its scripts ask for is in both languages, and each name the API
may answer with (a consent purpose, a kind of data, a channel, a frequency, a mute) has its label."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from consortium.profiles.consent import DataKind, Purpose
from consortium.profiles.models import EventType
from consortium.push.models import Channel, Frequency, MuteKind

PORTAL = Path(__file__).resolve().parents[2] / "portal"
SCRIPTS = sorted((PORTAL / "assets" / "js").glob("me*.js"))
HAN = re.compile(r"[\u3400-\u9fff]")


def bundle(lang: str) -> dict[str, str]:
    messages: dict[str, str] = json.loads((PORTAL / "assets" / "i18n" / f"me.{lang}.json").read_text("utf-8"))
    return messages


def shared(lang: str) -> dict[str, str]:
    messages: dict[str, str] = json.loads((PORTAL / "assets" / "i18n" / f"{lang}.json").read_text("utf-8"))
    return messages


def asked_for() -> set[str]:
    """Every literal message key the page's scripts pass to t(), and the page's data-i18n keys."""
    keys: set[str] = set()
    for script in SCRIPTS:
        keys |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", script.read_text("utf-8")))
    keys |= set(re.findall(r'data-i18n="([\w.]+)"', (PORTAL / "me.html").read_text("utf-8")))
    return keys


def families() -> set[str]:
    """The keys the scripts build from a name the API answers with."""
    names = {
        "me.purpose": [p.value for p in Purpose],
        "me.consents.withdraw_effect": [p.value for p in Purpose],
        "me.consents.withdrawn_effect": [p.value for p in Purpose],
        "me.add": ["bad_class", "bad_subject", "bad_author"],
        "me.because": [n for e in EventType for n in (e.value, f"{e.value}_one")],
        "me.data": [k.value for k in DataKind],
        "me.channel": [c.value for c in Channel],
        "me.frequency": [f.value for f in Frequency],
        "me.mute": [m.value for m in MuteKind],
        "me.kind": ["class", "subject", "author", *(m.value for m in MuteKind)],
        "me.erase.what": ["profile", "interests", "history", "consents", "inbox", "subscriptions"],
    }
    return {f"{prefix}.{name}" for prefix, values in names.items() for name in values}


def test_the_page_has_scripts_to_check() -> None:
    assert {script.name for script in SCRIPTS} >= {"me.js", "me-interests.js", "me-inbox.js", "me-account.js"}
    assert len(asked_for()) > 100


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_key_the_page_asks_for_is_there(lang: str) -> None:
    known = bundle(lang).keys() | shared(lang).keys()
    missing = sorted((asked_for() | families()) - known)
    assert missing == []


def test_both_languages_have_the_same_keys_and_the_chinese_is_chinese() -> None:
    english, chinese = bundle("en"), bundle("zh")
    assert english.keys() == chinese.keys()
    untranslated = sorted(key for key, text in chinese.items() if not HAN.search(text))
    assert untranslated == []


def test_placeholders_match_between_languages() -> None:
    english, other = bundle("en"), bundle("zh")

    def names(text: str) -> set[str]:
        return set(re.findall(r"\{(\w+)\}", text))

    assert sorted(key for key in english if names(english[key]) != names(other[key])) == []
