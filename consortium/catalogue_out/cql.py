"""The subset of CQL (Contextual Query Language 1.2) that the hub's SRU service reads, parsed into leaves joined by
``and``, ``or`` and ``not``, then written as a disjunction of conjunctions (:func:`disjunction`).

=================  ===============================================================================================
index              also named
=================  ===============================================================================================
``title``          ``dc.title``, ``bath.title``
``author``         ``dc.creator``, ``dc.author``, ``bath.author``, ``bath.name``, ``creator``
``subject``        ``dc.subject``, ``bath.subject``, ``bath.topicalSubject``
``isbn``           ``bath.isbn``
``any``            ``cql.serverChoice`` (a term alone), ``cql.anywhere``, ``cql.keywords``, ``bath.any``,
                   ``bath.keyword``, ``keyword``
``year``           ``date``, ``dc.date``, ``bath.date``: ``=``, ``<``, ``<=``, ``>``, ``>=`` with a year of 1-4 digits
``cql.allRecords`` ``cql.allRecords = 1``: every work
=================  ===============================================================================================

Relations on the text indexes and ``isbn``: ``=`` and ``all`` (every word), ``any`` (any of the words), and
``adj``, ``==`` and ``exact``, read as every word (the index keeps no word positions, so a phrase is matched as its
words). Index names, relation names and booleans are case-insensitive. Terms may be quoted (``"deep learning"``,
with ``\\"`` and ``\\\\`` escapes); parentheses group. Booleans bind left to right, as CQL says: ``a or b and c`` is
``(a or b) and c``.

What the subset leaves out is refused with the SRU diagnostic that names it (:class:`CqlError`): prefix
assignments, ``prox``, modifiers (``/``), ``sortBy``, masking (``*``, ``?``) and anchoring (``^``), other relations,
unknown indexes, empty terms; a query nested more than :data:`MAX_DEPTH` deep, with more than
:data:`MAX_BOOLEANS` booleans, or whose disjunction has more than :data:`MAX_BRANCHES` branches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

__all__ = [
    "MAX_BOOLEANS",
    "MAX_BRANCHES",
    "MAX_DEPTH",
    "Branch",
    "CqlError",
    "Leaf",
    "disjunction",
    "parse_cql",
]

MAX_DEPTH: Final = 16
MAX_BOOLEANS: Final = 24
MAX_BRANCHES: Final = 32
MAX_TERM: Final = 256

Field = Literal["title", "author", "subject", "isbn", "text", "year", "all"]

_INDEXES: dict[str, Field] = {
    "title": "title",
    "dc.title": "title",
    "bath.title": "title",
    "author": "author",
    "creator": "author",
    "dc.creator": "author",
    "dc.author": "author",
    "bath.author": "author",
    "bath.name": "author",
    "subject": "subject",
    "dc.subject": "subject",
    "bath.subject": "subject",
    "bath.topicalsubject": "subject",
    "isbn": "isbn",
    "bath.isbn": "isbn",
    "any": "text",
    "keyword": "text",
    "cql.serverchoice": "text",
    "cql.anywhere": "text",
    "cql.keywords": "text",
    "bath.any": "text",
    "bath.keyword": "text",
    "year": "year",
    "date": "year",
    "dc.date": "year",
    "bath.date": "year",
    "cql.allrecords": "all",
}
_WORD_RELATIONS = {"=": "all", "all": "all", "any": "any", "adj": "all", "==": "all", "exact": "all"}
_YEAR_RELATIONS = {"=", "<", "<=", ">", ">="}
_BOOLEANS = {"and", "or", "not", "prox"}
_TOKEN = re.compile(r'\s*(?:(?P<sym>==|<>|<=|>=|[()=<>/])|(?P<quoted>"(?:[^"\\]|\\.)*"?)|(?P<word>[^\s()=<>/"]+))')


class CqlError(ValueError):
    """A query outside the subset, with the SRU diagnostic number, its details and a message naming the problem."""

    def __init__(self, number: int, details: str, message: str) -> None:
        super().__init__(message)
        self.number = number
        self.details = details
        self.message = message


@dataclass(frozen=True)
class Leaf:
    """One condition: ``field`` holds every word of ``value`` (``year``: ``low <= year <= high``; ``all``: every
    work)."""

    field: Field
    value: str = ""
    low: int | None = None
    high: int | None = None


@dataclass(frozen=True)
class Branch:
    """One conjunction of the disjunction: every positive leaf and none of the negative ones."""

    positive: tuple[Leaf, ...]
    negative: tuple[Leaf, ...] = ()


Node: TypeAlias = tuple[Any, ...]
"""A parsed query: ``("leaf", Leaf)``, ``("and" | "or", Node, Node)`` or ``("not", Node)``."""


@dataclass
class _Tokens:
    items: list[tuple[str, str]]
    at: int = 0
    booleans: int = 0

    def peek(self) -> tuple[str, str] | None:
        return self.items[self.at] if self.at < len(self.items) else None

    def take(self) -> tuple[str, str]:
        token = self.items[self.at]
        self.at += 1
        return token


def _tokens(query: str) -> _Tokens:
    items: list[tuple[str, str]] = []
    at = 0
    while (match := _TOKEN.match(query, at)) is not None:  # no match: only blanks are left
        kind = match.lastgroup or "word"
        text = match.group(kind)
        if kind == "quoted" and (
            len(text) < 2 or not text.endswith('"') or (text.endswith('\\"') and _odd_escape(text))
        ):
            raise CqlError(14, text[:40], "a quoted term has no closing quote")
        items.append((kind, text))
        at = match.end()
    return _Tokens(items)


def _odd_escape(text: str) -> bool:
    """Whether the quote closing ``text`` is escaped (an odd number of backslashes before it)."""
    run = len(text) - 1 - len(text[:-1].rstrip("\\"))
    return run % 2 == 1


def parse_cql(query: str) -> Node:
    """The query's tree of leaves and booleans.

    Raises
    ------
    CqlError
        For anything outside the subset, naming it.
    """
    if not query.strip():
        raise CqlError(27, "", "the query is empty")
    tokens = _tokens(query)
    node = _query(tokens, 0)
    if tokens.peek() is not None:
        kind, text = tokens.take()
        if kind == "sym" and text == ")":
            raise CqlError(13, ")", "a closing parenthesis has no opening one")
        if kind == "word" and text.lower() == "sortby":
            raise CqlError(80, "sortBy", "sorting is not supported")
        raise CqlError(10, text[:40], f"unexpected {text[:40]!r} after a complete search clause")
    return node


def _query(tokens: _Tokens, depth: int) -> Node:
    if depth > MAX_DEPTH:
        raise CqlError(13, str(MAX_DEPTH), f"parentheses nested more than {MAX_DEPTH} deep")
    first = tokens.peek()
    if first == ("sym", ">"):
        raise CqlError(48, "prefix assignment", "prefix assignments (>) are not supported")
    node = _clause(tokens, depth)
    while (token := tokens.peek()) is not None and token[0] == "word" and token[1].lower() in _BOOLEANS:
        operator = tokens.take()[1].lower()
        if operator == "prox":
            raise CqlError(37, "prox", "the boolean prox is not supported (and, or, not are)")
        if tokens.peek() == ("sym", "/"):
            raise CqlError(46, operator, f"modifiers on {operator} are not supported")
        tokens.booleans += 1
        if tokens.booleans > MAX_BOOLEANS:
            raise CqlError(38, str(MAX_BOOLEANS), f"more than {MAX_BOOLEANS} booleans in the query")
        right = _clause(tokens, depth)
        node = ("and", node, ("not", right)) if operator == "not" else (operator, node, right)
    return node


def _clause(tokens: _Tokens, depth: int) -> Node:
    token = tokens.peek()
    if token is None:
        raise CqlError(10, "", "the query ends where a search term was expected")
    if token == ("sym", "("):
        tokens.take()
        node = _query(tokens, depth + 1)
        if tokens.peek() != ("sym", ")"):
            raise CqlError(13, "(", "an opening parenthesis is not closed")
        tokens.take()
        return node
    if token[0] == "sym":
        raise CqlError(10, token[1], f"{token[1]!r} where a search term was expected")
    first = _term(tokens.take())
    following = tokens.peek()
    if following is None or following == ("sym", ")") or _is_boolean(following) or _is_sortby(following):
        return _leaf("cql.serverchoice", "=", first)
    relation = tokens.take()
    if relation[0] == "quoted" or (relation[0] == "sym" and relation[1] not in ("=", "==", "<>", "<", ">", "<=", ">=")):
        raise CqlError(10, relation[1][:40], f"{relation[1][:40]!r} is not a relation")
    if tokens.peek() == ("sym", "/"):
        raise CqlError(20, relation[1], "relation modifiers (/) are not supported")
    term = tokens.peek()
    if term is None or term[0] == "sym":
        raise CqlError(10, relation[1], f"no search term after the relation {relation[1]!r}")
    return _leaf(first, relation[1].lower(), _term(tokens.take()))


def _is_boolean(token: tuple[str, str]) -> bool:
    return token[0] == "word" and token[1].lower() in _BOOLEANS


def _is_sortby(token: tuple[str, str]) -> bool:
    return token[0] == "word" and token[1].lower() == "sortby"


def _term(token: tuple[str, str]) -> str:
    """A search term's text: a quoted one unquoted and unescaped; masking and anchoring refused."""
    kind, text = token
    body = text[1:-1] if kind == "quoted" else text
    out: list[str] = []
    escaped = False
    for char in body:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "*?":
            raise CqlError(28, text[:40], f"masking ({char}) is not supported in {text[:40]!r}")
        elif char == "^":
            raise CqlError(31, text[:40], f"anchoring (^) is not supported in {text[:40]!r}")
        else:
            out.append(char)
    value = "".join(out)
    if len(value) > MAX_TERM:
        raise CqlError(23, value[:40], f"a search term is longer than {MAX_TERM} characters")
    return value


