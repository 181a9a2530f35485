"""Normalizers: each turns one member record in one format into a :class:`~consortium.models.Record`."""

from consortium.harvest.normalize.dublin_core import normalize_dublin_core
from consortium.harvest.normalize.kbart import normalize_kbart_row
from consortium.harvest.normalize.marc21 import normalize_marc21
from consortium.harvest.normalize.unimarc import normalize_unimarc

__all__ = ["normalize_dublin_core", "normalize_kbart_row", "normalize_marc21", "normalize_unimarc"]
