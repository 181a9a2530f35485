"""The in-memory :class:`~consortium.push.ports.Mailer`: an outbox that keeps what it is handed, for unit tests
and for dry runs; ``fail`` makes it refuse, as a real server would."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from consortium.push.channels import message_id_of, sender_of

if TYPE_CHECKING:
    from email.message import EmailMessage

    from consortium.push.ports import DeliveryError

__all__ = ["InMemoryOutbox"]


@dataclass
class InMemoryOutbox:
    """Keeps every message handed over, with its envelope recipient, in order.

    Like the SMTP and SES mailers it refuses a message without exactly one From address (not retryable), and it
    keeps the bytes a server would receive (:meth:`wire`), not only the message object.

    Example
    -------
    >>> outbox = InMemoryOutbox()
    >>> outbox.send(message, "reader@example.org")
    >>> [recipient for recipient, _ in outbox.sent]
    ['reader@example.org']
    >>> outbox.fail = DeliveryError("421 try later", retryable=True)  # the next sends are refused
    """

    sent: list[tuple[str, EmailMessage]] = field(default_factory=list)
    """``(recipient, message)`` for every message accepted."""
    fail: DeliveryError | None = None
    """When set, every send raises it (and keeps nothing)."""

    def send(self, message: EmailMessage, recipient: str) -> None:
        if self.fail is not None:
            raise self.fail
        sender_of(message)
        self.sent.append((recipient, message))

    def wire(self) -> list[tuple[str, str, bytes]]:
        """``(sender, recipient, bytes)`` of every message accepted, as it would go over the wire."""
        return [(sender_of(m), recipient, m.as_bytes()) for recipient, m in self.sent]

    def message_ids(self) -> list[str | None]:
        """The ``Message-ID`` of every message accepted (digest ids, no personal data)."""
        return [message_id_of(m) for _, m in self.sent]
