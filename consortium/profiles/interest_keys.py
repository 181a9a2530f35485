"""Interest keys: what a reader's interests are keyed by, and the keys a work or a search carries.

Keys are strings: ``class:<scheme>:<code>`` (``class:clc:TP312``), ``subject:<normalized heading>`` and
``author:<normalized name>``. A class also counts for its broader classes
(:func:`~consortium.classification.class_ancestors`), at :data:`ANCESTOR_FACTOR` (one half) per level up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from consortium.classification import InvalidClassCodeError, class_chain
from consortium.errors import ValidationError
from consortium.models import ClassScheme
from consortium.text import match_text, name_words

if TYPE_CHECKING:
    from consortium.models import Cluster
    from consortium.search.query import SearchQuery

__all__ = [
    "ANCESTOR_FACTOR",
    "InvalidInterestKeyError",
    "KeyKind",
    "author_key",
    "author_words",
    "class_key",
    "expand",
    "key_kind",
    "keys_for_cluster",
    "keys_for_search",
    "normalized_key",
    "subject_key",
    "subject_levels",
]

ANCESTOR_FACTOR = 0.5
"""What an event counts for each broader class, per level up."""

SUBDIVISION_FACTOR = ANCESTOR_FACTOR
"""What a heading's subdivision on its own (*War use* of ``Horses -- War use``) counts for."""

KeyKind = Literal["class", "subject", "author"]


class InvalidInterestKeyError(ValidationError):
    """An interest key is not ``class:<scheme>:<code>``, ``subject:<heading>`` or ``author:<name>``."""

    error_code = "invalid_interest_key"


def _chain(scheme: ClassScheme | str, code: str) -> list[str]:
    """``code`` normalized, then its broader classes (:func:`~consortium.classification.class_chain`); a code
    that doesn't parse is an :class:`InvalidInterestKeyError`."""
    try:
        return class_chain(scheme, code)
    except InvalidClassCodeError as exc:
        raise InvalidInterestKeyError(exc.message, **exc.details) from exc


def class_key(scheme: ClassScheme | str, code: str) -> str:
    """``class:<scheme>:<normalized code>``, e.g. ``class:clc:TP312``."""
    return f"class:{ClassScheme(scheme).value}:{_chain(scheme, code)[0]}"


def subject_key(heading: str) -> str:
    """``subject:<heading>``, normalized as for matching, subdivisions kept apart.

    ``"Computer programming -- Python"`` gives ``subject:computer programming -- python``.
    """
    parts = [match_text(part) for part in heading.split("--")]
    value = " -- ".join(part for part in parts if part)
    if not value:
        raise InvalidInterestKeyError("a subject heading is empty", heading=heading)
    return f"subject:{value}"


def author_key(name: str) -> str:
    """``author:<name>``, given names first and normalized, dates left out (``"Knuth, Donald E."`` gives
    ``author:donald e knuth``, ``"Testot, Laurent 1967-...."`` gives ``author:laurent testot``)."""
    value = " ".join(author_words(name))
    if not value:
        raise InvalidInterestKeyError("an author name is empty", name=name)
    return f"author:{value}"


def author_words(name: str) -> tuple[str, ...]:
    """:func:`~consortium.text.name_words` without dates (any word with a digit: ``1967``, ``19``), so the
    same author catalogued with and without their years has one key."""
    return tuple(word for word in name_words(name) if not any(char.isdigit() for char in word))


def subject_levels(key: str) -> list[tuple[str, float]]:
    """A ``subject:`` key with factor 1, its broader headings (``a -- b`` of ``a -- b -- c``) at
    :data:`ANCESTOR_FACTOR` per level up, and each subdivision on its own at :data:`ANCESTOR_FACTOR`: LCSH
    ``Horses -- War use`` also means *Horses* and *War use*; a Chinese 主题词 chain ``计算机网络 -- 安全技术``
    the same. Any other key: itself."""
    if not key.startswith("subject:") or " -- " not in key:
        return [(key, 1.0)]
    parts = key[len("subject:") :].split(" -- ")
    levels = {key: 1.0}
    for up in range(1, len(parts)):
        levels.setdefault("subject:" + " -- ".join(parts[: len(parts) - up]), ANCESTOR_FACTOR**up)
    if SUBDIVISION_FACTOR:
        for part in parts[1:]:
            levels.setdefault(f"subject:{part}", SUBDIVISION_FACTOR)
    return list(levels.items())


_SCHEMES = frozenset(s.value for s in ClassScheme)


def key_kind(key: str) -> KeyKind:
    """The kind of an interest key; raises :class:`InvalidInterestKeyError` for anything else."""
    kind, _, rest = key.partition(":")
    if kind == "class":
        scheme, _, code = rest.partition(":")
        if scheme in _SCHEMES and code:
            return "class"
    elif kind in ("subject", "author") and rest:
        return kind  # type: ignore[return-value]
    raise InvalidInterestKeyError(
        f"not an interest key: {key!r} (write class:SCHEME:CODE, e.g. class:clc:TP312, with a scheme of "
        f"{', '.join(sorted(_SCHEMES))}; subject:HEADING; or author:NAME)",
        key=key,
    )


def normalized_key(key: str) -> str:
    """``key`` written as works' and searches' keys are (:func:`class_key`, :func:`subject_key`,
    :func:`author_key`), so what a reader types (``author:Liu, Cixin``, ``subject:Computer programming``,
    ``class:clc:tp312``) matches them; the same for a key already normalized."""
    kind = key_kind(key)
    rest = key.partition(":")[2]
    if kind == "class":
        scheme, _, code = rest.partition(":")
        return class_key(scheme, code)
    return subject_key(rest) if kind == "subject" else author_key(rest)


def expand(key: str) -> list[tuple[str, float]]:
    """``key`` with factor 1, and for a class its broader classes at decreasing factors."""
    if key_kind(key) != "class":
        return [(key, 1.0)]
    _, scheme, code = key.split(":", 2)
    chain = _chain(scheme, code)
    return [(f"class:{scheme}:{c}", ANCESTOR_FACTOR**level) for level, c in enumerate(chain)]


def keys_for_cluster(cluster: Cluster) -> list[str]:
    """The interest keys a work carries: its classes (with scheme), subjects and authors, without repeats."""
    keys: list[str] = []
    for classification in cluster.classifications:
        try:
            keys.append(class_key(classification.scheme, classification.code))
        except InvalidInterestKeyError:
            continue  # a malformed code in one member's record names no interest
    keys += [subject_key(s) for s in cluster.subjects if match_text(s.replace("--", " "))]
    keys += [author_key(a) for a in cluster.authors if author_words(a)]
    return list(dict.fromkeys(keys))


def keys_for_search(query: SearchQuery) -> list[str]:
    """The interest keys a search's filters and fielded terms name: class filters (top classes, and classes at any
    depth), subjects, author."""
    keys = [class_key(*c.split(":", 1)) for c in [*query.classes, *query.class_codes]]
    subjects = [*query.subjects, *([query.subject] if query.subject else [])]
    keys += [subject_key(s) for s in subjects if match_text(s.replace("--", " "))]
    if query.author and author_words(query.author):
        keys.append(author_key(query.author))
    return list(dict.fromkeys(keys))
