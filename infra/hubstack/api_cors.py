"""CORS on the readers' API for the portal, which is on another origin (CloudFront, or the portal's domain):
the preflights answered by API Gateway itself (an ``OPTIONS`` mock method on every resource), and API Gateway's
own refusals (its authorizer's 401, its throttling's 429, a path no route has) given the same CORS headers and a
``code`` of the API's catalogue, so that the portal reads them and says them in the reader's language. The apps
add the headers to their own answers (``consortium.http.cors``, from ``CONSORTIUM_PORTAL_ORIGINS``, which the
stack sets to the portal's origin). The member API for IAM is for members' servers and has none of this."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway

from consortium.http import cors
from hubstack.nag import suppress

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["GATEWAY_CODES", "gateway_answers", "preflight_methods", "preflight_options"]

GATEWAY_CODES: Final[dict[str, tuple[str, str, int | None]]] = {
    # response type: (the API's code, Chalice's Code, the status when API Gateway's differs from the catalogue's)
    "UNAUTHORIZED": ("invalid_credentials", "UnauthorizedError", None),
    "ACCESS_DENIED": ("forbidden", "ForbiddenError", None),
    "MISSING_AUTHENTICATION_TOKEN": ("no_route", "NotFoundError", 404),  # API Gateway's 403 for a path no route has
    "REQUEST_TOO_LARGE": ("too_large", "RequestEntityTooLarge", None),
    "UNSUPPORTED_MEDIA_TYPE": ("unsupported_media_type", "UnsupportedMediaType", None),
    "THROTTLED": ("rate_limited", "TooManyRequestsError", None),
    "QUOTA_EXCEEDED": ("quota_exceeded", "TooManyRequestsError", None),
    "WAF_FILTERED": ("blocked", "ForbiddenError", None),
    "INTEGRATION_TIMEOUT": ("timeout", "GatewayTimeoutError", None),
}
"""API Gateway's refusals that get a code (``consortium.http.problems.API_ERRORS``); every other 4xx and 5xx of
its own only gets the CORS headers."""


def preflight_options(origin: str) -> apigateway.CorsOptions:
    """The ``OPTIONS`` answer of every resource: the values :func:`consortium.http.cors.preflight_headers` gives
    on the local server."""
    return apigateway.CorsOptions(
        allow_origins=[origin],
        allow_methods=list(cors.ALLOWED_METHODS),
        allow_headers=list(cors.ALLOWED_HEADERS),
        max_age=cdk.Duration.seconds(cors.MAX_AGE_SECONDS),
        status_code=204,
    )


def gateway_answers(api: apigateway.RestApi, origin: str) -> None:
    """API Gateway's own error answers readable by the portal: CORS headers on all, a catalogue code on those of
    :data:`GATEWAY_CODES` (the body as the apps write it: ``Code``, ``Message``, ``code``)."""
    headers = {
        "Access-Control-Allow-Origin": f"'{origin}'",
        "Access-Control-Expose-Headers": "'" + ", ".join(cors.EXPOSED_HEADERS) + "'",
        "Vary": "'Origin'",
    }
    for name, default in (
        ("Cors4xx", apigateway.ResponseType.DEFAULT_4_XX),
        ("Cors5xx", apigateway.ResponseType.DEFAULT_5_XX),
    ):
        api.add_gateway_response(name, type=default, response_headers=headers)
    for kind, (code, error, status) in GATEWAY_CODES.items():
        body = '{"Code": ' + json.dumps(error) + ', "Message": $context.error.messageString, "code": '
        body += json.dumps(code) + "}"
        api.add_gateway_response(
            "Gateway" + kind.title().replace("_", ""),
            type=getattr(apigateway.ResponseType, kind),
            status_code=str(status) if status else None,
            response_headers=headers,
            templates={"application/json": body},
        )


def preflight_methods(api: apigateway.RestApi) -> Iterable[apigateway.Method]:
    """The ``OPTIONS`` methods :func:`preflight_options` made, each told to cdk-nag why it takes no credentials."""
    for child in api.node.find_all():
        if isinstance(child, apigateway.Method) and child.http_method == "OPTIONS":
            for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
                suppress(child, rule, "a CORS preflight, answered by API Gateway itself (a mock): it reads no data")
            yield child
