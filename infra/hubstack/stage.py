"""One stage of the hub: its four stacks in deployment order (data, portal, API, functions) and the cdk-nag
AwsSolutions checks on each."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from hubstack.api import ApiStack
from hubstack.data import DataStack
from hubstack.functions import FunctionsStack
from hubstack.lambdas import AUTHORIZER, HubResources
from hubstack.permissions import load_permissions
from hubstack.portal import PortalStack

if TYPE_CHECKING:
    from hubstack.config import StageConfig

__all__ = ["HubStage", "build_stage"]


@dataclass(frozen=True)
class HubStage:
    """The stacks of one stage."""

    data: DataStack
    portal: PortalStack
    api: ApiStack
    functions: FunctionsStack

    @property
    def stacks(self) -> list[cdk.Stack]:
        return [self.data, self.portal, self.api, self.functions]


def build_stage(app: cdk.App, config: StageConfig, code: str, *, nag: bool = True) -> HubStage:
    """Add the stage's stacks to ``app`` (named ``Consortium-<Stage>-<Part>``), in the environment the CDK CLI
    gives (``CDK_DEFAULT_ACCOUNT``/``REGION``), or environment-agnostic without one."""
    env = cdk.Environment(
        account=app.node.try_get_context("account") or _environ("CDK_DEFAULT_ACCOUNT"),
        region=app.node.try_get_context("region") or _environ("CDK_DEFAULT_REGION"),
    )
    prefix = f"Consortium-{config.stage.title()}"
    tags = {"project": "consortium-hub", "stage": config.stage}
    permissions = load_permissions()
    data = DataStack(app, f"{prefix}-Data", config=config, env=env, description="consortium hub: data")
    portal = PortalStack(app, f"{prefix}-Portal", config=config, env=env, description="consortium hub: portal")
    resources = HubResources(
        tables=dict(data.tables),
        data_key=data.data_key,
        readers_key=data.readers_key,
        raw_bucket=data.raw_bucket,
        search=data.search,
        index_arns=data.index_arns(),
        queues={"harvest": data.harvest_queue},
    )
    api = ApiStack(
        app,
        f"{prefix}-Api",
        config=config,
        code=code,
        permissions=permissions,
        resources=resources,
        portal_url=portal.url,
        portal_bucket=portal.bucket,
        portal_distribution=portal.distribution,
        env=env,
        description="consortium hub: API",
    )
    functions = FunctionsStack(
        app,
        f"{prefix}-Functions",
        config=config,
        code=code,
        permissions=permissions,
        resources=resources,
        harvest_dlq=data.harvest_dlq,
        api_functions={**api.functions, AUTHORIZER.name: api.gatekeeper},  # alarms on the authorizer too
        api_stages={"Api": api.stage, "MemberIamApi": api.member_iam.stage},
        search_admin=data.search_admin,
        env=env,
        description="consortium hub: schedules, queues and workers",
    )
    stage = HubStage(data, portal, api, functions)
    for stack in stage.stacks:
        for key, value in tags.items():
            cdk.Tags.of(stack).add(key, value)
        if nag:
            cdk.Aspects.of(stack).add(AwsSolutionsChecks(verbose=True))
    return stage


def _environ(name: str) -> str | None:
    return os.environ.get(name) or None
