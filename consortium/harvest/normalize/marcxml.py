"""MARCXML ``record`` elements as the MARC normalizers read them: pymarc records (:func:`marcxml_to_pymarc`), or
a :class:`~consortium.harvest.normalize.common.FieldIndex` of light fields (:func:`marcxml_fields`), which the
normalizers read the same way at a fraction of the cost (no pymarc objects made; used for OAI-PMH pages).

MarcXchange (ISO 25577: the German and Danish national libraries' exports, the BnF's UNIMARC) is MARCXML's
structure in a namespace of its own, each record saying its ``format`` and ``type``; :func:`marc_dialect` says
which normalizer reads a record of either.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

import pymarc
from lxml import etree

from consortium.errors import RecordError
from consortium.harvest.normalize.common import FieldIndex, MarcField
from consortium.harvest.normalize.marc21 import MARC21
from consortium.harvest.normalize.unimarc import UNIMARC
from consortium.harvest.refusals import Refusal

if TYPE_CHECKING:
    from consortium.harvest.normalize.assembly import MarcDialect

__all__ = ["MARCXCHANGE_NS", "MARCXML_NS", "MARC_NAMESPACES", "marc_dialect", "marcxml_fields", "marcxml_to_pymarc"]

MARCXML_NS = "http://www.loc.gov/MARC21/slim"
MARCXCHANGE_NS = ("info:lc/xmlns/marcxchange-v1", "info:lc/xmlns/marcxchange-v2")
MARC_NAMESPACES: Final = frozenset({MARCXML_NS, *MARCXCHANGE_NS, None})
"""The namespaces of a MARC record element in XML (``None``: a record without one, read as MARCXML)."""
_DIALECTS: Final = {"marc21": MARC21, "usmarc": MARC21, "unimarc": UNIMARC, "cnmarc": UNIMARC}
"""A MarcXchange record's ``format``, lower-cased, and the normalizer that reads it."""
_NO_LEADER = str(pymarc.Record().leader)
"""The leader of a record without one, as pymarc gives it."""


_TAG = re.compile(r"[0-9A-Za-z]{3}")


def _tag(child: etree._Element, kind: str) -> str:
    """The field's tag: three letters or digits (``245``, Aleph's ``CAT``), else :class:`RecordError`."""
    tag = child.get("tag")
    if not tag:
        raise RecordError(f"{kind}: no tag attribute", error_code=Refusal.UNREADABLE, field=kind)
    if _TAG.fullmatch(tag) is None:
        raise RecordError(
            f"{kind}: tag {tag[:20]!r} is not three letters or digits", error_code=Refusal.UNREADABLE, field=kind
        )
    return tag


def marc_dialect(element: etree._Element) -> MarcDialect:
    """The normalizer of a MARC record element: MARC21 for MARCXML; for MarcXchange, the one its ``format`` names
    (MARC21 when it names none). :class:`RecordError` for a record of another type than ``Bibliographic``, or of
    a format the hub does not read (``danMARC2``)."""
    if etree.QName(element).namespace not in MARCXCHANGE_NS:
        return MARC21
    kind = element.get("type")
    if kind is not None and kind.strip().lower() not in ("", "bibliographic"):
        raise RecordError(
            f"record: a MarcXchange record of type {kind[:40]!r}, not a bibliographic one",
            error_code=Refusal.NOT_BIBLIOGRAPHIC,
            field="record/@type",
        )
    fmt = (element.get("format") or "MARC21").strip()
    dialect = _DIALECTS.get(fmt.lower())
    if dialect is None:
        raise RecordError(
            f"record: a MarcXchange record in format {fmt[:40]!r}; the hub reads MARC21 and UNIMARC",
            error_code=Refusal.WRONG_FORMAT,
            field="record/@format",
        )
    return dialect


def marcxml_to_pymarc(element: etree._Element) -> pymarc.Record:
    """A MARCXML ``record`` element as a pymarc record; missing tags or codes raise :class:`RecordError`."""
    record = pymarc.Record()
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name == "leader":
            text = child.text or ""
            if len(text) != 24:
                raise RecordError(
                    f"leader: {len(text)} characters, not 24", error_code=Refusal.UNREADABLE, field="leader"
                )
            record.leader = pymarc.Leader(text)
        elif name == "controlfield":
            tag = _tag(child, "controlfield")
            record.add_field(pymarc.Field(tag=tag, data=child.text or ""))  # type: ignore[no-untyped-call]
        elif name == "datafield":
            tag = _tag(child, "datafield")
            subfields = []
            for sub in child:
                if isinstance(sub.tag, str) and etree.QName(sub).localname == "subfield":
                    subfields.append(pymarc.Subfield(code=sub.get("code") or " ", value=sub.text or ""))
            indicators = pymarc.Indicators(child.get("ind1") or " ", child.get("ind2") or " ")
            record.add_field(pymarc.Field(tag=tag, indicators=indicators, subfields=subfields))  # type: ignore[no-untyped-call]
    return record


def marcxml_fields(element: etree._Element) -> FieldIndex:
    """A MARCXML ``record`` element as light fields, read as :func:`marcxml_to_pymarc` reads it (the same
    checks and errors, the same values)."""
    leader = None
    fields: list[MarcField] = []
    for child in element:
        tag_name = child.tag
        if not isinstance(tag_name, str):
            continue
        name = tag_name.rpartition("}")[2]
        if name == "leader":
            text = child.text or ""
            if len(text) != 24:
                raise RecordError(
                    f"leader: {len(text)} characters, not 24", error_code=Refusal.UNREADABLE, field="leader"
                )
            leader = text
        elif name == "controlfield":
            tag = _tag(child, "controlfield")
            fields.append(MarcField(tag, data=child.text or ""))
        elif name == "datafield":
            tag = _tag(child, "datafield")
            subfields = [
                (sub.get("code") or " ", sub.text or "")
                for sub in child
                if isinstance(sub.tag, str) and sub.tag.rpartition("}")[2] == "subfield"
            ]
            indicators = (child.get("ind1") or " ")[:1] + (child.get("ind2") or " ")[:1]
            fields.append(MarcField(tag, indicators=indicators, subfields=subfields))
    return FieldIndex(leader if leader is not None else _NO_LEADER, fields)
