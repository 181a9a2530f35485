"""Drift detection: a reader whose reading moved is asked, once, whether to follow it."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from consortium.profiles.drift import (
    DISMISS_COOLDOWN,
    accept,
    detect_drift,
    dismiss,
    divergence,
    jensen_shannon,
)
from consortium.profiles.interest_keys import class_key
from consortium.profiles.interests import InterestProfile, apply_event, top_interests

T0 = datetime(2024, 1, 1, tzinfo=UTC)
LITERATURE = ["I247.5", "I246", "I247.55", "I242", "I247"]
COMPUTING = ["TP312", "TP311.13", "TP393", "TP31", "TP312PY"]
KINDS = ["borrow", "view", "hold"]


def read(
    profile: InterestProfile, codes: list[str], start: datetime, days: int, per_week: int = 3
) -> tuple[InterestProfile, datetime]:
    """A reader reading ``codes`` in turn, ``per_week`` events a week, for ``days``."""
    step = timedelta(days=7 / per_week)
    at, end = start, start + timedelta(days=days)
    for code, kind in zip(itertools.cycle(codes), itertools.cycle(KINDS), strict=False):
        if at >= end:
            break
        profile = apply_event(profile, kind, [class_key("clc", code)], at)
        at += step
    return profile, at


def switched_reader() -> tuple[InterestProfile, datetime]:
    """A year of Chinese literature, then two months of computing."""
    profile, at = read(InterestProfile(), LITERATURE, T0, 365)
    return read(profile, COMPUTING, at, 60)


def test_jensen_shannon_bounds() -> None:
    assert jensen_shannon({"a": 1.0}, {"a": 1.0}) == 0.0
    assert jensen_shannon({"a": 1.0}, {"b": 1.0}) == pytest.approx(1.0)
    assert 0 < jensen_shannon({"a": 0.5, "b": 0.5}, {"a": 0.9, "b": 0.1}) < 1


def test_a_switch_from_literature_to_computing_is_noticed() -> None:
    profile, at = switched_reader()
    prompt = detect_drift(profile, at)
    assert prompt is not None
    assert prompt.rising and all(key.startswith("class:clc:TP3") for key in prompt.rising)
    assert prompt.fading and all(key.startswith("class:clc:I24") for key in prompt.fading)
    assert "TP3" in prompt.text_en and "I24" in prompt.text_en
    assert "关注" in prompt.text_zh and "TP3" in prompt.text_zh
    assert prompt.divergence == pytest.approx(divergence(profile, at))


def test_a_short_detour_is_not_a_drift() -> None:
    profile, at = read(InterestProfile(), LITERATURE, T0, 365)
    profile, at = read(profile, COMPUTING, at, 14)
    assert detect_drift(profile, at) is None


def test_too_few_recent_events_give_no_prompt() -> None:
    profile, at = read(InterestProfile(), LITERATURE, T0, 365)
    quiet_since = at + timedelta(days=90)
    few, few_at = read(profile, COMPUTING, quiet_since, 14)  # six events in sixty days
    assert divergence(few, few_at) > 0.18
    assert detect_drift(few, few_at) is None
    enough, enough_at = read(profile, COMPUTING, quiet_since, 19)  # eight
    assert detect_drift(enough, enough_at) is not None


def test_stable_reading_gives_no_prompt() -> None:
    profile, at = read(InterestProfile(), LITERATURE + COMPUTING, T0, 425)
    assert detect_drift(profile, at) is None


def test_accept_follows_rising_and_drops_fading() -> None:
    profile, at = switched_reader()
    prompt = detect_drift(profile, at)
    assert prompt is not None
    accepted = accept(profile, prompt)
    for key in prompt.rising:
        assert accepted.declared[key] > 0
    remaining = [key for key, _, _ in top_interests(accepted, at, n=1000)]
    assert not any(key.startswith(fading) for key in remaining for fading in prompt.fading)
    assert detect_drift(accepted, at + timedelta(days=7)) is None


def test_dismiss_keeps_interests_and_quiets_the_prompt_for_its_cool_down() -> None:
    profile, at = switched_reader()
    prompt = detect_drift(profile, at)
    assert prompt is not None
    dismissed = dismiss(profile, prompt)
    assert dismissed.declared == profile.declared and dismissed.learned == profile.learned
    assert detect_drift(dismissed, at + timedelta(days=7)) is None
    # Reading on in computing: quiet during the cool-down even at a hair trigger, asked again after it.
    during, during_at = read(dismissed, COMPUTING, at, DISMISS_COOLDOWN.days - 7)
    assert detect_drift(during, during_at, threshold=0.01) is None
    after, after_at = read(dismissed, COMPUTING, at, DISMISS_COOLDOWN.days + 7)
    again = detect_drift(after, after_at, threshold=0.01)
    assert again is not None and again.prompt_id != prompt.prompt_id
