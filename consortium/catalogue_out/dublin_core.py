"""A work's merged record as unqualified Dublin Core: OAI-PMH's ``oai_dc`` and SRU's ``dc`` schema.

``dc:title`` the title, then the subtitle; ``dc:creator`` each author; ``dc:subject`` each subject heading;
``dc:publisher``; ``dc:date`` the year; ``dc:type`` the DCMI type (``Text``, ``Sound``...), or the kind of
resource where DCMI has none (``Journal``, ``Thesis``, ``Map``, ``Score``); ``dc:format`` the page count
(``320 p.``); ``dc:identifier`` ``urn:isbn:...``, ``urn:issn:...``, ``info:doi/...`` and the URL of each online
holding that may be shown; ``dc:language`` the ISO 639-2 code; ``dc:relation`` the series and its number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from consortium.catalogue_out.marcxml import cluster_ids
from consortium.catalogue_out.response import esc
from consortium.models import IdentifierScheme, ResourceFormat

if TYPE_CHECKING:
    from consortium.dedup.state import ClusterVersion
    from consortium.models import Holding

__all__ = ["OAI_DC_NS", "SRU_DC_NS", "dublin_core"]

DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
SRU_DC_NS = "info:srw/schema/1/dc-schema"

_TYPES = {
    ResourceFormat.AUDIO: "Sound",
    ResourceFormat.VIDEO: "MovingImage",
    ResourceFormat.DATABASE: "Dataset",
    ResourceFormat.SOFTWARE: "Software",
    ResourceFormat.THESIS: "Thesis",
    ResourceFormat.MAP: "Map",
    ResourceFormat.SCORE: "Score",
    ResourceFormat.JOURNAL: "Journal",
    ResourceFormat.EJOURNAL: "Journal",
    ResourceFormat.WEB: "Website",
    ResourceFormat.OTHER: "PhysicalObject",
}
_URIS = {IdentifierScheme.ISBN: "urn:isbn:", IdentifierScheme.ISSN: "urn:issn:", IdentifierScheme.DOI: "info:doi/"}


def _element(name: str, value: object) -> str:
    return f"<dc:{name}>{esc(value)}</dc:{name}>" if value not in (None, "") else ""


def dublin_core(version: ClusterVersion, holdings: list[Holding], *, sru: bool = False) -> str:
    """The ``oai_dc:dc`` element (``srw_dc:dc`` for SRU) of a stored cluster, with its namespaces."""
    cluster = version.cluster
    assert cluster is not None, "a deleted record has no metadata"
    if sru:
        opening = f'<srw_dc:dc xmlns:srw_dc="{SRU_DC_NS}" xmlns:dc="{DC_NS}">'
        closing = "</srw_dc:dc>"
    else:
        opening = (
            f'<oai_dc:dc xmlns:oai_dc="{OAI_DC_NS}" xmlns:dc="{DC_NS}" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xsi:schemaLocation="{OAI_DC_NS} {OAI_DC_SCHEMA}">'
        )
        closing = "</oai_dc:dc>"
    parts = [opening, _element("title", cluster.title), _element("title", cluster.subtitle)]
    parts += [_element("creator", author) for author in cluster.authors]
    parts += [_element("subject", subject) for subject in cluster.subjects]
    parts.append(_element("publisher", cluster.publisher))
    parts.append(_element("date", cluster.year))
    parts.append(_element("type", _TYPES.get(cluster.format, "Text")))
    parts.append(_element("format", f"{cluster.pages} p." if cluster.pages else None))
    for scheme, prefix in _URIS.items():
        parts += [_element("identifier", prefix + value) for value in cluster_ids(cluster, scheme)]
    parts += [_element("identifier", holding.url) for holding in holdings if holding.url]
    parts.append(_element("language", cluster.language))
    series = " ; ".join(part for part in (cluster.series, cluster.series_number) if part)
    parts.append(_element("relation", series))
    parts.append(closing)
    return "".join(parts)
