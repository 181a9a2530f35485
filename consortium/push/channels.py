"""What every :class:`~consortium.push.ports.Mailer` reads off a message: its sender and its ``Message-ID``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from consortium.push.ports import DeliveryError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from email.headerregistry import Address
    from email.message import EmailMessage

__all__ = ["message_id_of", "sender_of"]


def sender_of(message: EmailMessage) -> str:
    """The address (``push@riverside.example``) of the message's ``From`` header; :class:`DeliveryError`
    (not retryable) when it has none."""
    header = message["From"]
    addresses: Sequence[Address] = getattr(header, "addresses", ())
    if len(addresses) != 1 or not addresses[0].addr_spec or "@" not in addresses[0].addr_spec:
        raise DeliveryError(
            "the message needs exactly one From address", retryable=False, message_id=message_id_of(message)
        )
    return addresses[0].addr_spec


def message_id_of(message: EmailMessage) -> str | None:
    """The message's ``Message-ID`` (it names the digest, not the reader: safe to log), if it has one."""
    value = message["Message-ID"]
    return str(value) if value is not None else None
