"""Inter-library loan through the cooperation API: a reader asks for a work their library lacks, the request goes
to a member that lends to the reader's library and holds a copy known available, else one of unknown status (as
harvested records mostly give: its staff check the shelf and accept or refuse; asked again after a refusal, it goes
to the next holder), never a copy known on loan; staff of both libraries move it step
by step, the reader is told at each (inbox, and email through a real SMTP server on 127.0.0.1), each step is in
the request's history and the reader's audit, and each member sees its balance."""

from __future__ import annotations

import email
import email.policy
import socket
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

import pytest
from aiosmtpd.controller import Controller
from factories import make_cluster
from function_apps import Api, serve
from marc_builders import book
from pymarc import Field, Indicators, Subfield

from consortium.dedup.state import ClusterChange
from consortium.harvest.service import import_source
from consortium.members import SourceFormat
from consortium.models import Availability, Holding
from consortium.profiles.consent import Purpose
from consortium.profiles.models import Actor, ActorRole
from consortium.push.models import Channel, ServiceId

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

REGISTRY = """
[[members]]
id = "riverside"
name = "Riverside University Library"

[[members]]
id = "lakeside"
name = "Lakeside Public Library"
[members.sharing]
lend_to_members = ["riverside"]

[[members]]
id = "eastlake"
name = "Eastlake University Library"

[[members]]
id = "westfield"
name = "Westfield College Library"
"""


class Mailbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class Hub:
    def __init__(self, loans: Api, push: Api, mailbox: Mailbox) -> None:
        self.loans = loans
        self.push = push
        self.mailbox = mailbox
        self.alice = loans.as_reader("alice", member="riverside")
        self.wendy = loans.as_reader("wendy", member="westfield")
        self.riverside = loans.as_staff("desk", "riverside")
        self.lakeside = loans.as_staff("desk", "lakeside")
        self.eastlake = loans.as_staff("desk", "eastlake")
        self.westfield = loans.as_staff("desk", "westfield")

    def step(self, staff: Api, member: str, request_id: str, state: str, note: str | None = None) -> dict[str, Any]:
        status, moved = staff.call("post", f"/members/{member}/ill/{request_id}", {"state": state, "note": note})
        assert status == 200, moved
        return dict(moved)


def holding(member: str, availability: Availability) -> Holding:
    return Holding(member=member, location=f"{member} stacks", call_number="I222/1", availability=availability)


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CONSORTIUM_MEMBERS_FILE", str(tmp_path / "members.toml"))
    monkeypatch.setenv("CONSORTIUM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CONSORTIUM_SMTP_PORT", str(port))
    try:
        with serve("cooperation", Api) as loans, serve("push", Api) as push:
            container = loans.module.container()
            works = [
                make_cluster("poems", "唐诗三百首", ["lakeside", "eastlake"], holdings=[
                    holding("lakeside", Availability.AVAILABLE), holding("eastlake", Availability.ON_LOAN)]),
                make_cluster("atlas", "River atlas", ["riverside", "eastlake"], holdings=[
                    holding("riverside", Availability.AVAILABLE), holding("eastlake", Availability.AVAILABLE)]),
                make_cluster("lost", "A lost book", ["eastlake"], holdings=[
                    holding("eastlake", Availability.UNAVAILABLE)]),
                make_cluster("harvested", "Harvested with no shelf status", ["eastlake", "westfield"], holdings=[
                    holding("westfield", Availability.UNKNOWN), holding("eastlake", Availability.UNKNOWN)]),
                make_cluster("mixed", "One known, one not", ["eastlake", "westfield"], holdings=[
                    holding("eastlake", Availability.UNKNOWN), holding("westfield", Availability.AVAILABLE)]),
            ]  # fmt: skip
            container.cluster_store.apply(ClusterChange(saved=works))
            staff = Actor(actor_id="riverside/desk", role=ActorRole.MEMBER_STAFF)
            for reader_id, member in (("alice", "riverside"), ("wendy", "westfield")):
                container.profiles.create_reader(
                    reader_id, member, [Purpose.PERSONALIZATION, Purpose.PUSH], actor=staff
                )
            alice = Actor(actor_id="alice", role=ActorRole.READER)
            container.push.subscribe(
                "alice", ServiceId.NEW_IN_CLASS, Channel.EMAIL, actor=alice, email="alice@example.org"
            )
            yield Hub(loans, push, mailbox)
    finally:
        controller.stop()


