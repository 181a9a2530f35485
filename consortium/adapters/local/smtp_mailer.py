"""A :class:`~consortium.push.ports.Mailer` that talks SMTP to a mail server (smtplib)."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from typing import TYPE_CHECKING

from consortium.push.channels import message_id_of, sender_of
from consortium.push.ports import DeliveryError

if TYPE_CHECKING:
    from email.message import EmailMessage

__all__ = ["SmtpMailer"]

log = logging.getLogger(__name__)

_ENHANCED_STATUS = re.compile(rb"^([245]\.\d{1,3}\.\d{1,3})\b")


def _enhanced_status(reply: bytes | str) -> str | None:
    """The RFC 3463 status code (``5.1.1``) at the start of a server's reply text, if there is one. The rest of the
    text is not kept: servers often quote the recipient's address in it."""
    text = reply.encode("utf-8", "replace") if isinstance(reply, str) else reply
    match = _ENHANCED_STATUS.match(text.strip())
    return match.group(1).decode("ascii") if match else None


class SmtpMailer:
    """Sends each message in its own SMTP session (a digest run sends few enough that a pool is not worth it).

    Replies map to :class:`~consortium.push.ports.DeliveryError`: a 4xx reply, a refused, dropped or timed-out
    connection are ``retryable``; a 5xx reply, a server without STARTTLS when it is asked for, and a TLS
    certificate that does not verify are not.

    Parameters
    ----------
    host, port
        The mail server.
    starttls
        Upgrade the session with STARTTLS (certificate verified against the system's CAs) before anything else.
    username, password
        Log in with these (after STARTTLS) when given.
    timeout
        Seconds to wait for the server at each step.

    Example
    -------
    >>> mailer = SmtpMailer("127.0.0.1", 8025)
    >>> mailer.send(email_message(digest, links, "push@riverside.example", "Riverside"), "reader@example.org")
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        if (username is None) != (password is None):
            raise ValueError("SmtpMailer needs both username and password, or neither")
        self.host = host
        self.port = port
        self.starttls = starttls
        self.username = username
        self._password = password
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"SmtpMailer({self.host!r}, {self.port}, starttls={self.starttls})"

    def send(self, message: EmailMessage, recipient: str) -> None:
        """Send ``message`` to ``recipient`` (the envelope recipient) from the message's From address."""
        sender = sender_of(message)
        message_id = message_id_of(message)
        where = f"{self.host}:{self.port}"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as session:
                if self.starttls:
                    session.starttls(context=ssl.create_default_context())
                if self.username is not None and self._password is not None:
                    session.login(self.username, self._password)
                session.send_message(message, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            replies = list(exc.recipients.values())
            code = replies[0][0] if replies else 550
            raise self._refused(where, code, replies[0][1] if replies else b"", message_id) from exc
        except smtplib.SMTPResponseException as exc:
            raise self._refused(where, exc.smtp_code, exc.smtp_error, message_id) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(
                f"SMTP server {where} does not support what the mailer needs: {exc}",
                retryable=False,
                message_id=message_id,
            ) from exc
        except smtplib.SMTPException as exc:
            # SMTPServerDisconnected and the like: the session broke off.
            raise DeliveryError(
                f"SMTP session with {where} failed: {type(exc).__name__}", retryable=True, message_id=message_id
            ) from exc
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(
                f"SMTP server {where} has a TLS certificate that does not verify: {exc.verify_message}",
                retryable=False,
                message_id=message_id,
            ) from exc
        except OSError as exc:
            raise DeliveryError(
                f"cannot reach SMTP server {where}: {type(exc).__name__}: {exc.strerror or exc}",
                retryable=True,
                message_id=message_id,
            ) from exc
        log.info("sent message %s by SMTP through %s", message_id, where)

    @staticmethod
    def _refused(where: str, code: int, reply: bytes | str, message_id: str | None) -> DeliveryError:
        status = _enhanced_status(reply)
        temporary = not 500 <= code < 600  # 5xx is permanent (RFC 5321); 4xx and odd replies are not
        return DeliveryError(
            f"SMTP server {where} {'deferred' if temporary else 'refused'} the message: {code}"
            + (f" {status}" if status else ""),
            retryable=temporary,
            smtp_code=code,
            enhanced_status=status,
            message_id=message_id,
        )
