"""The Mailer contract: the in-memory outbox, SMTP (aiosmtpd on 127.0.0.1) and SES (moto's server) hand over the
same bytes to the same recipient, refuse a message without a sender, and never name an address in an error."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import TYPE_CHECKING, Any

import pytest
from mail_peers import RECIPIENT, UNSUBSCRIBE, Recorder, make_message, raw_messages_sent, verified_sender

from consortium.adapters.memory.outbox import InMemoryOutbox
from consortium.push.ports import DeliveryError

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.adapters.local.smtp_mailer import SmtpMailer
    from consortium.push.ports import Mailer


@dataclass
class Backend:
    """A mailer under test, the sender it may use, and how to read what reached the other side."""

    mailer: Mailer
    sender: str
    received: Callable[[], list[tuple[str, list[str], bytes]]]
    """``(envelope sender, envelope recipients, message bytes)`` of what arrived."""


def _memory() -> Backend:
    outbox = InMemoryOutbox()
    return Backend(outbox, "push@riverside.example", lambda: [(s, [r], b) for s, r, b in outbox.wire()])


def _smtp(start: Callable[[Recorder], SmtpMailer]) -> Backend:
    handler = Recorder()
    return Backend(start(handler), "push@riverside.example", lambda: handler.received)


def _ses(moto_server: str, aws_client: Callable[[str], Any]) -> Backend:
    from consortium.adapters.aws.ses_mailer import SesMailer

    sender = verified_sender(aws_client)

    def received() -> list[tuple[str, list[str], bytes]]:
        return [
            (m["source"], m["destinations"], m["raw_data"].encode())
            for m in raw_messages_sent(moto_server)
            if m["source"] == sender
        ]

    return Backend(SesMailer(aws_client("sesv2")), sender, received)


@pytest.fixture(params=["memory", "smtp", "ses"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "memory":
        return _memory()
    if request.param == "smtp":
        return _smtp(request.getfixturevalue("smtp_server"))
    return _ses(request.getfixturevalue("moto_server"), request.getfixturevalue("aws_client"))


def test_the_message_reaches_the_recipient_as_rendered(backend: Backend) -> None:
    digest_id = uuid.uuid4().hex[:16]
    backend.mailer.send(make_message(backend.sender, digest_id), RECIPIENT)

    [(sender, recipients, data)] = backend.received()
    assert sender == backend.sender and recipients == [RECIPIENT]
    message = message_from_bytes(data, policy=default)
    assert isinstance(message, EmailMessage)
    assert message["Message-ID"] == f"<digest.{digest_id}@{backend.sender.partition('@')[2]}>"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",))
    assert text is not None and "三体" in text.get_content()


def _raw_header(data: bytes, name: bytes) -> bytes:
    """The header ``name`` exactly as it is on the wire: its value and any folded continuation lines."""
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    for number, line in enumerate(lines):
        if line.lower().startswith(name.lower() + b":"):
            value = [line[len(name) + 1 :]]
            for more in lines[number + 1 :]:
                if more[:1] not in (b" ", b"\t"):
                    break
                value.append(more)
            return b"\n".join(value)
    raise AssertionError(f"no {name!r} header")


def test_the_one_click_unsubscribe_link_is_plain_on_the_wire(backend: Backend) -> None:
    """Mail clients read ``List-Unsubscribe`` raw (RFC 2369, RFC 8058): the link in angle brackets, on one line,
    never an RFC 2047 encoded word, however long it is."""
    assert len(UNSUBSCRIBE.rpartition(".")[2]) == 43
    backend.mailer.send(make_message(backend.sender, uuid.uuid4().hex[:16]), RECIPIENT)

    [(_, _, data)] = backend.received()
    assert _raw_header(data, b"List-Unsubscribe") == f" <{UNSUBSCRIBE}>".encode()
    assert _raw_header(data, b"List-Unsubscribe-Post") == b" List-Unsubscribe=One-Click"


def test_each_send_is_one_message(backend: Backend) -> None:
    backend.mailer.send(make_message(backend.sender, uuid.uuid4().hex[:16]), RECIPIENT)
    backend.mailer.send(make_message(backend.sender, uuid.uuid4().hex[:16]), "other.reader@example.org")
    assert sorted(recipients[0] for _, recipients, _ in backend.received()) == [
        "other.reader@example.org",
        RECIPIENT,
    ]


def test_a_message_without_a_sender_is_refused_for_good(backend: Backend) -> None:
    message = make_message(backend.sender)
    del message["From"]
    with pytest.raises(DeliveryError) as caught:
        backend.mailer.send(message, RECIPIENT)
    assert caught.value.retryable is False
    assert RECIPIENT not in str(caught.value) and RECIPIENT not in repr(caught.value.details)
    assert backend.received() == []
