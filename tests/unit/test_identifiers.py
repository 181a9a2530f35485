"""Identifier normalization: ISBN-10 to ISBN-13, ISSN, OCLC, LCCN and DOI."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consortium.harvest.identifiers import (
    InvalidIdentifierError,
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
