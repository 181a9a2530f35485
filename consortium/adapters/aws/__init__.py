"""AWS adapters: the record and cluster stores in DynamoDB and the raw archive in S3 (imports boto3)."""

from consortium.adapters.aws.dynamodb_clusters import DynamoDbClusterStore
from consortium.adapters.aws.dynamodb_store import DynamoDbRecordStore, create_table
from consortium.adapters.aws.s3_archive import S3BlobStore

__all__ = ["DynamoDbClusterStore", "DynamoDbRecordStore", "S3BlobStore", "create_table"]
