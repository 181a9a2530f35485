"""Identifier normalization: ISBN-10 to ISBN-13, ISSN, OCLC, LCCN and DOI."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from stdnum import isbn as stdnum_isbn
from stdnum.exceptions import ValidationError as StdnumError

from consortium.harvest.identifiers import (
    InvalidIdentifierError,
    isbn10_form,
    normalize_doi,
    normalize_isbn,
    normalize_issn,
    normalize_lccn,
    normalize_oclc,
)


def isbn10_check(digits: str) -> str:
    total = sum((10 - i) * int(d) for i, d in enumerate(digits))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def isbn13_check(digits: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits))
    return str((10 - total % 10) % 10)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_any_valid_isbn10_becomes_the_matching_isbn13(body: str) -> None:
    isbn10 = body + isbn10_check(body)
    identifier = normalize_isbn(f"{isbn10[:1]}-{isbn10[1:4]}-{isbn10[4:9]}-{isbn10[9:]} (pbk.)")
    assert identifier is not None
    expected = "978" + body + isbn13_check("978" + body)
    assert identifier.value == expected


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(1, 9))
def test_a_wrong_isbn10_check_digit_is_refused(body: str, shift: int) -> None:
    good = isbn10_check(body)
    wrong = str((int(good) + shift) % 10) if good != "X" else str(shift)
    with pytest.raises(InvalidIdentifierError, match="invalid check digit"):
        normalize_isbn(body + wrong)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0262033844 (hardcover)", "9780262033848"),
        ("978-7-5366-9293-0", "9787536692930"),
        ("ISBN 0-8044-2957-X", "9780804429573"),
        ("080442957x", "9780804429573"),
    ],
)
def test_isbn_forms(text: str, expected: str) -> None:
    identifier = normalize_isbn(text)
    assert identifier is not None and identifier.value == expected


def test_text_without_an_isbn_is_none() -> None:
    assert normalize_isbn("pbk.") is None


def test_issn() -> None:
    assert normalize_issn("0001-0782").value == "0001-0782"  # type: ignore[union-attr]
    assert normalize_issn("ISSN 1557 7317").value == "1557-7317"  # type: ignore[union-attr]
    assert normalize_issn("1050-124x").value == "1050-124X"  # type: ignore[union-attr]
    with pytest.raises(InvalidIdentifierError, match=r"ISSN 0001-0783: invalid check digit"):
        normalize_issn("0001-0783")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("(OCoLC)ocm00012345", "12345"), ("(OCoLC)ocn123456789", "123456789"), ("(OCoLC)on1234567890", "1234567890")],
)
def test_oclc(text: str, expected: str) -> None:
    assert normalize_oclc(text).value == expected  # type: ignore[union-attr]


def test_oclc_ignores_other_system_numbers() -> None:
    assert normalize_oclc("(DLC)   85000002") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    # The Library of Congress's own examples of LCCN normalization.
    [("n78-890351", "n78890351"), ("n78-89035", "n78089035"), ("n 78890351 ", "n78890351"),
     (" 85000002 ", "85000002"), ("85-2 ", "85000002"), ("2001-000002", "2001000002"),
     ("75-425165//r75", "75425165"), (" 79139101 /AC/r932", "79139101")],
)  # fmt: skip
def test_lccn(text: str, expected: str) -> None:
    assert normalize_lccn(text).value == expected  # type: ignore[union-attr]


def test_doi() -> None:
    assert normalize_doi("https://doi.org/10.1145/3368089.3409740").value == "10.1145/3368089.3409740"  # type: ignore[union-attr]
    assert normalize_doi("doi:10.1000/ABC.").value == "10.1000/abc"  # type: ignore[union-attr]
    assert normalize_doi("no doi here") is None


# What normalize_isbn and isbn10_form gave when stdnum checked every ISBN: their quick paths for plain digits must
# give the same for any text, and the same errors.
_ISBN_TOKEN = re.compile(r"(?<![0-9Xx])(97[89][\d\- ]{9,14}[\dXx]|[\d][\d\- ]{7,11}[\dXx])(?![\dXx])")


def stdnum_normalize_isbn(text: str) -> str | None:
    match = _ISBN_TOKEN.search(text)
    if match is None:
        return None
    candidate = re.sub(r"[\s-]", "", match.group(1)).upper()
    if len(candidate) not in (10, 13):
        return f"ISBN {candidate!r} has {len(candidate)} digits, not 10 or 13"
    try:
        return str(stdnum_isbn.to_isbn13(stdnum_isbn.validate(candidate)))
    except StdnumError as exc:
        return f"ISBN {candidate!r}: {type(exc).__name__}"


def outcome(text: str) -> str | None:
    try:
        found = normalize_isbn(text)
    except InvalidIdentifierError as exc:
        cause = exc.__cause__
        return str(exc) if cause is None else f"{str(exc).partition(': ')[0]}: {type(cause).__name__}"
    return None if found is None else found.value


def valid_isbn13s() -> st.SearchStrategy[str]:
    return st.builds(
        lambda prefix, body: prefix + body + isbn13_check(prefix + body),
        st.sampled_from(["978", "979"]),
        st.text(alphabet="0123456789", min_size=9, max_size=9),
    )


@given(
    st.one_of(
        valid_isbn13s(),
        st.text(alphabet="0123456789X", min_size=10, max_size=10),
        st.text(alphabet="0123456789", min_size=13, max_size=13),
        st.text(alphabet="0123456789Xx- \u0663\uff11", min_size=8, max_size=18),
        st.builds(lambda body: body + isbn10_check(body), st.text(alphabet="0123456789", min_size=9, max_size=9)),
    )
)
@example("0262033844")
@example("026203384X")
@example("9790262033848")
@example("977026203384")
@example("٠٢٦٢٠٣٣٨٤٤")
def test_isbns_normalize_as_stdnum_checks_them(text: str) -> None:
    assert outcome(text) == stdnum_normalize_isbn(text)


@given(st.one_of(valid_isbn13s(), st.text(alphabet="0123456789", min_size=10, max_size=10).map(lambda t: "978" + t)))
@example("9780262033848")
@example("978026203384X")
def test_isbn10_forms_as_stdnum_gives_them(isbn13: str) -> None:
    try:
        expected = str(stdnum_isbn.to_isbn10(isbn13))
    except StdnumError as exc:
        with pytest.raises(type(exc)):
            isbn10_form(isbn13)
    else:
        assert isbn10_form(isbn13) == expected