def test_a_loan_moves_from_request_to_return_and_the_reader_is_told_each_step(hub: Hub) -> None:
    status, made = hub.alice.call("post", "/readers/alice/ill", {"cluster_id": "poems", "note": "chapter 3 will do"})
    assert status == 201, made
    assert made["lender"] == "lakeside" and made["state"] == "requested"  # eastlake's copy is on loan
    assert made["call_number"] == "I222/1" and made["borrower"] == "riverside"
    request_id = made["request_id"]

    hub.step(hub.lakeside, "lakeside", request_id, "accepted", "posting on Monday")
    hub.step(hub.lakeside, "lakeside", request_id, "shipped")
    hub.step(hub.riverside, "riverside", request_id, "received", "at the loans desk")
    done = hub.step(hub.lakeside, "lakeside", request_id, "returned")
    assert done["state"] == "returned" and done["version"] == 5
    assert [(s["state"], s["actor_id"]) for s in done["history"]] == [
        ("requested", "reader"),  # the lending library does not learn who asked
        ("accepted", "lakeside/desk"),
        ("shipped", "lakeside/desk"),
        ("received", "riverside/desk"),
        ("returned", "lakeside/desk"),
    ]
    assert done["reader_id"] is None
    own = hub.riverside.call("get", f"/members/riverside/ill/{request_id}")[1]
    assert own["reader_id"] == "alice" and own["history"][0]["actor_id"] == "alice"

    mine = hub.alice.call("get", "/readers/alice/ill")[1]["requests"]
    assert [r["state"] for r in mine] == ["returned"]
    inbox = hub.push.as_reader("alice").call("get", "/readers/alice/push/inbox")[1]
    notices = [d["digest"] for d in inbox["digests"] if d["digest"]["service"] == "interlibrary_loan"]
    reasons = [n["items"][0]["reason"] for n in notices]
    assert len(notices) == 5 and any(
        "Lakeside Public Library accepted" in r and "posting on Monday" in r for r in reasons
    )
    assert any("you may collect it" in r and "at the loans desk" in r for r in reasons)
    assert all(n["items"][0]["reason_zh"] for n in notices)
    mailed = [message for recipients, message in hub.mailbox.messages if recipients == ["alice@example.org"]]
    assert len(mailed) == 5 and "唐诗三百首" in str(mailed[0]["Subject"])
    assert any("you may collect it" in m.get_content() and "请前往领取" in m.get_content() for m in mailed)

    with serve("profile", Api) as profile:
        exported = profile.as_reader("alice").call("get", "/readers/alice/export")[1]
    assert {"lakeside/desk", "riverside/desk"} <= {entry["actor_id"] for entry in exported["audit"]}
    [kept] = exported["loan_requests"]  # the reader's own requests are theirs to download, with every step
    assert kept["request_id"] == request_id and kept["reader_id"] == "alice" and len(kept["history"]) == 5
    assert "inter-library loan" in exported["about"]["en"]["loan_requests"] and exported["about"]["zh"]["loan_requests"]


def test_a_step_is_taken_by_the_right_library_in_the_right_order(hub: Hub) -> None:
    request_id = hub.alice.call("post", "/readers/alice/ill", {"cluster_id": "poems"})[1]["request_id"]
    status, error = hub.riverside.call("post", f"/members/riverside/ill/{request_id}", {"state": "accepted"})
    assert status == 403 and "lakeside" in error["Message"]
    status, error = hub.lakeside.call("post", f"/members/lakeside/ill/{request_id}", {"state": "shipped"})
    assert status == 409 and "accepted, cancelled, refused" in error["Message"]
    assert hub.eastlake.call("post", f"/members/eastlake/ill/{request_id}", {"state": "accepted"})[0] == 404
    assert hub.eastlake.call("get", f"/members/eastlake/ill/{request_id}")[0] == 404
    key = hub.loans.as_library("lakeside")
    assert key.call("post", f"/members/lakeside/ill/{request_id}", {"state": "accepted"})[0] == 401  # staff only
    assert key.call("get", f"/members/lakeside/ill/{request_id}")[0] == 200
    refused = hub.step(hub.lakeside, "lakeside", request_id, "refused", "the copy is damaged")
    assert refused["state"] == "refused"
    assert hub.lakeside.call("post", f"/members/lakeside/ill/{request_id}", {"state": "accepted"})[0] == 409
    status, error = hub.alice.call("post", "/readers/alice/ill", {"cluster_id": "poems"})
    assert status == 409 and "lakeside refused your earlier request" in error["Message"]  # no one else may lend it
    asked = {"cluster_id": "poems", "lender": "lakeside"}
    status, again = hub.alice.call("post", "/readers/alice/ill", asked)  # closed: may ask it again by name
    assert status == 201
    assert hub.alice.call("post", "/readers/alice/ill", asked)[0] == 409  # one open at a time
    status, cancelled = hub.alice.call("post", f"/readers/alice/ill/{again['request_id']}/cancel")
    assert status == 200 and cancelled["state"] == "cancelled"


