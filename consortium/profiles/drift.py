"""Interest drift: noticing that a reader's reading has moved, and asking them before following it.

The seed paper (2.1) faults library systems that never warn a reader whose research direction has changed.
Here each learned key has a fast accumulator (half-life 30 days) and a slow one (365 days). Each set, clipped
at zero, is normalized to a probability distribution over keys, and the two are compared with the
Jensen-Shannon divergence in bits: 0 when recent reading looks like the long-run reading, 1 when they share
nothing. It is symmetric, bounded and defined when one side has keys the other lacks (Kullback-Leibler is not).

A :class:`DriftPrompt` is raised only with enough evidence (:data:`MIN_RECENT_EVENTS` events in the last
:data:`RECENT_WINDOW`) and a divergence of at least :data:`DRIFT_THRESHOLD`. It names the keys whose share rose
most ("your recent reading centres on TP31") and fell most ("stop following I247?"). The reader answers with
:func:`accept` (follow the rising keys, drop the fading ones) or :func:`dismiss`; either answer quiets prompts
sharing a key with this one for a while (:data:`ACCEPT_COOLDOWN`, :data:`DISMISS_COOLDOWN`), stored in the
profile.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import AwareDatetime, BaseModel, ConfigDict

from consortium.classification import class_ancestors
from consortium.profiles.interests import (
    DECLARED_WEIGHT,
    FAST_HALF_LIFE,
    SLOW_HALF_LIFE,
    DriftQuiet,
    InterestProfile,
    remove,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ACCEPT_COOLDOWN",
    "DISMISS_COOLDOWN",
    "DRIFT_THRESHOLD",
    "MAX_NAMED_KEYS",
    "MIN_RECENT_EVENTS",
    "MIN_SHARE_CHANGE",
    "RECENT_WINDOW",
    "DriftPrompt",
    "accept",
    "detect_drift",
    "dismiss",
    "divergence",
    "jensen_shannon",
]

MIN_RECENT_EVENTS = 8
"""Events needed in :data:`RECENT_WINDOW` before any prompt: fewer say too little about a change."""
RECENT_WINDOW = timedelta(days=60)
DRIFT_THRESHOLD = 0.18
"""Jensen-Shannon divergence (bits) from which a prompt is raised. Measured on simulated readers (three events
a week): steady reading, even over a wide mix, stays under 0.05, since both decays weigh the same mix alike.
After a year of one subject, a switch gives about 0.07 after two weeks, 0.15 after a month and 0.24 after two
months, so a switch kept up for five to six weeks is asked about, and a fortnight's detour is not."""
MIN_SHARE_CHANGE = 0.02
"""A key is named rising or fading only if its share moved by at least this much."""
MAX_NAMED_KEYS = 3
ACCEPT_COOLDOWN = timedelta(days=60)
"""After an accepted prompt, the fast accumulators need about two half-lives to settle on the new reading."""
DISMISS_COOLDOWN = timedelta(days=120)
"""A dismissed prompt stays quiet for four months: asking again sooner would nag."""


class DriftPrompt(BaseModel):
    """A question to the reader: their recent reading has moved; follow it?"""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt_id: str
    created_at: AwareDatetime
    rising: list[str]
    """Keys whose share of recent reading rose most, strongest first."""
    fading: list[str]
    """Keys whose share fell most, strongest first."""
    divergence: float
    text_en: str
    text_zh: str


