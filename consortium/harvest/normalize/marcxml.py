"""MARCXML ``record`` elements as pymarc records, for the MARC normalizers."""

from __future__ import annotations

import pymarc
from lxml import etree

from consortium.errors import RecordError

__all__ = ["MARCXML_NS", "marcxml_to_pymarc"]

MARCXML_NS = "http://www.loc.gov/MARC21/slim"


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
                raise RecordError(f"leader: {len(text)} characters, not 24")
            record.leader = pymarc.Leader(text)
        elif name == "controlfield":
            tag = child.get("tag")
            if not tag:
                raise RecordError("controlfield: no tag attribute")
            record.add_field(pymarc.Field(tag=tag, data=child.text or ""))  # type: ignore[no-untyped-call]
        elif name == "datafield":
            tag = child.get("tag")
            if not tag:
                raise RecordError("datafield: no tag attribute")
            subfields = []
            for sub in child:
                if isinstance(sub.tag, str) and etree.QName(sub).localname == "subfield":
                    subfields.append(pymarc.Subfield(code=sub.get("code") or " ", value=sub.text or ""))
            indicators = pymarc.Indicators(child.get("ind1") or " ", child.get("ind2") or " ")
            record.add_field(pymarc.Field(tag=tag, indicators=indicators, subfields=subfields))  # type: ignore[no-untyped-call]
    return record
