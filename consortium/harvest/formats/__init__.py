"""Harvest formats as plugins: one :class:`FormatReader` per source format, registered here by its name.

Adding a format means writing one module with its reader (pages of raw records from a file's bytes or from an
OAI-PMH server, and its normalizer) and adding one line to :data:`FORMATS`.
"""

from __future__ import annotations

from consortium.errors import ConfigError
from consortium.harvest.formats.base import FilePage, FormatReader
from consortium.harvest.formats.iso2709 import Iso2709Format
from consortium.harvest.formats.kbart import KbartFormat
from consortium.harvest.formats.marc_json import MarcJsonFormat
from consortium.harvest.formats.marcxml import MarcXmlFormat
from consortium.harvest.formats.mrk import MrkFormat
from consortium.harvest.formats.oai import OaiMetadataFormat, SavedOaiFormat
from consortium.harvest.normalize.marc21 import MARC21
from consortium.harvest.normalize.unimarc import UNIMARC
from consortium.members import SourceFormat

__all__ = ["FORMATS", "FilePage", "FormatReader", "reader_for"]

FORMATS: dict[SourceFormat, FormatReader] = {
    SourceFormat.MARC21: Iso2709Format("marc21", MARC21, force_utf8=False),
    SourceFormat.UNIMARC: Iso2709Format("unimarc", UNIMARC, force_utf8=True),
    SourceFormat.MARCXML: MarcXmlFormat("marcxml"),
    SourceFormat.OAI_DC: OaiMetadataFormat("oai_dc"),
    SourceFormat.OAI_PMH: SavedOaiFormat("oai-pmh"),
    SourceFormat.KBART: KbartFormat(),
    SourceFormat.MARC_JSON: MarcJsonFormat(),
    SourceFormat.MRK: MrkFormat(),
}
"""The reader of each source format."""


def reader_for(fmt: SourceFormat) -> FormatReader:
    """The registered reader of ``fmt``; :class:`~consortium.errors.ConfigError` if none is."""
    try:
        return FORMATS[fmt]
    except KeyError:
        raise ConfigError(f"no harvest reader is registered for format {fmt!r}") from None