def test_lend_to_members_limits_who_may_ask(hub: Hub) -> None:
    status, error = hub.wendy.call("post", "/readers/wendy/ill", {"cluster_id": "poems"})
    assert status == 409 and "no member may lend" in error["Message"]  # lakeside lends only to riverside
    status, error = hub.wendy.call("post", "/readers/wendy/ill", {"cluster_id": "poems", "lender": "lakeside"})
    assert status == 400 and "lakeside" in error["Message"] and "riverside" in error["Message"]
    assert hub.alice.call("post", "/readers/alice/ill", {"cluster_id": "poems"})[0] == 201

    with serve("members", Api) as members:
        status, _ = members.as_staff("desk", "lakeside").call(
            "put", "/members/lakeside/sharing", {"lend_to_members": []}
        )
        assert status == 200
    status, made = hub.wendy.call("post", "/readers/wendy/ill", {"cluster_id": "poems"})  # from the next request
    assert status == 201 and made["lender"] == "lakeside"


def test_a_reader_asks_only_for_what_their_library_lacks_and_someone_can_lend(hub: Hub) -> None:
    status, error = hub.alice.call("post", "/readers/alice/ill", {"cluster_id": "atlas"})
    assert status == 400 and "your library" in error["Message"]
    assert hub.alice.call("post", "/readers/alice/ill", {"cluster_id": "lost"})[0] == 409  # no copy available
    assert hub.alice.call("post", "/readers/alice/ill", {"cluster_id": "nothing"})[0] == 404
    assert hub.alice.call("post", "/readers/bob/ill", {"cluster_id": "poems"})[0] == 403
    assert hub.loans.as_anonymous().call("post", "/readers/alice/ill", {"cluster_id": "poems"})[0] == 401


def test_each_member_sees_its_lending_and_borrowing_balance(hub: Hub) -> None:
    first = hub.alice.call("post", "/readers/alice/ill", {"cluster_id": "poems"})[1]["request_id"]
    hub.step(hub.lakeside, "lakeside", first, "accepted")
    hub.step(hub.lakeside, "lakeside", first, "shipped")
    lakeside = hub.lakeside.call("get", "/members/lakeside/ill-balance")[1]
    assert lakeside["lending"] == {"shipped": 1} and lakeside["lent"] == 1 and lakeside["balance"] == 1
    riverside = hub.riverside.call("get", "/members/riverside/ill-balance")[1]
    assert riverside["borrowing"] == {"shipped": 1} and riverside["borrowed"] == 1 and riverside["balance"] == -1
    listed = hub.lakeside.call("get", "/members/lakeside/ill?side=lending&state=shipped")[1]["requests"]
    assert [r["request_id"] for r in listed] == [first] and listed[0]["reader_id"] is None
    assert hub.lakeside.call("get", "/members/lakeside/ill?side=borrowing")[1]["requests"] == []
    assert hub.lakeside.call("get", "/members/riverside/ill-balance")[0] == 403


def test_an_erased_reader_is_no_longer_named_in_the_libraries_loan_records(hub: Hub) -> None:
    request_id = hub.alice.call("post", "/readers/alice/ill", {"cluster_id": "poems"})[1]["request_id"]
    with serve("profile", Api) as profile:
        assert profile.as_reader("alice").call("delete", "/readers/alice")[0] == 204
    kept = hub.riverside.call("get", f"/members/riverside/ill/{request_id}")[1]
    assert kept["state"] == "requested" and kept["reader_id"] != "alice"
    assert "alice" not in str(kept)


