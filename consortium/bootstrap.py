"""The composition root: the one place that picks adapters, from :class:`~consortium.config.Settings`.

Nothing is built at import time; a Lambda keeps one :class:`Container` at module scope, built on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from consortium.auth.api_keys import ApiKeys
from consortium.auth.authenticator import Authenticator
from consortium.catalogue import Catalogue
from consortium.config import Settings
from consortium.dedup.service import DedupService
from consortium.errors import ConfigError, ConsortiumError
from consortium.harvest.oai_pmh import OaiPmhClient
from consortium.harvest.service import HarvestService
from consortium.members import MemberRegistry, load_registry
from consortium.profiles.consent import ConsentPolicy, load_consent_policy
from consortium.profiles.crypto import EnvelopeCipher
from consortium.profiles.service import ProfileService
from consortium.push.ledgers import PUSH_KINDS
from consortium.push.service import PushService

if TYPE_CHECKING:
    from consortium.auth.ports import ApiKeyStore
    from consortium.auth.tokens import LocalTokenIssuer, TokenVerifier
    from consortium.dedup.ports import ClusterStore
    from consortium.harvest.ports import BlobStore, RecordStore
    from consortium.harvest.state import RecordChange
    from consortium.ports import Queue
    from consortium.profiles.ports import ConsentLedger, KeyService, ProfileStore
    from consortium.push.ports import Mailer
    from consortium.search.ports import SearchIndex

__all__ = ["Container", "bootstrap"]


@dataclass
class Container:
    settings: Settings
    _overrides: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def record_store(self) -> RecordStore:
        if "record_store" in self._overrides:
            store: RecordStore = self._overrides["record_store"]
            return store
        if self.settings.backend == "aws":
            from consortium.adapters.aws import DynamoDbRecordStore

            return DynamoDbRecordStore(self.settings.records_table, client=self._aws_client("dynamodb"))
        from consortium.adapters.local import SqliteRecordStore

        return SqliteRecordStore.open(self.settings.sqlite_path)

    @cached_property
    def archive(self) -> BlobStore:
        if "archive" in self._overrides:
            archive: BlobStore = self._overrides["archive"]
            return archive
        if self.settings.backend == "aws":
            from consortium.adapters.aws import S3BlobStore

            return S3BlobStore(self.settings.raw_bucket, client=self._aws_client("s3"))
        from consortium.adapters.local import SqliteBlobStore

        return SqliteBlobStore.open(self.settings.archive_path)

    @cached_property
    def cluster_store(self) -> ClusterStore:
        if "cluster_store" in self._overrides:
            store: ClusterStore = self._overrides["cluster_store"]
            return store
        if self.settings.backend == "aws":
            from consortium.adapters.aws import DynamoDbClusterStore

            return DynamoDbClusterStore(self.settings.clusters_table, client=self._aws_client("dynamodb"))
        from consortium.adapters.local import SqliteClusterStore

        return SqliteClusterStore.open(self.settings.sqlite_path)

    @cached_property
    def search_index(self) -> SearchIndex:
        if "search_index" in self._overrides:
            index: SearchIndex = self._overrides["search_index"]
            return index
        if self.settings.backend == "aws":
            if not self.settings.opensearch_endpoint:
                raise ConfigError("CONSORTIUM_OPENSEARCH_ENDPOINT is not set: the aws backend searches OpenSearch")
            from consortium.adapters.aws import OpenSearchIndex

            return OpenSearchIndex.for_aws(self.settings.opensearch_endpoint, self.settings.aws_region)
        from consortium.adapters.local import TantivySearchIndex

        return TantivySearchIndex(self.settings.index_dir)

    @cached_property
    def dedup(self) -> DedupService:
        return DedupService(self.record_store, self.cluster_store)

    @cached_property
    def catalogue(self) -> Catalogue:
        settings = self.settings
        indexed = settings.backend == "local" or settings.opensearch_endpoint or "search_index" in self._overrides
        index = self.search_index if indexed else None
        return Catalogue(self.record_store, self.cluster_store, index, self.dedup)

    @cached_property
    def registry(self) -> MemberRegistry:
        if "registry" in self._overrides:
            registry: MemberRegistry = self._overrides["registry"]
            return registry
        return load_registry(self.settings.members_file)

    @cached_property
    def harvester(self) -> HarvestService:
        settings = self.settings

        def oai_client(url: str) -> OaiPmhClient:
            return OaiPmhClient(url, timeout=settings.http_timeout, max_retries=settings.http_max_retries)

        return HarvestService(
            self.record_store,
            self.archive,
            page_size=settings.harvest_page_size,
            oai_client=oai_client,
            on_commit=self._follow,
        )

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
        return service

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
        )

    @cached_property
    def api_key_store(self) -> ApiKeyStore:
        if "api_key_store" in self._overrides:
            store: ApiKeyStore = self._overrides["api_key_store"]
            return store
        if self.settings.backend == "aws":
            from consortium.adapters.aws.dynamodb_api_keys import DynamoDbApiKeyStore

            return DynamoDbApiKeyStore(self.settings.records_table, client=self._aws_client("dynamodb"))
        from consortium.adapters.local.sqlite_api_keys import SqliteApiKeyStore

        return SqliteApiKeyStore.open(self.settings.sqlite_path)

    @cached_property
    def api_keys(self) -> ApiKeys:
        """Member API keys (only their hashes are kept)."""
        return ApiKeys(self.api_key_store)

    @cached_property
    def token_issuer(self) -> LocalTokenIssuer:
        """The local backend's signer of reader and staff tokens (demo and test logins); none on AWS, where
        Cognito issues them.

        Raises
        ------
        ConfigError
            On the aws backend.
        """
        if self.settings.backend == "aws":
            raise ConfigError("on the aws backend readers and staff log in through Cognito; no local tokens")
        from consortium.auth.tokens import LocalTokenIssuer

        return LocalTokenIssuer(self.settings.signing_key_file, issuer=self.settings.public_url)

    @cached_property
    def token_verifier(self) -> TokenVerifier:
        """The verifier of bearer tokens: the Cognito user pool's on AWS (its JWKS), the local issuer's here.

        Raises
        ------
        ConfigError
            On the aws backend without ``CONSORTIUM_COGNITO_USER_POOL_ID`` and ``CONSORTIUM_COGNITO_CLIENT_ID``:
            a deployed API never runs without an authority for its tokens.
        """
        if "token_verifier" in self._overrides:
            verifier: TokenVerifier = self._overrides["token_verifier"]
            return verifier
        settings = self.settings
        if settings.backend == "aws":
            if not (settings.cognito_user_pool_id and settings.cognito_client_id):
                raise ConfigError(
                    "CONSORTIUM_COGNITO_USER_POOL_ID and CONSORTIUM_COGNITO_CLIENT_ID must be set: the aws backend "
                    "verifies readers' and staff's tokens against the user pool"
                )
            from consortium.auth.tokens import cognito_verifier

            return cognito_verifier(settings.aws_region, settings.cognito_user_pool_id, settings.cognito_client_id)
        return self.token_issuer.verifier()

    @cached_property
    def authenticator(self) -> Authenticator:
        """What checks a request's bearer token or API key."""
        return Authenticator(self.token_verifier, self.api_keys)

    def _follow(self, changes: list[RecordChange]) -> None:
        self.catalogue.follow(changes)

    def _aws_client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=self.settings.aws_region, endpoint_url=self.settings.aws_endpoint_url)


def bootstrap(settings: Settings | None = None, **overrides: Any) -> Container:
    """Build the container; ``overrides`` replace adapters by name (``record_store=``, ``archive=``...)."""
    return Container(settings or Settings(), dict(overrides))
