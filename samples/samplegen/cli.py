"""Build the five sample files from the facts, check them, write them, and read them back."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pymarc import MARCReader, parse_xml_to_array

from . import kbart, marcxml, riverside, unimarc, westfield
from .facts import FACTS, load
from .identifiers import SampleError, check_records

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pymarc import Record

SAMPLES = Path(__file__).resolve().parent.parent
"""The samples folder, where the files are written by default."""


def read_binary(path: Path) -> list[Record]:
    """Read an ISO 2709 file the way the harvester does."""
    with path.open("rb") as fh:
        reader = MARCReader(fh, to_unicode=True, force_utf8=True)
        records = []
        for rec in reader:
            if rec is None:
                raise SampleError(f"{path.name}: unreadable record: {reader.current_exception}")
            records.append(rec)
    return records


@dataclass(frozen=True)
class Samples:
    """The built sample files (content by file name) and the 001 of every record, for the read-back check."""

    files: dict[str, bytes]
    ids: dict[str, list[str]]


def build_all(facts_dir: Path = FACTS) -> Samples:
    """Build every sample file from the facts of ``facts_dir``; nothing is written. Every fact and every record
    is checked first (a :class:`SampleError` names the faulty one)."""
    facts = load(facts_dir)
    outputs = {
        "riverside.mrc": riverside.records(facts),
        "westfield.mrc": westfield.records(facts),
        "lakeside.xml": marcxml.records(facts),
        "eastlake.iso": unimarc.records(facts),
    }
    for name, records in outputs.items():
        check_records(records, name, unimarc=name.endswith(".iso"))
    kbart_rows = kbart.rows(facts)
    files = {
        name: marcxml.marcxml_bytes(records) if name.endswith(".xml") else b"".join(r.as_marc() for r in records)
        for name, records in outputs.items()
    }
    files["lakeside-kbart.txt"] = kbart.kbart_bytes(kbart_rows)
    ids = {name: [r["001"].data or "" for r in records] for name, records in outputs.items()}
    return Samples(files=files, ids=ids)


def read_back(out: Path, samples: Samples) -> None:
    """Read every written file back as the harvester will, and compare its record ids with the built ones."""
    for name, ids in samples.ids.items():
        path = out / name
        back = parse_xml_to_array(str(path)) if name.endswith(".xml") else read_binary(path)  # type: ignore[no-untyped-call]
        if [r["001"].data for r in back] != ids:
            raise SampleError(f"{name}: records read back differ from those written")
        print(f"  {name}: {len(back)} records read back")
    rows = (out / "lakeside-kbart.txt").read_text(encoding="utf-8").splitlines()
    print(f"  lakeside-kbart.txt: {len(rows) - 1} rows")


def main(argv: Sequence[str] | None = None) -> int:
    """Write the sample files; 1 (with the reason on stderr) when a fact or a record is wrong."""
    parser = argparse.ArgumentParser(prog="make_samples.py", description=__doc__)
    parser.add_argument("--out", type=Path, default=SAMPLES, help="folder to write to (default: samples/)")
    parser.add_argument("--facts", type=Path, default=FACTS, help="facts folder (default: samples/facts/)")
    args = parser.parse_args(argv)
    try:
        samples = build_all(args.facts)
        args.out.mkdir(parents=True, exist_ok=True)
        for name, data in samples.files.items():
            (args.out / name).write_bytes(data)
            print(f"wrote {(args.out / name).relative_to(args.out.parent)} ({len(data):,} bytes)")
        read_back(args.out, samples)
    except SampleError as exc:
        print(f"make_samples: {exc}", file=sys.stderr)
        return 1
    return 0
