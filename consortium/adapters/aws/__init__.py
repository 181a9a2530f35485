"""AWS adapters: the record store in DynamoDB and the raw archive in S3 (imports boto3)."""

from consortium.adapters.aws.dynamodb_store import DynamoDbRecordStore, create_table
from consortium.adapters.aws.s3_archive import S3BlobStore

__all__ = ["DynamoDbRecordStore", "S3BlobStore", "create_table"]
