"""The portal's inter-library loan messages (the work page's request, "My loan requests"): every key the scripts
ask for is in both languages of the shared bundle, every state the API may answer with has its label and its
"where it is now" line, the placeholders agree, and what the scripts know of the states and the copies that may
be asked is what :mod:`consortium.cooperation.rules` says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from consortium.cooperation.models import LoanState, Side
from consortium.cooperation.rules import ASKED, MOVES

PORTAL = Path(__file__).resolve().parents[2] / "portal"
JS = PORTAL / "assets" / "js"
SCRIPTS = [JS / "ill.js", JS / "work.js", JS / "me-loans.js"]
HAN = re.compile(r"[\u3400-\u9fff]")


def shared(lang: str) -> dict[str, str]:
    messages: dict[str, str] = json.loads((PORTAL / "assets" / "i18n" / f"{lang}.json").read_text("utf-8"))
    return messages


def asked_for() -> set[str]:
    """Every literal message key the scripts pass to t(), and the section titles they pass to section()."""
    keys: set[str] = set()
    for script in SCRIPTS:
        text = script.read_text("utf-8")
        keys |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", text))
        keys |= set(re.findall(r"""\bsection\(\s*["']\w+["'],\s*["']([\w.]+)["']""", text))
    return keys


def states_in(script: Path, name: str) -> list[str]:
    """The states listed in ``export const <name> = [...]`` of ``script``."""
    found = re.search(rf"export const {name} = \[([^\]]*)\]", script.read_text("utf-8"))
    assert found, f"{script.name} has no {name}"
    return re.findall(r'"(\w+)"', found.group(1))


def test_the_scripts_ask_for_loan_messages() -> None:
    keys = asked_for()
    assert {"ill.ask", "ill.sign_in_to_ask", "ill.own_has", "ill.error.no_lender", "ill.cancel", "ill.title"} <= keys


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_key_and_every_state_has_its_message(lang: str) -> None:
    families = {f"ill.state.{s.value}" for s in LoanState} | {
        f"ill.now.{s.value}" for s in LoanState if s is not LoanState.REQUESTED
    }
    assert sorted((asked_for() | families) - shared(lang).keys()) == []


def test_what_the_scripts_know_of_loans_is_what_the_rules_say() -> None:
    ill = JS / "ill.js"
    assert states_in(ill, "STATES") == [s.value for s in LoanState]
    closed = {LoanState.REFUSED.value, LoanState.RETURNED.value, LoanState.CANCELLED.value}
    assert set(states_in(ill, "OPEN")) == {s.value for s in LoanState} - closed
    # the reader cancels where the borrowing side may step to cancelled
    cancellable = [a.value for (a, b), side in MOVES.items() if b is LoanState.CANCELLED and side is Side.BORROWING]
    assert states_in(ill, "CANCELLABLE") == cancellable
    assert states_in(ill, "ASKABLE") == [a.value for a in ASKED]


def test_the_chinese_is_chinese_and_the_placeholders_agree() -> None:
    english, chinese = shared("en"), shared("zh")
    mine = [key for key in english if key.startswith("ill.")]
    assert len(mine) > 30
    assert sorted(key for key in mine if not HAN.search(chinese[key])) == []

    def names(text: str) -> set[str]:
        return set(re.findall(r"\{(\w+)\}", text))

    assert sorted(key for key in mine if names(english[key]) != names(chinese[key])) == []
