"""The API's usage plans: a shared one for readers, staff and anonymous callers, and one per member of the
deployed registry (its throttle and daily quota), each with the API Gateway key the usage authorizer names
(``apiKeySource: AUTHORIZER``; :mod:`consortium.http.gateway`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import aws_apigateway as apigateway

from consortium.http.gateway import member_usage_key, shared_usage_key
from consortium.members import load_registry

if TYPE_CHECKING:
    from hubstack.api import ApiStack
    from hubstack.config import StageConfig

__all__ = ["usage_plans"]


def usage_plans(stack: ApiStack, config: StageConfig) -> dict[str, apigateway.UsagePlan]:
    """The shared usage plan and one per member of the deployed registry, each with its API Gateway key
    (whose value the authorizer answers with: not a secret, API Gateway never takes it from a request)."""
    members = [member.id for member in load_registry(config.path(config.members_file)).members]
    config.check_member_limits(members)
    stage = [apigateway.UsagePlanPerApiStage(api=stack.api, stage=stack.stage)]
    plans: dict[str, apigateway.UsagePlan] = {}
    shared = stack.api.add_usage_plan(
        "SharedPlan",
        name=f"{stack.usage_prefix}-shared",
        description="readers, staff and anonymous callers of the routes member systems call",
        throttle=apigateway.ThrottleSettings(
            rate_limit=config.shared_throttle_rate or config.api_throttle_rate,
            burst_limit=config.shared_throttle_burst or config.api_throttle_burst,
        ),
        api_stages=stage,
    )
    shared.add_api_key(
        apigateway.ApiKey(
            stack,
            "SharedUsageKey",
            api_key_name=f"{stack.usage_prefix}-shared",
            value=shared_usage_key(stack.usage_prefix),
            description="the shared plan's usage identifier (named by the authorizer; not a credential)",
        )
    )
    plans[""] = shared
    for member in members:
        rate, burst, quota = config.member_plan(member)
        plan = stack.api.add_usage_plan(
            f"MemberPlan-{member}",
            name=f"{stack.usage_prefix}-member-{member}",
            description=f"the systems of member {member} (its API keys)",
            throttle=apigateway.ThrottleSettings(rate_limit=rate, burst_limit=burst),
            quota=apigateway.QuotaSettings(limit=quota, period=apigateway.Period.DAY),
            api_stages=stage,
        )
        plan.add_api_key(
            apigateway.ApiKey(
                stack,
                f"MemberUsageKey-{member}",
                api_key_name=f"{stack.usage_prefix}-member-{member}",
                value=member_usage_key(stack.usage_prefix, member),
                description=f"member {member}'s usage identifier (named by the authorizer; not a credential)",
            )
        )
        plans[member] = plan
    return plans