def test_a_copy_of_unknown_status_is_asked_the_lender_checks_and_a_refusal_sends_the_next_request_on(hub: Hub) -> None:
    status, made = hub.alice.call("post", "/readers/alice/ill", {"cluster_id": "harvested"})
    assert status == 201, made
    assert made["lender"] == "eastlake" and made["availability"] == "unknown"
    queue = hub.eastlake.call("get", "/members/eastlake/ill?side=lending&state=requested")[1]["requests"]
    assert [(r["request_id"], r["availability"]) for r in queue] == [(made["request_id"], "unknown")]
    hub.step(hub.eastlake, "eastlake", made["request_id"], "refused", "not on the shelf")

    status, again = hub.alice.call("post", "/readers/alice/ill", {"cluster_id": "harvested"})
    assert status == 201 and again["lender"] == "westfield"  # eastlake refused: the next holder
    hub.step(hub.westfield, "westfield", again["request_id"], "refused")
    status, error = hub.alice.call("post", "/readers/alice/ill", {"cluster_id": "harvested"})
    assert status == 409 and "eastlake, westfield refused" in error["Message"] and "'lender'" in error["Message"]
    status, named = hub.alice.call("post", "/readers/alice/ill", {"cluster_id": "harvested", "lender": "eastlake"})
    assert status == 201 and named["lender"] == "eastlake"

    inbox = hub.push.as_reader("alice").call("get", "/readers/alice/push/inbox")[1]
    reasons = [d["digest"]["items"][0] for d in inbox["digests"] if d["digest"]["service"] == "interlibrary_loan"]
    assert any(
        "went to Eastlake University Library" in r["reason"]
        and "will check whether its copy is on the shelf" in r["reason"]
        and "核查" in r["reason_zh"]
        for r in reasons
    )
    assert any("cannot lend it. You may ask again" in r["reason"] for r in reasons)


def test_a_copy_known_available_is_asked_before_one_of_unknown_status(hub: Hub) -> None:
    status, made = hub.alice.call("post", "/readers/alice/ill", {"cluster_id": "mixed"})
    assert status == 201 and made["lender"] == "westfield" and made["availability"] == "available"
    status, named = hub.wendy.call("post", "/readers/wendy/ill", {"cluster_id": "harvested", "lender": "eastlake"})
    assert status == 201 and named["availability"] == "unknown"  # a named lender with only an unknown copy


def test_a_copy_known_on_loan_is_never_asked(hub: Hub) -> None:
    status, error = hub.alice.call("post", "/readers/alice/ill", {"cluster_id": "poems", "lender": "eastlake"})
    assert status == 400 and "field 'lender'" in error["Message"] and "on_loan" in error["Message"]
    status, error = hub.wendy.call("post", "/readers/wendy/ill", {"cluster_id": "poems"})
    assert status == 409  # lakeside does not lend to westfield, eastlake's copy is on loan


def test_on_harvested_records_the_request_goes_to_a_copy_whose_status_is_not_known(hub: Hub, tmp_path: Path) -> None:
    """Three members' catalogues as their systems export them: lakeside's Koha item is checked out (952 $q),
    westfield's Alma availability says unavailable (AVA $e), eastlake's 852 gives no status."""

    def exported(member: str, tag: str, *pairs: str) -> None:
        record = book(f"{member}-1", "Concrete mathematics", isbn="9780201558029")
        subfields = [Subfield(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]
        record.add_field(Field(tag=tag, indicators=Indicators(" ", " "), subfields=subfields))
        path = tmp_path / f"{member}.mrc"
        path.write_bytes(record.as_marc())
        container = hub.loans.module.container()
        report = container.harvester.harvest_source(
            container.registry.get(member), import_source(path, SourceFormat.MARC21)
        )
        assert report.complete and report.counts.added == 1

    exported("lakeside", "952", "a", "CENTRAL", "o", "QA39.2 .G733", "7", "0", "q", "2026-12-24")
    exported("westfield", "AVA", "b", "MAIN", "c", "Stacks", "d", "QA39.2 .G733", "e", "unavailable")
    exported("eastlake", "852", "b", "Main stacks", "h", "QA39.2 .G733")
    clusters = hub.loans.module.container().cluster_store.clusters()
    work = next(c for c in clusters if c.title.startswith("Concrete mathematics"))
    assert sorted((h.member, h.availability.value) for h in work.holdings) == [
        ("eastlake", "unknown"),
        ("lakeside", "on_loan"),
        ("westfield", "unavailable"),
    ]

    status, made = hub.alice.call("post", "/readers/alice/ill", {"cluster_id": work.cluster_id})
    assert status == 201, made
    assert (made["lender"], made["availability"], made["location"]) == ("eastlake", "unknown", "Main stacks")
    hub.step(hub.eastlake, "eastlake", made["request_id"], "refused", "not on the shelf")
    status, error = hub.alice.call("post", "/readers/alice/ill", {"cluster_id": work.cluster_id})
    assert status == 409 and "eastlake refused your earlier request" in error["Message"]
