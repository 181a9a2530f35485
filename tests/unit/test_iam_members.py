"""Member systems calling with AWS IAM: the principal API Gateway verified, mapped to one member through the
registry's ``iam_principals``; only from the member API for IAM, never from a header."""

from __future__ import annotations

from pathlib import Path

import pytest

from consortium.auth.authenticator import Authenticator
from consortium.auth.callers import CallerKind
from consortium.auth.iam import IamMembers
from consortium.errors import AuthenticationError, ConfigError, PermissionDeniedError
from consortium.members import Member, MemberRegistry, load_registry
from consortium.principals import parse_principal, session_principal

RIVERSIDE_ROLE = "arn:aws:iam::123456789012:role/ils/riverside-ils"
LAKESIDE_USER = "arn:aws:iam::210987654321:user/feeds/lakeside-feed"
MEMBERS = [
    Member(id="riverside", name="Riverside", iam_principals=[RIVERSIDE_ROLE]),
    Member(id="lakeside", name="Lakeside", iam_principals=[LAKESIDE_USER]),
    Member(id="eastlake", name="Eastlake"),
]
IAM_API = "a1b2c3d4e5"


class NoTokens:
    def verify(self, token: str) -> None:
        raise AuthenticationError("no token verifies here")


class NoKeys:
    def verify(self, secret: str) -> None:
        raise AuthenticationError("no key verifies here")


def authenticator(api_id: str | None = IAM_API) -> Authenticator:
    return Authenticator(NoTokens(), NoKeys(), IamMembers(lambda: MEMBERS), api_id)  # type: ignore[arg-type]


def test_a_role_session_acts_for_the_member_naming_the_role() -> None:
    session = "arn:aws:sts::123456789012:assumed-role/riverside-ils/nightly-loans"
    caller = IamMembers(lambda: MEMBERS).caller(session)
    assert (caller.kind, caller.member, caller.subject) == (CallerKind.MEMBER_IAM, "riverside", "role/riverside-ils")
    assert caller.acts_for_member
    assert caller.actor().actor_id == "riverside/iam:role/riverside-ils"
    assert caller.describe() == "an AWS principal of riverside"


def test_a_user_acts_by_its_whole_arn() -> None:
    caller = IamMembers(lambda: MEMBERS).caller(LAKESIDE_USER)
    assert (caller.member, caller.subject) == ("lakeside", "user/feeds/lakeside-feed")
    with pytest.raises(PermissionDeniedError):  # another path is another user
        IamMembers(lambda: MEMBERS).caller("arn:aws:iam::210987654321:user/lakeside-feed")


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:sts::123456789012:assumed-role/some-other-role/s1",  # a role no member names
        "arn:aws:sts::999999999999:assumed-role/riverside-ils/s1",  # the same role name in another account
        "arn:aws-cn:sts::123456789012:assumed-role/riverside-ils/s1",  # another partition
        "arn:aws:iam::123456789012:root",  # the account itself
        "arn:aws:sts::123456789012:federated-user/riverside",
        "",
    ],
)
def test_an_unknown_principal_is_refused(arn: str) -> None:
    with pytest.raises(PermissionDeniedError, match="acts for no member"):
        IamMembers(lambda: MEMBERS).caller(arn)


def test_the_principal_is_believed_only_from_the_member_api_for_iam() -> None:
    session = "arn:aws:sts::123456789012:assumed-role/riverside-ils/s1"
    signature = "AWS4-HMAC-SHA256 Credential=ASIA.../20261204/eu-west-1/execute-api/aws4_request, ..."
    caller = authenticator().caller(authorization=signature, api_key=None, aws_principal=session, api_id=IAM_API)
    assert caller.member == "riverside"
    # another API (the readers' one) or no API id configured: the context proves nothing, as anonymous
    for api_id, configured in (("zzzz", IAM_API), (IAM_API, None), (None, IAM_API)):
        other = authenticator(configured).caller(authorization=None, api_key=None, aws_principal=session, api_id=api_id)
        assert other.kind is CallerKind.ANONYMOUS
    # on the member API for IAM: no principal (an unsigned request), or an API key beside it, is refused
    with pytest.raises(AuthenticationError, match="Signature Version 4"):
        authenticator().caller(authorization=None, api_key=None, aws_principal=None, api_id=IAM_API)
    with pytest.raises(AuthenticationError, match="not both"):
        authenticator().caller(authorization=signature, api_key="ck_x", aws_principal=session, api_id=IAM_API)
    with pytest.raises(PermissionDeniedError):
        authenticator().caller(authorization=signature, api_key=None, aws_principal=LAKESIDE_USER + "x", api_id=IAM_API)


@pytest.mark.parametrize(
    ("arn", "reason"),
    [
        ("arn:aws:iam::123456789012:role/*", "wildcard"),
        ("arn:aws:iam::123456789012:root", "not an IAM role or user ARN"),
        ("arn:aws:sts::123456789012:assumed-role/riverside-ils/s1", "not an IAM role or user ARN"),
        ("arn:aws:iam::12345:role/riverside-ils", "not an IAM role or user ARN"),
        ("arn:aws:s3:::riverside", "not an IAM role or user ARN"),
    ],
)
def test_the_registry_refuses_what_is_not_one_role_or_user(tmp_path: Path, arn: str, reason: str) -> None:
    file = tmp_path / "members.toml"
    file.write_text(f'[[members]]\nid = "riverside"\nname = "Riverside"\niam_principals = ["{arn}"]\n')
    with pytest.raises(ConfigError, match=rf"member 'riverside', field 'iam_principals'.*{reason}"):
        load_registry(file)


def test_a_principal_acts_for_one_member_only() -> None:
    with pytest.raises(ValueError, match="acts for 'riverside' already"):
        MemberRegistry(
            members=[
                Member(id="riverside", name="R", iam_principals=[RIVERSIDE_ROLE]),
                Member(id="lakeside", name="L", iam_principals=["arn:aws:iam::123456789012:role/riverside-ils"]),
            ]
        )
    with pytest.raises(ValueError, match="given twice"):
        Member(
            id="riverside", name="R", iam_principals=[RIVERSIDE_ROLE, "arn:aws:iam::123456789012:role/riverside-ils"]
        )


def test_principals_parse_as_api_gateway_names_them() -> None:
    role = parse_principal(RIVERSIDE_ROLE)
    assert session_principal("arn:aws:sts::123456789012:assumed-role/riverside-ils/x-1") == role
    assert session_principal(LAKESIDE_USER) == parse_principal(LAKESIDE_USER)
    assert session_principal("arn:aws:iam::123456789012:role/riverside-ils") is None  # a role signs as a session
