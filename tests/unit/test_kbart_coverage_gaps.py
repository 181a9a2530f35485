"""KBART coverage gaps: a title listed on several rows (one per continuous range of coverage, as NISO RP-9-2014
gives a title with gaps) is one record keeping every range, through a first harvest, a page boundary, a resumed
run, a re-harvest, a change or removal of one range, a reading of the archived bytes again, and the cluster and its
MARC export a reader and an inter-library loan page see."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.catalogue_out.export import export_work
from consortium.dedup.merge import merge_cluster
from consortium.harvest.formats.kbart import iter_kbart
from consortium.harvest.renormalize import reread
from consortium.harvest.service import HarvestService
from consortium.members import Member, Source, SourceFormat
from consortium.models import RawPointer

if TYPE_CHECKING:
    from pathlib import Path

COLUMNS = [
    "publication_title",
    "print_identifier",
    "online_identifier",
    "date_first_issue_online",
    "num_first_vol_online",
    "date_last_issue_online",
    "num_last_vol_online",
    "title_url",
    "title_id",
    "embargo_info",
    "publication_type",
]
HEADER = "\t".join(COLUMNS)
MEMBER = Member(id="m", name="M")
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def row(title_id: str, first: str, last: str = "", **more: str) -> str:
    values = {"publication_title": f"Journal {title_id}", "print_identifier": "0317-8471", "title_id": title_id}
    values |= {"date_first_issue_online": first, "date_last_issue_online": last, "publication_type": "serial"}
    values |= {"title_url": f"https://x.org/{title_id}"} | more
    return "\t".join(values.get(column, "") for column in COLUMNS)


def kbart(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def source(path: Path) -> Source:
    return Source(id="k", protocol="kbart-file", path=path, format="kbart")


class Harvests:
    def __init__(self, tmp_path: Path, page_size: int = 50) -> None:
        self.path = tmp_path / "list.txt"
        self.store = InMemoryRecordStore()
        self.archive = InMemoryBlobStore()
        self.service = HarvestService(self.store, self.archive, page_size=page_size, clock=lambda: NOW)

    def run(self, data: bytes, max_pages: int | None = None) -> tuple[int, int, int, int]:
        self.path.write_bytes(data)
        counts = self.service.harvest_source(MEMBER, source(self.path), max_pages=max_pages).counts
        return counts.added, counts.changed, counts.unchanged, counts.quarantined

    def coverage(self, local_id: str) -> list[tuple[str | None, str | None]]:
        record = self.store.get("m", local_id)
        assert record is not None
        return [(h.url, h.coverage) for h in record.holdings]


def test_every_coverage_range_of_a_title_is_kept_in_the_order_the_ranges_start(tmp_path: Path) -> None:
    hub = Harvests(tmp_path)
    # the later range first in the file, another title between the two rows of the first
    added = hub.run(kbart(row("t1", "2005"), row("t2", "1990", "1999"), row("t1", "1995", "2001")))
    assert added == (2, 0, 0, 0)
    assert hub.coverage("t1") == [("https://x.org/t1", "1995 - 2001; 2005 - present")]
    assert hub.coverage("t2") == [("https://x.org/t2", "1990 - 1999")]
    record = hub.store.get("m", "t1")
    assert record is not None and record.year == 1995  # the first issue online of the whole title


def test_ranges_at_different_urls_are_one_holding_each(tmp_path: Path) -> None:
    hub = Harvests(tmp_path)
    hub.run(
        kbart(
            row("t1", "2010", title_url="https://new.example.org/j", embargo_info="P1Y"),
            row("t1", "1950", "1979", title_url="https://archive.example.org/j"),
            row("t1", "1985", "1999", title_url="https://archive.example.org/j"),
        )
    )
    assert hub.coverage("t1") == [
        ("https://archive.example.org/j", "1950 - 1979; 1985 - 1999"),
        ("https://new.example.org/j", "2010 - present (embargo P1Y)"),
    ]


def test_a_reharvest_is_unchanged_and_a_changed_or_removed_range_updates_the_title(tmp_path: Path) -> None:
    hub = Harvests(tmp_path)
    hub.run(kbart(row("t1", "2005"), row("t2", "1990"), row("t1", "1995", "2001")))
    assert hub.run(kbart(row("t1", "2005"), row("t2", "1990"), row("t1", "1995", "2001"))) == (0, 0, 2, 0)
    assert hub.run(kbart(row("t1", "2006"), row("t2", "1990"), row("t1", "1995", "2001"))) == (0, 1, 1, 0)
    assert hub.coverage("t1") == [("https://x.org/t1", "1995 - 2001; 2006 - present")]
    assert hub.run(kbart(row("t2", "1990"), row("t1", "1995", "2001"))) == (0, 1, 1, 0)
    assert hub.coverage("t1") == [("https://x.org/t1", "1995 - 2001")]


def test_a_title_keeps_its_ranges_across_pages_and_a_resumed_run(tmp_path: Path) -> None:
    data = kbart(row("t1", "2005"), row("t2", "1990"), row("t3", "1980"), row("t1", "1995", "2001"))
    pages = [[item.position for item in page.records] for page in iter_kbart(data, name="f", start=0, page_size=1)]
    assert pages == [["f:2,5"], ["f:3"], ["f:4"], []]
    assert [[i.position for i in p.records] for p in iter_kbart(data, name="f", start=1, page_size=5)] == [
        ["f:3", "f:4"]
    ]

    hub = Harvests(tmp_path, page_size=1)
    assert hub.run(data, max_pages=1) == (1, 0, 0, 0)  # the run stops after its first page: t1, both rows
    assert hub.coverage("t1") == [("https://x.org/t1", "1995 - 2001; 2005 - present")]
    assert hub.run(data) == (3, 0, 0, 0)  # resumed: the run's counts so far
    assert sorted(r.local_id for r in hub.store.records()) == ["t1", "t2", "t3"]
    assert hub.coverage("t1") == [("https://x.org/t1", "1995 - 2001; 2005 - present")]


def test_a_title_stored_from_one_row_gets_all_its_ranges_at_the_next_harvest(tmp_path: Path) -> None:
    # what a hub that read each row alone stored (the last row replacing the first) is changed, not left as it was
    hub = Harvests(tmp_path)
    hub.run(kbart(row("t1", "1995", "2001")))
    assert hub.run(kbart(row("t1", "2005"), row("t1", "1995", "2001"))) == (0, 1, 0, 0)
    assert hub.coverage("t1") == [("https://x.org/t1", "1995 - 2001; 2005 - present")]


def test_a_bad_row_quarantines_its_title_naming_the_row_and_the_stored_one_stays(tmp_path: Path) -> None:
    hub = Harvests(tmp_path)
    hub.run(kbart(row("t1", "2005"), row("t1", "1995", "2001")))
    assert hub.run(kbart(row("t1", "2005"), row("t1", "1995", "2001-13"))) == (0, 0, 0, 1)
    [item] = hub.store.quarantined()
    assert item.position == "list.txt:2,3" and item.local_id == "t1"
    assert item.reason.startswith("row 3: date_last_issue_online: '2001-13' is not a date")
    assert hub.coverage("t1") == [("https://x.org/t1", "1995 - 2001; 2005 - present")]  # as before


@pytest.mark.parametrize(
    ("second", "reason"),
    [
        (
            row("t1", "1995", publication_type="monograph", print_identifier=""),
            "row 3: publication_type: 'monograph', but row 2",
        ),
        (row("t1", "1995", title_url="ftp://x.org"), "row 3: title_url: 'ftp://x.org' is not an http(s) URL"),
    ],
)
def test_rows_of_one_title_that_disagree_quarantine_it(tmp_path: Path, second: str, reason: str) -> None:
    hub = Harvests(tmp_path)
    assert hub.run(kbart(row("t1", "2005"), second)) == (0, 0, 0, 1)
    [item] = hub.store.quarantined()
    assert item.reason.startswith(reason)


def test_the_archived_title_reads_again_whole_and_its_cluster_shows_every_range(tmp_path: Path) -> None:
    hub = Harvests(tmp_path)
    hub.run(kbart(row("t1", "2005"), row("t2", "1990"), row("t1", "1995", "2001")))
    record = hub.store.get("m", "t1")
    assert record is not None and record.raw is not None
    data = hub.archive.get(record.raw.digest)
    again = reread(SourceFormat.KBART, data, record.raw.media_type, "t1")
    pointer = RawPointer(digest=record.raw.digest, media_type=record.raw.media_type)
    assert hub.service.normalize(MEMBER, source(hub.path), again, pointer) == record

    cluster = merge_cluster("c1", [record], {}, NOW)
    assert [h.coverage for h in cluster.holdings] == ["1995 - 2001; 2005 - present"]
    marcxml = export_work(cluster, cluster.holdings, "marcxml", "https://hub.example.org/works/c1").body.decode()
    assert "1995 - 2001; 2005 - present" in marcxml  # 856 $3
