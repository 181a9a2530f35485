"""KBART as a harvest format: files (tab-separated, a header row, one title a row) read row by row, resuming at
a row number."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from consortium.harvest.formats.base import FormatReader
from consortium.harvest.items import RawPage, RawRecord
from consortium.harvest.normalize.kbart import KBART_REQUIRED, kbart_local_id, normalize_kbart_row

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from consortium.harvest.formats.base import FilePage
    from consortium.members import Source
    from consortium.models import RawPointer, Record

__all__ = ["KbartFormat", "iter_kbart"]

_MEDIA = "text/tab-separated-values"


def iter_kbart(data: bytes, *, name: str, start: int, page_size: int) -> Iterator[RawPage]:
    """Pages of rows. Each row's raw bytes are the header line and its own line, so it can be re-read alone."""
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
        page.records.append(RawRecord(f"{name}:1", data, _MEDIA, error=reason))
        yield page
        return
    missing = [column for column in KBART_REQUIRED if column not in header]
    if missing:
        reason = f"header: missing KBART column(s) {', '.join(missing)}"
        if len(header) == 1 and "," in header[0]:
            reason += " (the header has no tab: KBART columns are tab-separated, this looks comma-separated)"
        page.records.append(RawRecord(f"{name}:1", data, _MEDIA, error=reason))
        yield page
        return
    for number, line in enumerate(lines[1:], start=2):
        if number - 1 <= start:
            continue
        if not line.strip():
            continue
        raw = header_line + line
        position = f"{name}:{number}"
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            page.records.append(RawRecord(position, raw, _MEDIA, error=f"invalid UTF-8 at byte {exc.start}"))
        else:
            values = text.rstrip("\r\n").split("\t")  # KBART has no quoting: a tab ends a value, whatever its size
            if len(values) > len(header):
                error = f"the row has {len(values)} columns, the header {len(header)}"
                page.records.append(RawRecord(position, raw, _MEDIA, error=error))
            else:
                row = dict(zip(header, values + [""] * (len(header) - len(values)), strict=True))
                page.records.append(RawRecord(position, raw, _MEDIA, local_id=kbart_local_id(row), parsed=row))
        if len(page.records) >= page_size:
            page.cursor = {"row": number - 1}
            yield page
            page = RawPage()
    yield page


class KbartFormat(FormatReader):
    """KBART title lists: each row a record keyed by its title id (or identifier, or URL)."""

    name = "kbart"
    missing_id = "the row has no title_id, online_identifier, print_identifier or title_url to know it by"

    def file_pages(self, data: bytes, *, name: str, cursor: Mapping[str, Any], page_size: int) -> Iterator[FilePage]:
        for page in iter_kbart(data, name=name, start=int(cursor.get("row", 0)), page_size=page_size):
            yield page, None

    def normalize(self, item: RawRecord, *, source: Source, member: str, raw: RawPointer) -> Record:
        return normalize_kbart_row(item.parsed, member=member, source_id=source.id, raw=raw)
