"""The kinds of item the profiles feature keeps for each reader, as registered with the
:class:`~consortium.profiles.vault.Vault` (push registers its own: :mod:`consortium.push.ledgers`)."""

from __future__ import annotations

from consortium.profiles.consent import DataKind, Purpose
from consortium.profiles.interests import keep_declared
from consortium.profiles.vault import ItemKind

__all__ = ["EVENT", "INTERESTS", "PROFILE", "PROFILE_KINDS", "PROMPT", "READER"]

READER = "reader"
"""The item holding the :class:`~consortium.profiles.models.Reader` (member library, creation time)."""
PROFILE = "profile"
"""The item holding the reader's profile payload (what they declared about themselves)."""
EVENT = "event"
"""The items holding the reader's events, one per event id."""
INTERESTS = "interests"
"""The item holding the reader's :class:`~consortium.profiles.interests.InterestProfile` (declared and learned
interests, recent borrowings)."""
PROMPT = "prompt"
"""The items holding drift prompts (:class:`~consortium.profiles.drift.DriftPrompt`), one per prompt id."""

PROFILE_KINDS = (
    ItemKind(READER, None, single=True),
    ItemKind(PROFILE, DataKind.PROFILE, single=True),
    ItemKind(EVENT, DataKind.EVENTS, kept_for=Purpose.PERSONALIZATION, dated=True),
    ItemKind(
        INTERESTS,
        DataKind.LEARNED_INTERESTS,
        kept_for=Purpose.PERSONALIZATION,
        single=True,
        keep_on_withdrawal=keep_declared,
    ),
    ItemKind(PROMPT, DataKind.DRIFT_PROMPTS, kept_for=Purpose.PERSONALIZATION),
)
"""Withdrawing personalization deletes what it learned: every event, every drift prompt and the learned part of
the interests (what the reader declared stays)."""
