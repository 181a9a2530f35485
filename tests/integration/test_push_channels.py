"""The mailers against real peers on 127.0.0.1: an aiosmtpd server for SMTP, moto's server for SES v2."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from mail_peers import (
    RECIPIENT,
    SENDER,
    UNSUBSCRIBE,
    Recorder,
    free_port,
    make_message,
    raw_messages_sent,
    verified_sender,
)

from consortium.adapters.aws.ses_mailer import SesMailer
from consortium.adapters.local.smtp_mailer import SmtpMailer
from consortium.push.ports import DeliveryError, Mailer

# -- SMTP ----------------------------------------------------------------------------------------------------------


def test_smtp_delivers_both_parts_and_the_unsubscribe_headers(smtp_server: Callable[[Recorder], SmtpMailer]) -> None:
    handler = Recorder()
    mailer: Mailer = smtp_server(handler)
    mailer.send(make_message(), RECIPIENT)
    [(mail_from, rcpt_tos, data)] = handler.received
    assert (mail_from, rcpt_tos) == (SENDER, [RECIPIENT])
    received = message_from_bytes(data, policy=default)
    assert isinstance(received, EmailMessage)
    assert [part.get_content_type() for part in received.iter_parts()] == ["text/plain", "text/html"]
    assert received["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["Message-ID"] == "<digest.d0001@riverside.example>"
    assert received["Subject"] == "New books in your classes — 2 items"
    text, rich = received.get_body(("plain",)), received.get_body(("html",))
    assert text is not None and rich is not None
    assert "三体" in text.get_content() and "三体" in rich.get_content()
    assert UNSUBSCRIBE in text.get_content() and UNSUBSCRIBE in rich.get_content()


def test_smtp_a_5xx_reply_is_permanent(smtp_server: Callable[[Recorder], SmtpMailer]) -> None:
    mailer = smtp_server(Recorder(data_reply="550 5.7.1 Message rejected as spam"))
    with pytest.raises(DeliveryError) as caught:
        mailer.send(make_message(), RECIPIENT)
    assert caught.value.retryable is False
    assert caught.value.details["smtp_code"] == 550 and caught.value.details["enhanced_status"] == "5.7.1"
    assert caught.value.details["message_id"] == "<digest.d0001@riverside.example>"


def test_smtp_a_4xx_reply_is_temporary(smtp_server: Callable[[Recorder], SmtpMailer]) -> None:
    mailer = smtp_server(Recorder(data_reply="451 4.3.0 Try again later"))
    with pytest.raises(DeliveryError) as caught:
        mailer.send(make_message(), RECIPIENT)
    assert caught.value.retryable is True and caught.value.details["smtp_code"] == 451


def test_smtp_a_refused_recipient_is_not_named_in_the_error(smtp_server: Callable[[Recorder], SmtpMailer]) -> None:
    mailer = smtp_server(Recorder(rcpt_reply=f"550 5.1.1 <{RECIPIENT}>: Recipient address rejected"))
    with pytest.raises(DeliveryError) as caught:
        mailer.send(make_message(), RECIPIENT)
    assert caught.value.retryable is False and caught.value.details["enhanced_status"] == "5.1.1"
    assert RECIPIENT not in str(caught.value) and RECIPIENT not in repr(caught.value.details)


def test_smtp_a_closed_port_is_temporary() -> None:
    mailer = SmtpMailer("127.0.0.1", free_port(), timeout=2.0)
    with pytest.raises(DeliveryError) as caught:
        mailer.send(make_message(), RECIPIENT)
    assert caught.value.retryable is True
    assert "cannot reach SMTP server 127.0.0.1" in str(caught.value)


def test_smtp_starttls_against_a_server_without_it_is_permanent(
    smtp_server: Callable[[Recorder], SmtpMailer],
) -> None:
    plain = smtp_server(Recorder())
    mailer = SmtpMailer(plain.host, plain.port, starttls=True, timeout=5.0)
    with pytest.raises(DeliveryError) as caught:
        mailer.send(make_message(), RECIPIENT)
    assert caught.value.retryable is False


def test_smtp_credentials_come_in_pairs() -> None:
    with pytest.raises(ValueError, match="both"):
        SmtpMailer("127.0.0.1", 25, username="push")


def test_smtp_logs_no_address(smtp_server: Callable[[Recorder], SmtpMailer], caplog: pytest.LogCaptureFixture) -> None:
    mailer = smtp_server(Recorder())
    with caplog.at_level("DEBUG", logger="consortium"):
        mailer.send(make_message(), RECIPIENT)
    assert "digest.d0001" in caplog.text
    assert RECIPIENT not in caplog.text and SENDER not in caplog.text


# -- SES (moto's server) -------------------------------------------------------------------------------------------


def test_ses_sends_the_raw_message(moto_server: str, aws_client: Callable[[str], Any]) -> None:
    sender = verified_sender(aws_client)
    config_set = f"push-{uuid.uuid4().hex[:8]}"
    aws_client("sesv2").create_configuration_set(ConfigurationSetName=config_set)
    attempts_before = sum(p["DeliveryAttempts"] for p in aws_client("ses").get_send_statistics()["SendDataPoints"])
    mailer: Mailer = SesMailer(aws_client("sesv2"), configuration_set=config_set)
    digest_id = uuid.uuid4().hex[:24]
    mailer.send(make_message(sender, digest_id), RECIPIENT)

    [sent] = [m for m in raw_messages_sent(moto_server) if f"<digest.{digest_id}@" in m["raw_data"]]
    assert sent["source"] == sender and RECIPIENT in sent["destinations"]
    received = message_from_bytes(sent["raw_data"].encode(), policy=default)
    assert isinstance(received, EmailMessage)
    assert [part.get_content_type() for part in received.iter_parts()] == ["text/plain", "text/html"]
    assert received["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    attempts_after = sum(p["DeliveryAttempts"] for p in aws_client("ses").get_send_statistics()["SendDataPoints"])
    assert attempts_after > attempts_before


def test_ses_an_unverified_sender_is_permanent(moto_server: str, aws_client: Callable[[str], Any]) -> None:
    sender = f"push@unverified-{uuid.uuid4().hex[:8]}.example"
    with pytest.raises(DeliveryError) as caught:
        SesMailer(aws_client("sesv2")).send(make_message(sender), RECIPIENT)
    assert caught.value.retryable is False
    assert caught.value.details["ses_code"] == "MessageRejected"
    assert sender not in str(caught.value) and RECIPIENT not in str(caught.value)


class ThrottledSes:
    """A stand-in SES v2 client that answers every send as SES does when throttling."""

    def send_email(self, **request: Any) -> dict[str, Any]:
        error = {"Error": {"Code": "TooManyRequestsException", "Message": "Too many requests"},
                 "ResponseMetadata": {"HTTPStatusCode": 429}}  # fmt: skip
        raise ClientError(error, "SendEmail")


def test_ses_throttling_is_temporary() -> None:
    with pytest.raises(DeliveryError) as caught:
        SesMailer(ThrottledSes()).send(make_message(), RECIPIENT)
    assert caught.value.retryable is True and caught.value.details["ses_code"] == "TooManyRequestsException"


def test_ses_unreachable_is_temporary(moto_server: str) -> None:
    client = boto3.client(
        "sesv2",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
    with pytest.raises(DeliveryError) as caught:
        SesMailer(client).send(make_message(), RECIPIENT)
    assert caught.value.retryable is True
