"""AWS adapters: the record, cluster and profile stores, the consent ledger and the reader secrets in DynamoDB
(all through :mod:`~consortium.adapters.aws.dynamodb_common`), readers' keys in KMS, the raw archive in S3, the
search index in OpenSearch (imports boto3 and opensearch-py)."""

from consortium.adapters.aws.dynamodb_clusters import DynamoDbClusterStore
from consortium.adapters.aws.dynamodb_common import create_table
from consortium.adapters.aws.dynamodb_consent import DynamoDbConsentLedger
from consortium.adapters.aws.dynamodb_lists import DynamoDbCuratedListStore
from consortium.adapters.aws.dynamodb_loans import DynamoDbLoanRequestStore
from consortium.adapters.aws.dynamodb_profiles import DynamoDbProfileStore
from consortium.adapters.aws.dynamodb_registry import DynamoDbSourceOverrideStore
from consortium.adapters.aws.dynamodb_runs import DynamoDbHarvestRunStore
from consortium.adapters.aws.dynamodb_store import DynamoDbRecordStore
from consortium.adapters.aws.kms_keys import KmsKeyService, ShreddingKmsKeyService
from consortium.adapters.aws.opensearch_index import OpenSearchIndex
from consortium.adapters.aws.reader_secrets import DynamoDbContextSecrets, create_secrets_table
from consortium.adapters.aws.s3_analytics import S3AnalyticsStore
from consortium.adapters.aws.s3_archive import S3BlobStore
from consortium.adapters.aws.s3_model import S3MatchModelStore
from consortium.adapters.aws.s3_plans import S3PlanStore

__all__ = [
    "DynamoDbClusterStore",
    "DynamoDbConsentLedger",
    "DynamoDbContextSecrets",
    "DynamoDbCuratedListStore",
    "DynamoDbHarvestRunStore",
    "DynamoDbLoanRequestStore",
    "DynamoDbProfileStore",
    "DynamoDbRecordStore",
    "DynamoDbSourceOverrideStore",
    "KmsKeyService",
    "OpenSearchIndex",
    "S3AnalyticsStore",
    "S3BlobStore",
    "S3MatchModelStore",
    "S3PlanStore",
    "ShreddingKmsKeyService",
    "create_secrets_table",
    "create_table",
]
