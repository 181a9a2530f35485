"""The member API for IAM: a second REST API, beside the readers' and everyone's, holding the routes a member's
systems may call (those a member's API key opens, :data:`~consortium.auth.callers.MEMBER_SYSTEMS`), each with
``AWS_IAM`` authorization, integrated with the same functions.

A member's system signs its requests with Signature Version 4 (its role's credentials); API Gateway checks the
signature and that the caller may invoke the API (its own IAM policy, and this API's resource policy: the hub's
account and the accounts of ``member_iam_accounts``), then passes the verified principal to the function in the
request context. The function believes that context only from this API (its id is
``CONSORTIUM_MEMBER_IAM_API_ID``), and lets the principal act for the one member whose ``iam_principals`` name it
(:mod:`consortium.auth.iam`). The readers' API, which takes no AWS signature, is left as it is: one address for
people, one for members' systems, the same route table behind both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
import constructs
import jsii
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs

from consortium.auth.callers import CallerKind
from hubstack.nag import suppress

if TYPE_CHECKING:
    from collections.abc import Mapping

    from aws_cdk import aws_lambda as lambda_
    from constructs import Construct

    from hubstack.config import StageConfig
    from hubstack.routes import ApiRoute

__all__ = ["MemberIamApi", "member_system_routes"]


def member_system_routes(routes: list[ApiRoute]) -> list[ApiRoute]:
    """The routes a member's system may call with its AWS principal: not public ones (they are on the readers'
    API, for anyone), only those whose access admits :attr:`~consortium.auth.callers.CallerKind.MEMBER_IAM`."""
    return [route for route in routes if CallerKind.MEMBER_IAM in route.callers and not route.public]


class MemberIamApi(constructs.Construct):
    """The REST API (made first: the functions carry its id), then its methods and stage (:meth:`serve`)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, stage_name: str) -> None:
        super().__init__(scope, construct_id)
        self.stage_name = stage_name
        accounts = [cdk.Aws.ACCOUNT_ID, *config.member_iam_accounts]
        self.api = apigateway.RestApi(
            self,
            "Api",
            rest_api_name=f"consortium-{config.stage}-members-iam",
            description="the consortium hub's member API for IAM: members' systems sign with SigV4 (AWS_IAM)",
            deploy=False,
            cloud_watch_role=False,  # the readers' API sets the account's CloudWatch role
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            policy=iam.PolicyDocument(
                statements=[
                    iam.PolicyStatement(
                        actions=["execute-api:Invoke"],
                        principals=[iam.AccountPrincipal(account) for account in accounts],
                        resources=["execute-api:/*"],
                    )
                ]
            ),
        )
        self.url = cdk.Fn.join(
            "",
            [
                "https://",
                self.api.rest_api_id,
                ".execute-api.",
                cdk.Aws.REGION,
                ".",
                cdk.Aws.URL_SUFFIX,
                f"/{stage_name}",
            ],
        )
        self.methods: list[apigateway.Method] = []
        self.routes: list[ApiRoute] = []
        self.node.add_validation(_IamCheck(self))

    def serve(self, routes: list[ApiRoute], functions: Mapping[str, lambda_.IFunction], config: StageConfig) -> None:
        """A method with ``AWS_IAM`` authorization for each route of :func:`member_system_routes`, and the stage."""
        self.routes = member_system_routes(routes)
        for route in self.routes:
            resource = self.api.root.resource_for_path(route.path.lstrip("/"))
            integration = apigateway.LambdaIntegration(
                functions[route.app], allow_test_invoke=False, scope_permission_to_method=False
            )
            method = resource.add_method(
                route.method,
                integration,
                authorization_type=apigateway.AuthorizationType.IAM,
                operation_name=route.operation,
            )
            suppress(method, "AwsSolutions-COG4", f"{route.method} {route.path}: members' systems sign with IAM")
            self.methods.append(method)
        access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.THREE_MONTHS)
        deployment = apigateway.Deployment(self, "Deployment", api=self.api)
        for method in self.methods:
            deployment.node.add_dependency(method)
        deployment.add_to_logical_id({"routes": [m.node.path for m in self.methods]})
        self.stage = apigateway.Stage(
            self,
            "Stage",
            deployment=deployment,
            stage_name=self.stage_name,
            throttling_rate_limit=config.api_throttle_rate,
            throttling_burst_limit=config.api_throttle_burst,
            logging_level=apigateway.MethodLoggingLevel.ERROR,
            data_trace_enabled=False,  # bodies carry readers' loans: never logged
            metrics_enabled=True,
            tracing_enabled=True,
            access_log_destination=apigateway.LogGroupLogDestination(access_logs),
            access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                caller=True,  # the member system's principal, no reader's data
                http_method=True,
                ip=True,
                protocol=True,
                request_time=True,
                resource_path=True,
                response_length=True,
                status=True,
                user=True,
            ),
        )
        self.api.deployment_stage = self.stage
        suppress(
            self.api,
            "AwsSolutions-APIG2",
            "every route parses its body and query into its pydantic model and answers 400 naming each bad field",
        )
        cdk.CfnOutput(self, "Url", value=self.url, description="the member API for IAM (SigV4, execute-api)")


@jsii.implements(constructs.IValidation)
class _IamCheck:
    """Fails the synthesis if a method of the member API for IAM is not ``AWS_IAM``: the functions believe its
    request context's principal, which only API Gateway's check makes true."""

    def __init__(self, api: MemberIamApi) -> None:
        self.api = api

    def validate(self) -> list[str]:
        wrong = []
        for route, method in zip(self.api.routes, self.api.methods, strict=True):
            cfn = method.node.default_child
            assert isinstance(cfn, apigateway.CfnMethod)
            if cfn.authorization_type != "AWS_IAM":
                wrong.append(f"{route.method} {route.path}")
        return [f"the member API for IAM has routes without AWS_IAM authorization: {wrong}"] if wrong else []
