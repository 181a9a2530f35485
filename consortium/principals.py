"""AWS IAM principals as the member registry names them and as API Gateway passes them (see
:mod:`consortium.auth.iam`): an IAM role or user ARN, parsed and compared by account and name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["Principal", "parse_principal", "session_principal"]

_PARTITION = r"aws(?:-cn|-us-gov)?"
_NAME = r"[\w+=,.@-]{1,64}"
_REGISTERED: Final = re.compile(
    rf"^arn:({_PARTITION}):iam::(\d{{12}}):(role|user)/((?:[\x21-\x7e]{{1,510}}/)?)({_NAME})$"
)
"""What a member may name: an IAM role or user ARN, with its path; no wildcard."""
_SESSION: Final = re.compile(rf"^arn:({_PARTITION}):sts::(\d{{12}}):assumed-role/({_NAME})/[\w+=,.@-]{{2,64}}$")
_USER: Final = re.compile(rf"^arn:({_PARTITION}):iam::(\d{{12}}):user/((?:[\x21-\x7e]{{1,510}}/)?)({_NAME})$")


@dataclass(frozen=True)
class Principal:
    """Who an IAM ARN names, as the hub matches it: partition, account, ``role`` or ``user``, and the role's name
    or the user's path and name."""

    partition: str
    account: str
    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


def parse_principal(arn: str) -> Principal:
    """The principal a member names in the registry.

    Raises
    ------
    ValueError
        When ``arn`` is not an IAM role or user ARN (a wildcard, an account root, an assumed-role session, another
        service's ARN), saying which form is expected.

    Example
    -------
    >>> parse_principal("arn:aws:iam::123456789012:role/ils/riverside-ils")
    Principal(partition='aws', account='123456789012', kind='role', name='riverside-ils')
    """
    if "*" in arn or "?" in arn:
        raise ValueError(f"{arn!r} has a wildcard: name one role or user")
    match = _REGISTERED.fullmatch(arn)
    if match is None:
        raise ValueError(
            f"{arn!r} is not an IAM role or user ARN (arn:aws:iam::<12-digit account>:role/<name> or .../user/<name>)"
        )
    partition, account, kind, path, name = match.groups()
    return Principal(partition, account, kind, name if kind == "role" else f"{path}{name}")


def session_principal(user_arn: str) -> Principal | None:
    """The principal behind the ``userArn`` API Gateway verified: a role (from its session's ARN) or a user;
    ``None`` for any other caller (an account root, a federated user)."""
    if match := _SESSION.fullmatch(user_arn):
        partition, account, role = match.groups()
        return Principal(partition, account, "role", role)
    if match := _USER.fullmatch(user_arn):
        partition, account, path, name = match.groups()
        return Principal(partition, account, "user", f"{path}{name}")
    return None
