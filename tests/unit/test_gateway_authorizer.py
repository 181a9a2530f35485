"""API Gateway's usage authorizer (consortium.http.gateway): the credential verified as the apps verify it, the
usage plan named by who calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from consortium.adapters.memory.api_keys import InMemoryApiKeyStore
from consortium.auth.api_keys import ApiKeys
from consortium.auth.authenticator import Authenticator
from consortium.auth.callers import StaffRole
from consortium.auth.tokens import LocalTokenIssuer
from consortium.http.gateway import authorize, member_usage_key, shared_usage_key

if TYPE_CHECKING:
    from pathlib import Path

ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/api/GET/members/riverside/sources"
PREFIX = "consortium-dev"
MEMBERS = frozenset({"riverside", "lakeside"})


@pytest.fixture
def hub(tmp_path: Path) -> tuple[Authenticator, ApiKeys, LocalTokenIssuer]:
    issuer = LocalTokenIssuer(tmp_path / "signing.pem")
    keys = ApiKeys(InMemoryApiKeyStore())
    return Authenticator(issuer.verifier(), keys), keys, issuer


def _event(**headers: str) -> dict[str, Any]:
    return {"type": "REQUEST", "methodArn": ARN, "headers": headers, "httpMethod": "GET"}


def test_a_member_key_counts_on_its_member_s_plan(hub: tuple[Authenticator, ApiKeys, LocalTokenIssuer]) -> None:
    authenticator, keys, _ = hub
    issued = keys.create("riverside", "loader")
    answer = authorize(_event(**{"X-API-Key": issued.secret}), authenticator, members=MEMBERS, prefix=PREFIX)
    assert answer["usageIdentifierKey"] == "consortium-dev-usage-member-riverside"
    assert answer["principalId"] == "member:riverside"
    assert answer["policyDocument"]["Statement"] == [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": ARN}
    ]
    assert issued.secret not in repr(answer)  # the hub's key is never handed on


def test_readers_staff_and_anonymous_callers_share_one_plan(
    hub: tuple[Authenticator, ApiKeys, LocalTokenIssuer],
) -> None:
    authenticator, _, issuer = hub
    reader = issuer.issue("reader-1", member="riverside")
    staff = issuer.issue("admin-1", member="riverside", roles=[StaffRole.MEMBER_ADMIN])
    for event, principal in ((_event(), "anonymous"), (_event(Authorization=f"Bearer {reader}"), "reader"),
                             (_event(authorization=f"Bearer {staff}"), "staff")):  # fmt: skip
        answer = authorize(event, authenticator, members=MEMBERS, prefix=PREFIX)
        assert answer["usageIdentifierKey"] == shared_usage_key(PREFIX) == "consortium-dev-usage-shared"
        assert answer["principalId"] == principal  # never the reader's id


def test_a_key_of_a_member_without_a_plan_counts_on_the_shared_plan(
    hub: tuple[Authenticator, ApiKeys, LocalTokenIssuer],
) -> None:
    authenticator, keys, _ = hub
    issued = keys.create("newcomer", "loader")  # a member added since the stage was deployed
    answer = authorize(_event(**{"x-api-key": issued.secret}), authenticator, members=MEMBERS, prefix=PREFIX)
    assert answer["usageIdentifierKey"] == shared_usage_key(PREFIX)


@pytest.mark.parametrize(
    "headers",
    [
        {"x-api-key": "ck_0123456789abcdef_" + "A" * 43},  # unknown
        {"x-api-key": ""},  # empty: a credential that does not verify
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not-a-jwt"},
    ],
)
def test_a_credential_that_does_not_verify_is_a_401(
    hub: tuple[Authenticator, ApiKeys, LocalTokenIssuer], headers: dict[str, str]
) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized\Z") as raised:
        authorize(_event(**headers), hub[0], members=MEMBERS, prefix=PREFIX)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__  # no key id in the trace


def test_a_revoked_key_and_both_credentials_at_once_are_refused(
    hub: tuple[Authenticator, ApiKeys, LocalTokenIssuer],
) -> None:
    authenticator, keys, issuer = hub
    issued = keys.create("riverside", "loader")
    keys.revoke("riverside", issued.key.key_id)
    with pytest.raises(Exception, match=r"^Unauthorized\Z"):
        authorize(_event(**{"x-api-key": issued.secret}), authenticator, members=MEMBERS, prefix=PREFIX)
    other = keys.create("riverside", "other")
    both = _event(**{"x-api-key": other.secret, "Authorization": f"Bearer {issuer.issue('r')}"})
    with pytest.raises(Exception, match=r"^Unauthorized\Z"):
        authorize(both, authenticator, members=MEMBERS, prefix=PREFIX)


def test_usage_keys_are_named_by_the_stage_prefix() -> None:
    assert member_usage_key("consortium-prod", "lakeside") == "consortium-prod-usage-member-lakeside"
    with pytest.raises(ValueError, match="usage key prefix"):
        shared_usage_key("Consortium Prod")
