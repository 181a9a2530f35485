"""The search domain's fine-grained access control, mapped at deployment: a CloudFormation custom resource whose
function (:func:`consortium.adapters.aws.opensearch_roles.handler`) runs as the domain's master user (the data
stack's ``SearchAdmin`` role) and maps the IAM roles of everything that reaches the index to the OpenSearch role
its permission set asks for: ``consortium_index`` when its OpenSearch methods include ``PUT`` or ``DELETE``,
``consortium_search`` otherwise (``policies/permissions.toml``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from hubstack.lambdas import RUNTIME, code_of
from hubstack.nag import suppress

if TYPE_CHECKING:
    from constructs import Construct

    from hubstack.lambdas import HubResources
    from hubstack.permissions import PermissionSets

__all__ = ["HANDLER", "map_search_roles"]

HANDLER = "consortium.adapters.aws.opensearch_roles.handler"


def map_search_roles(
    scope: Construct,
    *,
    code: str,
    permissions: PermissionSets,
    resources: HubResources,
    admin: iam.IRole,
    roles: dict[str, iam.IRole],
) -> cdk.CustomResource:
    """The custom resource mapping ``roles`` (by permission set name; each one that names the index must be
    there) in the search domain, its function running as ``admin``."""
    search: list[str] = []
    index: list[str] = []
    for name, permission in sorted(permissions.functions.items()):
        if not permission.opensearch:
            continue
        if name not in roles:
            raise ValueError(f"the permission set {name!r} reaches the index but the stage gives no role for it")
        writes = bool({"PUT", "DELETE"} & set(permission.opensearch))
        (index if writes else search).append(roles[name].role_arn)
    log_group = logs.LogGroup(
        scope, "SearchRolesLogs", retention=logs.RetentionDays.THREE_MONTHS, removal_policy=cdk.RemovalPolicy.DESTROY
    )
    policy = iam.Policy(
        scope,
        "SearchRolesPolicy",
        roles=[admin],
        statements=[
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
            ),
            iam.PolicyStatement(
                actions=["es:ESHttpPut"], resources=[f"{resources.search.domain_arn}/_plugins/_security/api/*"]
            ),
        ],
    )
    function = lambda_.Function(
        scope,
        "SearchRoles",
        description="consortium: maps the functions' roles in the search domain's fine-grained access control",
        runtime=RUNTIME,
        handler=HANDLER,
        code=code_of(scope, code),
        role=admin,
        timeout=cdk.Duration.seconds(120),
        memory_size=256,
        log_group=log_group,
        environment={
            "CONSORTIUM_OPENSEARCH_ENDPOINT": f"https://{resources.search.domain_endpoint}",
            "CONSORTIUM_AWS_REGION": cdk.Aws.REGION,
        },
    )
    function.node.add_dependency(policy)
    suppress(function, "AwsSolutions-L1", "Python 3.12, as every function of the hub (hubstack.lambdas.RUNTIME)")
    suppress(
        policy,
        "AwsSolutions-IAM5",
        "the master user writes only the security plugin's API of its own domain (roles and mappings under "
        "_plugins/_security/api/) and its own log group's streams",
    )
    return cdk.CustomResource(
        scope,
        "SearchRoleMapping",
        service_token=function.function_arn,
        resource_type="Custom::SearchRoleMapping",
        properties={"Search": search, "Index": index},
    )
