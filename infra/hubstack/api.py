"""The API stack: the REST API with one resource and method per route of the apps' route tables, the functions
that serve them, the Cognito user pool readers and staff sign in with (and its app client for the portal), the
WAF web ACL, and the portal's ``config.json``.

The API's functions live here, not in the functions stack, because each has the API's own address in its
environment (``CONSORTIUM_PUBLIC_URL``): a REST API and the functions it integrates referring to each other from
two stacks would be a cycle. Inside one stack the address is built from the API's id and the stage name, which
needs neither the stage nor any method.

Authorization happens in the apps (one verification path, ``consortium.http.access``). In front of it, the routes
only readers or staff may call (bearer tokens alone) also get a Cognito authorizer, so a call without a valid token
never reaches a function; a stage that would leave such a route without it does not synthesize.

The routes member systems call (with the hub's own API keys, ``X-Api-Key``) get a Lambda REQUEST authorizer
instead (``members`` app's ``api_authorizer``, :mod:`consortium.http.gateway`), and require an API Gateway key
taken from it (``apiKeySource: AUTHORIZER``): the authorizer verifies the credential and names the usage plan the
request counts against, each member's own (throttle and daily quota from the stage's ``member_*`` settings and
``member_limits``), or the shared plan for readers, staff and anonymous callers. The plans and their keys are made
here, one per member of the registry deployed with the functions. Members' systems
that sign with IAM call the member API for IAM (:mod:`hubstack.member_iam_api`), a second REST API of the same
functions whose member routes all take ``AWS_IAM``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
import constructs
import jsii
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3_deployment as deployment

from consortium.auth.callers import StaffRole
from consortium.http.portal import SignIn
from hubstack.api_cors import gateway_answers, preflight_methods, preflight_options
from hubstack.firewall import firewall
from hubstack.lambdas import API_FUNCTIONS, AUTHORIZER, make_function
from hubstack.member_iam_api import MemberIamApi
from hubstack.nag import suppress
from hubstack.portal import cognito_domain_prefix, suppress_deployment
from hubstack.routes import ApiRoute, api_routes
from hubstack.usage_plans import usage_plans

if TYPE_CHECKING:
    from aws_cdk import aws_cloudfront as cloudfront
    from aws_cdk import aws_s3 as s3
    from constructs import Construct

    from hubstack.config import StageConfig
    from hubstack.lambdas import HubResources
    from hubstack.permissions import PermissionSets

__all__ = ["STAGE_NAME", "ApiStack"]

STAGE_NAME = "api"
"""The API Gateway stage (the apps' ``api_gateway_stage``): the API's address ends in ``/api``."""


class ApiStack(cdk.Stack):
    """Cognito, the REST API and its functions, WAF, and the portal's configuration."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        code: str,
        permissions: PermissionSets,
        resources: HubResources,
        portal_url: str,
        portal_bucket: s3.IBucket,
        portal_distribution: cloudfront.IDistribution,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.config = config
        self.usage_prefix = f"consortium-{config.stage}"
        """What the stage's usage plan keys start with (:mod:`consortium.http.gateway`)."""
        self._user_pool(config, portal_url)
        routes = api_routes()
        self.api = apigateway.RestApi(
            self,
            "Api",
            rest_api_name=f"consortium-{config.stage}",
            description="the consortium hub's API (the Chalice apps under functions/)",
            deploy=False,
            binary_media_types=sorted({media for route in routes for media in route.binary_types}),
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=cdk.RemovalPolicy.DESTROY,
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            api_key_source_type=apigateway.ApiKeySourceType.AUTHORIZER,
            default_cors_preflight_options=preflight_options(portal_url),  # the portal is on another origin
        )
        self.url = (
            f"https://{config.api_domain}/{STAGE_NAME}"
            if config.api_domain
            else cdk.Fn.join(
                "",
                [
                    "https://",
                    self.api.rest_api_id,
                    ".execute-api.",
                    cdk.Aws.REGION,
                    ".",
                    cdk.Aws.URL_SUFFIX,
                    f"/{STAGE_NAME}",
                ],
            )
        )
        self.member_iam = MemberIamApi(self, "MemberIam", config=config, stage_name=STAGE_NAME)
        resources.settings.update(
            public_url=self.url,
            cognito_user_pool_id=self.user_pool.user_pool_id,
            cognito_client_id=self.client.user_pool_client_id,
            api_usage_key_prefix=self.usage_prefix,
            member_iam_api_id=self.member_iam.api.rest_api_id,
            portal_origins=portal_url,
        )
        self.functions = {
            app: make_function(
                self, spec, code=code, permissions=permissions.of(app), resources=resources, config=config
            )
            for app, spec in API_FUNCTIONS.items()
        }
        self.authorizer = (
            apigateway.CognitoUserPoolsAuthorizer(self, "Authorizer", cognito_user_pools=[self.user_pool])
            if config.authorizer
            else None
        )
        self.gatekeeper = make_function(
            self,
            AUTHORIZER,
            code=code,
            permissions=permissions.of(AUTHORIZER.name),
            resources=resources,
            config=config,
        )
        self.usage_authorizer = apigateway.RequestAuthorizer(
            self,
            "UsageAuthorizer",
            handler=self.gatekeeper,
            # No identity source: anonymous calls of public routes reach it too (and count on the shared plan);
            # so no caching either (API Gateway caches by identity source).
            identity_sources=[],
            results_cache_ttl=cdk.Duration.seconds(0),
        )
        self.methods = [self._method(route) for route in routes]
        self.preflights = list(preflight_methods(self.api))
        gateway_answers(self.api, portal_url)
        self.stage = self._stage(config)
        self.plans = usage_plans(self, config)
        self.member_iam.serve(routes, self.functions, config)
        if config.api_domain and config.api_certificate_arn:
            self._domain(config.api_domain, config.api_certificate_arn)
        firewall(self, config)
        self.node.add_validation(_AuthorizerCheck(self, routes))
        site = deployment.BucketDeployment(
            self,
            "PortalConfig",
            sources=[deployment.Source.json_data("config.json", self.portal_config(portal_url))],
            destination_bucket=portal_bucket,
            prune=False,
            distribution=portal_distribution,
            distribution_paths=["/config.json"],
        )
        suppress_deployment(self)
        del site
        cdk.CfnOutput(self, "ApiUrl", value=self.url)
        cdk.CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)

    def portal_config(self, portal_url: str) -> dict[str, Any]:
        """The portal's ``config.json``: the API, and Cognito's hosted sign-in (code flow with PKCE)."""
        domain = self.domain.base_url()
        signin = SignIn(
            client_id=self.client.user_pool_client_id,
            redirect_uri=f"{portal_url}/login.html",
            authorize_url=f"{domain}/oauth2/authorize",
            token_url=f"{domain}/oauth2/token",
        )
        return {"api": self.url, "auth": {**signin.config(), "domain": domain}}

    def _user_pool(self, config: StageConfig, portal_url: str) -> None:
        self.user_pool = cognito.UserPool(
            self,
            "Users",
            user_pool_name=f"consortium-{config.stage}",
            self_sign_up_enabled=False,  # the member libraries make their readers' and staff's accounts
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            custom_attributes={"member": cognito.StringAttribute(min_len=1, max_len=64, mutable=True)},
            password_policy=cognito.PasswordPolicy(
                min_length=12, require_digits=True, require_lowercase=True, require_uppercase=True, require_symbols=True
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=getattr(cognito.FeaturePlan, config.cognito_feature_plan),
            removal_policy=cdk.RemovalPolicy.RETAIN if config.retain_data else cdk.RemovalPolicy.DESTROY,
        )
        for role in StaffRole:
            cognito.CfnUserPoolGroup(
                self,
                f"Group{role.name.title().replace('_', '')}",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=role.value,
                description=f"member staff: {role.value} (with custom:member, the member they act for)",
            )
        suppress(
            self.user_pool,
            "AwsSolutions-COG2",
            "MFA is offered (TOTP) and left to each reader: the hub holds no payment or health data",
        )
        for rule in ("AwsSolutions-COG3", "AwsSolutions-COG8"):
            suppress(
                self.user_pool,
                rule,
                "threat protection (the Plus feature plan) is a per-consortium cost decision; the API has WAF "
                "rate limits",
            )
        self.domain = self.user_pool.add_domain(
            "SignIn", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=cognito_domain_prefix(config))
        )
        readable = cognito.ClientAttributes().with_standard_attributes(email=True, email_verified=True, fullname=True)
        self.client = self.user_pool.add_client(
            "Portal",
            user_pool_client_name="portal",
            generate_secret=False,  # a public client: the portal's JavaScript, with PKCE
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=[f"{portal_url}/login.html"],
                logout_urls=[f"{portal_url}/"],
            ),
            # custom:member says which library a reader or staff member belongs to: readable, never writable by
            # the user (only administrators set it)
            read_attributes=readable.with_custom_attributes("member"),
            write_attributes=cognito.ClientAttributes().with_standard_attributes(fullname=True),
            prevent_user_existence_errors=True,
            id_token_validity=cdk.Duration.hours(1),
            access_token_validity=cdk.Duration.hours(1),
            refresh_token_validity=cdk.Duration.days(1),
        )

    def _method(self, route: ApiRoute) -> apigateway.Method:
        resource = self.api.root.resource_for_path(route.path.lstrip("/")) if route.path != "/" else self.api.root
        integration = apigateway.LambdaIntegration(
            self.functions[route.app], allow_test_invoke=False, scope_permission_to_method=False
        )
        if route.bearer_only and self.authorizer is not None:
            return resource.add_method(
                route.method,
                integration,
                authorizer=self.authorizer,
                authorization_type=apigateway.AuthorizationType.COGNITO,
                operation_name=route.operation,
            )
        if route.member_key:
            method = resource.add_method(
                route.method,
                integration,
                authorizer=self.usage_authorizer,
                authorization_type=apigateway.AuthorizationType.CUSTOM,
                api_key_required=True,  # the usage plan's key, from the authorizer
                operation_name=route.operation,
            )
            suppress(
                method,
                "AwsSolutions-COG4",
                f"{route.method} {route.path}: takes a member's API key as well as bearer tokens; the usage "
                "authorizer verifies both (and the app again)",
            )
            return method
        method = resource.add_method(route.method, integration, operation_name=route.operation)
        why = (
            "open to anyone by the route table (consortium.http.access)"
            if route.public
            else "takes a member's API key (X-Api-Key) as well as bearer tokens; the app verifies both"
        )
        for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
            suppress(method, rule, f"{route.method} {route.path}: {why}")
        return method

    def _domain(self, name: str, certificate_arn: str) -> None:
        """The API's own domain: ``https://<name>/api`` is the stage (base path ``api``, as on API Gateway's)."""
        domain = apigateway.DomainName(
            self,
            "Domain",
            domain_name=name,
            certificate=acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn),
            endpoint_type=apigateway.EndpointType.REGIONAL,
            security_policy=apigateway.SecurityPolicy.TLS_1_2,
        )
        apigateway.BasePathMapping(
            self, "DomainMapping", domain_name=domain, rest_api=self.api, stage=self.stage, base_path=STAGE_NAME
        )
        cdk.CfnOutput(
            self, "ApiDomainTarget", value=domain.domain_name_alias_domain_name, description=f"CNAME {name} to this"
        )

    def _stage(self, config: StageConfig) -> apigateway.Stage:
        access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.THREE_MONTHS)
        deployment_ = apigateway.Deployment(self, "Deployment", api=self.api)
        for method in [*self.methods, *self.preflights]:
            deployment_.node.add_dependency(method)
        deployment_.add_to_logical_id({"routes": [m.node.path for m in [*self.methods, *self.preflights]]})
        stage = apigateway.Stage(
            self,
            "Stage",
            deployment=deployment_,
            stage_name=STAGE_NAME,
            throttling_rate_limit=config.api_throttle_rate,
            throttling_burst_limit=config.api_throttle_burst,
            logging_level=apigateway.MethodLoggingLevel.ERROR,
            data_trace_enabled=False,  # bodies carry readers' data: never logged
            metrics_enabled=True,
            tracing_enabled=True,
            access_log_destination=apigateway.LogGroupLogDestination(access_logs),
            access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                caller=False,
                http_method=True,
                ip=True,
                protocol=True,
                request_time=True,
                resource_path=True,
                response_length=True,
                status=True,
                user=False,
            ),
        )
        self.api.deployment_stage = stage
        suppress(
            self.api,
            "AwsSolutions-APIG2",
            "every route parses its body and query into its pydantic model and answers 400 naming each bad field",
        )
        suppress(self.api, "AwsSolutions-IAM4", "API Gateway's account-level role for CloudWatch Logs (CDK's)")
        return stage


