"""Reading KBART files (tab-separated, a header row, one title a row), row by row, resuming at a row number."""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING

from consortium.harvest.items import RawPage, RawRecord
from consortium.harvest.normalize.kbart import KBART_REQUIRED, kbart_local_id

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["iter_kbart"]

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
        page.records.append(RawRecord(f"{name}:1", data, _MEDIA, error=f"header: invalid UTF-8 ({exc.reason})"))
        yield page
        return
    missing = [column for column in KBART_REQUIRED if column not in header]
    if missing:
        reason = f"header: missing KBART column(s) {', '.join(missing)}"
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
            values = next(csv.reader([text.rstrip("\r\n")], delimiter="\t", quoting=csv.QUOTE_NONE))
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
