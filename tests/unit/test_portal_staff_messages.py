"""The staff pages' messages: every key their scripts ask for (and the sign-in page's) is in both languages, each
name the API answers with (a loan state, a step, a list state, a staff role, a format, a harvest run's and a
source's state, what started a run, a quarantine reason's code) has its label, and the
Chinese is Chinese with the same placeholders."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from consortium.auth.callers import StaffRole
from consortium.cooperation.lists import ListState
from consortium.cooperation.models import LoanState, Side
from consortium.cooperation.rules import MOVES
from consortium.harvest.refusals import Refusal
from consortium.harvest.runs import RunState, RunTrigger, SourceRunState
from consortium.models import ResourceFormat

PORTAL = Path(__file__).resolve().parents[2] / "portal"
SCRIPTS = [*sorted((PORTAL / "assets" / "js").glob("staff*.js")), PORTAL / "assets" / "js" / "login.js"]
HAN = re.compile(r"[\u3400-\u9fff]")


def messages(name: str) -> dict[str, str]:
    found: dict[str, str] = json.loads((PORTAL / "assets" / "i18n" / f"{name}.json").read_text("utf-8"))
    return found


def asked_for() -> set[str]:
    """Every literal message key the scripts pass to t() or name as a key, and the page's data-i18n keys."""
    keys: set[str] = set()
    for script in SCRIPTS:
        text = script.read_text("utf-8")
        keys |= set(re.findall(r"""\bt\(\s*["']([\w.-]+)["']""", text))
        keys |= {k for k in re.findall(r"""["']((?:staff|login|role)\.[\w.-]+)["']""", text) if not k.endswith(".html")}
    keys |= set(re.findall(r'data-i18n="([\w.]+)"', (PORTAL / "staff.html").read_text("utf-8")))
    return keys


def families() -> set[str]:
    """The keys the scripts build from a name the API answers with."""
    steps = {wanted.value for (_, wanted) in MOVES}
    names = {
        "staff.ill.state": [s.value for s in LoanState],
        "staff.ill.do": sorted(steps),
        "staff.lists.state": [s.value for s in ListState],
        "staff.harvests.state": sorted({s.value for s in RunState} | {s.value for s in SourceRunState}),
        "staff.harvests.trigger": [s.value for s in RunTrigger],
        "staff.harvests.reason": [r.value for r in Refusal],
        "staff.harvests.col": "asked trigger state read added changed unchanged deleted quarantined".split(),
        "role": [r.value for r in StaffRole],
        "format": [f.value for f in ResourceFormat],
        "staff.lists": ["publish", "withdraw", "done_publish", "done_withdraw"],
        "staff.ill": [f"{k}_{side.value}" for side in Side for k in ("none", "intro")]
        + [f"{side.value}_long" for side in Side],
    }
    return {f"{prefix}.{name}" for prefix, values in names.items() for name in values}


def test_the_pages_have_scripts_to_check() -> None:
    assert {script.name for script in SCRIPTS} >= {
        "staff.js",
        "staff-ill.js",
        "staff-lists.js",
        "staff-harvests.js",
        "staff-sharing.js",
        "login.js",
    }
    assert len(asked_for()) > 80


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_key_the_pages_ask_for_is_there(lang: str) -> None:
    known = messages(f"staff.{lang}").keys() | messages(f"me.{lang}").keys() | messages(lang).keys()
    assert sorted((asked_for() | families()) - known) == []


def test_both_languages_have_the_same_keys_and_the_chinese_is_chinese() -> None:
    english, chinese = messages("staff.en"), messages("staff.zh")
    assert english.keys() == chinese.keys()
    assert sorted(key for key, text in chinese.items() if not HAN.search(text) and "{" not in text) == []
    assert {k for k in messages("en") if k.startswith(("role.", "login.demo_", "nav.staff"))} <= messages("zh").keys()


def test_placeholders_match_between_languages() -> None:
    def names(text: str) -> set[str]:
        return set(re.findall(r"\{(\w+)\}", text))

    for english, other in ((messages("staff.en"), messages("staff.zh")), (messages("en"), messages("zh"))):
        assert sorted(key for key in english if names(english[key]) != names(other.get(key, ""))) == []
