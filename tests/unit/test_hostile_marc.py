"""Hostile binary MARC: each broken record is quarantined at its byte offset with a reason naming the place (the
leader, the directory, the field by tag), and no record is lost: each is stored or its bytes are quarantined."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marc_builders import book, marcxml_collection

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.harvest.service import HarvestService
from consortium.members import Member, Source

if TYPE_CHECKING:
    from pathlib import Path

GOOD = [book(f"g{n}", f"Good record {n}").as_marc() for n in range(5)]


def harvest(tmp_path: Path, data: bytes) -> tuple[InMemoryRecordStore, InMemoryBlobStore]:
    (tmp_path / "f.mrc").write_bytes(data)
    store, archive = InMemoryRecordStore(), InMemoryBlobStore()
    source = Source(id="s", protocol="marc-file", path=tmp_path / "f.mrc", format="marc21")  # type: ignore[arg-type]
    HarvestService(store, archive, page_size=3).harvest_source(Member(id="m", name="M"), source)
    return store, archive


def utf8(record: bytes) -> bytes:
    return record[:9] + b"a" + record[10:]


def test_invalid_utf8_names_the_field_it_is_in(tmp_path: Path) -> None:
    broken = utf8(book("bad", "Caf\u00e9 society").as_marc()).replace("é".encode(), b"\xc3\x28")
    store, _ = harvest(tmp_path, GOOD[0] + broken + GOOD[1])
    assert [r.local_id for r in store.records()] == ["g0", "g1"]
    [item] = store.quarantined()
    assert item.reason == "245: invalid UTF-8 at byte 7 of the field: invalid continuation byte"
    assert item.position == f"f.mrc@{len(GOOD[0])}"


def test_a_leader_or_directory_byte_that_is_not_ascii_is_named_as_such(tmp_path: Path) -> None:
    leader = GOOD[2][:7] + b"\xe4" + GOOD[2][8:]
    directory = GOOD[3][:24] + b"\xe4" + GOOD[3][25:]
    store, _ = harvest(tmp_path, GOOD[0] + leader + directory + GOOD[1])
    assert [r.local_id for r in store.records()] == ["g0", "g1"]
    reasons = [item.reason for item in store.quarantined()]
    assert reasons == ["leader: byte 7 (0xe4) is not ASCII", "directory: byte 24 (0xe4) is not ASCII"]


def test_a_control_number_holding_a_subfield_delimiter_is_quarantined(tmp_path: Path) -> None:
    record = book("x", "Delimited").as_marc()
    broken = record.replace(b"x\x1e", b"1\x1fa\x1e", 1)
    broken = b"%05d" % len(broken) + broken[5:]
    store, _ = harvest(tmp_path, GOOD[0] + broken)
    assert [r.local_id for r in store.records()] == ["g0"]
    [item] = store.quarantined()
    assert item.reason == "the record's id '1\\x1fa' holds a control character (U+001F)"


MUTATION = st.tuples(
    st.sampled_from(["flip", "cut", "insert", "delete"]),
    st.integers(0, 400),
    st.binary(min_size=1, max_size=3) | st.sampled_from([b"\x1d", b"\x1e", b"\x1f", b"\xff", b"99999"]),
)


def mutate(record: bytes, how: str, at: int, data: bytes) -> bytes:
    """The record changed at ``at`` (never inside its 001, which would make it another record, not a broken one)."""
    if not record:
        return record
    at %= len(record)
    control_number = record.find(b"\x1eg") + 1  # the data of 001, the first field
    if control_number <= at < control_number + 3:
        at = control_number - 1
    if how == "flip":
        return record[:at] + data + record[at + len(data) :]
    if how == "cut":
        return record[:at]
    if how == "insert":
        return record[:at] + data + record[at:]
    return record[:at] + record[at + len(data) :]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 4), MUTATION), min_size=1, max_size=3))
def test_no_record_is_lost_and_each_quarantined_one_is_at_its_offset(
    tmp_path: Path, mutations: list[tuple[int, tuple[str, int, bytes]]]
) -> None:
    records = list(GOOD)
    for which, (how, at, data) in mutations:
        records[which] = mutate(records[which], how, at, data)
    file = b"".join(records)
    store, archive = harvest(tmp_path, file)
    covered = bytearray(len(file))
    for record in store.records():
        raw = archive.get(record.raw.digest)
        offset = file.find(raw)
        covered[offset : offset + len(raw)] = b"\x01" * len(raw)
    for item in store.quarantined():
        raw = archive.get(item.raw.digest)
        # Its position is its byte offset in the file (or the file's name: a file refused whole, its first byte
        # making it another format than binary MARC).
        offset = int(item.position.removeprefix("f.mrc@")) if "@" in item.position else 0
        assert file[offset : offset + len(raw)] == raw, item
        covered[offset : offset + len(raw)] = b"\x01" * len(raw)
    # Nothing is lost: every byte was stored or quarantined (but what is read past between records) ...
    assert all(flag or byte in b"\r\n\t \x00\x1a" for flag, byte in zip(covered, file, strict=True)), mutations
    # ... and a record no mutation touched is stored as it is, whatever broke before or after it.
    stored = {archive.get(record.raw.digest) for record in store.records()}
    for record, good in zip(records, GOOD, strict=True):
        if record == good:
            assert record in stored, mutations


def test_a_record_cut_short_does_not_take_the_next_one_with_it(tmp_path: Path) -> None:
    for cut in (100, 167, 200):
        store, _ = harvest(tmp_path, GOOD[0][:cut] + GOOD[1] + GOOD[2])
        assert sorted(r.local_id for r in store.records()) == ["g1", "g2"]
        [item] = store.quarantined()
        assert (item.position, item.raw.digest) == ("f.mrc@0", store.quarantined()[0].raw.digest)
        assert f"(cut short: a whole record starts at byte {cut})" in item.reason


def test_a_length_that_runs_over_whole_records_takes_none_of_them(tmp_path: Path) -> None:
    # The first record's leader gives the length of itself and the next three, so it ends on a record terminator
    # (hypothesis found one). The terminator is only ever a record's end: the first one ends this record.
    broken = b"%05d" % sum(len(r) for r in GOOD[:4]) + GOOD[0][5:]
    store, _ = harvest(tmp_path, broken + b"".join(GOOD[1:]))
    assert sorted(r.local_id for r in store.records()) == ["g1", "g2", "g3", "g4"]
    [item] = store.quarantined()
    assert item.position == "f.mrc@0"
    assert f"(a record terminator at byte {len(broken) - 1} ends it first)" in item.reason


def marcxml(tmp_path: Path, data: bytes) -> tuple[InMemoryRecordStore, bool]:
    (tmp_path / "f.xml").write_bytes(data)
    store = InMemoryRecordStore()
    source = Source(id="s", protocol="marc-file", path=tmp_path / "f.xml", format="marcxml")  # type: ignore[arg-type]
    report = HarvestService(store, InMemoryBlobStore()).harvest_source(Member(id="m", name="M"), source)
    return store, report.complete


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "the root element is <html> and holds no MARC record"),
        (b"<?xml version='1.0'?>\n", "Start tag expected"),
        (b"<!-- an export that wrote nothing -->", "Start tag expected"),
    ],
)
def test_a_marcxml_file_that_is_no_marcxml_at_all_is_not_a_complete_empty_run(
    tmp_path: Path, data: bytes, reason: str
) -> None:
    store, complete = marcxml(tmp_path, data)
    [item] = store.quarantined()
    assert item.reason.startswith("not a MARCXML file: ") and reason in item.reason
    assert not complete


def test_an_empty_marcxml_collection_is_a_complete_empty_run(tmp_path: Path) -> None:
    store, complete = marcxml(tmp_path, b'<collection xmlns="http://www.loc.gov/MARC21/slim"/>')
    assert (store.count(), store.quarantined(), complete) == (0, [], True)


def test_a_marcxml_field_with_a_malformed_tag_is_named(tmp_path: Path) -> None:
    data = marcxml_collection(book("a", "First")).replace(b'tag="245"', b'tag="24"')
    store, _ = marcxml(tmp_path, data)
    [item] = store.quarantined()
    assert item.reason == "datafield: tag '24' is not three letters or digits"


def run(tmp_path: Path, data: bytes, fmt: str) -> tuple[InMemoryRecordStore, str | None]:
    (tmp_path / "f.dat").write_bytes(data)
    store = InMemoryRecordStore()
    source = Source(id="s", protocol="marc-file", path=tmp_path / "f.dat", format=fmt)  # type: ignore[arg-type]
    report = HarvestService(store, InMemoryBlobStore()).harvest_source(Member(id="m", name="M"), source)
    assert report.complete is (report.stopped is None)
    return store, report.stopped


@pytest.mark.parametrize("fmt", ["marc21", "unimarc", "oai-pmh"])
def test_a_file_of_another_kind_is_quarantined_and_the_run_not_complete(tmp_path: Path, fmt: str) -> None:
    store, stopped = run(tmp_path, b"<html><body><h1>502 Bad Gateway</h1></body></html>", fmt)
    assert store.count() == 0 and len(store.quarantined()) == 1
    assert stopped is not None and (
        "not a MARC file: none of its 1 record(s) can be read, nor has" in stopped or "html" in stopped.lower()
    )


def test_a_file_of_one_unreadable_marc_record_is_complete(tmp_path: Path) -> None:
    broken = utf8(book("bad", "Caf\u00e9 society").as_marc()).replace("é".encode(), b"\xc3\x28")
    store, stopped = run(tmp_path, broken, "marc21")
    assert (stopped, len(store.quarantined())) == (None, 1)


def test_a_binary_file_cut_inside_its_last_record_is_not_complete(tmp_path: Path) -> None:
    store, stopped = run(tmp_path, GOOD[0] + GOOD[1] + GOOD[2][:150], "marc21")
    assert sorted(r.local_id for r in store.records()) == ["g0", "g1"]
    assert stopped == f"the file ends inside the record at byte {len(GOOD[0]) * 2} (cut short?)"
    _, whole = run(tmp_path, GOOD[0] + GOOD[1] + b"\r\n", "marc21")  # a line end after the last record
    assert whole is None


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b'<?xml version="1.0"?><collection xmlns="http://www.loc.gov/MARC21/slim"/>', "XML: is the source's"),
        (b'\xef\xbb\xbf[{"leader": "00000nam a2200000 a 4500", "fields": []}]', "JSON: is the source's"),
        (b"=LDR  00000nam  2200000 a 4500\n=245  10$aA title\n", "MarcEdit's mnemonic text: is the source's"),
        (b"<!DOCTYPE html><html><body>502</body></html>", "an HTML page, not records"),
    ],
)  # fmt: skip
def test_a_file_of_another_known_format_declared_as_binary_marc_says_which(
    tmp_path: Path, data: bytes, said: str
) -> None:
    # A binary MARC file begins with its first record's length, five digits: one that begins otherwise is refused
    # whole, saying what it is and what to declare (a newcomer's first import with the wrong --format).
    for fmt in ("marc21", "unimarc"):
        store, stopped = run(tmp_path, data, fmt)
        [item] = store.quarantined()
        assert item.reason_code == "wrong_format" and item.reason == stopped
        assert stopped.startswith(f"not a binary MARC file (ISO 2709): it is {said}")


@pytest.mark.parametrize("first", [b"<", b"{", b"=", b"["])
def test_binary_marc_whose_first_byte_is_broken_is_still_read_record_by_record(tmp_path: Path, first: bytes) -> None:
    # One byte lost at the start of a real export is not a file of another format: it has record terminators, which
    # no XML, JSON or text file has. The first record is quarantined, the others read.
    store, stopped = run(tmp_path, first + GOOD[0][1:] + GOOD[1] + GOOD[2], "marc21")
    assert stopped is None and sorted(r.local_id for r in store.records()) == ["g1", "g2"]
    [broken] = store.quarantined()
    assert broken.position == "f.dat@0"
