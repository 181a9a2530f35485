"""Hostile KBART files: every data row is stored or quarantined with the column at fault, whatever it holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.harvest.formats.kbart import iter_kbart
from consortium.harvest.service import HarvestService
from consortium.members import Member, Source

if TYPE_CHECKING:
    from pathlib import Path

COLUMNS = [
    "publication_title",
    "print_identifier",
    "online_identifier",
    "date_first_issue_online",
    "date_last_issue_online",
    "title_url",
    "title_id",
    "publication_type",
]
HEADER = "\t".join(COLUMNS)


def row(title: str = "Journal", first: str = "2000-01-01", last: str = "", title_id: str = "t1", **more: str) -> str:
    values = {"publication_title": title, "print_identifier": "0317-8471", "date_first_issue_online": first}
    values |= {"date_last_issue_online": last, "title_url": "https://x.org/j", "title_id": title_id}
    values |= {"publication_type": "serial"} | more
    return "\t".join(values.get(column, "") for column in COLUMNS)


def harvest(tmp_path: Path, data: bytes) -> InMemoryRecordStore:
    (tmp_path / "list.txt").write_bytes(data)
    store = InMemoryRecordStore()
    source = Source(id="k", protocol="kbart-file", path=tmp_path / "list.txt", format="kbart")  # type: ignore[arg-type]
    HarvestService(store, InMemoryBlobStore(), page_size=50).harvest_source(Member(id="m", name="M"), source)
    return store


def test_a_value_larger_than_the_csv_modules_limit_is_read(tmp_path: Path) -> None:
    store = harvest(tmp_path, f"{HEADER}\n{row(title='x' * 200_000)}\n{row(title_id='t2')}\n".encode())
    assert sorted(r.local_id for r in store.records()) == ["t1", "t2"]


@pytest.mark.parametrize(
    ("first", "last", "reason"),
    [
        ("2000-13-45", "", "date_first_issue_online: '2000-13-45' is not a date as KBART writes one"),
        ("yesterday", "", "date_first_issue_online: 'yesterday' is not a date as KBART writes one"),
        ("2000", "99999-01-01", "date_last_issue_online: '99999-01-01' is not a date"),
        ("2010-05", "2001", "date_last_issue_online: coverage ends (2001) before it starts (2010-05)"),
    ],
)
def test_a_bad_coverage_date_quarantines_its_row_naming_the_column(
    tmp_path: Path, first: str, last: str, reason: str
) -> None:
    store = harvest(tmp_path, f"{HEADER}\n{row(first=first, last=last)}\n{row(title_id='t2')}\n".encode())
    assert [r.local_id for r in store.records()] == ["t2"]
    [item] = store.quarantined()
    assert item.position == "list.txt:2" and reason in item.reason


def test_dates_kbart_allows_are_kept_as_coverage(tmp_path: Path) -> None:
    store = harvest(tmp_path, f"{HEADER}\n{row(first='1998', last='2004-02')}\n".encode())
    [record] = store.records()
    assert record.holdings[0].coverage == "1998 - 2004-02"


def test_a_comma_separated_or_utf16_file_says_so(tmp_path: Path) -> None:
    comma = harvest(tmp_path, (HEADER.replace("\t", ",") + "\n" + row().replace("\t", ",") + "\n").encode())
    assert "looks comma-separated" in comma.quarantined()[0].reason
    utf16 = harvest(tmp_path, (HEADER + "\n" + row() + "\n").encode("utf-16"))
    assert "the file is UTF-16" in utf16.quarantined()[0].reason


CELL = st.text(
    st.characters(blacklist_characters="\t\r\n", blacklist_categories=["Cs"]), max_size=12
) | st.sampled_from(["2001", "2001-02-30", "0317-8471", "https://x.org", "serial", "monograph", "978-0-201-89683-1"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CELL, min_size=0, max_size=len(COLUMNS) + 2), min_size=1, max_size=8))
def test_every_row_is_stored_or_quarantined(tmp_path: Path, cells: list[list[str]]) -> None:
    lines = [HEADER]
    for number, given_values in enumerate(cells):
        values = given_values[: len(COLUMNS)] + [""] * (len(COLUMNS) - len(given_values))
        values[COLUMNS.index("title_id")] = f"id{number}"  # one key a row: none replaces another
        lines.append("\t".join(values))
    store = harvest(tmp_path, ("\n".join(lines) + "\n").encode())
    assert store.count() + len(store.quarantined()) == len(cells)
    assert all(item.reason and item.position.startswith("list.txt:") for item in store.quarantined())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_are_read_into_rows_or_reasons(data: bytes) -> None:
    for page in iter_kbart(HEADER.encode() + b"\n" + data, name="f", start=0, page_size=10):
        assert all(item.error or item.parsed is not None for item in page.records)
