"""RIS and BibTeX of a merged work: read back by a strict RIS check and by bibtexparser, whatever the catalogue
put in the record (TeX's special characters, line breaks, a name with "and", every format)."""

from __future__ import annotations

from typing import Any

import bibtexparser
import pytest
from citation_checks import read_ris
from factories import make_cluster

from consortium.catalogue_out.citations import BIBTEX_TYPES, RIS_TYPES, bibtex, ris
from consortium.catalogue_out.export import export_work
from consortium.errors import ValidationError
from consortium.models import ResourceFormat

URL = "https://hub.example/works/w1"


def parse_bibtex(text: str) -> dict[str, Any]:
    """The fields of the one entry of ``text``, TeX decoded; ``author`` as bibtexparser splits the names."""
    middlewares = [bibtexparser.middlewares.SeparateCoAuthors(), bibtexparser.middlewares.LatexDecodingMiddleware()]
    library = bibtexparser.parse_string(text, append_middleware=middlewares)
    assert library.failed_blocks == [] and len(library.entries) == 1
    return {field.key: field.value for field in library.entries[0].fields}


def test_tex_special_characters_and_line_breaks_read_back_as_catalogued() -> None:
    work = make_cluster(
        "w1",
        "100% {pure} C# & $money_maker^2 ~ back\\slash",
        authors=["Barnes and Noble", "Smith, J."],
        subtitle="line one\nline two",
        publisher="O'Reilly & Associates",
        subjects=["Programming\r\nlanguages"],
    )
    fields = parse_bibtex(bibtex(work, URL))
    # \textasciicircum is TeX's ^; pylatexenc writes it as the modifier letter circumflex.
    assert fields["title"].replace("\u02c6", "^") == "100% {pure} C# & $money_maker^2 ~ back\\slash"
    assert fields["subtitle"] == "line one line two"
    assert fields["publisher"] == "O'Reilly & Associates"
    assert fields["author"] == ["{Barnes and Noble}", "Smith, J."]  # one name, braced whole
    (record,) = read_ris(ris(work, URL).encode("utf-8"))
    assert record["TI"] == ["100% {pure} C# & $money_maker^2 ~ back\\slash: line one line two"]
    assert record["KW"] == ["Programming languages"]
    assert record["AU"] == ["Barnes and Noble", "Smith, J."]


@pytest.mark.parametrize("fmt", list(ResourceFormat))
def test_every_format_has_a_type_that_reads_back(fmt: ResourceFormat) -> None:
    work = make_cluster("w1", "三体", format=fmt.value, year=2008)
    (record,) = read_ris(ris(work, URL).encode("utf-8"))
    assert record["TY"] == [RIS_TYPES[fmt]] and record["TI"] == ["三体"]
    library = bibtexparser.parse_string(bibtex(work, URL))
    assert library.entries[0].entry_type == BIBTEX_TYPES.get(fmt, "misc")
    assert library.entries[0].fields_dict["title"].value == "三体"


def test_a_work_without_authors_or_year_leaves_them_out() -> None:
    work = make_cluster("w1", "Beowulf", format="manuscript")
    (record,) = read_ris(ris(work, URL).encode("utf-8"))
    assert set(record) == {"TY", "TI", "UR", "ID"}
    assert set(parse_bibtex(bibtex(work, URL))) == {"title", "url"}


def test_the_file_is_named_after_the_work_and_unknown_formats_are_refused() -> None:
    work = make_cluster("c/1 (x)", "Title")
    assert export_work(work, [], "bibtex", URL).filename == "c_1__x_.bib"
    assert bibtexparser.parse_string(bibtex(work, URL)).entries[0].key == "c_1__x_"
    with pytest.raises(ValidationError, match="format"):
        export_work(work, [], "endnote", URL)