@jsii.implements(constructs.IValidation)
class _AuthorizerCheck:
    """The validation that fails the synthesis of a stage whose bearer-only routes lack the Cognito authorizer."""

    def __init__(self, stack: ApiStack, routes: list[ApiRoute]) -> None:
        self.stack = stack
        self.routes = routes

    def validate(self) -> list[str]:
        if self.stack.authorizer is None:
            return [
                "the API stage has no authorizer: every route only readers or staff may call must sit behind the "
                "Cognito user pool's authorizer (set context authorizer=true)"
            ]
        pairs = list(zip(self.routes, self.stack.methods, strict=True))
        missing = [
            f"{route.method} {route.path}"
            for route, method in pairs
            if route.bearer_only and _authorization(method) != "COGNITO_USER_POOLS"
        ]
        unmetered = [
            f"{route.method} {route.path}"
            for route, method in pairs
            if route.member_key and (_authorization(method) != "CUSTOM" or not _key_required(method))
        ]
        problems = [f"routes for bearer tokens only without the Cognito authorizer: {missing}"] if missing else []
        if unmetered:
            problems.append(f"routes member systems call without the usage authorizer and plan key: {unmetered}")
        return problems


def _authorization(method: apigateway.Method) -> str | None:
    cfn = method.node.default_child
    assert isinstance(cfn, apigateway.CfnMethod)
    value = cfn.authorization_type
    return value if isinstance(value, str) else None


def _key_required(method: apigateway.Method) -> bool:
    cfn = method.node.default_child
    assert isinstance(cfn, apigateway.CfnMethod)
    return cfn.api_key_required is True