def _leaf(index: str, relation: str, term: str) -> Node:
    """The node of one search clause: a leaf, or an ``or`` of one leaf per word (relation ``any``)."""
    field = _INDEXES.get(index.lower())
    if field is None:
        raise CqlError(16, index[:64], f"no index {index[:64]!r} (title, author, subject, isbn, any, year)")
    if field == "all":
        if relation != "=":
            raise CqlError(19, relation, "cql.allRecords takes the relation =")
        return ("leaf", Leaf("all"))
    if field == "year":
        if relation not in _YEAR_RELATIONS:
            raise CqlError(19, relation, f"the relation {relation!r} is not supported on year (=, <, <=, >, >=)")
        if not re.fullmatch(r"\d{1,4}", term.strip()):
            raise CqlError(36, term[:40], f"{term[:40]!r} is not a year")
        year = int(term)
        bounds = {"=": (year, year), "<": (None, year - 1), "<=": (None, year), ">": (year + 1, None)}
        low, high = bounds.get(relation, (year, None))
        return ("leaf", Leaf("year", low=low, high=high))
    mode = _WORD_RELATIONS.get(relation)
    if mode is None:
        raise CqlError(19, relation, f"the relation {relation!r} is not supported on {index} (=, all, any, adj, ==)")
    words = term.split()
    if not words:
        raise CqlError(27, index, f"an empty term for {index}")
    if mode == "any" and len(words) > 1:
        node: Node = ("leaf", Leaf(field, words[0]))
        for word in words[1:]:
            node = ("or", node, ("leaf", Leaf(field, word)))
        return node
    return ("leaf", Leaf(field, " ".join(words)))


def disjunction(node: Node) -> list[Branch]:
    """The query as an ``or`` of branches, each an ``and`` of leaves and negated leaves.

    Raises
    ------
    CqlError
        When it has more than :data:`MAX_BRANCHES` branches.
    """
    branches = [Branch(tuple(p) or (Leaf("all"),), tuple(n)) for p, n in _dnf(node, negated=False)]
    return list(dict.fromkeys(branches))


def _dnf(node: Node, *, negated: bool) -> list[tuple[list[Leaf], list[Leaf]]]:
    kind = node[0]
    if kind == "leaf":
        return [([], [node[1]])] if negated else [([node[1]], [])]
    if kind == "not":
        return _dnf(node[1], negated=not negated)
    joined = kind if not negated else ("or" if kind == "and" else "and")
    left, right = _dnf(node[1], negated=negated), _dnf(node[2], negated=negated)
    if joined == "or":
        result = left + right
    else:
        result = [(lp + rp, ln + rn) for lp, ln in left for rp, rn in right]
    if len(result) > MAX_BRANCHES:
        raise CqlError(38, str(MAX_BRANCHES), f"the query expands to more than {MAX_BRANCHES} alternatives")
    return result
