"""Mail peers for the mailer tests: an aiosmtpd server on 127.0.0.1, moto's SES, and a sample digest message."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from consortium.push.models import Channel, Digest, DigestItem, ServiceId
from consortium.push.render import DigestLinks, email_message

T0 = datetime(2025, 3, 8, 6, 0, tzinfo=UTC)
UNSUBSCRIBE = (
    "https://hub.riverside-consortium.example/push/unsubscribe/"
    "cmVhZGVyLTIwMjYtMDAwNDI.Zk3q9Xw1tR7mB2yLc8HvN0sPaD4gUe6jK5oQiWzAbYx"
)
"""A one-click unsubscribe link as the hub makes them: the reader's id and a 43-character secret (32 bytes)."""
LINKS = DigestLinks(UNSUBSCRIBE, None, "https://portal.example/works/{cluster_id}")
SENDER = "push@riverside.example"
RECIPIENT = "reader@example.org"


def make_digest(digest_id: str = "d0001") -> Digest:
    items = [
        DigestItem(cluster_id="c1", title="Dune", authors=["Herbert, Frank"], year=1965, members=["riverside"],
                   at_home=True, score=1.0, reason="you follow clc:I712"),
        DigestItem(cluster_id="c2", title="三体", authors=["刘慈欣"], year=2008, members=["eastlake"], score=0.8,
                   reason="because you borrowed 球状闪电"),
    ]  # fmt: skip
    return Digest(
        digest_id=digest_id,
        reader_id="reader-1",
        member="riverside",
        service=ServiceId.NEW_IN_CLASS,
        channel=Channel.EMAIL,
        email=RECIPIENT,
        window_start=T0 - timedelta(days=7),
        window_end=T0,
        items=items,
    )


def make_message(sender: str = SENDER, digest_id: str = "d0001") -> EmailMessage:
    return email_message(make_digest(digest_id), LINKS, sender, "Riverside University Library")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (just now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Recorder:
    """An aiosmtpd handler that keeps what it receives; it answers DATA or RCPT with ``reply`` when given."""

    def __init__(self, data_reply: str | None = None, rcpt_reply: str | None = None) -> None:
        self.data_reply = data_reply
        self.rcpt_reply = rcpt_reply
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt_reply is not None:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply is not None:
            return self.data_reply
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted for delivery"


def verified_sender(aws_client: Callable[[str], Any]) -> str:
    """A sender at a fresh domain, verified as an SES identity (moto's state lasts the whole session)."""
    domain = f"lib-{uuid.uuid4().hex[:8]}.example"
    aws_client("sesv2").create_email_identity(EmailIdentity=domain)
    return f"push@{domain}"


def raw_messages_sent(moto_server: str) -> list[dict[str, Any]]:
    """What moto's SES recorded. The server runs in this process (``ThreadedMotoServer``), so its backend is read
    directly: ``/moto-api/data.json`` fails whenever any other service holds state it cannot serialize."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import RawMessage, ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]  # the region the aws_client fixture uses
    return [
        {"source": m.source, "destinations": list(m.destinations), "raw_data": m.raw_data}
        for m in backend.sent_messages
        if isinstance(m, RawMessage)
    ]
