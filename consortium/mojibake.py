"""UTF-8 that was read as Latin-1 or Windows-1252 somewhere before the hub ("rÃ¶mische" for "römische"): the mark
of it, and its repair by ftfy, for the harvest (what a record shows) and for matching (what it is compared by)."""

from __future__ import annotations

import re
from typing import Final

import ftfy

__all__ = ["MOJIBAKE", "unmangled"]

MOJIBAKE: Final = re.compile("[ÃÂ][\u0080-\u00bf]|â€")
"""What UTF-8 read as Latin-1 or Windows-1252 leaves: a lead byte as Ã or Â before a continuation byte's
character, or the â€ of a curly quote; text without it is never touched."""


def unmangled(text: str) -> str:
    """``text`` with UTF-8 read as Latin-1 or Windows-1252 read again (``"rÃ¶mische"`` gives ``"römische"``, as
    a record converted twice at its source has it); text without the marks of that mistake, as it is."""
    return ftfy.fix_encoding(text) if MOJIBAKE.search(text) else text
