"""The hub's Lambda functions: which handler of which app under ``functions/`` each runs, and how one is made
from its permission set (``policies/permissions.toml``): its role's statements and its environment.

Every function runs the same code asset (``make package``: the core, its dependencies and ``functions/``, laid out
as the repository is, so ``members.toml`` and ``policies/`` sit where the core's defaults look for them); only
the handler differs (``functions.push.app.push_shard``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from consortium.adapters.aws.s3_evidence import EVIDENCE_KEY
from hubstack.config import REPO_ROOT
from hubstack.nag import suppress
from hubstack.permissions import SQS_SEND

if TYPE_CHECKING:
    from aws_cdk import aws_dynamodb as dynamodb
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_opensearchservice as opensearch
    from aws_cdk import aws_s3 as s3
    from aws_cdk import aws_sqs as sqs
    from constructs import Construct

    from hubstack.config import StageConfig
    from hubstack.permissions import FunctionPermissions

__all__ = ["API_FUNCTIONS", "AUTHORIZER", "FUNCTIONS", "FunctionSpec", "HubResources", "make_function"]

RUNTIME: Final = lambda_.Runtime.PYTHON_3_12
"""Lambda's Python 3.12 (Amazon Linux 2023). Not 3.11, the Python the hub is developed and tested on: Lambda's
3.11 runs on Amazon Linux 2, whose glibc 2.26 is older than the only Linux wheels of rapidfuzz 3.14.6
(manylinux_2_28); ``make package`` builds the wheels for CPython 3.12."""


@dataclass(frozen=True)
class FunctionSpec:
    """One deployed function: its permission set's name, its app folder and handler."""

    name: str
    app: str
    handler: str
    description: str

    @property
    def handler_path(self) -> str:
        """The Lambda handler in the asset: ``functions.<app>.app.<handler>``."""
        return f"functions.{self.app}.app.{self.handler}"

    def sizing(self) -> tuple[int, int]:
        """Timeout (seconds) and memory (MB) from the app's ``.chalice/config.json`` (stage ``dev``)."""
        config = json.loads((REPO_ROOT / "functions" / self.app / ".chalice" / "config.json").read_text("utf-8"))
        stage = config["stages"]["dev"]
        own = stage.get("lambda_functions", {}).get(self.handler, {})
        timeout = int(own.get("lambda_timeout", stage.get("lambda_timeout", 60)))
        memory = int(own.get("lambda_memory_size", stage.get("lambda_memory_size", 512)))
        return timeout, memory


API_FUNCTIONS: Final = {
    "cooperation": FunctionSpec("cooperation", "cooperation", "app", "the cooperation API (inter-library loan)"),
    "discovery": FunctionSpec("discovery", "discovery", "app", "the discovery API"),
    "members": FunctionSpec("members", "members", "app", "the member API"),
    "profile": FunctionSpec("profile", "profile", "app", "the reader-profile API"),
    "push": FunctionSpec("push", "push", "app", "the push API"),
}
"""The functions behind the REST API (each a Chalice app's routes), by the app whose route table they serve."""

AUTHORIZER: Final = FunctionSpec(
    "api_authorizer", "members", "api_authorizer", "the API's authorizer: credentials verified, usage plans named"
)
"""API Gateway's Lambda authorizer of the routes member systems call (:mod:`consortium.http.gateway`)."""

FUNCTIONS: Final = {
    "profile_purge": FunctionSpec("profile_purge", "profile", "purge_expired", "the daily retention purge"),
    "analytics_build": FunctionSpec(
        "analytics_build", "cooperation", "analytics_build", "the daily analytics report (counts only)"
    ),
    "push_schedule": FunctionSpec("push_schedule", "push", "push_schedule", "a scheduled push run's fan-out"),
    "push_shard": FunctionSpec("push_shard", "push", "push_shard", "one shard of a push run"),
    "push_evidence": FunctionSpec(
        "push_evidence", "push", "push_evidence", "the daily rebuild of the ranking evidence (counts only)"
    ),
    "harvest_step": FunctionSpec("harvest_step", "harvest", "harvest_step", "one page of a member's source"),
    "harvest_run": FunctionSpec("harvest_run", "harvest", "harvest_run", "a member's queued harvest run"),
    "harvest_prune": FunctionSpec("harvest_prune", "harvest", "harvest_prune", "the daily retention of harvest runs"),
    "search_reindex": FunctionSpec(
        "search_reindex", "harvest", "search_reindex", "the search index rebuilt when its layout changed"
    ),
}
"""The functions schedules, state machines and queues invoke."""


