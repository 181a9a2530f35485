"""A work exported for a reader's reference manager or a library's system: RIS, BibTeX, MARCXML or MARC21
(ISO 2709), as a file download.

RIS and BibTeX are citations of the merged work (:mod:`~consortium.catalogue_out.citations`). MARCXML is the record
the OAI-PMH provider serves (:func:`~consortium.catalogue_out.marcxml.marcxml`: the merged record with the
holdings shown, 852 for shelves and 856 for links); binary MARC21 is the same record written by pymarc, in UTF-8
(leader position 9 ``a``). Every format is UTF-8, MARC21 included: its leader, directory and delimiters are ASCII,
so the whole record is valid UTF-8 text.

Example
-------
>>> exported = export_work(cluster, holdings, "ris", "https://hub.example/works/c1")
>>> exported.filename, exported.content_type
('c1.ris', 'application/x-research-info-systems; charset=utf-8')
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

import pymarc

from consortium.catalogue_out.citations import bibtex, ris
from consortium.catalogue_out.marcxml import marcxml
from consortium.dedup.state import ClusterVersion
from consortium.errors import ValidationError

if TYPE_CHECKING:
    from consortium.catalogue_out.published import PublishedCatalogue
    from consortium.models import Cluster, Holding

__all__ = ["EXPORT_FORMATS", "ExportFormat", "ExportedWork", "export_work", "exported_holdings"]

ExportFormat = Literal["ris", "bibtex", "marcxml", "marc"]

EXPORT_FORMATS: Final[dict[str, tuple[str, str]]] = {
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
    "bibtex": ("application/x-bibtex; charset=utf-8", "bib"),
    "marcxml": ("application/marcxml+xml; charset=utf-8", "xml"),
    "marc": ("application/marc", "mrc"),
}
"""Each format's media type and file extension (``application/marc``: RFC 2220; ``application/marcxml+xml``: RFC
6207)."""

_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass(frozen=True)
class ExportedWork:
    """A work as a file: its bytes, media type and the name to save it under."""

    body: bytes
    content_type: str
    filename: str


def _marc21(xml: str) -> bytes:
    """The MARCXML record as ISO 2709, read and written by pymarc (UTF-8: leader position 9 ``a``)."""
    records = pymarc.parse_xml_to_array(io.BytesIO(xml.encode("utf-8")))  # type: ignore[no-untyped-call]
    if len(records) != 1 or records[0] is None:
        raise ValidationError("the work's MARCXML record did not read back as one MARC record")
    record = records[0]
    record.force_utf8 = True
    record.leader = record.leader[:9] + "a" + record.leader[10:]
    data: bytes = record.as_marc()
    return data


def exported_holdings(catalogue: PublishedCatalogue, cluster: Cluster, first: str | None) -> list[Holding]:
    """The holdings an export lists: those of the members who show them (as the OAI-PMH provider does), and
    always those of the library ``first`` (the reader's own), which come first."""
    shown = catalogue.holdings(cluster)
    holdings = [h for h in cluster.holdings if h in shown or (first is not None and h.member == first)]
    return sorted(holdings, key=lambda h: h.member != first)


def export_work(cluster: Cluster, holdings: list[Holding], fmt: str, permalink: str) -> ExportedWork:
    """``cluster`` as a file of format ``fmt`` (``ris``, ``bibtex``, ``marcxml``, ``marc``) named after its id.

    Parameters
    ----------
    cluster
        The merged work.
    holdings
        The holdings the MARC formats list (those that may be shown: see
        :meth:`~consortium.catalogue_out.PublishedCatalogue.holdings`); the citations have none.
    permalink
        The URL of the work's page, for the citations' ``UR`` and ``url``.

    Raises
    ------
    ValidationError
        ``fmt`` is not one of :data:`EXPORT_FORMATS` (``details["field"]`` is ``format``).
    """
    if fmt not in EXPORT_FORMATS:
        known = ", ".join(EXPORT_FORMATS)
        raise ValidationError(f"field 'format': {fmt!r} is not an export format ({known})", field="format")
    content_type, extension = EXPORT_FORMATS[fmt]
    filename = f"{_FILENAME_UNSAFE.sub('_', cluster.cluster_id)}.{extension}"
    if fmt == "ris":
        body = ris(cluster, permalink).encode("utf-8")
    elif fmt == "bibtex":
        body = bibtex(cluster, permalink).encode("utf-8")
    else:
        version = ClusterVersion(
            cluster_id=cluster.cluster_id, changed_at=cluster.updated_at, members=cluster.members, cluster=cluster
        )
        xml = marcxml(version, holdings)
        body = (_XML_DECLARATION + xml + "\n").encode("utf-8") if fmt == "marcxml" else _marc21(xml)
    return ExportedWork(body=body, content_type=content_type, filename=filename)
