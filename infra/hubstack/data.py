"""The data stack: the DynamoDB tables, the raw archive, the search domain, the KMS keys and the harvest queue.

Every table is on demand, encrypted with the stage's customer-managed data key and has point-in-time recovery,
except the readers' secrets table: it has no point-in-time recovery, no backup and no replica, because erasing a
reader deletes their secret there, and any copy of that table would undo the erasure (infra/README.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_opensearchservice as opensearch
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs

from hubstack.nag import suppress
from hubstack.queues import dead_letters

if TYPE_CHECKING:
    from constructs import Construct

    from hubstack.config import StageConfig

__all__ = ["DataStack"]

INDEX_PATTERNS = ("consortium-bib", "consortium-bib-v*")
"""The search index's alias and its versioned indexes (consortium.adapters.aws.opensearch_index)."""


class DataStack(cdk.Stack):
    """The hub's state: tables, archive, index, keys, and the queue of members' harvest runs."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        removal = cdk.RemovalPolicy.RETAIN if config.retain_data else cdk.RemovalPolicy.DESTROY
        self.data_key = kms.Key(
            self,
            "DataKey",
            description=f"consortium {config.stage}: encrypts the tables, the raw archive and the queues",
            enable_key_rotation=True,
            removal_policy=removal,
        )
        self.readers_key = kms.Key(
            self,
            "ReadersKey",
            description=f"consortium {config.stage}: wraps every reader's data key (CONSORTIUM_KMS_KEY_ID)",
            enable_key_rotation=True,
            removal_policy=removal,
        )
        self.readers_key_alias = self.readers_key.add_alias(f"alias/consortium-{config.stage}-readers")
        self.tables: dict[str, dynamodb.Table] = {}
        for name in ("records", "clusters", "profiles"):
            self.tables[name] = self._table(name, config, removal, sort_key=True, backups=True)
        self.tables["reader_secrets"] = self._table("reader_secrets", config, removal, sort_key=False, backups=False)
        self.raw_bucket = self._raw_bucket(removal)
        self.search = self._search_domain(config, removal)
        self.harvest_dlq = dead_letters(self, "HarvestDeadLetters", self.data_key, of="the harvest queue")
        self.harvest_queue = sqs.Queue(
            self,
            "HarvestQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.data_key,
            enforce_ssl=True,
            visibility_timeout=cdk.Duration.minutes(16),  # above the harvest worker's 15 minutes
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.harvest_dlq, max_receive_count=3),
        )

    def _table(
        self, name: str, config: StageConfig, removal: cdk.RemovalPolicy, *, sort_key: bool, backups: bool
    ) -> dynamodb.Table:
        string = dynamodb.AttributeType.STRING
        table = dynamodb.Table(
            self,
            "".join(part.title() for part in name.split("_")) + "Table",
            partition_key=dynamodb.Attribute(name="pk", type=string),
            sort_key=dynamodb.Attribute(name="sk", type=string) if sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.data_key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=backups
            ),
            deletion_protection=config.retain_data,
            removal_policy=removal,
        )
        if not backups:
            suppress(
                table,
                "AwsSolutions-DDB3",
                "erasing a reader deletes their secret in this table (crypto-shredding); a point-in-time copy "
                "would keep it and undo the erasure, so this table has no backups by design (infra/README.md)",
            )
        return table

    def _raw_bucket(self, removal: cdk.RemovalPolicy) -> s3.Bucket:
        logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # S3 server access logs cannot be written under SSE-KMS
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(365))],
            removal_policy=removal,
            auto_delete_objects=removal is cdk.RemovalPolicy.DESTROY,
        )
        suppress(logs, "AwsSolutions-S1", "it is the bucket the access logs go to")
        return s3.Bucket(
            self,
            "RawArchive",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.data_key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=logs,
            server_access_logs_prefix="raw-archive/",
            removal_policy=removal,
            auto_delete_objects=removal is cdk.RemovalPolicy.DESTROY,
        )

    def _search_domain(self, config: StageConfig, removal: cdk.RemovalPolicy) -> opensearch.Domain:
        zones = 2 if config.opensearch_instance_count >= 2 else 1
        self.search_admin = iam.Role(
            self,
            "SearchAdmin",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="the OpenSearch master user (fine-grained access control): the function that maps the "
            "functions' roles to index permissions runs as it",
        )
        domain = opensearch.Domain(
            self,
            "Search",
            domain_name=f"consortium-{config.stage}",
            version=opensearch.EngineVersion.OPENSEARCH_2_19,
            capacity=opensearch.CapacityConfig(
                data_node_instance_type=config.opensearch_instance_type,
                data_nodes=config.opensearch_instance_count,
                multi_az_with_standby_enabled=False,
                master_nodes=config.opensearch_master_nodes or None,
                master_node_instance_type=config.opensearch_instance_type if config.opensearch_master_nodes else None,
            ),
            zone_awareness=opensearch.ZoneAwarenessConfig(enabled=zones > 1, availability_zone_count=zones)
            if zones > 1
            else None,
            ebs=opensearch.EbsOptions(volume_size=config.opensearch_volume_gb),
            encryption_at_rest=opensearch.EncryptionAtRestOptions(enabled=True, kms_key=self.data_key),
            node_to_node_encryption=True,
            enforce_https=True,
            tls_security_policy=opensearch.TLSSecurityPolicy.TLS_1_2,
            fine_grained_access_control=opensearch.AdvancedSecurityOptions(master_user_arn=self.search_admin.role_arn),
            logging=opensearch.LoggingOptions(
                slow_search_log_enabled=True,
                app_log_enabled=True,
                slow_index_log_enabled=True,
                audit_log_enabled=True,
            ),
            removal_policy=removal,
        )
        # Requests of this account's IAM roles only; each function's own policy (policies/permissions.toml) says
        # which paths and methods it may use. Set on the template directly: the Domain construct would apply it
        # through a custom resource of its own.
        cfn = domain.node.default_child
        assert isinstance(cfn, opensearch.CfnDomain)
        cfn.add_property_override(
            "AccessPolicies",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:{cdk.Aws.PARTITION}:iam::{cdk.Aws.ACCOUNT_ID}:root"},
                        "Action": ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpDelete"],
                        "Resource": f"arn:{cdk.Aws.PARTITION}:es:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:domain/"
                        f"consortium-{config.stage}/*",
                    }
                ],
            },
        )
        suppress(
            domain,
            "AwsSolutions-OS1",
            "the functions run outside a VPC (harvesting reaches members' servers on the internet without a NAT "
            "gateway); the domain takes only SigV4-signed requests of the functions' roles (its access policy) "
            "and maps them in fine-grained access control",
        )
        if not config.opensearch_master_nodes:
            suppress(
                domain,
                "AwsSolutions-OS4",
                "dedicated master nodes are a sizing choice per consortium (opensearch_master_nodes); without them "
                "the data nodes elect one",
            )
        if zones == 1:
            suppress(domain, "AwsSolutions-OS7", "a small stage runs one data node (opensearch_instance_count)")
        suppress(domain, "AwsSolutions-OS3", "the domain is reached by IAM-signed requests, not by address")
        suppress(
            domain,
            "AwsSolutions-OS5",
            "anonymous access is refused: every request is SigV4-signed and fine-grained access control is on",
        )
        custom = "CDK's custom resource that lets the domain write its logs to CloudWatch Logs (made by CDK)"
        suppress(domain, "AwsSolutions-IAM5", custom)
        for child in self.node.children:
            if child.node.id.startswith("AWS679f53fac002430cb0da5b7982bd2287"):  # CDK's AwsCustomResource function
                for rule in ("AwsSolutions-IAM4", "AwsSolutions-IAM5", "AwsSolutions-L1"):
                    suppress(child, rule, custom)
        return domain

    def index_arns(self) -> list[str]:
        """The ARNs of the search index's paths (its alias and its versioned indexes)."""
        return [f"{self.search.domain_arn}/{pattern}" for pattern in INDEX_PATTERNS] + [
            f"{self.search.domain_arn}/{pattern}/*" for pattern in INDEX_PATTERNS
        ]
