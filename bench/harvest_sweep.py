"""Every MARC file of ``../shared/data/marc`` harvested as its kind declares, and what the hub made of it.

Not a speed benchmark: a sweep of other libraries' catalogues (traject, Open Library, pymarc, RecordManager, marc4j,
xbib; see ``../shared/data/SOURCES.md``), each file as a ``marc-file`` source of the format its name says (binary
MARC as ``marc21``, or ``unimarc`` for the two UNIMARC files; ``.xml`` as ``marcxml``; MarcEdit's ``.mrk``/``.mrk8``
as ``mrk``; ``.json`` as ``marc-json``), into in-memory stores. Printed per format and in all: the files, the
records read, those quarantined, the holdings records read with their record, the holdings the records have and
how many of those give a call number; "not read", the files of a format the commit measured does not have. Run it
at two commits to see what a change of the harvest does to real files (figures: the README's Benchmarks).

Usage::

    PYTHONPATH=$PWD python bench/harvest_sweep.py

A few seconds. The last line printed is one JSON object with the totals per format and in all.
"""

from __future__ import annotations

import collections
import json
import logging
import sys
import warnings
from pathlib import Path

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.harvest.service import HarvestService
from consortium.members import Member, Source

MARC = Path(__file__).resolve().parents[2] / "shared" / "data" / "marc"
UNIMARC = {"periouni.mrc", "testunimarc.dat"}
"""The two UNIMARC files of the sets (SOURCES.md); every other binary file is MARC 21."""
FORMATS = {".mrc": "marc21", ".marc": "marc21", ".dat": "marc21", ".bin": "marc21", ".marc21": "marc21"}
FORMATS |= {".xml": "marcxml", ".mrk": "mrk", ".mrk8": "mrk", ".json": "marc-json"}
FIGURES = ("files", "read", "quarantined", "holdings_records", "holdings", "call_numbers")


def format_of(path: Path) -> str | None:
    fmt = FORMATS.get(path.suffix)
    return "unimarc" if fmt == "marc21" and path.name in UNIMARC else fmt


def main() -> int:
    if not MARC.is_dir():
        print(f"the shared data is not at {MARC} (../shared/data/marc)", file=sys.stderr)
        return 2
    logging.disable(logging.WARNING)  # pymarc logs every odd indicator of the broken files
    warnings.simplefilter("ignore")
    totals: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for path in sorted(MARC.rglob("*")):
        fmt = format_of(path)
        if fmt is None:
            continue
        try:
            source = Source.model_validate({"id": "f", "protocol": "marc-file", "path": path, "format": fmt})
        except ValueError:  # a format this commit does not have (run at an older one)
            totals["not read"]["files"] += 1
            continue
        store = InMemoryRecordStore()
        counts = HarvestService(store, InMemoryBlobStore()).harvest_source(Member(id="m", name="M"), source).counts
        holdings = [h for record in store.records() for h in record.holdings]
        attached = getattr(counts, "holdings", 0)  # counted since holdings records are read with their record
        figures = (1, counts.added, counts.quarantined, attached, len(holdings))
        for kind in (fmt, "all"):
            totals[kind].update(dict(zip(FIGURES, figures, strict=False)))
            totals[kind]["call_numbers"] += sum(1 for h in holdings if h.call_number)
    print(f"{'format':<10}" + "".join(f"{name:>18}" for name in FIGURES))
    for kind, counter in sorted(totals.items(), key=lambda kv: (kv[0] in ("all", "not read"), kv[0])):
        print(f"{kind:<10}" + "".join(f"{counter[name]:>18,}" for name in FIGURES))
    print(json.dumps({kind: {name: counter[name] for name in FIGURES} for kind, counter in totals.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
