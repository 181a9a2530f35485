"""The readers' part of the container: keys, profiles, consent, mail and push."""

from __future__ import annotations

import logging
from functools import cached_property
from typing import TYPE_CHECKING, Any

from consortium.bootstrap.base import Parts
from consortium.errors import ConfigError, ConsortiumError
from consortium.ports import system_clock
from consortium.profiles.consent import ConsentPolicy, load_consent_policy
from consortium.profiles.crypto import EnvelopeCipher
from consortium.profiles.service import ProfileService
from consortium.push.evidence_store import EvidenceSummary, StoredEvidence, rebuild_evidence
from consortium.push.ledgers import PUSH_KINDS
from consortium.push.service import PushService

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    from consortium.cooperation.ports import LoanRequestStore
    from consortium.ports import Clock, Queue
    from consortium.profiles.ports import ConsentLedger, KeyService, ProfileStore
    from consortium.push.ports import EvidenceStore, Mailer

__all__ = ["ReaderParts"]

log = logging.getLogger(__name__)


class ReaderParts(Parts):
    """Readers' data and what is pushed to them."""

    if TYPE_CHECKING:

        @property
        def loan_requests(self) -> LoanRequestStore: ...

    @cached_property
    def key_service(self) -> KeyService:
        if "key_service" in self._overrides:
            keys: KeyService = self._overrides["key_service"]
            return keys
        if self.settings.backend == "aws":
            if not self.settings.kms_key_id:
                raise ConfigError("CONSORTIUM_KMS_KEY_ID is not set: the aws backend wraps readers' keys with KMS")
            from consortium.adapters.aws import DynamoDbContextSecrets, ShreddingKmsKeyService

            secrets = DynamoDbContextSecrets(self.settings.reader_secrets_table, client=self._aws_client("dynamodb"))
            return ShreddingKmsKeyService(self.settings.kms_key_id, secrets, client=self._aws_client("kms"))
        from consortium.adapters.local import LocalKeyFileService

        self.check_key_location()
        return LocalKeyFileService(self.settings.key_file)

    def check_key_location(self) -> None:
        """Refuse, before any work, a local key file inside the data folder or keys left in the old place
        (:func:`~consortium.adapters.local.key_location.check_key_location`); nothing to check on AWS (KMS)."""
        if self.settings.backend == "local" and "key_service" not in self._overrides:
            from consortium.adapters.local.key_location import check_key_location

            check_key_location(self.settings)

    @cached_property
    def profile_store(self) -> ProfileStore:
        if "profile_store" in self._overrides:
            store: ProfileStore = self._overrides["profile_store"]
            return store
        if self.settings.backend == "aws":
            from consortium.adapters.aws.dynamodb_profiles import DynamoDbProfileStore

            return DynamoDbProfileStore(self.settings.profiles_table, client=self._aws_client("dynamodb"))
        from consortium.adapters.local.sqlite_profiles import SqliteProfileStore

        return SqliteProfileStore.open(self.settings.profiles_path)

    @cached_property
    def consent_ledger(self) -> ConsentLedger:
        if "consent_ledger" in self._overrides:
            ledger: ConsentLedger = self._overrides["consent_ledger"]
            return ledger
        if self.settings.backend == "aws":
            from consortium.adapters.aws import DynamoDbConsentLedger

            return DynamoDbConsentLedger(self.settings.profiles_table, client=self._aws_client("dynamodb"))
        from consortium.adapters.local import SqliteConsentLedger

        return SqliteConsentLedger.open(self.settings.profiles_path)

    @cached_property
    def consent_policy(self) -> ConsentPolicy:
        if "consent_policy" in self._overrides:
            policy: ConsentPolicy = self._overrides["consent_policy"]
            return policy
        return load_consent_policy(self.settings.consent_policy_file)

    @cached_property
    def profiles(self) -> ProfileService:
        """Readers' personal data. Every feature's kinds of reader item are registered here, whichever entry
        point runs: withdrawing consent through the profile API deletes what push kept, too."""
        keys = self.key_service
        service = ProfileService(
            self.profile_store,
            EnvelopeCipher(keys),
            self.consent_ledger,
            self.consent_policy,
            keys=keys,
            cluster_lookup=self.cluster_store.get,
        )
        service.vault.register(*PUSH_KINDS)
        from consortium.cooperation.service import EXPORT_ABOUT

        # a reader's loan requests live outside the vault, in the loan request store (opened when an export asks)
        service.add_to_export("loan_requests", self._loan_requests_of, EXPORT_ABOUT)
        return service

    def _loan_requests_of(self, reader_id: str) -> list[dict[str, Any]]:
        """The reader's inter-library loan requests, as their export holds them."""
        return [request.model_dump(mode="json") for request in self.loan_requests.for_reader(reader_id)]

    @cached_property
    def mailer(self) -> Mailer | None:
        """What sends digest email: SES on AWS, SMTP when a server is configured locally, else nothing."""
        if "mailer" in self._overrides:
            mailer: Mailer | None = self._overrides["mailer"]
            return mailer
        settings = self.settings
        if settings.backend == "aws":
            from consortium.adapters.aws.ses_mailer import SesMailer

            return SesMailer(self._aws_client("sesv2"))
        if settings.smtp_host:
            from consortium.adapters.local.smtp_mailer import SmtpMailer

            password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
            return SmtpMailer(
                settings.smtp_host,
                settings.smtp_port,
                starttls=settings.smtp_starttls,
                username=settings.smtp_username,
                password=password,
            )
        return None

    @cached_property
    def push_queue(self) -> Queue | None:
        """Where a push run fans out, one message per shard of readers: SQS when ``push_queue_url`` is set,
        else nothing (the run goes in-process)."""
        if "push_queue" in self._overrides:
            queue: Queue | None = self._overrides["push_queue"]
            return queue
        if self.settings.push_queue_url:
            from consortium.adapters.aws.sqs_queue import SqsQueue

            return SqsQueue(self.settings.push_queue_url, self._aws_client("sqs"))
        return None

    @cached_property
    def evidence_store(self) -> EvidenceStore:
        """Where the ranking evidence is kept: the object ``evidence/ranking-evidence.json`` in the raw archive's
        bucket on AWS, ``evidence/ranking-evidence.json`` in the data folder locally."""
        if "evidence_store" in self._overrides:
            store: EvidenceStore = self._overrides["evidence_store"]
            return store
        if self.settings.backend == "aws":
            from consortium.adapters.aws.s3_evidence import S3EvidenceStore

            return S3EvidenceStore(self.settings.raw_bucket, client=self._aws_client("s3"))
        from consortium.adapters.local.evidence_file import FileEvidenceStore

        return FileEvidenceStore(self.settings.evidence_path)

    @cached_property
    def stored_evidence(self) -> StoredEvidence:
        """The latest stored ranking evidence, read again when the store's copy changes (push runs rank with it)."""
        return StoredEvidence(self.evidence_store)

    def rebuild_evidence(
        self, now: dt.datetime | None = None, should_stop: Callable[[], bool] | None = None
    ) -> EvidenceSummary:
        """Rebuild the ranking evidence from the catalogue and the loans that may be counted, and store it (the
        scheduled ``evidence`` job; ``consortium push evidence``); given up, nothing stored, once ``should_stop()``
        (:class:`~consortium.errors.Interrupted`)."""
        clock: Clock = system_clock if now is None else (lambda: now)
        return rebuild_evidence(
            self.profiles, self.cluster_store, self.registry, self.evidence_store, clock=clock, should_stop=should_stop
        )

    @cached_property
    def push(self) -> PushService:
        try:
            names = {member.id: member.name for member in self.registry.members}
        except ConsortiumError:
            names = {}
        return PushService(
            self.profiles,
            self.cluster_store,
            mailer=self.mailer,
            public_url=self.settings.public_url,
            sender=self.settings.mail_sender,
            member_names=names,
            token_key=self.settings.push_token_key,
            evidence=self.stored_evidence,
            listed=self.listed_works,
        )
