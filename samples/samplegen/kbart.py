"""``lakeside-kbart.txt``: lakeside's e-resources package as KBART phase II (UTF-8, tab-separated, LF, the 25
standard columns in standard order, one header row)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .identifiers import SampleError, checked_isbn, checked_issn

if TYPE_CHECKING:
    from .facts import Facts

COLUMNS = [
    "publication_title",
    "print_identifier",
    "online_identifier",
    "date_first_issue_online",
    "num_first_vol_online",
    "num_first_issue_online",
    "date_last_issue_online",
    "num_last_vol_online",
    "num_last_issue_online",
    "title_url",
    "first_author",
    "title_id",
    "embargo_info",
    "coverage_depth",
    "notes",
    "publisher_name",
    "publication_type",
    "date_monograph_published_print",
    "date_monograph_published_online",
    "monograph_volume",
    "monograph_edition",
    "first_editor",
    "parent_publication_title_id",
    "preceding_publication_title_id",
    "access_type",
]
DEFAULTS = {"coverage_depth": "fulltext", "access_type": "P"}


def rows(facts: Facts) -> list[dict[str, str]]:
    """The rows of ``facts/lakeside-kbart.toml``: its ``[[serial]]`` tables, then its ``[[monograph]]`` tables,
    with the defaults filled in; every ISSN (serials) and ISBN (monographs) is checked."""
    tables = facts.member("lakeside-kbart")
    out: list[dict[str, str]] = []
    for kind in ("serial", "monograph"):
        for row in tables.get(kind, []):
            n = len(out) + 1
            where = f"lakeside-kbart.toml row {n} ({row.get('title_id', '?')})"
            unknown = set(row) - set(COLUMNS)
            if unknown or "publication_type" in row:
                raise SampleError(f"{where}: unknown columns {sorted(unknown | {'publication_type'} & set(row))}")
            if any(not isinstance(value, str) for value in row.values()):
                raise SampleError(f"{where}: every cell must be text")
            for column in ("print_identifier", "online_identifier"):
                if row.get(column):
                    check = checked_issn if kind == "serial" else checked_isbn
                    check(row[column], f"{where} {column}")
            out.append({**DEFAULTS, **row, "publication_type": kind})
    return out


def kbart_bytes(rows: list[dict[str, str]]) -> bytes:
    """The KBART file: a header row, then one line per row."""
    lines = ["\t".join(COLUMNS)]
    for n, row in enumerate(rows, start=1):
        cells = [row.get(column, "") for column in COLUMNS]
        if any("\t" in c or "\n" in c for c in cells):
            raise SampleError(f"KBART row {n}: a cell holds a tab or a newline")
        lines.append("\t".join(cells))
    return ("\n".join(lines) + "\n").encode("utf-8")
