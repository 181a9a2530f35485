"""The push feature's port: the :class:`Mailer` that hands a digest over for delivery, and its error.

Adapters: :class:`~consortium.adapters.local.smtp_mailer.SmtpMailer` (any SMTP server; aiosmtpd in the tests),
:class:`~consortium.adapters.aws.ses_mailer.SesMailer` (Amazon SES v2) and
:class:`~consortium.adapters.memory.outbox.InMemoryOutbox`; one contract suite, ``tests/contract/test_mailer.py``.
A mailer never logs an address or a message's content (personal data): at most the ``Message-ID``, which names
only the digest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from consortium.errors import ConsortiumError

if TYPE_CHECKING:
    from email.message import EmailMessage

__all__ = ["DeliveryError", "Mailer"]


class DeliveryError(ConsortiumError):
    """A mailer could not hand a message over.

    ``retryable`` is True for a temporary failure (an SMTP 4xx reply, a refused or dropped connection, SES
    throttling): sending the same message later may succeed. It is False for a permanent one (an SMTP 5xx reply,
    SES ``MessageRejected`` or an unverified sender): the message or the configuration must change first. The
    message and details never hold an address or the message's content.
    """

    def __init__(self, message: str, *, retryable: bool, **details: object) -> None:
        super().__init__(message, **details)
        self.retryable = retryable


class Mailer(Protocol):
    """Sends one email to one recipient.

    Example
    -------
    >>> message = email_message(digest, links, "push@riverside.example", "Riverside University Library")
    >>> mailer.send(message, "reader@example.org")  # doctest: +SKIP
    """

    def send(self, message: EmailMessage, recipient: str) -> None:
        """Hand ``message`` over for delivery to ``recipient`` (the envelope recipient; the message's own
        headers name no recipient). :class:`DeliveryError` when it cannot, with ``retryable`` set."""
        ...
