"""The functions' permission sets, declared once in ``policies/permissions.toml`` and validated on load.

Each function names the tables, bucket, queues, key and index it reaches and the exact actions on each, and the
settings its code reads. :func:`load_permissions` refuses a file with a wildcard action, an unknown resource or
action, or a setting the hub does not have, naming the function and the field; the functions stack then makes
every IAM statement and every environment from it (:mod:`hubstack.functions`).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Final, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from consortium.config import Settings

__all__ = [
    "DYNAMODB_ACTIONS",
    "PERMISSIONS_FILE",
    "FunctionPermissions",
    "PermissionSets",
    "PermissionsError",
    "load_permissions",
]

PERMISSIONS_FILE: Final = Path(__file__).resolve().parents[2] / "policies" / "permissions.toml"

TableName = Literal["records", "clusters", "profiles", "reader_secrets"]
QueueName = Literal["push", "harvest"]

DYNAMODB_ACTIONS: Final = frozenset(
    {"GetItem", "BatchGetItem", "Query", "PutItem", "DeleteItem", "BatchWriteItem", "UpdateItem", "ConditionCheckItem"}
)
"""Item-level DynamoDB actions a function may be given (never Scan, table management or backups)."""
S3_ACTIONS: Final = frozenset({"GetObject", "PutObject", "ListBucket"})
SQS_SEND: Final = frozenset({"SendMessage"})
SQS_CONSUME: Final = frozenset({"ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility", "GetQueueAttributes"})
KMS_ACTIONS: Final = frozenset({"Decrypt", "GenerateDataKey"})
SES_ACTIONS: Final = frozenset({"SendEmail", "SendRawEmail"})
HTTP_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE"})
ALWAYS_SET: Final = ("backend", "aws_region")
"""Settings every function gets (the backend, and the region its AWS clients use)."""

TABLE_SETTINGS: Final[dict[str, str]] = {
    "records": "records_table",
    "clusters": "clusters_table",
    "profiles": "profiles_table",
    "reader_secrets": "reader_secrets_table",
}
"""The setting naming each table: a function reaching a table reads its name."""


class PermissionsError(ValueError):
    """``policies/permissions.toml`` is not valid; the message names the function and the field."""


def _exact(actions: list[str], allowed: frozenset[str], what: str) -> list[str]:
    for action in actions:
        if "*" in action:
            raise ValueError(f"{action!r}: no wildcard actions")
        if action not in allowed:
            raise ValueError(f"{action!r} is not one of the {what} actions a function may have: {sorted(allowed)}")
    if len(set(actions)) != len(actions):
        raise ValueError("an action is listed twice")
    return actions


class FunctionPermissions(BaseModel):
    """What one function reaches (one ``[functions.NAME]`` table of the file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    summary: str = Field(min_length=1)
    settings: list[str]
    dynamodb: dict[TableName, list[str]] = Field(default_factory=dict)
    s3: dict[Literal["raw", "evidence"], list[str]] = Field(default_factory=dict)
    """Area of the raw archive's bucket → actions: ``raw`` (the archived records) or ``evidence`` (the one object
    of the ranking evidence, :data:`~consortium.adapters.aws.s3_evidence.EVIDENCE_KEY`)."""
    sqs: dict[QueueName, list[str]] = Field(default_factory=dict)
    kms: dict[Literal["readers"], list[str]] = Field(default_factory=dict)
    opensearch: list[str] = Field(default_factory=list)
    ses: list[str] = Field(default_factory=list)

    @pydantic.field_validator("settings")
    @classmethod
    def _known_settings(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in Settings.model_fields:
                raise ValueError(f"{name!r} is not a setting of the hub (consortium.config.Settings)")
            if name in ALWAYS_SET:
                raise ValueError(f"{name!r} is set on every function: leave it out")
        if len(set(value)) != len(value):
            raise ValueError("a setting is listed twice")
        return value

    @pydantic.field_validator("dynamodb")
    @classmethod
    def _dynamodb(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {table: _exact(actions, DYNAMODB_ACTIONS, "DynamoDB") for table, actions in value.items()}

    @pydantic.field_validator("s3")
    @classmethod
    def _s3(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {bucket: _exact(actions, S3_ACTIONS, "S3") for bucket, actions in value.items()}

    @pydantic.field_validator("sqs")
    @classmethod
    def _sqs(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {queue: _exact(actions, SQS_SEND | SQS_CONSUME, "SQS") for queue, actions in value.items()}

    @pydantic.field_validator("kms")
    @classmethod
    def _kms(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {key: _exact(actions, KMS_ACTIONS, "KMS") for key, actions in value.items()}

    @pydantic.field_validator("opensearch")
    @classmethod
    def _opensearch(cls, value: list[str]) -> list[str]:
        return _exact(value, HTTP_METHODS, "OpenSearch HTTP")

    @pydantic.field_validator("ses")
    @classmethod
    def _ses(cls, value: list[str]) -> list[str]:
        return _exact(value, SES_ACTIONS, "SES")

    @pydantic.model_validator(mode="after")
    def _settings_cover_resources(self) -> FunctionPermissions:
        """A function reaching a resource must read the setting that names it, and the other way round."""
        needed = {TABLE_SETTINGS[table] for table in self.dynamodb}
        if self.s3:
            needed.add("raw_bucket")
        needed |= {f"{queue}_queue_url" for queue, actions in self.sqs.items() if set(actions) & SQS_SEND}
        if self.kms or "reader_secrets" in self.dynamodb:
            needed |= {"kms_key_id", "reader_secrets_table"}
        if self.opensearch:
            needed.add("opensearch_endpoint")
        if self.ses:
            needed.add("mail_sender")
        missing = sorted(needed - set(self.settings))
        if missing:
            raise ValueError(f"field 'settings': the resources it reaches need {missing} too")
        for queue in ("push", "harvest"):
            if f"{queue}_queue_url" in self.settings and not set(self.sqs.get(queue, [])) & SQS_SEND:
                raise ValueError(f"field 'settings': {queue}_queue_url without SendMessage on the {queue} queue")
        return self

    def environment_names(self) -> list[str]:
        """The ``CONSORTIUM_*`` variables of this function, in the file's order after the two every one has."""
        return [f"CONSORTIUM_{name.upper()}" for name in (*ALWAYS_SET, *self.settings)]


class PermissionSets(BaseModel):
    """Every function's permissions, by function name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    functions: dict[str, FunctionPermissions]

    def of(self, name: str) -> FunctionPermissions:
        """The permissions of function ``name``.

        Raises
        ------
        PermissionsError
            When the file declares none for it: a function the stacks deploy must be declared.
        """
        try:
            return self.functions[name]
        except KeyError:
            raise PermissionsError(f"policies/permissions.toml declares no function {name!r}") from None


def load_permissions(path: Path = PERMISSIONS_FILE) -> PermissionSets:
    """Read and validate the permission sets at ``path``.

    Raises
    ------
    PermissionsError
        Naming the file, the function and the field: ``function 'push', field 'dynamodb.records': 'Scan' is not
        one of ...``.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8").removeprefix("\ufeff"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PermissionsError(f"{path}: {exc}") from exc
    try:
        return PermissionSets.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = [str(part) for part in error["loc"]]
            if len(where) >= 2 and where[0] == "functions":
                field = ".".join(where[2:]) or "(the function)"
                problems.append(f"function {where[1]!r}, field {field!r}: {error['msg']}")
            else:
                problems.append(f"field {'.'.join(where)!r}: {error['msg']}")
        raise PermissionsError(f"{path}: " + "; ".join(problems)) from exc
