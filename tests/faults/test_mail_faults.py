"""Mail faults in a push run against a real SMTP server (aiosmtpd on 127.0.0.1): the server going down mid-run,
and one reader's bad address. What was not delivered is never recorded as sent, and the others are delivered."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from factories import make_cluster
from fault_table import Outcome, record
from mail_peers import Recorder

from consortium.adapters.memory.clock import ManualClock
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.adapters.memory.consent import InMemoryConsentLedger
from consortium.adapters.memory.keys import InMemoryKeyService
from consortium.adapters.memory.profiles import InMemoryProfileStore
from consortium.dedup.state import ClusterChange
from consortium.profiles.consent import Purpose, load_consent_policy
from consortium.profiles.crypto import EnvelopeCipher
from consortium.profiles.models import Actor, ActorRole
from consortium.profiles.service import ProfileService
from consortium.push.models import Channel, ServiceId
from consortium.push.service import PushService

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.adapters.local.smtp_mailer import SmtpMailer

POLICY = load_consent_policy(Path(__file__).resolve().parents[2] / "policies" / "consent.toml")
T0 = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
WEEK = dt.timedelta(days=7)
READERS = 6


class GoesDown(Recorder):
    """Accepts ``accept`` messages, then answers every DATA as a server shutting down does (421)."""

    def __init__(self, accept: int) -> None:
        super().__init__()
        self.accept = accept

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if len(self.received) >= self.accept:
            return "421 4.3.2 Service shutting down"
        return await super().handle_DATA(server, session, envelope)


def _hub(mailer: SmtpMailer) -> tuple[ProfileService, PushService, ManualClock]:
    keys, clusters, clock = InMemoryKeyService(), InMemoryClusterStore(), ManualClock(T0)
    profiles = ProfileService(
        InMemoryProfileStore(), EnvelopeCipher(keys), InMemoryConsentLedger(), POLICY, clock, keys=keys
    )
    push = PushService(profiles, clusters, mailer=mailer, public_url="https://hub.example", clock=clock)
    new = T0 + dt.timedelta(days=3)
    clusters.apply(ClusterChange(saved=[make_cluster("rust", "Programming in Rust", classes=("clc:TP312",),
                                                     first_seen=new, updated_at=new)]))  # fmt: skip
    for number in range(READERS):
        reader_id = f"r{number}"
        actor = Actor(actor_id=reader_id, role=ActorRole.READER)
        profiles.create_reader(reader_id, "riverside", [Purpose.PUSH])
        profiles.declare_interest(reader_id, "class:clc:TP312", actor)
        push.subscribe(reader_id, ServiceId.NEW_IN_CLASS, Channel.EMAIL, actor=actor, email=f"{reader_id}@example.org")
    return profiles, push, clock


def _sent(push: PushService) -> int:
    return sum(len(push.history(f"r{n}", Actor(actor_id=f"r{n}", role=ActorRole.READER))) for n in range(READERS))


def test_the_mail_server_going_down_mid_run_loses_nothing(smtp_server: Callable[[Recorder], SmtpMailer]) -> None:
    handler = GoesDown(accept=2)
    _, push, clock = _hub(smtp_server(handler))
    clock.now = T0 + WEEK

    report = push.run()

    assert len(handler.received) == 2 and report.delivered == {"email": 2} and report.retry_later == READERS - 2
    assert _sent(push) == 2  # only what the server took is recorded as sent
    handler.accept = READERS  # the server is back
    clock.advance(dt.timedelta(hours=1))
    again = push.run()
    assert again.delivered == {"email": READERS - 2} and len(handler.received) == READERS
    assert _sent(push) == READERS
    record(
        Outcome("mail server down after 2 of 6 digests", READERS, READERS, 0, 0, "4 retried next run, none sent twice")
    )


def test_one_bad_address_fails_alone(smtp_server: Callable[[Recorder], SmtpMailer]) -> None:
    handler = Recorder()
    profiles, push, clock = _hub(smtp_server(handler))
    actor = Actor(actor_id="r0", role=ActorRole.READER)
    [subscription] = push.subscriptions("r0", actor)
    stored = subscription.model_dump(mode="json") | {"email": "r0@example.org\r\nBcc: everyone@example.org"}
    profiles.vault.write("r0", "subscription", {"new_in_class": stored}, actor, Purpose.PUSH)  # saved before checks
    clock.now = T0 + WEEK

    report = push.run()

    assert sorted(rcpt for _, [rcpt], _ in handler.received) == [f"r{n}@example.org" for n in range(1, READERS)]
    assert report.failed == 1 and _sent(push) == READERS - 1
    assert all(b"everyone@example.org" not in data for _, _, data in handler.received)
    outcome = "its digest failed alone, not recorded as sent; 5 delivered"
    record(Outcome("a stored address with CR/LF (1 of 6 readers)", READERS, READERS - 1, 0, 1, outcome))
