"""Bad and hostile input: each is quarantined with a reason that names what is wrong; the rest goes on."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from marc_builders import book, marcxml_collection

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.errors import RecordError
from consortium.harvest.oai_pmh import parse_list_records
from consortium.harvest.service import HarvestService
from consortium.members import Member, Source

MEMBER = Member(id="m", name="Member")


def harvest(path: Path, fmt: str) -> tuple[InMemoryRecordStore, InMemoryBlobStore]:
    store, archive = InMemoryRecordStore(), InMemoryBlobStore()
    protocol = "kbart-file" if fmt == "kbart" else "marc-file"
    source = Source.model_validate({"id": "s", "protocol": protocol, "path": path, "format": fmt})
    HarvestService(store, archive, page_size=100).harvest_source(MEMBER, source)
    return store, archive


def good(n: int) -> bytes:
    return book(f"g{n}", f"Good record {n}").as_marc()


def test_malformed_xml_quarantines_only_the_broken_record(tmp_path: Path) -> None:
    data = marcxml_collection(book("a", "First"), book("b", "Second"))
    third = marcxml_collection(book("c", "Third")).removesuffix(b"</collection>").split(b"<record", 1)[1]
    broken = data.replace(b"</collection>", b"<record><leader>oops</record><record" + third + b"</collection>")
    (tmp_path / "f.xml").write_bytes(broken)
    store, archive = harvest(tmp_path / "f.xml", "marcxml")
    assert [r.local_id for r in store.records()] == ["a", "b", "c"]
    [item] = store.quarantined()
    assert item.reason.startswith("malformed XML at line 2: Opening and ending tag mismatch")
    assert "the 2 record(s) before it were read" in item.reason
    assert archive.get(item.raw.digest) == b"<record><leader>oops</record>"


def test_external_entity_is_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xxe = (
        f'<?xml version="1.0"?>\n<!DOCTYPE collection [<!ENTITY x SYSTEM "file://{secret}">]>\n'
        '<collection xmlns="http://www.loc.gov/MARC21/slim"><record><leader>00000nam a2200000 a 4500</leader>'
        '<controlfield tag="001">x1</controlfield><datafield tag="245" ind1="0" ind2="0">'
        '<subfield code="a">&x;</subfield></datafield></record></collection>'
    ).encode()
    (tmp_path / "xxe.xml").write_bytes(xxe)
    store, _ = harvest(tmp_path / "xxe.xml", "marcxml")
    assert store.count() == 0
    [item] = store.quarantined()
    assert "DOCTYPE" in item.reason and "never resolved" in item.reason
    assert "TOP-SECRET" not in item.model_dump_json()


def test_entity_expansion_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = f'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY l0 "lol">{lol}]><collection>&l9;</collection>'.encode()
    (tmp_path / "bomb.xml").write_bytes(bomb)
    started = time.monotonic()
    store, _ = harvest(tmp_path / "bomb.xml", "marcxml")
    assert time.monotonic() - started < 5
    assert store.count() == 0
    assert "DOCTYPE" in store.quarantined()[0].reason


def test_oai_response_with_entities_is_refused() -> None:
    page = (
        b'<?xml version="1.0"?><!DOCTYPE OAI-PMH [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>&x;</ListRecords></OAI-PMH>'
    )
    with pytest.raises(RecordError, match="never resolved"):
        parse_list_records(page, "a test page")


def test_broken_leader_is_quarantined_and_the_next_record_read(tmp_path: Path) -> None:
    broken = bytearray(book("bad", "Broken leader").as_marc())
    broken[0:5] = b"0x9!z"
    (tmp_path / "f.mrc").write_bytes(good(1) + bytes(broken) + good(2))
    store, archive = harvest(tmp_path / "f.mrc", "marc21")
    assert [r.local_id for r in store.records()] == ["g1", "g2"]
    [item] = store.quarantined()
    assert "leader/00-04" in item.reason and "'0x9!z'" in item.reason
    assert archive.get(item.raw.digest) == bytes(broken)


def test_broken_directory_is_quarantined(tmp_path: Path) -> None:
    broken = bytearray(book("bad", "Broken directory").as_marc())
    broken[24:30] = b"ZZ\x1eQQ9"
    (tmp_path / "f.mrc").write_bytes(good(1) + bytes(broken) + good(2))
    store, _ = harvest(tmp_path / "f.mrc", "marc21")
    assert [r.local_id for r in store.records()] == ["g1", "g2"]
    [item] = store.quarantined()
    assert item.position == f"f.mrc@{len(good(1))}"
    assert "directory" in item.reason or "leader" in item.reason


def test_invalid_utf8_is_quarantined(tmp_path: Path) -> None:
    record = book("bad", "Caf\u00e9 society").as_marc()
    broken = record.replace("é".encode(), b"\xc3\x28")
    (tmp_path / "f.mrc").write_bytes(good(1) + broken)
    store, _ = harvest(tmp_path / "f.mrc", "marc21")
    assert [r.local_id for r in store.records()] == ["g1"]
    [item] = store.quarantined()
    assert "invalid UTF-8" in item.reason


def test_invalid_isbn_check_digit_is_quarantined_with_the_field(tmp_path: Path) -> None:
    (tmp_path / "f.mrc").write_bytes(good(1) + book("bad", "Bad ISBN", isbn="978-0-201-55802-8").as_marc())
    store, _ = harvest(tmp_path / "f.mrc", "marc21")
    assert store.count() == 1
    [item] = store.quarantined()
    assert item.local_id == "bad"
    assert item.reason == "020$a: ISBN '9780201558028': invalid check digit"


def test_kbart_line_with_invalid_utf8(tmp_path: Path) -> None:
    header = b"publication_title\tprint_identifier\ttitle_url\ttitle_id\tpublication_type\n"
    rows = b"Good\t0001-0782\thttps://e.org/a\ta\tserial\nBad \xff title\t\thttps://e.org/b\tb\tserial\n"
    (tmp_path / "k.txt").write_bytes(header + rows)
    store, _ = harvest(tmp_path / "k.txt", "kbart")
    assert [r.local_id for r in store.records()] == ["a"]
    assert store.quarantined()[0].position == "k.txt:3"


def test_kbart_without_required_columns_names_them(tmp_path: Path) -> None:
    (tmp_path / "k.txt").write_bytes(b"title\turl\nX\thttps://e.org\n")
    store, _ = harvest(tmp_path / "k.txt", "kbart")
    assert "missing KBART column(s) publication_title, title_url, publication_type" in store.quarantined()[0].reason


def _prefixed(*records: bytes) -> bytes:
    """A MARCXML collection with the ``marc:`` prefix declared on the root, all on one line."""
    root = b'<marc:collection xmlns:marc="http://www.loc.gov/MARC21/slim">'
    return b'<?xml version="1.0" encoding="UTF-8"?>' + root + b"".join(records) + b"</marc:collection>"


def _prefixed_record(local_id: str, title: str) -> bytes:
    return (
        "<marc:record><marc:leader>00000nam a2200000 a 4500</marc:leader>"
        f'<marc:controlfield tag="001">{local_id}</marc:controlfield>'
        f'<marc:datafield tag="245" ind1="0" ind2="0"><marc:subfield code="a">{title}</marc:subfield>'
        "</marc:datafield></marc:record>"
    ).encode()


def test_a_fault_after_chinese_text_on_one_line_quarantines_the_right_record(tmp_path: Path) -> None:
    records = [_prefixed_record(f"z{i}", "深度学习" * 20 + str(i)) for i in range(5)]
    records[3] = records[3].replace(b"\xe4\xb9\xa03<", b"\xe4\xb9\xa03 & <")  # a bare ampersand in record 4
    (tmp_path / "f.xml").write_bytes(_prefixed(*records))
    store, _ = harvest(tmp_path / "f.xml", "marcxml")
    assert [r.local_id for r in store.records()] == ["z0", "z1", "z2", "z4"]
    [item] = store.quarantined()
    assert item.position == "f.xml#4"


def test_stray_markup_between_records_is_quarantined_and_the_rest_read(tmp_path: Path) -> None:
    records = [_prefixed_record("y1", "One"), b"<marc:junk <<", _prefixed_record("y2", "Two")]
    (tmp_path / "f.xml").write_bytes(_prefixed(*records))
    store, _ = harvest(tmp_path / "f.xml", "marcxml")
    assert [r.local_id for r in store.records()] == ["y1", "y2"]
    [item] = store.quarantined()
    assert "between records" in item.reason


def test_a_marcxml_file_of_malformed_records_stops_early() -> None:
    from consortium.harvest.formats.base import MOST_UNREADABLE_IN_A_ROW
    from consortium.harvest.formats.marcxml import iter_marcxml

    records = [_prefixed_record(f"w{i}", f"Title {i} & more") for i in range(MOST_UNREADABLE_IN_A_ROW + 10)]
    pages = list(iter_marcxml(_prefixed(*records), name="f.xml", start=0, page_size=500))
    read = [r for p in pages for r in p.records]
    assert len(read) == MOST_UNREADABLE_IN_A_ROW and all(r.error for r in read)
    assert (
        pages[-1].stopped
        == f"not a MARCXML file: {MOST_UNREADABLE_IN_A_ROW} records in a row are malformed; reading stopped"
    )
