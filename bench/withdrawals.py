"""Benchmark: what withdrawal by absence costs a complete run of a file (consortium/harvest/withdrawals.py).

Prints figures only (no pass/fail). A complete run of a complete file lists its source's stored ids (the store's
index of member and source) and its source's quarantine at its end, to withdraw what the file no longer gives;
an ``increments`` source does neither. Measured on the local defaults (SQLite record store and raw archive) in
fresh temporary folders, without clustering and indexing (they follow a withdrawal as any deletion):

- second run, complete: a run of the same file, every record unchanged (the end-of-run check included);
- second run, increments: the same run of a source whose files are increments (no check): the difference is the
  check's cost;
- source ids: listing the source's stored ids alone;
- withdrawing: a run of the file with 1% of its records gone (read, found unchanged, and 1% withdrawn).

Each run figure is the best of ``--runs`` (default 3). The records are small MARC21 books built with pymarc
(``--records``, default 100,000). The last line is one JSON object with the figures.

Run from the repository root::

    .venv/bin/python bench/withdrawals.py [--records N] [--runs R]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from pymarc import Field, Indicators, Leader, Record, Subfield

from consortium.adapters.local import SqliteBlobStore, SqliteRecordStore
from consortium.harvest.service import HarvestService
from consortium.members import FileContents, Member, Source


def _book(number: int) -> bytes:
    record = Record(force_utf8=True)
    record.leader = Leader("00000nam a2200000 a 4500")
    fields = [
        Field(tag="001", data=f"b{number:07}"),
        Field(tag="008", data="970101s1997    mau           001 0 eng d"),
        Field(tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", "Author, An,")]),
        Field(tag="245", indicators=Indicators("1", "0"), subfields=[Subfield("a", f"Book number {number} /")]),
    ]
    record.add_field(*fields)  # type: ignore[no-untyped-call]
    data: bytes = record.as_marc()
    return data


def _timed(service: HarvestService, member: Member, source: Source, runs: int) -> tuple[float, int]:
    best, withdrawn = float("inf"), 0
    for _ in range(runs):
        started = time.perf_counter()
        report = service.harvest_source(member, source)
        best = min(best, time.perf_counter() - started)
        withdrawn = report.counts.withdrawn
    return best, withdrawn


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000, help="records in the file (default 100000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind, the best kept (default 3)")
    args = parser.parse_args()
    if args.records < 100 or args.runs < 1:
        parser.error("--records must be at least 100 and --runs at least 1")
    folder = Path(tempfile.mkdtemp(prefix="withdrawals-"))
    books = [_book(n) for n in range(args.records)]
    path = folder / "books.mrc"
    path.write_bytes(b"".join(books))
    store = SqliteRecordStore.open(folder / "consortium.sqlite3")
    archive = SqliteBlobStore.open(folder / "raw.sqlite3")
    service = HarvestService(store, archive, page_size=500)
    member = Member(id="riverside", name="Riverside")
    complete = Source.model_validate({"id": "catalogue", "protocol": "marc-file", "path": path, "format": "marc21"})
    increments = complete.model_copy(update={"file": FileContents.INCREMENTS})
    service.harvest_source(member, complete)

    second_complete, _ = _timed(service, member, complete, args.runs)
    second_increments, _ = _timed(service, member, increments, args.runs)
    started = time.perf_counter()
    listed = sum(1 for _ in store.source_ids(member.id, complete.id))
    source_ids = time.perf_counter() - started
    gone = args.records // 100
    path.write_bytes(b"".join(books[: args.records - gone]))
    withdrawing, withdrawn = _timed(service, member, complete, 1)
    store.close()
    archive.close()

    print(f"records {args.records:,}, best of {args.runs} runs (local SQLite stores, no clustering or indexing)")
    print(f"second run, complete file     {second_complete:7.3f} s  (the end-of-run check included)")
    print(f"second run, increments        {second_increments:7.3f} s  (no check)")
    print(f"the source's {listed:,} ids listed {source_ids:7.3f} s")
    print(f"a run withdrawing {withdrawn:,} (1%)   {withdrawing:7.3f} s")
    figures = {
        "records": args.records,
        "runs": args.runs,
        "second_run_complete_s": round(second_complete, 4),
        "second_run_increments_s": round(second_increments, 4),
        "source_ids_s": round(source_ids, 4),
        "withdrawn": withdrawn,
        "withdrawing_run_s": round(withdrawing, 4),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
