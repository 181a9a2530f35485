"""A :class:`~consortium.push.ports.Mailer` on Amazon SES (the v2 API's ``SendEmail`` with raw content)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
)

from consortium.push.channels import message_id_of, sender_of
from consortium.push.ports import DeliveryError

if TYPE_CHECKING:
    from email.message import EmailMessage

__all__ = ["SesMailer"]

log = logging.getLogger(__name__)

_TEMPORARY = frozenset(
    {
        "TooManyRequestsException",
        "Throttling",
        "ThrottlingException",
        "SendingPausedException",
        "InternalFailure",
        "ServiceUnavailable",
        "RequestTimeout",
    }
)
"""Error codes after which the same call may succeed later (throttling, sending paused, a fault of SES)."""
_CONFIGURATION = (NoCredentialsError, NoRegionError, ParamValidationError)
"""Client-side failures that no retry mends."""


class SesMailer:
    """Sends each message with SES v2 ``SendEmail`` as raw MIME (``Content={"Raw": {"Data": ...}}``), so the
    one-click unsubscribe headers and both alternatives reach the reader as rendered.

    Errors map to :class:`~consortium.push.ports.DeliveryError`: throttling (``TooManyRequestsException``),
    ``SendingPausedException``, 5xx and connection failures are ``retryable``; ``MessageRejected`` (an unverified
    sender among others), ``MailFromDomainNotVerifiedException``, ``AccountSuspendedException`` and other 4xx
    are not. SES may put its own ``Message-ID`` on the wire; the SES message id it returns is logged, never an
    address.

    Parameters
    ----------
    client
        A boto3 ``sesv2`` client; one is made from the default session when omitted.
    configuration_set
        The SES configuration set to send through (event publishing, suppression), if any.

    Example
    -------
    >>> mailer = SesMailer(boto3.client("sesv2"), configuration_set="consortium-push")
    >>> mailer.send(email_message(digest, links, "push@riverside.example", "Riverside"), "reader@example.org")
    """

    def __init__(self, client: Any = None, configuration_set: str | None = None) -> None:
        self._client: Any = client if client is not None else boto3.client("sesv2")
        self.configuration_set = configuration_set

    def send(self, message: EmailMessage, recipient: str) -> None:
        """Send ``message`` to ``recipient`` from the message's From address (a verified SES identity)."""
        message_id = message_id_of(message)
        request: dict[str, Any] = {
            "FromEmailAddress": sender_of(message),
            "Destination": {"ToAddresses": [recipient]},
            "Content": {"Raw": {"Data": message.as_bytes()}},
        }
        if self.configuration_set is not None:
            request["ConfigurationSetName"] = self.configuration_set
        try:
            response = self._client.send_email(**request)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", "Unknown"))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            retryable = code in _TEMPORARY or status == 429 or status >= 500
            # SES's error text can quote the sender's address: keep only the code.
            raise DeliveryError(
                f"SES {'deferred' if retryable else 'refused'} the message: {code}",
                retryable=retryable,
                ses_code=code,
                http_status=status,
                message_id=message_id,
            ) from exc
        except _CONFIGURATION as exc:
            raise DeliveryError(
                f"cannot call SES: {type(exc).__name__}", retryable=False, message_id=message_id
            ) from exc
        except BotoCoreError as exc:
            raise DeliveryError(
                f"cannot reach SES: {type(exc).__name__}", retryable=True, message_id=message_id
            ) from exc
        log.info("sent message %s by SES as %s", message_id, response.get("MessageId"))
