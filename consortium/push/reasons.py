"""The one-line reason a pushed work was chosen, in English and in Chinese.

The English line goes into every channel (email, Atom, the inbox) as :attr:`~consortium.push.models.DigestItem.reason`;
the Chinese one (:attr:`~consortium.push.models.DigestItem.reason_zh`) is for the portal in Chinese. Both name the
same thing: the feature that weighed most (a class, subject or author the reader follows or reads in, a work they
borrowed), the class a "new in my classes" work is new in, or the saved search it matched; then whether the
reader's own library has it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from consortium.profiles.interest_keys import KeyKind

__all__ = ["NO_REASON", "Reason", "also_borrowed", "borrowed", "in_class", "matched", "saved_search", "with_home"]


class Reason(NamedTuple):
    """A reason in English and in Chinese."""

    en: str
    zh: str


NO_REASON = Reason("", "")


def borrowed(title: str) -> Reason:
    """Like a work the reader borrowed lately (``title``; empty when none stands out)."""
    if not title:
        return Reason("like what you borrowed", "与您借阅过的图书相近")
    return Reason(f"because you borrowed {title}", f"因为您借阅过《{title}》")


def also_borrowed(title: str) -> Reason:
    """Readers who borrowed ``title`` (one the reader borrowed) also borrowed this, counted over at least ten
    readers (empty title: none of the reader's stands out)."""
    if not title:
        return Reason("readers who borrowed what you borrowed also borrowed this", "借过您所借图书的读者也借了这本")
    return Reason(f"readers who borrowed {title} also borrowed this", f"借过《{title}》的读者也借了这本")


def matched(kind: KeyKind, label: str, *, declared: bool) -> Reason:
    """A class, subject or author the reader declared (follows) or reads in (learned), as ``label`` reads."""
    if kind == "author":
        if declared:
            return Reason(f"by {label}, whom you follow", f"{label}的作品，您关注了这位作者")
        return Reason(f"by {label}, whom you read", f"{label}的作品，您读过这位作者的书")
    if kind == "class":
        if declared:
            return Reason(f"you follow {label}", f"您关注了 {label} 类")
        return Reason(f"you read in {label}", f"您常读 {label} 类的书")
    if declared:
        return Reason(f"you follow {label}", f"您关注了“{label}”")
    return Reason(f"you read about {label}", f"您常读关于“{label}”的书")


def in_class(code: str) -> Reason:
    """New in a class the reader follows ("New books in my classes")."""
    return Reason(f"new in {code}, which you follow", f"{code} 类新书，您关注了该类")


def saved_search(query: str) -> Reason:
    """Matched the reader's saved search."""
    return Reason(f'matches your saved search "{query}"', f"符合您保存的检索式“{query}”")


def with_home(reason: Reason, *, on_shelf: bool, held: bool) -> Reason:
    """``reason``, then whether the reader's library has a copy on the shelf now, or holds the work."""
    if on_shelf:
        return Reason(f"{reason.en} · on the shelf at your library", f"{reason.zh} · 本馆在架")
    if held:
        return Reason(f"{reason.en} · at your library", f"{reason.zh} · 本馆有藏")
    return reason
