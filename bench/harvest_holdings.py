"""Benchmark: what a holdings file costs a harvest, against the same records without one, in the same process.

Builds ``--records`` MARC 21 books (001, 008, 100, 245) and, for each, a holdings record (001, 004, 008, 852) in
a file of its own, as Voyager's and FOLIO's exports write them; then harvests the books into in-memory stores, as
a ``marc21`` file source without and with ``holdings`` (each holdings record read with its book), a first run
(every record added) and a second over the same files (every record unchanged), alternating ``--runs`` times.
Prints records/s of each and the ratio with a holdings file to without (no pass/fail). In-memory stores, so the
figures are the harvest's own work (reading, attaching, digests, normalizing), not a database's.

Usage::

    PYTHONPATH=$PWD python bench/harvest_holdings.py [--records 10000] [--runs 2]

The last line printed is one JSON object with the best rates and the ratios.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from pymarc import Field, Indicators, Record, Subfield

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.harvest.service import HarvestService
from consortium.members import Member, Source

MEMBER = Member(id="m", name="Member")


def _marc(leader: str, fields: list[Field]) -> bytes:
    record = Record(leader=leader, force_utf8=True)
    record.fields = fields
    data: bytes = record.as_marc()
    return data


def _book(number: int) -> bytes:
    title = [Subfield("a", f"The art of computer programming, volume {number} /")]
    return _marc(
        "00000nam a2200000 a 4500",
        [
            Field(tag="001", data=f"b{number}"),
            Field(tag="008", data="970101s1997    mau           001 0 eng d"),
            Field(tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", "Knuth, Donald E.")]),
            Field(tag="245", indicators=Indicators("1", "0"), subfields=title),
        ],
    )


def _holdings(number: int) -> bytes:
    shelf = [Subfield("b", "gen"), Subfield("h", "QA76.6"), Subfield("i", f".K64 v.{number}")]
    return _marc(
        "00000nx  a22000001  4500",
        [
            Field(tag="001", data=f"h{number}"),
            Field(tag="004", data=f"b{number}"),
            Field(tag="008", data="0506234u    8   1001uu   0901128"),
            Field(tag="852", indicators=Indicators("0", " "), subfields=shelf),
        ],
    )


def _rates(records: Path, holdings: Path | None, count: int) -> tuple[float, float]:
    values = {"id": "s", "protocol": "marc-file", "path": records, "format": "marc21", "holdings": holdings}
    source = Source.model_validate(values)
    service = HarvestService(InMemoryRecordStore(), InMemoryBlobStore(), page_size=500)
    rates = []
    for _ in range(2):
        start = time.perf_counter()
        service.harvest_source(MEMBER, source)
        rates.append(count / (time.perf_counter() - start))
    return rates[0], rates[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="holdings-bench-"))
    records, holdings = folder / "books.mrc", folder / "mfhd.mrc"
    records.write_bytes(b"".join(_book(n) for n in range(args.records)))
    holdings.write_bytes(b"".join(_holdings(n) for n in range(args.records)))
    best: dict[str, list[float]] = {"without": [0.0, 0.0], "with": [0.0, 0.0]}
    for run in range(args.runs):
        for name, file in (("without", None), ("with", holdings)):
            first, second = _rates(records, file, args.records)
            best[name] = [max(best[name][0], first), max(best[name][1], second)]
            print(f"run {run + 1}, {name} a holdings file: first {first:,.0f} records/s, second {second:,.0f}")
    ratios = [best["with"][i] / best["without"][i] for i in (0, 1)]
    print(f"with / without a holdings file: first run {ratios[0]:.2f}, second run {ratios[1]:.2f}")
    figures = {"records": args.records, "runs": args.runs, "best": best, "first_ratio": round(ratios[0], 3)}
    print(json.dumps(figures | {"second_ratio": round(ratios[1], 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
