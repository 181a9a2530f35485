"""Benchmark: harvesting a binary MARC21 file, whole path against raw pymarc parsing.

Prints figures only (no pass/fail). The goal stated in the issues is a whole-path rate of at least 0.6 of raw
pymarc's parsing rate (0.4 first, 0.6 since issue 9).

Data
----
The test file is built from real MARC21 records in ``../shared/data/marc`` (see ``../shared/data/SOURCES.md``):

- ``marc/traject/*.marc``, ``*.mrc``: traject/traject ``test/test_support/``,
  commit 5afeefee99931fc7382d72a31c0bf8ef9b36a818 (MIT);
- ``marc/openlibrary/bin_input/*.mrc``: internetarchive/openlibrary
  ``openlibrary/catalog/marc/tests/test_data/bin_input/``, commit 026d3d4fa51d894469a5f9b6180e0b61754a68a7.

Every record pymarc reads in permissive mode is re-serialized as UTF-8 (leader/09 ``a``; MARC-8 records are
converted by pymarc on reading) with its 001 replaced by a unique id, and only those the project's own MARC21
reader and normalizer accept, and not marked deleted (leader/05 ``d``), are kept, so a first harvest adds every
record. The records are then repeated, each copy with its own 001, up to ``--records`` (default 20,000) and
written to one file in a temporary folder.

Figures
-------
- reference: ``pymarc.MARCReader(f, to_unicode=True, force_utf8=True, permissive=True)`` iterating the file;
- first harvest: ``HarvestService(SqliteRecordStore.open(db), SqliteBlobStore.open(raw.sqlite3), page_size=500)
  .harvest_source(member, marc-file/marc21 source)`` into fresh temporary folders (every record added), timed
  from opening the stores to closing them; the archive is the local default one (``consortium.bootstrap``);
- second harvest: the same again over the same file and stores (every record unchanged);
- with ``--folder-archive``, also a first harvest into a ``FolderBlobStore`` (one file per record), printed for
  comparison only.

Each is the best of ``--runs`` (default 3) runs. The last line printed is one JSON object with the figures,
including ``revision``, the commit measured (``+dirty`` when ``consortium/`` has uncommitted changes).

A first harvest into the folder archive writes one file per record, so its figure depends on the disk and
varies from run to run; the run folders are kept until the end, as deleting tens of thousands of files slows
the disk down for the next run.

Run from the repository root::

    .venv/bin/python bench/harvest.py [--records N] [--runs R] [--folder-archive] [--profile]

``--profile`` also runs one first harvest under cProfile and prints its top functions (to stderr).
"""

from __future__ import annotations

import argparse
import gc
import glob
import json
import logging
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from consortium.harvest.service import HarvestReport
    from consortium.members import Member, Source

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
MARC_GLOBS = ("marc/traject/*.marc", "marc/traject/*.mrc", "marc/openlibrary/bin_input/*.mrc")

GOAL_RATIO = 0.6
"""The whole path's rate as a fraction of raw pymarc's that the issue asks for."""
_ID_WIDTH = 12
_PLACEHOLDER = "~" * _ID_WIDTH  # a 001 value that no real record field contains


