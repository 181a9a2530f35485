"""What a serial's copy holds, from the MARC 21 holdings' captions and patterns and their enumeration and
chronology (853/863 the basic unit, 854/864 supplements, 855/865 indexes), when no 866-868 textual statement says it.

A library system that records a serial's issues as they arrive keeps, for each holding, an 853 naming the levels
(``$a v.``, ``$b no.``; ``$i (year)``, ``$j (month)``) and one 863 a run it holds with the values at those levels
(``$a 1-20``, ``$i 1990-2009``), the two paired by the link number of their ``$8`` (``1`` and ``1.1``). MARC 21
Format for Holdings Data, 853-855 and 863-865 (https://www.loc.gov/marc/holdings/hd853855.html,
https://www.loc.gov/marc/holdings/hd863865.html): a hyphen in a value is a range, the first value of every level
its start and the second its end; a caption in parentheses is not shown, its value is shown in parentheses
(chronology as is usual: ``v.1:no.1 (1990:01)``); levels are joined by ``:``. So one 863 reads
``v.1 (1990)-v.20 (2009)``, and a holding's several read ``; ``-joined, as its 866 statements are; supplements and
indexes after the basic unit, named so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from consortium.harvest.normalize.common import subfield
from consortium.harvest.normalize.text import clean

if TYPE_CHECKING:
    from collections.abc import Sequence

    from consortium.harvest.normalize.common import MarcFieldLike

__all__ = ["PAIRS", "enumeration_statement"]

PAIRS = (("853", "863", None), ("854", "864", "supplements"), ("855", "865", "indexes"))
"""Captions and pattern, their enumeration and chronology, and what the unit is called when it is not the basic one."""

_ENUMERATION = "abcdefgh"
_CHRONOLOGY = "ijkl"


def _link(field: MarcFieldLike) -> str | None:
    link = subfield(field, "8")
    return link.strip().split(".", 1)[0] if link and link.strip() else None


def _ends(value: str) -> tuple[str, str]:
    """A level's value as the start and end of its range (the same when it is no range)."""
    start, _, end = value.partition("-")
    return start.strip(), (end.strip() or start.strip())


def _side(levels: list[tuple[str, str, str]], which: int) -> str:
    """One end (0: start, 1: end) of a run: enumeration levels ``caption value`` joined by ``:``, then the chronology
    in parentheses when its caption is, joined by ``:`` too."""
    enumeration, chronology = [], []
    for code, caption, value in levels:
        part = _ends(value)[which]
        if not part:
            continue
        if code in _ENUMERATION:
            enumeration.append(f"{caption}{part}" if not caption.startswith("(") else part)
        else:
            chronology.append(part if caption.startswith("(") or not caption else f"{caption} {part}")
    text = ":".join(enumeration)
    if chronology:
        dated = ":".join(chronology)
        text = f"{text} ({dated})" if text else dated
    return text


def _run(captions: MarcFieldLike | None, values: MarcFieldLike) -> str | None:
    """One 863's run, read with the 853 of its link number (without one, the values alone)."""
    levels = []
    for code in _ENUMERATION + _CHRONOLOGY:
        value = subfield(values, code)
        if value is None or not value.strip():
            continue
        caption = (subfield(captions, code) or "").strip() if captions is not None else ""
        levels.append((code, caption, value.strip()))
    if not levels:
        return clean(subfield(values, "z"))
    start, end = _side(levels, 0), _side(levels, 1)
    text = start if start == end else f"{start}-{end}"
    note = clean(subfield(values, "z"))
    return f"{text} ({note})" if note else text


def enumeration_statement(fields: Sequence[MarcFieldLike]) -> str | None:
    """What the holding's 853-855/863-865 fields say it holds, as one statement; ``None`` when none says anything."""
    parts = []
    for caption_tag, value_tag, unit in PAIRS:
        captions = {_link(f): f for f in fields if f.tag == caption_tag}
        runs = [_run(captions.get(_link(f)), f) for f in fields if f.tag == value_tag]
        said = "; ".join(run for run in runs if run)
        if said:
            parts.append(f"{unit}: {said}" if unit else said)
    return "; ".join(parts) or None
