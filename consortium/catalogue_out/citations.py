"""A work's merged record as a citation for reference managers: RIS (EndNote, Zotero, Mendeley, RefWorks) and
BibTeX (biblatex entry types), in UTF-8, so Chinese titles and names come through as they are.

=========  ===========================  ==========================================================================
what       RIS                          BibTeX
=========  ===========================  ==========================================================================
type       ``TY`` by format (BOOK,      entry type by format (``@book``, ``@periodical``, ``@thesis``,
           EBOOK, JFULL, THES...)       ``@online``, ``@software``, ``@misc``)
title      ``TI`` (title: subtitle)     ``title``, ``subtitle``
authors    ``AU``, one a line           ``author``, joined by ``and``
year       ``PY``                       ``year``
publisher  ``PB``                       ``publisher``
edition    ``ET``                       ``edition``
series     ``T3``                       ``series``, ``number``
ISBN/ISSN  ``SN``, one a line           ``isbn``, ``issn``
DOI        ``DO``                       ``doi``
language   ``LA`` (ISO 639-2)           ``language``
subjects   ``KW``, one a line           ``keywords``, comma-separated
permalink  ``UR``                       ``url``
work id    ``ID``                       the entry key
=========  ===========================  ==========================================================================

RIS lines end in CR LF and the record in ``ER  -`` (the RIS specification); BibTeX values are braced, with TeX's
special characters escaped (``&`` as ``\\&``...).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from consortium.models import IdentifierScheme, ResourceFormat

if TYPE_CHECKING:
    from consortium.models import Cluster

__all__ = ["BIBTEX_TYPES", "RIS_TYPES", "bibtex", "bibtex_key", "ris"]

RIS_TYPES: Final[dict[ResourceFormat, str]] = {
    ResourceFormat.BOOK: "BOOK",
    ResourceFormat.EBOOK: "EBOOK",
    ResourceFormat.JOURNAL: "JFULL",
    ResourceFormat.EJOURNAL: "JFULL",
    ResourceFormat.DATABASE: "DBASE",
    ResourceFormat.AUDIO: "SOUND",
    ResourceFormat.VIDEO: "VIDEO",
    ResourceFormat.MAP: "MAP",
    ResourceFormat.SCORE: "MUSIC",
    ResourceFormat.WEB: "ELEC",
    ResourceFormat.THESIS: "THES",
    ResourceFormat.MANUSCRIPT: "MANSCPT",
    ResourceFormat.SOFTWARE: "COMP",
    ResourceFormat.OTHER: "GEN",
}
"""RIS reference type of each format (a journal as a whole is ``JFULL``, not an article)."""

BIBTEX_TYPES: Final[dict[ResourceFormat, str]] = {
    ResourceFormat.BOOK: "book",
    ResourceFormat.EBOOK: "book",
    ResourceFormat.JOURNAL: "periodical",
    ResourceFormat.EJOURNAL: "periodical",
    ResourceFormat.DATABASE: "online",
    ResourceFormat.WEB: "online",
    ResourceFormat.THESIS: "thesis",
    ResourceFormat.SOFTWARE: "software",
}
"""biblatex entry type of each format; any other is ``misc`` (BibTeX itself reads an unknown type as ``misc``)."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_TEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_:.\-]")


def _line(value: str) -> str:
    """A value on one line: line breaks and other control characters as single spaces."""
    return _CONTROL.sub(" ", value).strip()


def _title(cluster: Cluster) -> str:
    return f"{cluster.title}: {cluster.subtitle}" if cluster.subtitle else cluster.title


def _identifiers(cluster: Cluster, scheme: IdentifierScheme) -> list[str]:
    return [identifier.value for identifier in cluster.identifiers if identifier.scheme is scheme]


def ris(cluster: Cluster, permalink: str) -> str:
    """The RIS record of ``cluster``, linking to its page at ``permalink``.

    Example
    -------
    >>> print(ris(cluster, "https://hub.example/works/c1"))
    TY  - BOOK
    TI  - 深度学习
    ...
    ER  -
    """
    lines = [("TY", RIS_TYPES.get(cluster.format, "GEN")), ("TI", _title(cluster))]
    lines += [("AU", author) for author in cluster.authors]
    lines += [("PY", str(cluster.year) if cluster.year is not None else ""), ("PB", cluster.publisher or "")]
    lines += [("ET", cluster.edition or ""), ("T3", cluster.series or "")]
    for scheme in (IdentifierScheme.ISBN, IdentifierScheme.ISSN):
        lines += [("SN", value) for value in _identifiers(cluster, scheme)]
    lines += [("DO", value) for value in _identifiers(cluster, IdentifierScheme.DOI)]
    lines += [("LA", cluster.language or "")]
    lines += [("KW", subject) for subject in cluster.subjects]
    lines += [("UR", permalink), ("ID", cluster.cluster_id)]
    written = [f"{tag}  - {_line(value)}" for tag, value in lines if _line(value)]
    return "\r\n".join([*written, "ER  - ", ""])


def _tex(value: str) -> str:
    """``value`` with TeX's special characters escaped, on one line."""
    return "".join(_TEX_SPECIAL.get(char, char) for char in _line(value))


def _name(author: str) -> str:
    """A name as BibTeX's ``author`` takes it: braced whole when it holds the word ``and``, which would split it."""
    escaped = _tex(author)
    return f"{{{escaped}}}" if re.search(r"\sand\s", escaped, re.IGNORECASE) else escaped


def bibtex_key(cluster_id: str) -> str:
    """The entry key: the work id, with anything BibTeX does not take in a key as ``_``."""
    return _KEY_UNSAFE.sub("_", cluster_id) or "work"


def bibtex(cluster: Cluster, permalink: str) -> str:
    """The BibTeX entry of ``cluster``, linking to its page at ``permalink``.

    Example
    -------
    >>> print(bibtex(cluster, "https://hub.example/works/c1"))
    @book{c1,
      title = {深度学习},
    ...
    }
    """
    fields = [("title", cluster.title), ("subtitle", cluster.subtitle or "")]
    fields.append(("author", " and ".join(_name(a) for a in cluster.authors if _line(a))))
    fields += [("year", str(cluster.year) if cluster.year is not None else ""), ("publisher", cluster.publisher or "")]
    fields += [("edition", cluster.edition or ""), ("series", cluster.series or "")]
    fields += [("number", cluster.series_number or "" if cluster.series else "")]
    fields += [("isbn", ", ".join(_identifiers(cluster, IdentifierScheme.ISBN)))]
    fields += [("issn", ", ".join(_identifiers(cluster, IdentifierScheme.ISSN)))]
    fields += [("doi", ", ".join(_identifiers(cluster, IdentifierScheme.DOI)))]
    fields += [("language", cluster.language or ""), ("keywords", ", ".join(_line(s) for s in cluster.subjects))]
    fields += [("url", permalink)]
    escaped = {"author"}  # already escaped name by name
    body = [f"  {name} = {{{value if name in escaped else _tex(value)}}}" for name, value in fields if _line(value)]
    entry_type = BIBTEX_TYPES.get(cluster.format, "misc")
    return f"@{entry_type}{{{bibtex_key(cluster.cluster_id)},\n" + ",\n".join(body) + "\n}\n"
