"""The pair matcher on library records: what merges, what never does, and why."""

from __future__ import annotations

from factories import make_record

from consortium.dedup.features import match_view
from consortium.dedup.matcher import decide
from consortium.dedup.model import PRIOR_MODEL, MatchModel
from consortium.models import Identifier, IdentifierScheme, Record, ResourceFormat
from consortium.text import match_text, surname_key


def isbn(value: str) -> list[Identifier]:
    return [Identifier(scheme=IdentifierScheme.ISBN, value=value)]


def pair(a: Record, b: Record, model: MatchModel = PRIOR_MODEL):  # type: ignore[no-untyped-def]
    return decide(match_view(a), match_view(b), model)


def test_chinese_normalization() -> None:
    assert match_text("《圍城》") == match_text("围城")
    assert match_text("ＡＢＣ　１２３") == "abc 123"
    assert surname_key("錢鍾書") == surname_key("钱钟书") == surname_key("钱锺书")


def test_shared_isbn_merges_across_members() -> None:
    a = make_record("riverside", "1", "Introduction to algorithms", identifiers=isbn("9780262033848"), year=2009)
    b = make_record("lakeside", "9", "Introduction to Algorithms /", identifiers=isbn("9780262033848"), year=2009)
    decision = pair(a, b)
    assert decision.match and "shared identifiers: 9780262033848" in decision.evidence


def test_traditional_and_simplified_variants_merge() -> None:
    a = make_record("lakeside", "1", "围城", authors=["钱锺书"], year=1991, publisher="人民文学出版社")
    b = make_record("eastlake", "2", "圍城", authors=["錢鍾書"], year=1991, publisher="人民文學出版社")
    assert pair(a, b).match


def test_a_translation_is_another_work() -> None:
    a = make_record("riverside", "1", "Introduction to algorithms", authors=["Cormen, Thomas H."], year=2009)
    b = make_record("eastlake", "2", "算法导论", authors=["Cormen, Thomas H."], year=2013)
    assert not pair(a, b).match


def test_volumes_never_merge_even_with_a_shared_set_isbn() -> None:
    a = make_record("r", "1", "The art of computer programming. Vol. 1", identifiers=isbn("9780201485417"))
    b = make_record("l", "2", "The art of computer programming. Vol. 2", identifiers=isbn("9780201485417"))
    decision = pair(a, b)
    assert not decision.match and decision.reject == "different volumes or parts: [1] vs [2]"


def test_different_editions_and_far_years_are_rejected() -> None:
    a = make_record("r", "1", "Gödel, Escher, Bach", authors=["Hofstadter, Douglas R."], year=1979)
    b = make_record("l", "2", "Godel, Escher, Bach", authors=["Douglas R. Hofstadter"], year=1999)
    assert pair(a, b).reject == "years apart: 1979 vs 1999"
    c = make_record("r", "3", "Concrete mathematics", edition="2nd ed.", year=1994)
    d = make_record("l", "4", "Concrete mathematics", edition="1st ed.", year=1994)
    assert pair(c, d).reject == "different editions: 2 vs 1"


def test_formats_and_same_member() -> None:
    book = make_record("r", "1", "Casablanca", year=1942)
    video = make_record("l", "2", "Casablanca", year=1942, format=ResourceFormat.VIDEO)
    assert pair(book, video).reject == "format families differ: monograph vs video"
    twin = make_record("r", "2", "Casablanca", year=1942)
    assert pair(book, twin).reject == "two records of member 'r' and no identifier agrees"
    ebook = make_record("l", "3", "Casablanca", year=1942, format=ResourceFormat.EBOOK)
    assert pair(book, ebook).match


def test_missing_subtitle_and_author_forms() -> None:
    a = make_record("r", "1", "Sapiens", subtitle="a brief history of humankind", authors=["Harari, Yuval Noah"],
                    year=2015)  # fmt: skip
    b = make_record("l", "2", "Sapiens", authors=["Yuval Noah Harari"], year=2015)
    decision = pair(a, b)
    assert decision.match, decision.explain()


def test_same_title_different_authors_do_not_merge() -> None:
    a = make_record("r", "1", "Deep learning", authors=["Goodfellow, Ian"], year=2016)
    b = make_record("l", "2", "Deep learning", authors=["Kelleher, John D."], year=2016)
    assert not pair(a, b).match


def test_generic_titles_need_year_and_the_same_authors() -> None:
    a = make_record("r", "1", "Reminiscences on influential papers", authors=["Ross, Kenneth A."], year=2001)
    b = make_record("l", "2", "Reminiscences on influential papers", year=2001,
                    authors=["Kenneth A. Ross", "Dan Suciu", "Nick Koudas"])  # fmt: skip
    assert pair(a, b).match
    generic = MatchModel(PRIOR_MODEL.m, PRIOR_MODEL.u, PRIOR_MODEL.prior, {}, frozenset([a.title.lower()]))
    decision = pair(a, b, generic)
    assert not decision.match and any("generic" in line for line in decision.evidence)
    same_authors = make_record("l", "3", "Reminiscences on influential papers", year=2001, authors=["K. A. Ross"])
    assert pair(a, same_authors, generic).match
