"""The stage's queues: each dead-letter queue made one way (encrypted with the data key, TLS only, 14 days)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_sqs as sqs

from hubstack.nag import suppress

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms
    from constructs import Construct

__all__ = ["dead_letters"]


def dead_letters(scope: Construct, construct_id: str, key: kms.IKey, *, of: str) -> sqs.Queue:
    """A dead-letter queue of ``of`` (what sends to it, for the reader of the template), kept 14 days."""
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        retention_period=cdk.Duration.days(14),
    )
    suppress(queue, "AwsSolutions-SQS3", f"it is the dead-letter queue of {of}")
    return queue
