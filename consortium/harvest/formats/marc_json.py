"""MARC-in-JSON as a harvest format: the JSON form of MARC 21 records that Koha's REST API answers and FOLIO's
source record storage keeps (``{"leader": "...", "fields": [{"001": "..."}, {"245": {"ind1": "1", "ind2": "0",
"subfields": [{"a": "..."}]}}]}``), read from a file of one record, a JSON array of records, or JSON Lines (one
record a line, as bulk exports write them), resuming at a record number.

A file that is none of these is refused whole, naming where the JSON breaks. In JSON Lines a line that is not
JSON is quarantined alone and the lines after it are read; in any form, a record whose leader or fields are not
MARC-in-JSON is quarantined naming the field (``fields[3] (245): subfields is not a list``). Each record's raw
bytes are its own line (JSON Lines) or its object written compactly, so it can be read again alone.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pymarc

from consortium.errors import RecordError
from consortium.harvest.formats.pymarc_records import PymarcRecordsFormat
from consortium.harvest.items import RawPage, RawRecord, numbered_pages
from consortium.harvest.normalize.marc21 import MARC21
from consortium.harvest.refusals import Refusal

if TYPE_CHECKING:
    from collections.abc import Iterator


__all__ = ["MarcJsonFormat", "iter_marc_json", "marc_in_json"]

_MEDIA = "application/marc+json"


def _subfields(value: Any, where: str) -> list[pymarc.Subfield]:
    if not isinstance(value, list):
        raise RecordError(f"{where}: subfields is not a list", error_code=Refusal.UNREADABLE, field=where)
    found = []
    for entry in value:
        if not isinstance(entry, dict) or len(entry) != 1:
            raise RecordError(
                f"{where}: a subfield is not one code and its value", error_code=Refusal.UNREADABLE, field=where
            )
        [(code, text)] = entry.items()
        if len(code) != 1 or not isinstance(text, str):
            raise RecordError(
                f"{where}: subfield {code[:10]!r} is not one character with a text", error_code=Refusal.UNREADABLE,
                field=where,
            )  # fmt: skip
        found.append(pymarc.Subfield(code=code, value=text))
    return found


def _indicator(value: Any, name: str, where: str) -> str:
    if value is None:
        return " "
    if not isinstance(value, str) or len(value) > 1:
        raise RecordError(f"{where}: {name} is not one character", error_code=Refusal.UNREADABLE, field=where)
    return value or " "


def marc_in_json(obj: Any) -> pymarc.Record:
    """A MARC-in-JSON record object as a pymarc record; :class:`RecordError` naming what is not MARC-in-JSON."""
    if not isinstance(obj, dict):
        raise RecordError("the record is not a JSON object", error_code=Refusal.WRONG_FORMAT, field="record")
    leader, fields = obj.get("leader"), obj.get("fields")
    if not isinstance(leader, str) or len(leader) != 24:
        raise RecordError("leader: not a text of 24 characters", error_code=Refusal.UNREADABLE, field="leader")
    if not isinstance(fields, list):
        raise RecordError("fields: not a list", error_code=Refusal.WRONG_FORMAT, field="fields")
    record = pymarc.Record(leader=leader)
    for number, entry in enumerate(fields):
        if not isinstance(entry, dict) or len(entry) != 1:
            where = f"fields[{number}]"
            raise RecordError(f"{where}: not one tag and its value", error_code=Refusal.UNREADABLE, field=where)
        [(tag, value)] = entry.items()
        where = f"fields[{number}] ({tag[:10]})"
        if len(tag) != 3 or not tag.isalnum():
            raise RecordError(
                f"{where}: not a tag of three letters or digits", error_code=Refusal.UNREADABLE, field=where
            )
        if isinstance(value, str):
            record.add_field(pymarc.Field(tag=tag, data=value))  # type: ignore[no-untyped-call]
        elif isinstance(value, dict):
            indicators = pymarc.Indicators(
                _indicator(value.get("ind1"), "ind1", where), _indicator(value.get("ind2"), "ind2", where)
            )
            subfields = _subfields(value.get("subfields"), where)
            record.add_field(pymarc.Field(tag=tag, indicators=indicators, subfields=subfields))  # type: ignore[no-untyped-call]
        else:
            raise RecordError(f"{where}: neither a text nor a data field", error_code=Refusal.UNREADABLE, field=where)
    return record


def _raw_record(obj: Any, raw: bytes, position: str) -> RawRecord:
    try:
        marc = marc_in_json(obj)
    except RecordError as exc:
        return RawRecord.refused(position, raw, _MEDIA, exc)
    deleted = str(marc.leader)[5:6] == "d"
    return RawRecord(position, raw, _MEDIA, local_id=MARC21.local_id(marc), parsed=marc, deleted=deleted)


def _what(exc: json.JSONDecodeError) -> str:
    """What is wrong, as the JSON parser says it (without its dangling "at": the place is given apart)."""
    return exc.msg.removesuffix(" at").lower()


def _is_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except json.JSONDecodeError:
        return False


def _documents(data: bytes) -> Iterator[tuple[Any, bytes | None, str | None]]:
    """The file's records in order: ``(object, raw bytes, None)``, or ``(None, raw bytes, reason)`` for a JSON
    Lines line that is not JSON. A file that is neither one JSON document nor JSON Lines raises."""
    text = data.decode("utf-8-sig")  # UnicodeDecodeError: the caller's
    if not text.strip():  # an export that wrote nothing is not a catalogue with no record (nothing is withdrawn)
        raise json.JSONDecodeError("the file is empty", text, 0)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as whole:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 2 or not _is_object(lines[0]):
            raise whole from None  # one document (pretty-printed, say), broken: say where
        for number, line in enumerate(lines, 1):  # JSON Lines: its first line is a whole record
            try:
                yield json.loads(line), line.encode(), None
            except json.JSONDecodeError as exc:
                yield None, line.encode(), f"line {number}, column {exc.colno}: not JSON ({_what(exc)})"
        return
    for obj in document if isinstance(document, list) else [document]:
        yield obj, json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode(), None


def iter_marc_json(data: bytes, *, name: str, start: int, page_size: int) -> Iterator[RawPage]:
    """Pages of records from a MARC-in-JSON file, resuming after record number ``start``."""
    try:
        records = list(_documents(data))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        if isinstance(exc, UnicodeDecodeError):
            reason = f"not a MARC-in-JSON file: invalid UTF-8 at byte {exc.start}"
            code = Refusal.BAD_ENCODING
        elif isinstance(exc, RecursionError):  # arrays in arrays a thousand deep: no record is
            reason, code = "not a MARC-in-JSON file: nested too deeply to be records", Refusal.WRONG_FORMAT
        else:
            reason = f"not a MARC-in-JSON file: line {exc.lineno}, column {exc.colno}: {_what(exc)}"
            code = Refusal.WRONG_FORMAT
        yield RawPage(records=[RawRecord(name, data, _MEDIA, error=reason, error_code=code)], stopped=reason)
        return
    items = (
        (number, _item(obj, raw or b"", broken, f"{name}#{number}"))
        for number, (obj, raw, broken) in enumerate(records, 1)
        if number > start
    )
    yield from numbered_pages(items, page_size)


def _item(obj: Any, raw: bytes, broken: str | None, position: str) -> RawRecord:
    if broken is not None:  # a JSON Lines line that is not JSON
        return RawRecord(position, raw, _MEDIA, error=broken, error_code=Refusal.UNREADABLE)
    return _raw_record(obj, raw, position)


class MarcJsonFormat(PymarcRecordsFormat):
    """MARC-in-JSON files (Koha's API, FOLIO's source records): MARC 21 records, normalized as MARC 21."""

    name = "marc-json"

    def pages(self, data: bytes, *, name: str, start: int, page_size: int) -> Iterator[RawPage]:
        return iter_marc_json(data, name=name, start=start, page_size=page_size)