@dataclass
class HubResources:
    """What the functions reach, from the stacks that own it."""

    tables: dict[str, dynamodb.ITable]
    data_key: kms.IKey
    readers_key: kms.IKey
    raw_bucket: s3.IBucket
    search: opensearch.IDomain
    index_arns: list[str]
    queues: dict[str, sqs.IQueue] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    """Values of the settings that are not a resource's name (public_url, cognito ids...)."""

    def setting(self, name: str, config: StageConfig) -> str:
        """The value of setting ``name`` for a function of this stage."""
        tables = {f"{table}_table": resource.table_name for table, resource in self.tables.items()}
        values = {
            **tables,
            "backend": "aws",
            "aws_region": cdk.Aws.REGION,
            "kms_key_id": self.readers_key.key_arn,
            "raw_bucket": self.raw_bucket.bucket_name,
            "opensearch_endpoint": f"https://{self.search.domain_endpoint}",
            "mail_sender": config.mail_sender,
            "push_token_key": config.push_token_key,
            **{f"{queue}_queue_url": resource.queue_url for queue, resource in self.queues.items()},
            **self.settings,
        }
        if name not in values:
            raise ValueError(f"no value for setting {name!r} in this stack: give it to HubResources.settings")
        return values[name]


_CODE: dict[tuple[str, str], lambda_.Code] = {}


def code_of(scope: Construct, asset: str) -> lambda_.Code:
    """The code asset at folder ``asset`` for ``scope``'s stack (a Code binds to one stack; one per stack)."""
    key = (cdk.Stack.of(scope).node.addr, asset)
    if key not in _CODE:
        _CODE[key] = lambda_.Code.from_asset(asset)
    return _CODE[key]


def make_function(
    scope: Construct,
    spec: FunctionSpec,
    *,
    code: str,
    permissions: FunctionPermissions,
    resources: HubResources,
    config: StageConfig,
) -> lambda_.Function:
    """The function of ``spec``, its code the asset folder ``code``: its own role with exactly the statements of
    its permission set, its own log group, and the environment its settings name."""
    construct_id = "".join(part.title() for part in spec.name.split("_"))
    log_group = logs.LogGroup(
        scope,
        f"{construct_id}Logs",
        retention=_retention(config.log_retention_days),
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    role = iam.Role(
        scope,
        f"{construct_id}Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"consortium {config.stage} {spec.name}: {permissions.summary}"[:1000],
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[f"{log_group.log_group_arn}"],
        )
    )
    for statement in statements(permissions, resources, config):
        role.add_to_policy(statement)
    timeout, memory = spec.sizing()
    function = lambda_.Function(
        scope,
        construct_id,
        description=f"consortium {config.stage}: {spec.description}",
        runtime=RUNTIME,
        architecture=lambda_.Architecture.X86_64,
        handler=spec.handler_path,
        code=code_of(scope, code),
        role=role,
        timeout=cdk.Duration.seconds(timeout),
        memory_size=memory,
        log_group=log_group,
        environment={
            variable: resources.setting(name, config)
            for variable, name in zip(
                permissions.environment_names(), ("backend", "aws_region", *permissions.settings), strict=True
            )
        },
    )
    suppress(
        function,
        "AwsSolutions-L1",
        "Python 3.12, the first Lambda Python on Amazon Linux 2023 (glibc 2.34, which the manylinux_2_28 wheels of "
        "rapidfuzz need); newer runtimes wait until the hub is tested on them",
    )
    suppress(
        role,
        "AwsSolutions-IAM5",
        "the statements name the function's own tables, bucket objects (raw archive keys are content digests), "
        "queues and index paths; the only wildcards are object keys and index names under those resources",
    )
    return function


