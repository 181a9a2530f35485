"""The portal stack: the readers' portal (``portal/``) on a private S3 bucket behind CloudFront, reached only
through origin access control, with the security headers the local server sends
(:data:`consortium.http.portal.SECURITY_HEADERS`) as a response headers policy.

The portal's ``config.json`` (the API's address and the Cognito app client) is written by the API stack, which
is deployed after this one: Cognito's app client needs this stack's address for its callback. The content
security policy therefore names the Cognito domain (known from the stage's settings) and the region's API Gateway
hosts (the API's own id is not known yet when this stack deploys).

The files deployed are ``portal/`` and the front-end packages' files the pages load
(:data:`consortium.http.portal.VENDOR_FILES`: Apache ECharts for the staff analytics page), copied from
``node_modules`` (``make install`` runs ``npm ci`` on ``package-lock.json``) into a staging folder at synth time:
the portal loads nothing from a CDN. Synth refuses to go on without them.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as deployment

from consortium.http.portal import SECURITY_HEADERS, VENDOR_FILES, vendor_file
from consortium.http.portal import content_security_policy as portal_policy
from hubstack.config import REPO_ROOT
from hubstack.nag import suppress

if TYPE_CHECKING:
    from constructs import Construct

    from hubstack.config import StageConfig

__all__ = ["PortalStack", "cognito_domain_prefix", "content_security_policy", "staged_portal"]


def staged_portal(portal_dir: Path, repository: Path = REPO_ROOT) -> Path:
    """A temporary folder with the portal's files (``config.json`` left out) and its front-end packages' files at
    the paths the pages load them from; removed when the process ends (CDK has copied the asset by then).

    Raises
    ------
    ValueError
        When a package's file is not installed (``npm ci`` was not run), naming it.
    """
    staged = Path(tempfile.mkdtemp(prefix="consortium-portal-"))
    atexit.register(shutil.rmtree, staged, True)
    shutil.copytree(portal_dir, staged, dirs_exist_ok=True, ignore=shutil.ignore_patterns("config.json"))
    for relative, installed in VENDOR_FILES.items():
        found = vendor_file(relative, repository)
        if found is None:
            raise ValueError(f"{installed} is not installed: run make install (npm ci) before synth; the portal "
                             f"serves it at {relative}")  # fmt: skip
        target = staged / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(found, target)
    return staged


def cognito_domain_prefix(config: StageConfig) -> str:
    """The prefix of the hosted sign-in domain: the stage's setting, else ``consortium-<stage>-<account>``."""
    return config.cognito_domain_prefix or f"consortium-{config.stage}-{cdk.Aws.ACCOUNT_ID}"


def content_security_policy(config: StageConfig) -> str:
    """The local server's policy (:func:`consortium.http.portal.content_security_policy`), its ``connect-src``
    naming the API and the Cognito sign-in."""
    cognito = f"https://{cognito_domain_prefix(config)}.auth.{cdk.Aws.REGION}.amazoncognito.com"
    api = (
        f"https://{config.api_domain}" if config.api_domain else f"https://*.execute-api.{cdk.Aws.REGION}.amazonaws.com"
    )
    return portal_policy(api, cognito)


class PortalStack(cdk.Stack):
    """The portal's bucket, distribution, headers and files."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        portal_dir = config.path(config.portal_dir)
        if not (portal_dir / "index.html").is_file():
            raise ValueError(f"context 'portal_dir': {portal_dir} has no index.html (the portal's built files)")
        logs = s3.Bucket(
            self,
            "CdnLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,  # CloudFront's standard logs need ACLs
            lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(90))],
            removal_policy=cdk.RemovalPolicy.DESTROY,
            auto_delete_objects=True,
        )
        suppress(logs, "AwsSolutions-S1", "it is the bucket the access logs go to")
        self.bucket = s3.Bucket(
            self,
            "Site",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            server_access_logs_bucket=logs,
            server_access_logs_prefix="site/",
            removal_policy=cdk.RemovalPolicy.DESTROY,
            auto_delete_objects=True,
        )
        headers = SECURITY_HEADERS
        policy = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="the portal's security headers (consortium.http.portal.SECURITY_HEADERS)",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(config), override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption(headers["X-Frame-Options"]), override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=_referrer(headers["Referrer-Policy"]),
                    override=True,
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=cdk.Duration.days(365), include_subdomains=True, override=True
                ),
            ),
            custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(
                custom_headers=[
                    cloudfront.ResponseCustomHeader(
                        header="Permissions-Policy", value=headers["Permissions-Policy"], override=True
                    )
                ]
            ),
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"consortium {config.stage}: the readers' portal",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=policy,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            ),
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            domain_names=[config.portal_domain] if config.portal_domain else None,
            certificate=acm.Certificate.from_certificate_arn(self, "Certificate", config.portal_certificate_arn)
            if config.portal_certificate_arn
            else None,
            enable_logging=True,
            log_bucket=logs,
            log_file_prefix="cdn/",
        )
        suppress(self.distribution, "AwsSolutions-CFR1", "readers of the consortium's libraries travel: no geo block")
        suppress(
            self.distribution,
            "AwsSolutions-CFR2",
            "the distribution serves static files only; the API has its own WAF web ACL with rate limits",
        )
        if not config.portal_domain:
            suppress(
                self.distribution,
                "AwsSolutions-CFR4",
                "with CloudFront's default certificate (no custom domain) the minimum protocol cannot be raised; a "
                "custom domain with its certificate gets TLSv1.2_2021",
            )
            self.url = f"https://{self.distribution.distribution_domain_name}"
        else:
            self.url = f"https://{config.portal_domain}"
            cdk.CfnOutput(
                self,
                "PortalDomainTarget",
                value=self.distribution.distribution_domain_name,
                description=f"CNAME {config.portal_domain} to this",
            )
        files = deployment.BucketDeployment(
            self,
            "Files",
            sources=[deployment.Source.asset(str(staged_portal(portal_dir)), exclude=["config.json"])],
            destination_bucket=self.bucket,
            exclude=["config.json"],  # written by the API stack; never pruned by this one
            distribution=self.distribution,
            distribution_paths=["/*"],
        )
        suppress_deployment(self)
        del files


def _referrer(value: str) -> cloudfront.HeadersReferrerPolicy:
    for policy in cloudfront.HeadersReferrerPolicy:
        if policy.value == value.upper().replace("-", "_"):
            return policy
    raise ValueError(f"Referrer-Policy {value!r} is not one CloudFront sets")


def suppress_deployment(stack: cdk.Stack) -> None:
    """Suppress the findings on the function and role CDK makes for a BucketDeployment (one per stack): call
    after adding the deployment."""
    reason = "CDK's own BucketDeployment function (it copies the files in at deploy time); CDK makes its role"
    for child in stack.node.children:
        if child.node.id.startswith("Custom::CDKBucketDeployment"):
            for rule in ("AwsSolutions-IAM4", "AwsSolutions-IAM5", "AwsSolutions-L1"):
                suppress(child, rule, reason)
