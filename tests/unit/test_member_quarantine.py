"""A member's quarantined records through the service the member API calls: pages with reasons, raw bytes as
base64 or alone, only the member's own."""

from __future__ import annotations

import base64

import pytest
from factories import make_page, make_quarantined

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.errors import NotFoundError, ValidationError
from consortium.members import Member
from consortium.membership import MemberQuarantine
from consortium.membership import quarantine as quarantine_module


def member(member_id: str) -> Member:
    if member_id not in ("riverside", "lakeside"):
        raise NotFoundError(f"no member {member_id!r} in the registry")
    return Member(id=member_id, name=member_id)


@pytest.fixture
def service() -> MemberQuarantine:
    store, archive = InMemoryRecordStore(), InMemoryBlobStore()
    items = [make_quarantined("riverside", f"cat.mrc#{n}", raw=f"bad record {n}", source_id="catalogue",
                              reason=f"leader is not MARC21 ({n})") for n in range(7)]  # fmt: skip
    items.append(make_quarantined("lakeside", "oai:lake:1", raw="lakeside's bad record", source_id="oai"))
    for n in range(7):
        archive.put(f"bad record {n}".encode())
    archive.put(b"lakeside's bad record")
    store.commit(make_page(quarantined=items))
    return MemberQuarantine(store, archive, member)


def test_pages_with_reasons_and_a_cursor(service: MemberQuarantine) -> None:
    first = service.page("riverside", limit=3)
    assert first.total == 7 and len(first.items) == 3 and first.next_cursor == first.items[-1].item_id
    assert [i.position for i in first.items] == ["cat.mrc#0", "cat.mrc#1", "cat.mrc#2"]
    assert first.items[0].reason == "leader is not MARC21 (0)" and first.items[0].raw_base64 is None
    second = service.page("riverside", cursor=first.next_cursor, limit=3)
    last = service.page("riverside", cursor=second.next_cursor, limit=3)
    assert [i.position for i in last.items] == ["cat.mrc#6"] and last.next_cursor is None
    assert service.page("riverside", limit=7).next_cursor is None


def test_raw_bytes_as_base64_or_alone(service: MemberQuarantine) -> None:
    page = service.page("riverside", limit=2, include_raw=True)
    assert base64.b64decode(page.items[1].raw_base64 or "") == b"bad record 1"
    item = service.item("riverside", page.items[0].item_id)
    assert base64.b64decode(item.raw_base64 or "") == b"bad record 0" and item.position == "cat.mrc#0"
    raw = service.raw("riverside", page.items[0].item_id)
    assert (raw.data, raw.media_type) == (b"bad record 0", "application/marc")
    assert raw.filename.startswith("catalogue-") and raw.filename.endswith(".mrc")


def test_only_the_members_own(service: MemberQuarantine) -> None:
    theirs = service.page("lakeside").items[0].item_id
    with pytest.raises(NotFoundError, match="member 'riverside' has no quarantined record"):
        service.raw("riverside", theirs)
    with pytest.raises(NotFoundError):
        service.item("riverside", theirs)
    assert [i.source_id for i in service.page("lakeside").items] == ["oai"]
    with pytest.raises(NotFoundError, match="no member 'nowhere'"):
        service.page("nowhere")


def test_bad_ids_cursors_and_limits_name_the_field(service: MemberQuarantine) -> None:
    with pytest.raises(ValidationError, match="field 'cursor': not an id this hub gave"):
        service.page("riverside", cursor="%%%")
    for hostile in (b"[" * 2500, b'["a", "b", "\\ud800"]', b'["a", "a", "a", NaN]'):  # too deep, a lone surrogate, NaN
        with pytest.raises(ValidationError, match="field 'cursor': not an id this hub gave"):
            service.page("riverside", cursor=base64.urlsafe_b64encode(hostile).decode())
    with pytest.raises(NotFoundError, match="no such quarantined record"):  # a path names a thing, or nothing
        service.raw("riverside", base64.urlsafe_b64encode(b'["just", "two"]').decode())
    with pytest.raises(ValidationError, match="field 'limit': must be from 1 to 200"):
        service.page("riverside", limit=201)
    with pytest.raises(ValidationError, match="field 'limit': must be from 1 to 50 with raw bytes"):
        service.page("riverside", limit=51, include_raw=True)


def test_a_page_with_raw_bytes_ends_early_past_its_byte_budget(
    service: MemberQuarantine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(quarantine_module, "RAW_PAGE_BYTES", 20)  # each raw record is 12 bytes
    page = service.page("riverside", limit=5, include_raw=True)
    assert len(page.items) == 2 and page.next_cursor == page.items[-1].item_id
    rest = service.page("riverside", cursor=page.next_cursor, limit=50)
    assert rest.items[0].position == "cat.mrc#2"


def test_raw_bytes_the_archive_lost(service: MemberQuarantine) -> None:
    service.archive = InMemoryBlobStore()
    item = service.page("riverside", limit=1, include_raw=True).items[0]
    assert item.raw_base64 is None
    with pytest.raises(NotFoundError, match="no raw record with digest"):
        service.raw("riverside", item.item_id)
