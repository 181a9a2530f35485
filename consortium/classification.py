"""Classification schemes: a class code's normalized form and its broader classes, for CLC (中图法), LCC, DDC
and UDC.

Search facets, interest keys (:mod:`consortium.profiles.interests`) and push matching all walk a class up its
hierarchy through :func:`class_chain`, so they agree on what "under TP3" means.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Final

from consortium.errors import ValidationError
from consortium.models import ClassScheme

__all__ = [
    "ClassLabel",
    "InvalidClassCodeError",
    "class_ancestors",
    "class_chain",
    "class_label",
    "class_lineage",
    "class_parent",
    "labelled_classes",
]


class InvalidClassCodeError(ValidationError):
    """A class code does not parse in its scheme."""

    error_code = "invalid_class_code"


_CLC = re.compile(r"([A-Z]{1,2})([0-9.]*)([A-Z]*)")
_CLC_AUXILIARY = re.compile(r"[-=(<\"':/+\[].*")
_LCC = re.compile(r"([A-Z]{1,3})(?:([0-9]+)(?:\.([0-9]+))?)?")
_DDC = re.compile(r"([0-9]{3})(?:\.([0-9]+))?")
_UDC = re.compile(r"[0-9][0-9.]*")


def _dotted(digits: str) -> str:
    """CLC digits with a dot after every three (``24755`` gives ``247.55``)."""
    return ".".join(digits[i : i + 3] for i in range(0, len(digits), 3))


def _clc_chain(code: str) -> list[str] | None:
    match = _CLC.fullmatch(_CLC_AUXILIARY.sub("", code))
    if not match:
        return None
    letters, digits, suffix = match[1], match[2].replace(".", ""), match[3]
    chain = [letters + _dotted(digits) + suffix] if suffix else []
    chain += [letters + _dotted(digits[:i]) for i in range(len(digits), 0, -1)]
    chain += [letters[:i] for i in range(len(letters), 0, -1)]
    return chain


def _lcc_chain(code: str) -> list[str] | None:
    match = _LCC.match(code)
    if not match:
        return None
    letters, number, decimal = match[1], match[2], match[3]
    chain = [f"{letters}{number}.{decimal}"] if decimal else []
    return [*chain, f"{letters}{number}", letters] if number else [letters]


def _ddc_chain(code: str) -> list[str] | None:
    match = _DDC.match(code.replace("/", "").replace("'", ""))
    if not match:
        return None
    base, decimals = match[1], match[2] or ""
    chain = [f"{base}.{decimals[:i]}" for i in range(len(decimals), 0, -1)]
    for broader in (base, base[:2] + "0", base[0] + "00"):
        if not chain or chain[-1] != broader:
            chain.append(broader)
    return chain


def _udc_chain(code: str) -> list[str] | None:
    match = _UDC.match(code)
    if not match:
        return None
    value = match[0].rstrip(".")
    chain = []
    while value:
        chain.append(value)
        value = value[:-1].rstrip(".")
    return chain


CODE_PATTERNS: Final[dict[ClassScheme, str]] = {
    ClassScheme.CLC: r"[A-Za-z]{1,2}([0-9]+(\.[0-9]+)*)?",
    ClassScheme.LCC: r"[A-Za-z]{1,3}([0-9]+(\.[0-9]+)?)?",
    ClassScheme.DDC: r"[0-9]{3}(\.[0-9]+)?",
    ClassScheme.UDC: r"[0-9]+(\.[0-9]+)*",
}
"""Codes of each scheme that :func:`class_chain` reads, as regular expressions for a JSON Schema (a subset: the
auxiliaries a catalogue may carry, ``-43`` or ``(…)``, are read too but not written here)."""


def class_pattern(prefix: str = "") -> str:
    """A regular expression (JSON Schema's ``pattern``) for ``<prefix><scheme>:<code>`` of any scheme."""
    return "^(" + "|".join(f"{prefix}{scheme.value}:{code}" for scheme, code in CODE_PATTERNS.items()) + ")$"


_CHAINS = {ClassScheme.CLC: _clc_chain, ClassScheme.LCC: _lcc_chain, ClassScheme.DDC: _ddc_chain}


def class_chain(scheme: ClassScheme | str, code: str) -> list[str]:
    """``code`` normalized, then its broader classes, nearest first (see :func:`class_ancestors`).

    A code that doesn't parse raises :class:`InvalidClassCodeError`.
    """
    scheme = ClassScheme(scheme)
    cleaned = re.sub(r"\s+", "", code).upper()
    chain = _CHAINS.get(scheme, _udc_chain)(cleaned)
    if not chain:
        raise InvalidClassCodeError(
            f"{code!r} is not a class code of {scheme.value.upper()}", scheme=scheme.value, code=code
        )
    return chain


def class_ancestors(scheme: ClassScheme | str, code: str) -> list[str]:
    """The broader classes of ``code``, nearest first, up to the scheme's top class (what search facets use).

    * CLC: one digit per level, two-letter classes under their letter, auxiliary tables (``-43``, ``=``,
      ``(…)``) dropped, language suffixes under their class: TP312 → TP31 → TP3 → TP → T; I247.55 → I247.5
      → I247 → I24 → I2 → I; O13 → O1 → O; TP312JA → TP312 → …
    * LCC: decimal, then whole number, then class letters; cutters and years dropped: QA76.73 → QA76 → QA.
    * DDC: one decimal per level, then the division and main class: 005.133 → 005.13 → 005.1 → 005 → 000.
    * UDC: prefix truncation, auxiliaries dropped: 004.43 → 004.4 → 004 → 00 → 0.

    A code that doesn't parse raises :class:`InvalidClassCodeError`.
    """
    return class_chain(scheme, code)[1:]


def class_lineage(scheme: ClassScheme | str, code: str) -> list[str]:
    """``code`` normalized, then every broader class up to the scheme's main class, nearest first: the path of the
    hub's class tree (what search's class filters and the class browse use).

    It is :func:`class_chain`, and for LCC the main class (the first letter) above a subclass of two or three
    letters: QA76.73 → QA76 → QA → Q. A subclass of one letter (Q, Science (General)) is its main class, as Dewey's
    first division (500) is its class: their numbers (Q325, 501) sit right under the main class.

    A code that doesn't parse raises :class:`InvalidClassCodeError`.
    """
    scheme = ClassScheme(scheme)
    lineage = class_chain(scheme, code)
    if scheme is ClassScheme.LCC and lineage[-1] != lineage[-1][0]:
        lineage.append(lineage[-1][0])
    return lineage


def class_parent(scheme: ClassScheme | str, code: str) -> str | None:
    """The class right above ``code`` in the hub's class tree (:func:`class_lineage`), ``None`` for a main class
    (CLC's T, LCC's Q, Dewey's 500); CLC TP312 gives TP31, LCC QA gives Q, Dewey 510 gives 500."""
    lineage = class_lineage(scheme, code)
    return lineage[1] if len(lineage) > 1 else None


@dataclass(frozen=True)
class ClassLabel:
    """A class's name in English and in Chinese."""

    en: str
    zh: str


@functools.cache
def _labels() -> dict[ClassScheme, dict[str, ClassLabel]]:
    text = resources.files("consortium").joinpath("class_labels.json").read_text(encoding="utf-8")
    found = json.loads(text)
    return {
        scheme: {
            code: ClassLabel(en=label["en"], zh=label["zh"]) for code, label in found.get(scheme.value, {}).items()
        }
        for scheme in ClassScheme
    }


def labelled_classes(scheme: ClassScheme | str) -> dict[str, ClassLabel]:
    """The classes of ``scheme`` that have a label (``consortium/class_labels.json``): CLC's 22 basic classes and
    the second level of T, LCC's 21 main classes, Dewey's 10 classes and 100 divisions; none for UDC."""
    return dict(_labels()[ClassScheme(scheme)])


def class_label(scheme: ClassScheme | str, code: str) -> ClassLabel | None:
    """The label of a class of the labelled levels (``code`` as :func:`class_chain` normalizes it), else ``None``."""
    return _labels()[ClassScheme(scheme)].get(code)
