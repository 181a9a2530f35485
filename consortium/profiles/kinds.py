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
    ItemKind(
        READER,
        None,
        single=True,
        about=(
            "Your account: your id, your library and when the account was made.",
            "您的账号：读者号、所属图书馆和建立时间。",
        ),
    ),
    ItemKind(
        PROFILE,
        DataKind.PROFILE,
        single=True,
        about=("What you or your library told the hub about you.", "您或您的图书馆提供给系统的个人资料。"),
    ),
    ItemKind(
        EVENT,
        DataKind.EVENTS,
        kept_for=Purpose.PERSONALIZATION,
        dated=True,
        about=(
            "Your activity, oldest first: searches as you typed them, works you opened, borrowed, returned, held, "
            "rated or marked not interested (a work by its id: see 'works' for its title).",
            "您的活动，按时间先后：输入的检索式，浏览、借阅、归还、预约、评分或标为不感兴趣的作品（作品以编号表示，题名见“works”）。",
        ),
    ),
    ItemKind(
        INTERESTS,
        DataKind.LEARNED_INTERESTS,
        kept_for=Purpose.PERSONALIZATION,
        single=True,
        keep_on_withdrawal=keep_declared,
        about=(
            "Your interests: 'declared' are yours, with their weights; 'learned' what your activity taught, each "
            "with a long-term ('slow') and a recent ('fast') strength and how many events fed it; 'borrowed' your "
            "latest loans.",
            "您的兴趣：“declared”为您声明的兴趣及其权重；“learned”为从您的活动中学到的兴趣，各有长期（slow）和近期（fast）强度及来源事件数；"
            "“borrowed”为您最近的借阅。",
        ),
    ),
    ItemKind(
        PROMPT,
        DataKind.DRIFT_PROMPTS,
        kept_for=Purpose.PERSONALIZATION,
        about=("Open questions about your changing interests.", "尚未回答的兴趣变化提问。"),
    ),
)
"""Withdrawing personalization deletes what it learned: every event, every drift prompt and the learned part of
the interests (what the reader declared stays)."""