def _revision() -> str:
    """The repository's commit, with ``+dirty`` when the working tree differs from it (figures depend on it)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "consortium"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def _local_id(n: int) -> str:
    return f"bench{n:0{_ID_WIDTH - 5}d}"


def load_templates(data_dir: Path) -> tuple[list[bytes], int, int]:
    """Real records re-serialized as UTF-8 with a placeholder 001, filtered to those the harvest accepts.

    Returns the templates, how many records pymarc read, and how many files were read.
    """
    import pymarc

    from consortium.errors import RecordError
    from consortium.harvest.formats.iso2709 import parse_iso2709
    from consortium.harvest.normalize.marc21 import normalize_marc21
    from consortium.models import RawPointer

    files = sorted({p for pattern in MARC_GLOBS for p in glob.glob(str(data_dir / pattern))})
    pointer = RawPointer(digest="0" * 64, media_type="application/marc")
    templates: list[bytes] = []
    readable = 0
    # Some of the published records are malformed on purpose; pymarc logs and warns about them while reading.
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in files:
                with open(name, "rb") as handle:
                    for marc in pymarc.MARCReader(handle, to_unicode=True, permissive=True):
                        if marc is None:
                            continue
                        readable += 1
                        if marc.leader[5] == "d":  # a deletion: the harvest skips it instead of adding it
                            continue
                        marc.remove_fields("001")
                        marc.add_ordered_field(pymarc.Field(tag="001", data=_PLACEHOLDER))
                        marc.leader[9] = "a"
                        try:
                            chunk = marc.as_marc()
                        except Exception:  # a record pymarc cannot write back is left out
                            continue
                        if chunk.count(_PLACEHOLDER.encode()) != 1:
                            continue
                        try:
                            parsed = parse_iso2709(chunk, force_utf8=False)
                            normalize_marc21(parsed, member="bench", source_id="bench", raw=pointer)
                            pymarc.Record(data=chunk, to_unicode=True, force_utf8=True, utf8_handling="strict")
                        except (RecordError, ValueError, UnicodeError):
                            continue
                        templates.append(chunk)
    finally:
        logging.disable(logging.NOTSET)
    return templates, readable, len(files)


def build_file(path: Path, templates: list[bytes], count: int) -> int:
    """Write ``count`` records cycling through ``templates``, record ``i`` with 001 ``bench<i>``."""
    placeholder = _PLACEHOLDER.encode()
    with open(path, "wb") as out:
        for i in range(count):
            out.write(templates[i % len(templates)].replace(placeholder, _local_id(i).encode(), 1))
    return path.stat().st_size


def time_reference(path: Path) -> tuple[float, int]:
    import pymarc

    gc.collect()
    start = time.perf_counter()
    n = 0
    with open(path, "rb") as handle:
        for record in pymarc.MARCReader(handle, to_unicode=True, force_utf8=True, permissive=True):
            if record is not None:
                n += 1
    return time.perf_counter() - start, n


def harvest_once(work: Path, member: Member, source: Source, *, folder: bool = False) -> tuple[float, HarvestReport]:
    """One harvest into the store and archive under ``work`` (created if new); (seconds, report).

    The archive is the local default, a SQLite file, or with ``folder`` a folder of files.
    """
    from consortium.adapters.local import FolderBlobStore, SqliteBlobStore, SqliteRecordStore
    from consortium.harvest.service import HarvestService

    if hasattr(os, "sync"):
        os.sync()  # write back earlier runs' files now, not during this run
    gc.collect()
    start = time.perf_counter()
    store = SqliteRecordStore.open(work / "db" / "consortium.sqlite")
    archive = None if folder else SqliteBlobStore.open(work / "db" / "raw.sqlite3")
    try:
        service = HarvestService(store, archive or FolderBlobStore(work / "raw"), page_size=500)
        report = service.harvest_source(member, source)
    finally:
        store.close()
        if archive is not None:
            archive.close()
    return time.perf_counter() - start, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000, help="records in the test file (default 20000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement; the best counts (default 3)")
    parser.add_argument(
        "--folder-archive", action="store_true", help="also time first harvests into a folder archive (for comparison)"
    )
    parser.add_argument("--profile", action="store_true", help="also profile one first harvest with cProfile")
    args = parser.parse_args()
    if args.records < 1 or args.runs < 1:
        parser.error("--records and --runs must be at least 1")

    if not (DATA / "marc").is_dir():
        print(
            f"bench/harvest.py needs the shared data sets at {DATA} (marc/traject, marc/openlibrary; "
            "see SOURCES.md there); they are absent, so nothing was measured."
        )
        return 0

    from importlib.metadata import version

    from consortium.members import Member, Source

    templates, readable, files = load_templates(DATA)
    if not templates:
        print(f"no usable MARC21 records found under {DATA / 'marc'}; nothing was measured.")
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-harvest-") as tmp_name:
        tmp = Path(tmp_name)
        marc_path = tmp / "bench.mrc"
        size = build_file(marc_path, templates, args.records)
        member = Member(id="bench", name="Benchmark library")
        source = Source(id="bench-marc", protocol="marc-file", format="marc21", path=marc_path)

        versions = f"pymarc {version('pymarc')}, pydantic {version('pydantic')}"
        revision = _revision()
        print(f"consortium {revision}; python {platform.python_version()}, {versions}, sqlite {sqlite3.sqlite_version}")
        print(f"{os.cpu_count()} CPUs, temp dir {tmp}")
        print(
            f"test file: {args.records} records ({len(templates)} distinct real records of {readable} readable "
            f"in {files} files, repeated with unique 001), {size / 1e6:.1f} MB, {size / args.records:.0f} B/record"
        )

        ref_times: list[float] = []
        first_times: list[float] = []
        second_times: list[float] = []
        folder_times: list[float] = []
        for run in range(args.runs):
            elapsed, n = time_reference(marc_path)
            if n != args.records:
                print(f"warning: pymarc read {n} records, expected {args.records}", file=sys.stderr)
            ref_times.append(elapsed)

            work = tmp / f"run{run}"
            elapsed, report = harvest_once(work, member, source)
            c = report.counts
            if not report.complete or c.added != args.records:
                print(f"warning: first harvest {report.as_dict()}", file=sys.stderr)
            first_times.append(elapsed)

            elapsed, report = harvest_once(work, member, source)
            c = report.counts
            if not report.complete or c.unchanged != args.records:
                print(f"warning: second harvest {report.as_dict()}", file=sys.stderr)
            second_times.append(elapsed)
            folder_note = ""
            if args.folder_archive:
                # The run folders stay until the end: deleting 20,000 files makes the disk slower for the next run.
                elapsed, report = harvest_once(tmp / f"run{run}-folder", member, source, folder=True)
                if not report.complete or report.counts.added != args.records:
                    print(f"warning: first harvest (folder archive) {report.as_dict()}", file=sys.stderr)
                folder_times.append(elapsed)
                folder_note = f", first harvest into a folder archive {args.records / elapsed:,.0f}/s"
            print(
                f"run {run + 1}: pymarc {args.records / ref_times[-1]:,.0f}/s, "
                f"first harvest {args.records / first_times[-1]:,.0f}/s, "
                f"second harvest {args.records / second_times[-1]:,.0f}/s{folder_note}"
            )

        ref_rate = args.records / min(ref_times)
        first_rate = args.records / min(first_times)
        second_rate = args.records / min(second_times)
        print(f"reference  raw pymarc parsing        {ref_rate:>10,.0f} records/s")
        print(
            f"subject    first harvest (all added) {first_rate:>10,.0f} records/s   ratio {first_rate / ref_rate:.3f}"
        )
        print(
            f"subject    second run (all unchanged) {second_rate:>9,.0f} records/s   ratio {second_rate / ref_rate:.3f}"
        )
        if folder_times:
            folder_rate = args.records / min(folder_times)
            print(
                f"compare    first, folder archive     {folder_rate:>10,.0f} records/s   "
                f"ratio {folder_rate / ref_rate:.3f}"
            )
        print(f"goal (issue 9): whole path >= {GOAL_RATIO} of raw pymarc's rate")

        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            work = tmp / "profile"
            profiler.enable()
            harvest_once(work, member, source)
            profiler.disable()
            stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime")
            stats.print_stats(25)
            stats.sort_stats("cumulative").print_stats(40)

        figures = {
            "revision": revision,
            "records": args.records,
            "distinct_records": len(templates),
            "file_bytes": size,
            "runs": args.runs,
            "pymarc_records_per_s": round(ref_rate, 1),
            "first_harvest_records_per_s": round(first_rate, 1),
            "second_harvest_records_per_s": round(second_rate, 1),
            "first_harvest_ratio": round(first_rate / ref_rate, 4),
            "second_harvest_ratio": round(second_rate / ref_rate, 4),
            "archive": "sqlite",
            "goal_ratio": GOAL_RATIO,
        }
        if folder_times:
            figures["folder_first_harvest_ratio"] = round(args.records / min(folder_times) / ref_rate, 4)
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
