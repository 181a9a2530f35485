"""The framing of binary MARC (ISO 2709) records, apart from reading them: what is wrong with a record's leader,
directory or encoding (named for its quarantine), a directory rebuilt from the field terminators, and where a
whole record starts inside bytes that a record cut short ran into."""

from __future__ import annotations

import re

__all__ = ["diagnose_iso2709", "fitted_base", "record_ending_at", "reframe", "undecodable"]


def diagnose_iso2709(chunk: bytes) -> str | None:
    """What is structurally wrong with an ISO 2709 record (leader, base address, directory), if anything."""
    if len(chunk) < 24:
        return f"leader: the record is {len(chunk)} bytes, shorter than a leader"
    base_text = chunk[12:17]
    if not base_text.isdigit():
        return f"leader/12-16: the base address of data {base_text.decode('latin-1')!r} is not a number"
    base = int(base_text)
    if base < 25 or base > len(chunk):
        return f"leader/12-16: the base address of data {base} lies outside the record ({len(chunk)} bytes)"
    directory = chunk[24 : base - 1]
    if len(directory) % 12:
        return f"directory: {len(directory)} bytes is not a whole number of 12-byte entries"
    for number, i in enumerate(range(0, len(directory), 12), start=1):
        entry = directory[i : i + 12]
        if not entry[3:].isdigit():
            return f"directory: entry {number} ({entry.decode('latin-1')!r}) has a non-numeric length or start"
        length, start = int(entry[3:7]), int(entry[7:12])
        if base + start + length > len(chunk):
            tag = entry[:3].decode("latin-1")
            return f"directory: the entry for tag {tag} points past the end of the record"
    return None


def fitted_base(chunk: bytes) -> int | None:
    """The base address of data when the directory ends at the first field terminator, the leader says so, and
    every entry is numeric and its field ends on a field terminator; otherwise ``None`` (which says nothing).

    This is exactly when :func:`reframe` finds the directory fitting, checked without building its entries.
    """
    base = chunk.find(b"\x1e", 24) + 1
    if base <= 25 or (base - 25) % 12 or chunk[12:17] != b"%05d" % base:
        return None
    size = len(chunk)
    for i in range(27, base - 1, 12):  # each entry's length (4 digits) and start (5 digits)
        digits = chunk[i : i + 9]
        if not digits.isdigit():
            return None
        value = int(digits)
        end = base + value // 100000 + value % 100000 - 1
        if end >= size or chunk[end] != 0x1E:
            return None
    return base


def reframe(chunk: bytes) -> bytes | None:
    """The record with its directory rebuilt from the field terminators, when the directory's lengths, offsets
    or base address miss them but the terminators delimit exactly its number of fields; otherwise ``None``."""
    if fitted_base(chunk) is not None:
        return None  # the common case, told quickly; what follows finds the same
    end_of_directory = chunk.find(b"\x1e", 24)
    directory = chunk[24:end_of_directory]
    if end_of_directory < 0 or not directory or len(directory) % 12:
        return None
    entries = [directory[i : i + 12] for i in range(0, len(directory), 12)]
    if not all(e[3:].isdigit() for e in entries):
        return None
    base = end_of_directory + 1
    fits = chunk[12:17] == b"%05d" % base and all(
        base + int(e[7:12]) + int(e[3:7]) - 1 < len(chunk) and chunk[base + int(e[7:12]) + int(e[3:7]) - 1] == 0x1E
        for e in entries
    )
    if fits:
        return None
    fields = chunk[base:].rstrip(b"\x1d").split(b"\x1e")
    if fields[-1] == b"":
        fields.pop()
    if len(fields) != len(entries):
        return None
    rebuilt, offset = [], 0
    for entry, data in zip(entries, fields, strict=True):
        if len(data) + 1 > 9999 or offset > 99999:
            return None
        rebuilt.append(entry[:3] + b"%04d%05d" % (len(data) + 1, offset))
        offset += len(data) + 1
    body = b"".join(rebuilt) + b"\x1e" + b"".join(f + b"\x1e" for f in fields) + b"\x1d"
    return b"%05d" % (24 + len(body)) + chunk[5:12] + b"%05d" % base + chunk[17:24] + body


def undecodable(chunk: bytes) -> str | None:
    """Where a record that cannot be decoded as UTF-8 goes wrong: a leader or directory byte that is not ASCII,
    or the first field (by tag) whose text is not UTF-8; ``None`` when that cannot be told."""
    for where, begin, part in (("leader", 0, chunk[:24]), ("directory", 24, chunk[24 : chunk.find(b"\x1e", 24)])):
        if not part.isascii():
            at = next(i for i, byte in enumerate(part) if byte > 0x7F)
            return f"{where}: byte {begin + at} (0x{part[at]:02x}) is not ASCII"
    base = chunk.find(b"\x1e", 24) + 1
    for i in range(24, base - 12, 12):
        digits = chunk[i + 3 : i + 12]
        if not digits.isdigit():
            return None
        length, start = divmod(int(digits), 100000)
        try:
            chunk[base + start : base + start + length].decode("utf-8")
        except UnicodeDecodeError as exc:
            tag = chunk[i : i + 3].decode("ascii")
            return f"{tag}: invalid UTF-8 at byte {exc.start} of the field: {exc.reason}"
    return None


_DIGITS_AHEAD = re.compile(rb"(?=\d{5})")


def record_ending_at(data: bytes, start: int, end: int) -> int | None:
    """Where a whole record that ends at ``end`` starts, after ``start``: its leader's length reaches ``end``
    exactly and its base address falls on a field terminator; ``None`` when no such record is there.

    Without it, a record cut short (an export interrupted, then another appended) would run on to the next
    record's terminator and take that record with it, read as one (pymarc finds the first one's fields) or
    quarantined as one: either way the next record would be lost.
    """
    for match in _DIGITS_AHEAD.finditer(data, start, end - 24):
        at = match.start()
        if at + int(data[at : at + 5]) != end:
            continue
        base = data[at + 12 : at + 17]
        if base.isdigit() and 25 <= int(base) < end - at and data[at + int(base) - 1] == 0x1E:
            return at
    return None
