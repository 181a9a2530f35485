"""The scheduled harvest of one member source: a Step Functions state machine that calls ``harvest_step`` (one
OAI-PMH page, or one whole file, a call; each resumes from the source's checkpoint) until the source has no more
pages, and fails naming the error when a step fails.

A standard workflow keeps at most 25,000 events of history, so after :data:`STEPS_PER_EXECUTION` pages the
execution starts a new one of itself with the same source and ends (the checkpoint carries on): a first harvest
of millions of records is many executions in a row, not one that hits the limit.
Input: ``{"member": ID, "source": ID, "steps": 0}`` (what the source's schedule sends).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from hubstack.nag import suppress

if TYPE_CHECKING:
    from aws_cdk import aws_lambda as lambda_
    from constructs import Construct

    from hubstack.config import StageConfig

__all__ = ["STEPS_PER_EXECUTION", "harvest_state_machine"]

STEPS_PER_EXECUTION: Final = 1000
"""Pages one execution harvests before it hands over to a new execution (about 8 history events a page)."""


def harvest_state_machine(scope: Construct, config: StageConfig, step_function: lambda_.IFunction) -> sfn.StateMachine:
    """The state machine that harvests one source to its end (see the module notes)."""
    name = f"consortium-{config.stage}-harvest"
    step = tasks.LambdaInvoke(
        scope,
        "HarvestPage",
        lambda_function=step_function,
        payload=sfn.TaskInput.from_object({"member.$": "$.member", "source.$": "$.source"}),
        result_selector={"result.$": "$.Payload"},
        result_path="$.page",
        retry_on_service_exceptions=True,
    )
    failed = sfn.Fail(scope, "HarvestFailed", error="HarvestFailed", cause_path="$.page.result.error")
    done = sfn.Succeed(scope, "SourceHarvested")
    count = sfn.Pass(
        scope,
        "CountPage",
        parameters={"member.$": "$.member", "source.$": "$.source", "steps.$": "States.MathAdd($.steps, 1)"},
    )
    hand_over = tasks.CallAwsService(
        scope,
        "ContinueInNewExecution",
        service="sfn",
        action="startExecution",
        parameters={
            "StateMachineArn.$": "$$.StateMachine.Id",
            "Input": {"member.$": "$.member", "source.$": "$.source", "steps": 0},
        },
        iam_resources=[f"arn:{cdk.Aws.PARTITION}:states:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:stateMachine:{name}"],
        iam_action="states:StartExecution",
    ).next(sfn.Succeed(scope, "HandedOver"))
    more = (
        sfn.Choice(scope, "MorePages")
        .when(sfn.Condition.boolean_equals("$.page.result.ok", False), failed)
        .when(
            sfn.Condition.and_(
                sfn.Condition.is_present("$.page.result.more"), sfn.Condition.boolean_equals("$.page.result.more", True)
            ),
            count.next(
                sfn.Choice(scope, "ThisExecutionLongEnough")
                .when(sfn.Condition.number_greater_than_equals("$.steps", STEPS_PER_EXECUTION), hand_over)
                .otherwise(step)
            ),
        )
        .otherwise(done)
    )
    log_group = logs.LogGroup(
        scope, "HarvestMachineLogs", retention=logs.RetentionDays.THREE_MONTHS, removal_policy=cdk.RemovalPolicy.DESTROY
    )
    machine = sfn.StateMachine(
        scope,
        "HarvestMachine",
        state_machine_name=name,
        definition_body=sfn.DefinitionBody.from_chainable(step.next(more)),
        timeout=cdk.Duration.days(7),
        tracing_enabled=True,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
    )
    suppress(
        machine,
        "AwsSolutions-IAM5",
        "Step Functions invokes the harvest_step function by its versions (':*') and writes X-Ray and log "
        "deliveries, which take no resource",
    )
    return machine
