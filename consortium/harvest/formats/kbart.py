"""KBART as a harvest format: files (tab-separated, a header row, one row per coverage range of a title) read
title by title (a title's rows, wherever they stand, are one record), resuming after a title."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from consortium.harvest.formats.base import FormatReader
from consortium.harvest.items import RawPage, RawRecord, numbered_pages
from consortium.harvest.normalize.kbart import KBART_REQUIRED, kbart_local_id, normalize_kbart_title
from consortium.harvest.refusals import Refusal

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from consortium.harvest.formats.base import FilePage
    from consortium.members import Source
    from consortium.models import RawPointer, Record

__all__ = ["KbartFormat", "iter_kbart"]

_MEDIA = "text/tab-separated-values"


def iter_kbart(data: bytes, *, name: str, start: int, page_size: int) -> Iterator[RawPage]:
    """Pages of titles, resuming after the title whose first row is data row ``start``.

    The rows of one title (those giving the same :func:`~consortium.harvest.normalize.kbart.kbart_local_id`:
    KBART gives a title with coverage gaps one row per continuous range) are one record, in the order of its
    first row wherever the others stand; its raw bytes are the header line and its own lines, so it can be read
    again alone. A row that cannot be read (not UTF-8, more values than the header has columns) is a record of
    its own with the reason.
    """
    lines = data.splitlines(keepends=True)
    page = RawPage()
    if not lines:
        yield page
        return
    header_line = lines[0].removeprefix(b"\xef\xbb\xbf")
    try:
        header = [h.strip() for h in header_line.decode("utf-8").rstrip("\r\n").split("\t")]
    except UnicodeDecodeError as exc:
        reason = f"header: invalid UTF-8 ({exc.reason})"
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            reason += "; the file is UTF-16 (KBART files are UTF-8)"
        refused = RawRecord(
            f"{name}:1", data, _MEDIA, error=reason, error_code=Refusal.BAD_ENCODING, error_field="header"
        )
        page.records.append(refused)
        yield page
        return
    missing = [column for column in KBART_REQUIRED if column not in header]
    if missing:
        reason = f"header: missing KBART column(s) {', '.join(missing)}"
        if len(header) == 1 and "," in header[0]:
            reason += " (the header has no tab: KBART columns are tab-separated, this looks comma-separated)"
        refused = RawRecord(
            f"{name}:1", data, _MEDIA, error=reason, error_code=Refusal.WRONG_FORMAT, error_field="header"
        )
        page.records.append(refused)
        yield page
        return
    titles = ((first, item) for first, item in _titles(lines, header, header_line, name) if first > start)
    yield from numbered_pages(titles, page_size, key="row")


def _titles(lines: list[bytes], header: list[str], header_line: bytes, name: str) -> list[tuple[int, RawRecord]]:
    """Every record of the file with the data row number of its first row (1: the row after the header), in
    that order: a title's rows gathered under its id, a row that cannot be read or names no id on its own."""
    alone: list[tuple[int, RawRecord]] = []
    titles: dict[str, list[tuple[int, bytes, dict[str, str]]]] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        raw = header_line + line
        position = f"{name}:{number}"
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            reason = f"invalid UTF-8 at byte {exc.start}"
            alone.append((number - 1, RawRecord(position, raw, _MEDIA, error=reason, error_code=Refusal.BAD_ENCODING)))
            continue
        values = text.rstrip("\r\n").split("\t")  # KBART has no quoting: a tab ends a value, whatever its size
        if len(values) > len(header):
            error = f"the row has {len(values)} columns, the header {len(header)}"
            alone.append((number - 1, RawRecord(position, raw, _MEDIA, error=error, error_code=Refusal.UNREADABLE)))
            continue
        row = dict(zip(header, values + [""] * (len(header) - len(values)), strict=True))
        local_id = kbart_local_id(row)
        if local_id is None:
            alone.append((number - 1, RawRecord(position, raw, _MEDIA, parsed=[(number, row)])))
        else:
            titles.setdefault(local_id, []).append((number, line, row))
    for local_id, rows in titles.items():
        position = f"{name}:{','.join(str(number) for number, _, _ in rows)}"
        raw = header_line + b"".join(line for _, line, _ in rows)  # only the file's last line may lack its end
        parsed = [(number, row) for number, _, row in rows]
        alone.append((rows[0][0] - 1, RawRecord(position, raw, _MEDIA, local_id=local_id, parsed=parsed)))
    alone.sort(key=lambda numbered: numbered[0])
    return alone


class KbartFormat(FormatReader):
    """KBART title lists: each title a record keyed by its title id (or identifier, or URL), its rows (one per
    coverage range) merged."""

    name = "kbart"
    id_name = "title id"
    missing_id = "the row has no title_id, online_identifier, print_identifier or title_url to know it by"

    def read_pages(self, data: bytes, *, name: str, cursor: Mapping[str, Any], page_size: int) -> Iterator[FilePage]:
        for page in iter_kbart(data, name=name, start=int(cursor.get("row", 0)), page_size=page_size):
            yield page, None

    def normalize(self, item: RawRecord, *, source: Source, member: str, raw: RawPointer) -> Record:
        return normalize_kbart_title(item.parsed, member=member, source_id=source.id, raw=raw)
