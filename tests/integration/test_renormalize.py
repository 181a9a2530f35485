"""Records harvested before the normalizers knew uniform titles are read again from the raw archive: the
records, their works (work ids) and the search index follow; a record that no longer normalizes is quarantined,
naming it, and kept; the local hub's `consortium renormalize` does it all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from marc_builders import book

from consortium.bootstrap import bootstrap
from consortium.config import Settings
from consortium.harvest.renormalize import renormalize
from consortium.harvest.state import Checkpoint, PageCommit, RecordChange
from consortium.members import Member, MemberRegistry, SourceFormat
from consortium.models import RawPointer
from consortium.search.query import parse_query_string

OAI = b"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-12-04T00:00:00Z</responseDate>
<request verb="ListRecords">http://lakeside.example/oai</request><ListRecords>
<record><header><identifier>oai:lakeside:7</identifier><datestamp>2026-11-30</datestamp></header>
<metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
 xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Gardens of the moon</dc:title>
<dc:creator>Erikson, Steven</dc:creator><dc:date>1999</dc:date></oai_dc:dc></metadata></record>
</ListRecords></OAI-PMH>"""


def _hub(tmp_path: Path):  # type: ignore[no-untyped-def]
    marc = tmp_path / "riverside.mrc"
    records = [
        book("r1", "Die Struktur wissenschaftlicher Revolutionen", author="Kuhn, Thomas S.", year="1967",
             language="ger", uniform="Structure of scientific revolutions"),
        book("r2", "The structure of scientific revolutions", author="Kuhn, Thomas S.", year="1962"),
        book("r3", "Concrete mathematics", author="Graham, Ronald L.", year="1989"),
    ]  # fmt: skip
    marc.write_bytes(b"".join(r.as_marc() for r in records))
    saved = tmp_path / "lakeside.xml"
    saved.write_bytes(OAI)
    riverside = Member.model_validate(
        {"id": "riverside", "name": "Riverside", "sources": [{"id": "cat", "protocol": "marc-file", "path": marc,
                                                              "format": "marc21"}]}
    )  # fmt: skip
    lakeside = Member.model_validate(
        {"id": "lakeside", "name": "Lakeside", "sources": [{"id": "oai", "protocol": "marc-file", "path": saved,
                                                            "format": "oai-pmh"}]}
    )  # fmt: skip
    hub = bootstrap(Settings(data_dir=tmp_path / "var", key_dir=tmp_path / "keys"))
    for member in (riverside, lakeside):
        hub.harvester.harvest_source(member, member.sources[0])
    return hub, MemberRegistry(members=[riverside, lakeside])


def _as_before(hub, *records) -> None:  # type: ignore[no-untyped-def]
    """Make stored records look as an older normalizer left them: without a uniform title (work id follows)."""
    old = [r.model_copy(update={"uniform_title": None}) for r in records]
    changes = [RecordChange(member=r.member, local_id=r.local_id, record=r) for r in old]
    checkpoint = hub.record_store.checkpoint(f"{old[0].member}/{old[0].source_id}")
    hub.record_store.commit(PageCommit(changes=changes, checkpoint=checkpoint))
    hub.catalogue.follow(changes)


def _work(hub, key: tuple[str, str]):  # type: ignore[no-untyped-def]
    placement = hub.cluster_store.placement(key)
    return hub.cluster_store.get(placement.cluster_id)


def test_records_read_again_get_their_uniform_title_and_their_work_group(tmp_path: Path) -> None:
    hub, registry = _hub(tmp_path)
    german = hub.record_store.get("riverside", "r1")
    assert german.uniform_title == "Structure of scientific revolutions"
    grouped = _work(hub, ("riverside", "r1")).work_id
    assert grouped == _work(hub, ("riverside", "r2")).work_id  # the translation groups with its original
    _as_before(hub, german)
    assert _work(hub, ("riverside", "r1")).work_id != grouped
    checkpoints = hub.record_store.checkpoints()
    pages: list[tuple[int, int]] = []

    report = renormalize(
        hub.record_store, hub.archive, registry, hub.harvester.normalize, hub.catalogue.follow,
        page_size=1, progress=lambda r, total: pages.append((r.read, total)),
    )  # fmt: skip

    assert (report.read, report.changed, report.unchanged, report.quarantined) == (4, 1, 3, 0)
    assert pages[-1] == (4, 4)
    assert hub.record_store.get("riverside", "r1") == german
    assert _work(hub, ("riverside", "r1")).work_id == grouped
    assert _work(hub, ("riverside", "r1")).uniform_title == "Structure of scientific revolutions"
    hits = hub.search_index.search(parse_query_string(f"work:{grouped}")).hits
    assert len(hits) == 2
    assert hub.record_store.checkpoints() == checkpoints  # each page committed with its source's checkpoint
    again = renormalize(hub.record_store, hub.archive, registry, hub.harvester.normalize, hub.catalogue.follow)
    assert (again.changed, again.unchanged) == (0, 4)  # the OAI record read from its envelope, unchanged


def test_a_record_that_no_longer_normalizes_is_quarantined_by_name_and_kept(tmp_path: Path) -> None:
    hub, registry = _hub(tmp_path)
    kept = hub.record_store.get("riverside", "r3")
    bad = hub.archive.put(b"00026nam a2200000 a 4500\x1e\x1d")  # a leader and nothing else
    broken = kept.model_copy(update={"raw": RawPointer(digest=bad, media_type="application/marc")})
    missing = hub.record_store.get("riverside", "r2").model_copy(
        update={"raw": RawPointer(digest="f" * 64, media_type="application/marc")}
    )
    changes = [RecordChange(member=r.member, local_id=r.local_id, record=r) for r in (broken, missing)]
    at = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)
    hub.record_store.commit(
        PageCommit(changes=changes, checkpoint=Checkpoint(source_id="riverside/cat", run_id="x", started_at=at))
    )

    report = renormalize(hub.record_store, hub.archive, registry, hub.harvester.normalize, hub.catalogue.follow)

    assert report.quarantined == 1 and report.quarantined_records[0].startswith("riverside/r3: ")
    assert report.skipped == {"raw bytes not in the archive": 1}
    [entry] = hub.record_store.quarantined("riverside")
    assert entry.local_id == "r3" and entry.reason.startswith("normalized again from the archive: ")
    assert hub.record_store.get("riverside", "r3") == broken  # kept as it was


def test_an_unknown_source_is_skipped_unless_its_format_is_named(tmp_path: Path) -> None:
    hub, registry = _hub(tmp_path)
    only_lakeside = MemberRegistry(members=[registry.members[1], Member(id="riverside", name="Riverside", sources=[])])
    report = renormalize(hub.record_store, hub.archive, only_lakeside, hub.harvester.normalize, hub.catalogue.follow)
    assert report.skipped == {"source riverside/cat not in the registry (name its format)": 3}
    named = renormalize(
        hub.record_store, hub.archive, only_lakeside, hub.harvester.normalize, hub.catalogue.follow,
        formats={"cat": SourceFormat.MARC21},
    )  # fmt: skip
    assert (named.unchanged, named.skipped) == (4, {})
