"""The API's firewall (WAF): AWS's common rule set, and rate limits per address and per API key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import aws_wafv2 as wafv2

if TYPE_CHECKING:
    from hubstack.api import ApiStack
    from hubstack.config import StageConfig

__all__ = ["firewall"]


def firewall(stack: ApiStack, config: StageConfig) -> None:
    """The WAF web ACL on both API stages: AWS's common rules, a rate limit per address and one per API key."""

    def rate_rule(name: str, priority: int, keys: dict[str, Any] | None) -> wafv2.CfnWebACL.RuleProperty:
        statement: dict[str, Any] = {"limit": config.waf_rate_limit, "aggregateKeyType": "IP"}
        if keys is not None:
            statement = {"limit": config.waf_rate_limit, "aggregateKeyType": "CUSTOM_KEYS", "customKeys": [keys]}
        return wafv2.CfnWebACL.RuleProperty(
            name=name,
            priority=priority,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(rate_based_statement=statement),
            visibility_config=_visibility(name),
        )

    managed = wafv2.CfnWebACL.RuleProperty(
        name="AwsCommonRules",
        priority=0,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name="AWSManagedRulesCommonRuleSet",
                # members upload JSON Lines of up to 5 MB: the set's 8 KB body limit would refuse them
                rule_action_overrides=[
                    wafv2.CfnWebACL.RuleActionOverrideProperty(
                        name="SizeRestrictions_BODY", action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                    )
                ],
            )
        ),
        visibility_config=_visibility("AwsCommonRules"),
    )
    api_key = {"header": {"name": "x-api-key", "textTransformations": [{"priority": 0, "type": "NONE"}]}}
    acl = wafv2.CfnWebACL(
        stack,
        "Firewall",
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=_visibility(f"consortium-{config.stage}-api"),
        rules=[managed, rate_rule("PerAddress", 1, None), rate_rule("PerApiKey", 2, api_key)],
    )
    wafv2.CfnWebACLAssociation(stack, "FirewallOnStage", resource_arn=stack.stage.stage_arn, web_acl_arn=acl.attr_arn)
    wafv2.CfnWebACLAssociation(
        stack, "FirewallOnMemberIamStage", resource_arn=stack.member_iam.stage.stage_arn, web_acl_arn=acl.attr_arn
    )


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )
