"""MARC-in-JSON files (Koha's REST API, FOLIO's source records): one record, an array, or JSON Lines; a broken
line or record quarantined alone, a file that is not MARC-in-JSON refused whole saying where; deletions, resuming,
duplicate ids and reading an archived record again, as for the other MARC formats."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.harvest.formats import reader_for
from consortium.harvest.formats.marc_json import iter_marc_json
from consortium.harvest.renormalize import reread
from consortium.harvest.service import HarvestReport, HarvestService
from consortium.members import Member, Source, SourceFormat
from consortium.models import IdentifierScheme

if TYPE_CHECKING:
    from pathlib import Path

MEMBER = Member(id="m", name="Member")


def record(control_number: str, title: str, *, deleted: bool = False, **extra: Any) -> dict[str, Any]:
    return {
        "leader": f"00000{'d' if deleted else 'n'}am a2200000 a 4500",
        "fields": [
            {"001": control_number},
            {"008": "970101s1997    mau           001 0 eng d"},
            {"020": {"ind1": " ", "ind2": " ", "subfields": [{"a": "0201896834"}]}},
            {"100": {"ind1": "1", "ind2": " ", "subfields": [{"a": "Knuth, Donald E."}]}},
            {"245": {"ind1": "1", "ind2": "0", "subfields": [{"a": title + " /"}, {"c": "Donald E. Knuth."}]}},
            *extra.get("more", []),
        ],
    }


class Hub:
    def __init__(self, tmp_path: Path, page_size: int = 100) -> None:
        self.path = tmp_path / "export.json"
        self.source = Source.model_validate(
            {"id": "s", "protocol": "marc-file", "path": self.path, "format": "marc-json"}
        )
        self.store, self.archive = InMemoryRecordStore(), InMemoryBlobStore()
        clock = lambda: datetime(2026, 12, 5, tzinfo=UTC)  # noqa: E731
        self.service = HarvestService(self.store, self.archive, page_size=page_size, clock=clock)

    def run(self, data: bytes, max_pages: int | None = None) -> HarvestReport:
        self.path.write_bytes(data)
        return self.service.harvest_source(MEMBER, self.source, max_pages=max_pages)

    def titles(self) -> dict[str, str]:
        return {r.local_id: r.title for r in self.store.records()}

    def refused(self) -> dict[str, tuple[str | None, str]]:
        return {q.position: (q.reason_code, q.reason) for q in self.store.quarantined()}


@pytest.mark.parametrize(
    "layout",
    [
        lambda rs: json.dumps(rs, indent=2),  # an array, pretty-printed
        lambda rs: "\n".join(json.dumps(r) for r in rs) + "\n",  # JSON Lines
    ],
    ids=["array", "json-lines"],
)
def test_an_array_or_json_lines_each_record_read_as_marc21(tmp_path: Path, layout: Any) -> None:
    hub = Hub(tmp_path)
    report = hub.run(
        layout([record("a1", "The art of computer programming"), record("a2", "Concrete mathematics")]).encode()
    )
    assert report.complete and report.counts.added == 2
    assert hub.titles() == {"a1": "The art of computer programming", "a2": "Concrete mathematics"}
    art = hub.store.get("m", "a1")
    assert art is not None and art.authors == ["Knuth, Donald E."] and art.year == 1997
    assert [(i.scheme, i.value) for i in art.identifiers] == [(IdentifierScheme.ISBN, "9780201896831")]


def test_a_file_of_one_record_object(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    assert hub.run(json.dumps(record("o1", "One")).encode()).counts.added == 1
    assert hub.titles() == {"o1": "One"}


def test_a_json_lines_line_or_a_record_that_is_not_marc_in_json_is_quarantined_alone(tmp_path: Path) -> None:
    bad_fields = record("b2", "Bad")
    bad_fields["fields"][4] = {"245": {"ind1": "1", "ind2": "0", "subfields": {"a": "not a list"}}}
    lines = [
        json.dumps(record("g1", "Good")),
        '{"leader": "00000nam',
        json.dumps(bad_fields),
        json.dumps(record("g2", "Also")),
    ]
    hub = Hub(tmp_path)
    report = hub.run("\n".join(lines).encode())
    assert report.complete and hub.titles() == {"g1": "Good", "g2": "Also"}
    assert hub.refused() == {
        "export.json#2": ("unreadable", "line 2, column 12: not JSON (unterminated string starting)"),
        "export.json#3": ("unreadable", "fields[4] (245): subfields is not a list"),
    }


@pytest.mark.parametrize(
    ("data", "code", "reason"),
    [
        # marc4j's illegal-marc-in-json.json: a line break inside a string of a pretty-printed record
        (b'{\n  "leader": "00000nam a2200000 a 4500",\n  "fields": [{"001": "x\n"}]\n}', "wrong_format",
         "not a MARC-in-JSON file: line 3, column 24: invalid control character"),
        # the older MARC-JSON (marc4j's marc-json.json): keys without quotes
        (b'{\n    leader : "01471cjm a2200349 a 4500"\n}', "wrong_format",
         "not a MARC-in-JSON file: line 2, column 5: expecting property name enclosed in double quotes"),
        (b'[{"leader": "caf\xe9"}]', "bad_encoding", "not a MARC-in-JSON file: invalid UTF-8 at byte 16"),
        (b"[" * 100_000 + b"]" * 100_000, "wrong_format", "not a MARC-in-JSON file: nested too deeply to be records"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_marc_in_json_is_refused_whole_saying_where(
    tmp_path: Path, data: bytes, code: str, reason: str
) -> None:
    hub = Hub(tmp_path)
    report = hub.run(data)
    assert not report.complete and report.counts.added == 0
    assert hub.refused() == {"export.json": (code, reason)}


def test_a_deletion_a_duplicate_id_and_a_resumed_run(tmp_path: Path) -> None:
    hub = Hub(tmp_path, page_size=1)
    records = [record("r1", "First"), record("r2", "Second"), record("r1", "First again")]
    first = hub.run("\n".join(json.dumps(r) for r in records).encode(), max_pages=1)
    assert not first.complete and hub.titles() == {"r1": "First"}
    rest = hub.run("\n".join(json.dumps(r) for r in records).encode())  # resumes after record 1
    assert rest.complete and hub.titles() == {"r1": "First", "r2": "Second"}
    [(code, reason)] = hub.refused().values()
    assert code == "duplicate_id" and reason.startswith("control number (001) 'r1' is given twice in the file")
    hub.run(json.dumps([record("r2", "Second", deleted=True)]).encode())
    assert "r2" not in hub.titles()


def test_an_archived_record_reads_back_the_same(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    hub.run(
        json.dumps(
            [record("z1", "Archived", more=[{"650": {"ind1": " ", "ind2": "0", "subfields": [{"a": "Algorithms."}]}}])]
        ).encode()
    )
    [stored] = hub.store.records()
    item = reread(SourceFormat.MARC_JSON, hub.archive.get(stored.raw.digest), stored.raw.media_type, "export.json")
    again = reader_for(SourceFormat.MARC_JSON).normalize(item, source=hub.source, member="m", raw=stored.raw)
    assert again == stored and again.subjects == ["Algorithms"]


def test_a_blank_file_read_alone_is_no_catalogue_without_records() -> None:
    # The harvest refuses a blank file before any reader (ValidationError: "is blank"); read again alone (an
    # archived record's bytes), it still is not a complete file of no record.
    [page] = iter_marc_json(b" \n", name="blank.json", start=0, page_size=10)
    assert page.stopped == "not a MARC-in-JSON file: line 1, column 1: the file is empty"