def jensen_shannon(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """The Jensen-Shannon divergence, in bits (0 to 1), of two distributions over keys (each summing to 1)."""
    total = 0.0
    for key in p.keys() | q.keys():
        a, b = p.get(key, 0.0), q.get(key, 0.0)
        m = (a + b) / 2
        if a > 0:
            total += a * math.log2(a / m)
        if b > 0:
            total += b * math.log2(b / m)
    return min(1.0, max(0.0, total / 2))


def _distribution(values: Mapping[str, float]) -> dict[str, float]:
    positive = {k: v for k, v in values.items() if v > 0}
    total = sum(positive.values())
    return {k: v / total for k, v in positive.items()} if total > 0 else {}


def _shares(profile: InterestProfile, at: datetime) -> tuple[dict[str, float], dict[str, float]]:
    """Each learned key's share of recent reading (fast accumulators) and of long-run reading (slow) at ``at``:
    ``fast_at`` and ``slow_at`` of every key, in one pass (a profile has hundreds of keys)."""
    fast: dict[str, float] = {}
    slow: dict[str, float] = {}
    for key, interest in profile.learned.items():
        elapsed = at - interest.updated_at
        fast[key] = interest.fast * math.exp2(-max(0.0, elapsed / FAST_HALF_LIFE))
        slow[key] = interest.slow * math.exp2(-max(0.0, elapsed / SLOW_HALF_LIFE))
    return _distribution(fast), _distribution(slow)


def divergence(profile: InterestProfile, at: datetime) -> float:
    """How far recent reading (fast accumulators) has moved from long-run reading (slow), in bits."""
    fast, slow = _shares(profile, at)
    return jensen_shannon(fast, slow) if fast and slow else 0.0


def _lineage(key: str) -> list[str]:
    """``key`` and, for a class, its broader classes, nearest first."""
    if not key.startswith("class:"):
        return [key]
    _, scheme, code = key.split(":", 2)
    return [key, *(f"class:{scheme}:{c}" for c in class_ancestors(scheme, code))]


def _merge(picked: list[str], changes: Mapping[str, float]) -> list[str]:
    """Two named classes under one broader class that moved enough themselves are named by it instead
    (TP312 and TP311.13 become TP31): the prompt names the centre of the change, not its scattered titles."""
    merged = True
    while merged:
        merged = False
        for i, a in enumerate(picked):
            others = {k for b in picked[i + 1 :] for k in _lineage(b)[1:]}
            common = next((c for c in _lineage(a)[1:] if c in others), None)
            if common is not None and changes.get(common, 0.0) >= MIN_SHARE_CHANGE:
                kept = [k for k in picked if common not in _lineage(k)]
                picked = [*kept[:i], common, *kept[i:]]
                merged = True
                break
    return picked


def _pick(changes: dict[str, float]) -> list[str]:
    """The keys that moved most (by share), a class and its broader or narrower classes named only once
    (broader wins ties), classes merged into their common broader class (:func:`_merge`)."""
    ranked = sorted(changes.items(), key=lambda item: (-item[1], len(item[0]), item[0]))
    picked: list[str] = []
    for key, change in ranked:
        if change < MIN_SHARE_CHANGE or len(picked) == 2 * MAX_NAMED_KEYS:
            break
        lineage = _lineage(key)
        if any(other in lineage or key in _lineage(other) for other in picked):
            continue
        picked.append(key)
    return _merge(picked, changes)[:MAX_NAMED_KEYS]


def _label(key: str) -> str:
    kind, _, rest = key.partition(":")
    if kind == "class":
        scheme, _, code = rest.partition(":")
        return code if scheme == "clc" else f"{scheme.upper()} {code}"
    return rest


def _texts(rising: list[str], fading: list[str]) -> tuple[str, str]:
    en: list[str] = []
    zh: list[str] = []
    if rising:
        names = [_label(k) for k in rising]
        en.append(f"Your recent reading centres on {', '.join(names)}. Follow {'it' if len(names) == 1 else 'them'}?")
        zh.append(f"您最近的阅读集中在{'、'.join(names)}。要关注吗？")
    if fading:
        names = [_label(k) for k in fading]
        en.append(f"Stop following {', '.join(names)}?")
        zh.append(f"不再关注{'、'.join(names)}吗？")
    return " ".join(en), "".join(zh)


def _quieted(profile: InterestProfile, at: datetime, rising: list[str], fading: list[str]) -> bool:
    return any(
        quiet.until > at and (set(quiet.rising) & set(rising) or set(quiet.fading) & set(fading))
        for quiet in profile.drift_quiet
    )


def detect_drift(profile: InterestProfile, at: datetime, *, threshold: float = DRIFT_THRESHOLD) -> DriftPrompt | None:
    """A prompt if the reader's recent reading has moved away from their long-run reading, else ``None``.

    ``None`` also when there is too little recent evidence, when nothing moved enough to name, or when the
    reader answered a prompt sharing a key during its cool-down. Rising keys the reader already declared are
    not offered again.

    Example
    -------
    >>> prompt = detect_drift(profile, at)
    >>> prompt.text_en if prompt else None
    'Your recent reading centres on TP3. Follow it? Stop following I24?'
    """
    if at.tzinfo is None:
        raise ValueError("drift is measured at a time with a time zone")
    recent = sum(1 for t in profile.recent_events if at - RECENT_WINDOW <= t <= at)
    if recent < MIN_RECENT_EVENTS:
        return None
    fast, slow = _shares(profile, at)
    if not fast or not slow:
        return None
    value = jensen_shannon(fast, slow)
    if value < threshold:
        return None
    keys = fast.keys() | slow.keys()
    changes = {k: fast.get(k, 0.0) - slow.get(k, 0.0) for k in keys}
    rising = _pick({k: c for k, c in changes.items() if k not in profile.declared})
    fading = _pick({k: -c for k, c in changes.items()})
    if not (rising or fading) or _quieted(profile, at, rising, fading):
        return None
    text_en, text_zh = _texts(rising, fading)
    digest = hashlib.sha256(f"{at.isoformat()}|{'|'.join(rising)}|{'|'.join(fading)}".encode()).hexdigest()
    return DriftPrompt(
        prompt_id=f"drift-{digest[:16]}",
        created_at=at,
        rising=rising,
        fading=fading,
        divergence=value,
        text_en=text_en,
        text_zh=text_zh,
    )


def _quiet(profile: InterestProfile, prompt: DriftPrompt, outcome: str, cooldown: timedelta) -> InterestProfile:
    entry = DriftQuiet.model_validate(
        {
            "prompt_id": prompt.prompt_id,
            "outcome": outcome,
            "rising": prompt.rising,
            "fading": prompt.fading,
            "until": prompt.created_at + cooldown,
        }
    )
    kept = [q for q in profile.drift_quiet if q.until > prompt.created_at]
    return profile.model_copy(update={"drift_quiet": [*kept, entry]})


def accept(profile: InterestProfile, prompt: DriftPrompt) -> InterestProfile:
    """The profile after the reader accepts ``prompt``: rising keys declared (at least at the default weight),
    fading keys removed with their narrower classes (:func:`~consortium.profiles.interests.remove`), and prompts
    sharing a key quiet for :data:`ACCEPT_COOLDOWN`."""
    for key in prompt.fading:
        profile = remove(profile, key)
    declared = dict(profile.declared)
    for key in prompt.rising:
        declared[key] = max(declared.get(key, 0.0), DECLARED_WEIGHT)
    profile = profile.model_copy(update={"declared": declared})
    return _quiet(profile, prompt, "accepted", ACCEPT_COOLDOWN)


def dismiss(profile: InterestProfile, prompt: DriftPrompt) -> InterestProfile:
    """The profile after the reader dismisses ``prompt``: interests unchanged, and prompts sharing a key with
    it quiet for :data:`DISMISS_COOLDOWN`."""
    return _quiet(profile, prompt, "dismissed", DISMISS_COOLDOWN)
