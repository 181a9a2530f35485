"""A small hub for the catalogue-out tests: records clustered and indexed in memory (or in given stores) as the
harvester's pages are, on a manual clock, and the :class:`PublishedCatalogue` over it; plus generated books."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from factories import delete, make_page, make_record, upsert

from consortium.adapters.memory import InMemoryRecordStore
from consortium.adapters.memory.clock import ManualClock
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.adapters.memory.search import InMemorySearchIndex
from consortium.catalogue import Catalogue
from consortium.catalogue_out import PublishedCatalogue, PublishedMember
from consortium.dedup.service import DedupService
from consortium.models import Availability, Holding, Identifier, IdentifierScheme, Record

if TYPE_CHECKING:
    from consortium.dedup.ports import ClusterStore
    from consortium.harvest.ports import RecordStore
    from consortium.models import Cluster
    from consortium.search.ports import SearchIndex

__all__ = ["KEY", "START", "Hub", "book", "generated_books", "isbn13", "sample_books"]

START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
KEY = b"catalogue-out-test-token-key-000"
MEMBERS = (
    PublishedMember("riverside", "Riverside University Library"),
    PublishedMember("lakeside", "Lakeside Public Library"),
    PublishedMember("eastlake", "Eastlake University Library"),
    PublishedMember("hidden", "A library that keeps its holdings to itself", share_holdings=False),
)


def isbn13(number: int) -> str:
    """A valid ISBN-13 made from ``number`` (978 and nine digits, then the check digit)."""
    digits = f"978{number:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def book(member: str, local_id: str, title: str, *, isbn: str | None = None, **kw: Any) -> Record:
    """A book held by ``member`` on its shelves (location and call number), with an ISBN when given."""
    kw.setdefault("holdings", [Holding(member=member, location=f"{member} stacks", call_number=f"QA{local_id}")])
    if isbn:
        kw["identifiers"] = [Identifier(scheme=IdentifierScheme.ISBN, value=isbn), *kw.get("identifiers", [])]
    return make_record(member, local_id, title, **kw)


def sample_books() -> list[Record]:
    """A dozen books of three members (two held by several), in English and Chinese, one e-book."""
    shared = dict(authors=["Cormen, Thomas H."], year=2009, publisher="MIT Press", language="eng")
    return [
        book("riverside", "r1", "Introduction to algorithms", isbn=isbn13(262033848), **shared),
        book("lakeside", "l1", "Introduction to algorithms", isbn=isbn13(262033848), **shared),
        book(
            "eastlake",
            "e1",
            "红楼梦",
            isbn=isbn13(702000220),
            authors=["曹雪芹"],
            year=1982,
            language="chi",
            subjects=["章回小说 — 中国 — 清代"],
        ),
        book("lakeside", "l2", "红楼梦", isbn=isbn13(702000220), authors=["曹雪芹"], year=1982, language="chi"),
        book(
            "riverside",
            "r2",
            "Deep learning",
            isbn=isbn13(262035613),
            authors=["Goodfellow, Ian"],
            year=2016,
            subjects=["Machine learning"],
            language="eng",
        ),
        book("riverside", "r3", "Moby Dick", authors=["Melville, Herman"], year=1851, subjects=["Whaling"]),
        book(
            "lakeside",
            "l3",
            "The art of computer programming",
            isbn=isbn13(201896834),
            authors=["Knuth, Donald"],
            year=1997,
            subjects=["Computer programming"],
        ),
        book(
            "eastlake",
            "e2",
            "三体",
            isbn=isbn13(536692930),
            authors=["刘慈欣"],
            year=2008,
            language="chi",
            subjects=["科幻小说"],
        ),
        book("eastlake", "e3", "活着", authors=["余华"], year=1993, language="chi"),
        book(
            "lakeside",
            "l4",
            "Concrete mathematics",
            isbn=isbn13(201558029),
            authors=["Graham, Ronald"],
            year=1994,
            subjects=["Computer science — Mathematics"],
        ),
        make_record(
            "lakeside",
            "l5",
            "Nature",
            format="ejournal",
            holdings=[
                Holding(
                    member="lakeside", url="https://nature.example/", availability=Availability.ONLINE, coverage="1990-"
                )
            ],
        ),
        book("hidden", "h1", "Whaling voyages", authors=["Starbuck, Alexander"], year=1878, subjects=["Whaling"]),
    ]


def generated_books(count: int, member: str = "riverside", start: int = 0) -> list[Record]:
    """``count`` distinct books of one member, each with its own ISBN and title."""
    return [
        book(
            member,
            f"g{n:06d}",
            f"Generated volume {n} of the consortium test shelf",
            isbn=isbn13(100_000_000 + n),
            authors=[f"Author {n}, Test"],
            year=1950 + n % 70,
            subjects=[f"Topic {n % 17}"],
        )
        for n in range(start, start + count)
    ]


@dataclass
class Hub:
    """Records in, clusters and index kept in step (as after each harvested page), served as a catalogue."""

    clock: ManualClock = field(default_factory=lambda: ManualClock(START))
    records: RecordStore = field(default_factory=InMemoryRecordStore)
    clusters: ClusterStore = field(default_factory=InMemoryClusterStore)
    index: SearchIndex = field(default_factory=InMemorySearchIndex)
    page_size: int = 200
    members: tuple[PublishedMember, ...] = MEMBERS

    def __post_init__(self) -> None:
        dedup = DedupService(self.records, self.clusters, clock=self.clock)
        self.catalogue = Catalogue(self.records, self.clusters, self.index, dedup)
        self.published = PublishedCatalogue(
            clusters=self.clusters, token_key=KEY, index=self.index, members=self.members, page_size=self.page_size
        )

    def add(self, *records: Record) -> None:
        """Store and cluster these records (one harvested page), one second after the last change."""
        self.clock.advance(timedelta(seconds=1))
        changes = [upsert(record) for record in records]
        self.records.commit(make_page(*changes))
        self.catalogue.follow(changes)

    def withdraw(self, *keys: tuple[str, str]) -> None:
        """Delete these records (as a member's OAI-PMH delete does)."""
        self.clock.advance(timedelta(seconds=1))
        changes = [delete(member, local_id) for member, local_id in keys]
        self.records.commit(make_page(*changes))
        self.catalogue.follow(changes)

    def work_of(self, member: str, local_id: str) -> Cluster:
        placement = self.clusters.placement((member, local_id))
        assert placement is not None
        cluster = self.clusters.get(placement.cluster_id)
        assert cluster is not None
        return cluster
