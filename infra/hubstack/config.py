"""A stage's settings, from the CDK context: ``--context stage=dev|prod`` picks ``stages.<stage>`` of cdk.json's
context (the per-consortium settings), and any ``--context key=value`` overrides one of them.

Nothing here names an account or a region: the stacks deploy where the CLI's credentials point
(``CDK_DEFAULT_ACCOUNT``/``CDK_DEFAULT_REGION``), or stay environment-agnostic without them.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["REPO_ROOT", "MemberLimits", "StageConfig", "check_context_keys", "stage_config"]

REPO_ROOT: Final = Path(__file__).resolve().parents[2]
STAGES: Final = ("dev", "prod")


class MemberLimits(BaseModel):
    """One member's usage plan, where it differs from the stage's ``member_*`` defaults."""

    model_config = ConfigDict(extra="forbid")

    rate: int | None = Field(default=None, ge=1)
    burst: int | None = Field(default=None, ge=1)
    quota_per_day: int | None = Field(default=None, ge=1)


class StageConfig(BaseModel):
    """Everything one stage of the hub is deployed with (each field can be set in cdk.json or with --context)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stage: Literal["dev", "prod"]
    """The environment: dev (its data may be destroyed with the stack) or prod (data kept)."""
    members_file: Path = Path("members.toml")
    """The member registry deployed with the functions; its sources' schedules become EventBridge Scheduler
    schedules (relative paths are from the repository)."""
    portal_dir: Path = Path("portal")
    """The portal's built files (index.html, assets/)."""
    lambda_asset: Path = Path("build/lambda")
    """The functions' code: the folder ``make package`` builds (the core, its dependencies, functions/)."""
    mail_sender: str = "Consortium hub <no-reply@consortium.example.edu>"
    """The From of digest email; SES verifies its domain with Easy DKIM."""
    api_domain: str | None = None
    """The API's own domain name (``api.library.example.edu``), with ``api_certificate_arn`` (an ACM certificate for
    it in the stage's region): the API is then ``https://<api_domain>/api`` and the portal's content security
    policy names it exactly. Point a CNAME at the ``ApiDomainTarget`` output."""
    api_certificate_arn: str | None = None
    portal_domain: str | None = None
    """The portal's own domain name, with ``portal_certificate_arn`` (an ACM certificate in us-east-1, where
    CloudFront takes them from). Point a CNAME at the ``PortalDomainTarget`` output."""
    portal_certificate_arn: str | None = None
    alarm_email: str | None = None
    """Who gets the alarms (an SNS subscription); none: the topic has no subscriber yet."""
    cognito_domain_prefix: str | None = None
    """The prefix of the Cognito hosted sign-in domain (unique in the region); default consortium-<stage>-<account>."""
    cognito_feature_plan: Literal["LITE", "ESSENTIALS", "PLUS"] = "LITE"
    """The user pool's feature plan, priced per monthly active user: Lite has all the hub uses (the classic hosted
    sign-in, TOTP); Essentials costs about three times as much a user, Plus adds threat protection (infra/README.md,
    the cost estimate)."""
    opensearch_instance_type: str = "t3.small.search"
    opensearch_instance_count: int = Field(default=1, ge=1, le=20)
    opensearch_volume_gb: int = Field(default=10, ge=10, le=3000)
    opensearch_master_nodes: int = Field(default=0, ge=0, le=5)
    """Dedicated master nodes (3 for a large production domain); 0: the data nodes elect a master."""
    push_shards: int = Field(default=8, ge=2, le=1000)
    """Shards of readers a push run is split into, one SQS message each (at least 2: one shard runs in-process)."""
    timezone: str = "Asia/Shanghai"
    """The IANA time zone of the schedules' cron expressions (members' sources and push)."""
    push_token_key: str = Field(default="1", pattern=r"^[a-z0-9]{1,16}$")
    """The generation new push tokens are sealed under (CONSORTIUM_PUSH_TOKEN_KEY): a new one rotates."""
    waf_rate_limit: int = Field(default=2000, ge=100)
    """Requests one address (and one API key) may make in 5 minutes before WAF blocks it."""
    api_throttle_rate: int = Field(default=200, ge=1)
    api_throttle_burst: int = Field(default=400, ge=1)
    log_retention_days: int = 90
    rebuild_cpu: Literal[4, 8, 16] = 8
    """vCPUs of the bulk re-clustering task (ECS Fargate): 4, 8 or 16."""
    rebuild_memory_gb: int = Field(default=32, ge=8, le=120)
    """Memory of the bulk re-clustering task in GB: about 7.2 GB a million records (infra/README.md), within what
    Fargate gives ``rebuild_cpu`` (4 vCPU: 8-30 GB; 8 vCPU: 16-60 GB in steps of 4; 16 vCPU: 32-120 in steps of 8)."""
    member_throttle_rate: int = Field(default=20, ge=1)
    """Requests a second one member's systems may make (its usage plan; API Gateway answers 429 beyond it)."""
    member_throttle_burst: int = Field(default=40, ge=1)
    member_quota_per_day: int = Field(default=100_000, ge=1)
    """Requests a day one member's systems may make (its usage plan's quota; 429 beyond it until the next day)."""
    member_limits: dict[str, MemberLimits] = Field(default_factory=dict)
    """Another throttle or quota for some members, by member id (each id must be in the registry)."""
    shared_throttle_rate: int | None = Field(default=None, ge=1)
    """The shared usage plan's rate (readers, staff, anonymous callers on the routes member systems call);
    default ``api_throttle_rate``."""
    shared_throttle_burst: int | None = Field(default=None, ge=1)
    rebuild_partition_cpu: Literal[1, 2, 4, 8, 16] = 2
    """vCPUs of each partition's task (the clustering runs on one core: more only buys memory)."""
    rebuild_partition_memory_gb: int = Field(default=16, ge=2, le=120)
    """Memory of each partition's task: about 10 GB a million records of the partition (infra/README.md)."""
    rebuild_partitions: int = Field(default=4, ge=2, le=1000)
    """Partitions of the partitioned re-clustering (its own state machine): records joined by shared blocking keys
    stay together, so a partition holds about records / partitions (infra/README.md, the scale section)."""
    rebuild_concurrency: int = Field(default=4, ge=1, le=1000)
    """Partitions re-clustered at once (Fargate tasks of ``rebuild_partition_cpu`` each: within the account's vCPU
    quota)."""
    authorizer: bool = True
    """The Cognito authorizer on the bearer-only routes; a stage without it does not synthesize (tests only)."""
    member_iam_accounts: tuple[str, ...] = ()
    """The AWS accounts (12 digits each; ``--context member_iam_accounts=111111111111,222222222222``) whose IAM
    roles and users may call the member API for IAM, besides the hub's own: its resource policy lets them invoke
    it, and the hub then lets in only the principals members name (``iam_principals`` in members.toml)."""

    @pydantic.field_validator("member_iam_accounts", mode="before")
    @classmethod
    def _accounts(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        for account in value if isinstance(value, list | tuple) else ():
            if not (isinstance(account, str) and re.fullmatch(r"\d{12}", account)):
                raise ValueError(f"{account!r} is not an AWS account id (12 digits)")
        return value

    @pydantic.field_validator("mail_sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        if not re.search(r"<?[^<>@\s]+@([A-Za-z0-9.-]+\.[A-Za-z]{2,})>?\s*$", value):
            raise ValueError("must end with an address, as in 'Consortium hub <no-reply@library.example.edu>'")
        return value

    @pydantic.model_validator(mode="after")
    def _domains(self) -> StageConfig:
        for part in ("api", "portal"):
            domain, certificate = getattr(self, f"{part}_domain"), getattr(self, f"{part}_certificate_arn")
            if bool(domain) != bool(certificate):
                raise ValueError(f"{part}_domain and {part}_certificate_arn go together: set both or neither")
            if certificate and not re.fullmatch(
                r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[\w-]+", certificate
            ):
                raise ValueError(f"{part}_certificate_arn: {certificate!r} is not an ACM certificate ARN")
            if part == "portal" and certificate and ":acm:us-east-1:" not in certificate:
                raise ValueError("portal_certificate_arn: CloudFront takes certificates from us-east-1 only")
        return self

    @pydantic.model_validator(mode="after")
    def _fargate_size(self) -> StageConfig:
        sizes = {1: (2, 8, 1), 2: (4, 16, 1), 4: (8, 30, 1), 8: (16, 60, 4), 16: (32, 120, 8)}
        for name, cpu, memory in (
            ("rebuild_memory_gb", self.rebuild_cpu, self.rebuild_memory_gb),
            ("rebuild_partition_memory_gb", self.rebuild_partition_cpu, self.rebuild_partition_memory_gb),
        ):
            low, high, step = sizes[cpu]
            if not low <= memory <= high or memory % step:
                raise ValueError(
                    f"{name} {memory}: Fargate gives {cpu} vCPU {low} to {high} GB"
                    + (f" in steps of {step}" if step > 1 else "")
                )
        return self

    @pydantic.model_validator(mode="after")
    def _usage_plans(self) -> StageConfig:
        plans = {"member_*": (self.member_throttle_rate, self.member_throttle_burst)}
        plans |= {
            f"member_limits.{member}": (
                limits.rate or self.member_throttle_rate,
                limits.burst or self.member_throttle_burst,
            )
            for member, limits in self.member_limits.items()
        }
        for name, (rate, burst) in plans.items():
            if burst < rate:
                raise ValueError(f"{name}: a burst of {burst} below a rate of {rate} a second")
            if rate > self.api_throttle_rate:
                raise ValueError(
                    f"{name}: a rate of {rate} a second above the stage's api_throttle_rate {self.api_throttle_rate}"
                )
        return self

    def check_member_limits(self, members: list[str]) -> None:
        """Refuse ``member_limits`` naming a member the registry does not list (``members``: its ids)."""
        unknown = sorted(set(self.member_limits) - set(members))
        if unknown:
            raise ValueError(
                f"context 'member_limits': {unknown} not in the member registry {self.members_file} "
                f"(its members: {members})"
            )

    def member_plan(self, member: str) -> tuple[int, int, int]:
        """The member's usage plan: rate a second, burst, requests a day."""
        own = self.member_limits.get(member) or MemberLimits()
        return (
            own.rate or self.member_throttle_rate,
            own.burst or self.member_throttle_burst,
            own.quota_per_day or self.member_quota_per_day,
        )

    @property
    def mail_domain(self) -> str:
        """The domain of the sender's address: the SES identity."""
        found = re.search(r"@([A-Za-z0-9.-]+)>?\s*$", self.mail_sender)
        assert found is not None
        return found.group(1).lower()

    @property
    def retain_data(self) -> bool:
        """Whether the stage's data survives deleting its stacks (prod)."""
        return self.stage == "prod"

    def path(self, relative: Path) -> Path:
        """A configured path, relative to the repository unless absolute."""
        return relative if relative.is_absolute() else REPO_ROOT / relative


def stage_config(context: dict[str, Any]) -> StageConfig:
    """The stage the context asks for: ``stages.<stage>`` with any top-level context key of the same name on top.

    Raises
    ------
    ValueError
        Without ``stage``, for an unknown one, or for a bad setting (naming the context key and why).
    """
    stage = context.get("stage")
    if stage not in STAGES:
        raise ValueError(f"set the stage: --context stage=dev or --context stage=prod (got {stage!r})")
    stages = context.get("stages") or {}
    values: dict[str, Any] = dict(stages.get(stage) or {})
    values.update(
        {name: value for name, value in context.items() if name in StageConfig.model_fields and value is not None}
    )
    values["stage"] = stage
    for name in (
        "opensearch_instance_count",
        "opensearch_volume_gb",
        "push_shards",
        "waf_rate_limit",
        "api_throttle_rate",
        "api_throttle_burst",
        "log_retention_days",
        "rebuild_cpu",
        "rebuild_memory_gb",
        "rebuild_partitions",
        "rebuild_concurrency",
        "rebuild_partition_cpu",
        "rebuild_partition_memory_gb",
        "member_throttle_rate",
        "member_throttle_burst",
        "member_quota_per_day",
        "shared_throttle_rate",
        "shared_throttle_burst",
    ):
        if isinstance(values.get(name), str) and values[name].isdigit():
            values[name] = int(values[name])  # --context gives strings
    if isinstance(values.get("member_limits"), str):  # --context member_limits='{"riverside": {"rate": 5}}'
        try:
            values["member_limits"] = json.loads(values["member_limits"])
        except ValueError as exc:
            raise ValueError(f"stage {stage}: context 'member_limits': not JSON ({exc})") from exc
    if isinstance(values.get("authorizer"), str):
        values["authorizer"] = values["authorizer"].lower() not in ("false", "0", "no")
    try:
        return StageConfig.model_validate(values)
    except pydantic.ValidationError as exc:
        problems = [f"context '{'.'.join(str(p) for p in e['loc'])}': {e['msg']}" for e in exc.errors()]
        raise ValueError(f"stage {stage}: " + "; ".join(problems)) from exc


def check_context_keys(keys: Iterable[str]) -> None:
    """Refuse a context key that is no stage setting (``--context opensearch_instance_cout=2`` would be ignored
    without a word), naming the setting it resembles. The CDK's own keys are left alone: feature flags
    (``@aws-cdk/...``) and the CLI's and lookups' keys (``aws:cdk:...``, ``availability-zones:account=...``).

    Raises
    ------
    ValueError
        ``context 'opensearch_instance_cout' is not a stage setting (did you mean 'opensearch_instance_count'?)``
    """
    known = ["stage", "stages", *StageConfig.model_fields]
    clauses = []
    for key in sorted(keys):
        if key in known or key.startswith("@") or ":" in key:
            continue
        near = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
        clauses.append(f"context {key!r} is not a stage setting" + (f" (did you mean {near[0]!r}?)" if near else ""))
    if clauses:
        raise ValueError("; ".join(clauses) + " (the settings: infra/README.md, 'Settings per stage')")