def _retention(days: int) -> logs.RetentionDays:
    names = {1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS", 30: "ONE_MONTH",
             60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS", 150: "FIVE_MONTHS", 180: "SIX_MONTHS",
             365: "ONE_YEAR", 400: "THIRTEEN_MONTHS", 545: "EIGHTEEN_MONTHS", 731: "TWO_YEARS", 1827: "FIVE_YEARS",
             3653: "TEN_YEARS"}  # fmt: skip
    if days not in names:
        raise ValueError(f"context 'log_retention_days': CloudWatch Logs keeps logs {sorted(names)} days, not {days}")
    return getattr(logs.RetentionDays, names[days])  # type: ignore[no-any-return]


def statements(
    permissions: FunctionPermissions, resources: HubResources, config: StageConfig
) -> list[iam.PolicyStatement]:
    """The IAM statements of a permission set: each action on its one resource; the data key only through the
    services that encrypt with it (``kms:ViaService``)."""
    found: list[iam.PolicyStatement] = []
    writes = False
    services: set[str] = set()
    for table, actions in sorted(permissions.dynamodb.items()):
        found.append(
            iam.PolicyStatement(
                actions=[f"dynamodb:{action}" for action in actions], resources=[resources.tables[table].table_arn]
            )
        )
        writes |= bool(set(actions) & {"PutItem", "DeleteItem", "BatchWriteItem", "UpdateItem"})
        services.add("dynamodb")
    for area, actions in sorted(permissions.s3.items()):
        keys = "*" if area == "raw" else EVIDENCE_KEY
        objects = [f"s3:{action}" for action in actions if action != "ListBucket"]
        if objects:
            found.append(iam.PolicyStatement(actions=objects, resources=[resources.raw_bucket.arn_for_objects(keys)]))
        if "ListBucket" in actions:
            found.append(
                iam.PolicyStatement(
                    actions=["s3:ListBucket"],
                    resources=[resources.raw_bucket.bucket_arn],
                    conditions=None if area == "raw" else {"StringEquals": {"s3:prefix": [EVIDENCE_KEY]}},
                )
            )
        writes |= "PutObject" in actions
        services.add("s3")
    for queue, actions in sorted(permissions.sqs.items()):
        found.append(
            iam.PolicyStatement(
                actions=[f"sqs:{action}" for action in actions], resources=[resources.queues[queue].queue_arn]
            )
        )
        writes |= bool(set(actions) & SQS_SEND)
        services.add("sqs")
    if services:
        key_actions = ["kms:Decrypt", "kms:DescribeKey"] + (["kms:Encrypt", "kms:GenerateDataKey"] if writes else [])
        found.append(
            iam.PolicyStatement(
                actions=key_actions,
                resources=[resources.data_key.key_arn],
                conditions={
                    "StringEquals": {
                        "kms:ViaService": [f"{service}.{cdk.Aws.REGION}.amazonaws.com" for service in sorted(services)]
                    }
                },
            )
        )
    for _key, actions in permissions.kms.items():
        found.append(
            iam.PolicyStatement(actions=[f"kms:{a}" for a in actions], resources=[resources.readers_key.key_arn])
        )
    if permissions.opensearch:
        found.append(
            iam.PolicyStatement(
                actions=[f"es:ESHttp{method.title()}" for method in permissions.opensearch],
                resources=resources.index_arns,
            )
        )
    if permissions.ses:
        identity = f"arn:{cdk.Aws.PARTITION}:ses:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:identity/{config.mail_domain}"
        found.append(iam.PolicyStatement(actions=[f"ses:{a}" for a in permissions.ses], resources=[identity]))
    return found
