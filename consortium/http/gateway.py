"""API Gateway's Lambda authorizer for the routes member systems call: which usage plan a request counts against.

The hub's member API keys are its own (``ck_…``, only their hash kept: :mod:`consortium.auth.api_keys`), and the
same routes take readers' and staff's bearer tokens and, for the public ones, no credential at all. So API
Gateway cannot check the keys itself; the REST API takes its usage identifier from this authorizer instead
(``apiKeySource: AUTHORIZER``): the authorizer verifies the request's credential exactly as the apps do
(:class:`~consortium.auth.authenticator.Authenticator`) and answers with the API Gateway key of the usage plan the
caller counts against:

- a member's API key: that member's plan (:func:`member_usage_key`), its own throttle and daily quota, made at
  deployment for every member of the registry deployed with the functions;
- anyone else (a reader, staff, no credential), or a key of a member the deployed registry does not list: the
  shared plan (:func:`shared_usage_key`).

A credential that does not verify is refused here with 401, before any function runs; otherwise the request is
let through and the app decides, by its route table, whether this caller may call this route (the one place
authorization is decided). The usage identifiers are not secrets: API Gateway never reads them from a request
(the ``X-Api-Key`` header carries the hub's own key, which only this authorizer reads), they only name a plan.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from consortium.auth.callers import CallerKind
from consortium.errors import AuthenticationError

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from consortium.auth.authenticator import Authenticator

__all__ = ["UNAUTHORIZED", "authorize", "member_usage_key", "shared_usage_key"]

UNAUTHORIZED: Final = "Unauthorized"
"""What a Lambda authorizer raises for API Gateway to answer 401."""
_PREFIX = re.compile(r"[a-z0-9-]{1,40}")


def _checked(prefix: str) -> str:
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"usage key prefix {prefix!r}: 1 to 40 lowercase letters, digits or '-'")
    return prefix


def member_usage_key(prefix: str, member: str) -> str:
    """The API Gateway key (its value) of ``member``'s usage plan in the stage whose keys start with ``prefix``.

    Example
    -------
    >>> member_usage_key("consortium-dev", "riverside")
    'consortium-dev-usage-member-riverside'
    """
    return f"{_checked(prefix)}-usage-member-{member}"


def shared_usage_key(prefix: str) -> str:
    """The API Gateway key of the shared plan: readers, staff and anonymous callers.

    Example
    -------
    >>> shared_usage_key("consortium-dev")
    'consortium-dev-usage-shared'
    """
    return f"{_checked(prefix)}-usage-shared"


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def authorize(
    event: Mapping[str, Any], authenticator: Authenticator, *, members: Collection[str], prefix: str
) -> dict[str, Any]:
    """The answer to API Gateway's REQUEST authorizer ``event``: allowed, with the usage plan's key.

    Raises
    ------
    Exception
        ``Exception("Unauthorized")`` (API Gateway answers 401) when the request's bearer token or API key does
        not verify; the reason goes to no log (it could name a key id).
    """
    headers = event.get("headers")
    try:
        caller = authenticator.caller(
            authorization=_header(headers, "authorization"), api_key=_header(headers, "x-api-key")
        )
    except AuthenticationError:
        raise Exception(UNAUTHORIZED) from None
    member = caller.member
    if caller.kind is CallerKind.MEMBER_KEY and member is not None and member in members:
        usage, principal = member_usage_key(prefix, member), f"member:{member}"
    else:
        usage, principal = shared_usage_key(prefix), caller.kind.value
    arn = str(event["methodArn"])
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": arn}],
        },
        "usageIdentifierKey": usage,
        "context": {"caller": caller.kind.value, "member": caller.member or ""},
    }
