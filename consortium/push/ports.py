"""The push feature's ports: the :class:`Mailer` that hands a digest over for delivery (and its error), and the
:class:`EvidenceStore` that keeps the ranking evidence the scheduler rebuilds.

Adapters: :class:`~consortium.adapters.local.smtp_mailer.SmtpMailer` (any SMTP server; aiosmtpd in the tests),
:class:`~consortium.adapters.aws.ses_mailer.SesMailer` (Amazon SES v2) and
:class:`~consortium.adapters.memory.outbox.InMemoryOutbox`; one contract suite, ``tests/contract/test_mailer.py``.
A mailer never logs an address or a message's content (personal data): at most the ``Message-ID``, which names
only the digest.

Evidence stores: :class:`~consortium.adapters.local.evidence_file.FileEvidenceStore` (a file in the data folder),
:class:`~consortium.adapters.aws.s3_evidence.S3EvidenceStore` (one S3 object) and
:class:`~consortium.adapters.memory.evidence.InMemoryEvidenceStore`; one contract suite,
``tests/contract/test_evidence_store.py``. What they keep is counts only (:mod:`consortium.push.evidence_store`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from consortium.errors import ConsortiumError

if TYPE_CHECKING:
    from email.message import EmailMessage

__all__ = ["DeliveryError", "EvidenceStore", "Mailer", "StoredBlob"]


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


@dataclass(frozen=True)
class StoredBlob:
    """What an :class:`EvidenceStore` holds: the bytes and their version (changes with every write)."""

    data: bytes
    version: str


class EvidenceStore(Protocol):
    """One document, replaced whole: the ranking evidence (JSON, counts only) the scheduled job writes and push
    runs read.

    Example
    -------
    >>> store.put(b'{"format": 1}')
    >>> store.get().data
    b'{"format": 1}'
    >>> store.version() == store.get().version
    True
    """

    def put(self, data: bytes) -> None:
        """Replace the document with ``data`` (atomically: a reader sees the old bytes or the new, never part);
        :class:`~consortium.errors.StorageError` when it cannot."""
        ...

    def get(self) -> StoredBlob | None:
        """The document and its version, or ``None`` when none was written yet;
        :class:`~consortium.errors.StorageError` when it cannot be read."""
        ...

    def version(self) -> str | None:
        """The version of the document now (cheaper than :meth:`get`: no body is read), or ``None`` when there is
        none; :class:`~consortium.errors.StorageError` when it cannot be asked."""
        ...
