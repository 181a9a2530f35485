"""The functions stack: what runs without a caller. The push queue (with its dead-letter queue) and its worker,
the EventBridge Scheduler schedules (one per member source, one per push frequency, the daily rebuild of the
ranking evidence), the scheduled harvest's
state machine, the harvest queue's worker, the daily retention purge, the bulk re-clustering task
(:mod:`hubstack.rebuild`), the search domain's role mapping (:mod:`hubstack.search_roles`), the SES identity,
and the alarms of every function, dead-letter queue and API stage.

A schedule or a daily rule whose target cannot be started (throttled, refused, the target gone) is retried for
up to :data:`SCHEDULE_RETRY_SECONDS`, then kept in the schedules' dead-letter queue with what it would have
started, instead of being dropped without a trace.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import triggers

from consortium.adapters.aws.push_schedules import EVIDENCE_CRON, EVIDENCE_SCHEDULE, PUSH_CRON, schedule_name
from consortium.members import load_registry
from hubstack.alarms import alarm, search_alarms, table_alarms
from hubstack.harvest_machine import harvest_state_machine
from hubstack.lambdas import FUNCTIONS, make_function
from hubstack.nag import suppress
from hubstack.queues import dead_letters
from hubstack.rebuild import REBUILD, RebuildTask
from hubstack.search_roles import map_search_roles

if TYPE_CHECKING:
    from aws_cdk import aws_lambda as lambda_
    from constructs import Construct

    from hubstack.config import StageConfig
    from hubstack.lambdas import HubResources
    from hubstack.permissions import PermissionSets

__all__ = ["API_SERVER_ERRORS", "SCHEDULE_RETRIES", "SCHEDULE_RETRY_SECONDS", "FunctionsStack"]

SCHEDULE_RETRY_SECONDS = 2 * 3600
"""How long a schedule (or a daily rule) keeps trying to start its target before its dead-letter queue keeps it:
every scheduled job catches up on what a missed run left (the next harvest resumes from the checkpoint, the push
job plans whatever is due), so two hours of retries covers a throttled or briefly refused start."""
SCHEDULE_RETRIES = 20
"""At most this many retries within :data:`SCHEDULE_RETRY_SECONDS` (EventBridge backs off between them)."""
API_SERVER_ERRORS = 5
"""5xx answers of an API stage within five minutes that raise its alarm: one is a caller's timeout as often as
a fault (a function's own errors alarm at the first)."""


class FunctionsStack(cdk.Stack):
    """Schedules, queues and workers (the API's own functions are in the API stack)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        code: str,
        permissions: PermissionSets,
        resources: HubResources,
        harvest_dlq: sqs.IQueue,
        api_functions: dict[str, lambda_.IFunction],
        api_stages: dict[str, apigateway.Stage],
        search_admin: iam.IRole,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.schedule_dlq = dead_letters(self, "ScheduleDeadLetters", resources.data_key, of="the schedules and rules")
        # EventBridge (the daily rules) writes to it as its service, encrypting with the data key.
        resources.data_key.grant_encrypt_decrypt(iam.ServicePrincipal("events.amazonaws.com"))
        self.push_dlq = dead_letters(self, "PushDeadLetters", resources.data_key, of="the push queue")
        self.push_queue = sqs.Queue(
            self,
            "PushQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=resources.data_key,
            enforce_ssl=True,
            visibility_timeout=cdk.Duration.seconds(6 * 900),  # six times push_shard's 900 s, as Lambda advises
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.push_dlq, max_receive_count=3),
        )
        resources.queues["push"] = self.push_queue
        self.functions: dict[str, lambda_.Function] = {
            name: make_function(
                self, spec, code=code, permissions=permissions.of(name), resources=resources, config=config
            )
            for name, spec in FUNCTIONS.items()
        }
        self.functions["push_shard"].add_event_source(
            sources.SqsEventSource(self.push_queue, batch_size=10, report_batch_item_failures=True)
        )
        self.functions["harvest_run"].add_event_source(
            sources.SqsEventSource(resources.queues["harvest"], batch_size=1, report_batch_item_failures=True)
        )
        events.Rule(
            self,
            "DailyPurge",
            description="consortium: the daily retention purge of readers' events and of old harvest runs",
            schedule=events.Schedule.rate(cdk.Duration.days(1)),
            targets=[self._daily_target("profile_purge"), self._daily_target("harvest_prune")],
        )
        events.Rule(
            self,
            "DailyAnalytics",
            description="consortium: the analytics report (the months closed since the last build, counted)",
            schedule=events.Schedule.rate(cdk.Duration.days(1)),
            targets=[self._daily_target("analytics_build")],
        )
        self.harvest_machine = harvest_state_machine(self, config, self.functions["harvest_step"])
        self.rebuild = RebuildTask(
            self, "DedupRebuild", config=config, code=code, permissions=permissions.of(REBUILD), resources=resources
        )
        roles = {name: function.role for name, function in {**api_functions, **self.functions}.items() if function.role}
        self.search_roles = map_search_roles(
            self,
            code=code,
            permissions=permissions,
            resources=resources,
            admin=search_admin,
            roles={**roles, REBUILD: self.rebuild.task_role},
        )
        # After each deployment that changed the code, the search index is rebuilt from the stored works if this
        # release's index template is newer than the index's (otherwise the function does nothing); invoked
        # asynchronously, so the deployment does not wait for it. A consortium too large for one invocation runs
        # `consortium reindex` as the rebuild task instead (see infra/README.md).
        self.reindex = triggers.Trigger(
            self,
            "Reindex",
            handler=self.functions["search_reindex"],
            invocation_type=triggers.InvocationType.EVENT,
            execute_after=[self.search_roles],
        )
        self.schedules = self._schedules(config)
        self.mail_identity = ses.EmailIdentity(
            self,
            "MailIdentity",
            identity=ses.Identity.domain(config.mail_domain),
            dkim_signing=True,
            dkim_identity=ses.DkimIdentity.easy_dkim(ses.EasyDkimSigningKeyLength.RSA_2048_BIT),
        )
        self.alarms = self._alarms(config, resources, {**api_functions, **self.functions}, harvest_dlq)
        self.alarms += self._api_alarms(config, api_stages)
        self._outputs(harvest_dlq)

    def _daily_target(self, name: str) -> targets.LambdaFunction:
        """A daily rule's function, retried as the schedules are, then kept in the schedules' dead letters."""
        return targets.LambdaFunction(
            self.functions[name],
            dead_letter_queue=self.schedule_dlq,
            max_event_age=cdk.Duration.seconds(SCHEDULE_RETRY_SECONDS),
            retry_attempts=SCHEDULE_RETRIES,
        )

    def _target(self, arn: str, role: iam.IRole, payload: str) -> scheduler.CfnSchedule.TargetProperty:
        """A schedule's target, retried for :data:`SCHEDULE_RETRY_SECONDS`, then kept in the dead letters."""
        return scheduler.CfnSchedule.TargetProperty(
            arn=arn,
            role_arn=role.role_arn,
            input=payload,
            dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(arn=self.schedule_dlq.queue_arn),
            retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                maximum_event_age_in_seconds=SCHEDULE_RETRY_SECONDS, maximum_retry_attempts=SCHEDULE_RETRIES
            ),
        )

    def _api_alarms(self, config: StageConfig, stages: dict[str, apigateway.Stage]) -> list[cloudwatch.Alarm]:
        """:data:`API_SERVER_ERRORS` 5xx answers of an API stage in five minutes: a function that timed out
        (API Gateway waits 29 s), an integration or authorizer that failed, a function that answered 5xx."""
        action, five = actions.SnsAction(self.alarm_topic), cdk.Duration.minutes(5)
        return [
            alarm(self, f"{name}ServerErrors", stage.metric_server_error(period=five, statistic="Sum"),
                  f"consortium {config.stage}: {name} answered 5xx {API_SERVER_ERRORS} times or more", action,
                  threshold=API_SERVER_ERRORS)
            for name, stage in sorted(stages.items())
        ]  # fmt: skip

    def _outputs(self, harvest_dlq: sqs.IQueue) -> None:
        """What the runbook (infra/README.md, "Running it") starts from: where alarms go, the harvest machine whose
        failed executions say why, the dead-letter queues to look into and re-drive, the logs of the workers."""
        for name, value, what in (
            ("AlarmTopicArn", self.alarm_topic.topic_arn, "the SNS topic every alarm goes to (subscribe to it)"),
            ("HarvestMachineArn", self.harvest_machine.state_machine_arn, "the scheduled harvests' executions"),
            ("HarvestDeadLetterQueueUrl", harvest_dlq.queue_url, "members' harvest runs that kept failing"),
            ("HarvestDeadLetterQueueArn", harvest_dlq.queue_arn, "for aws sqs start-message-move-task"),
            ("PushDeadLetterQueueUrl", self.push_dlq.queue_url, "push shards that kept failing"),
            ("PushDeadLetterQueueArn", self.push_dlq.queue_arn, "for aws sqs start-message-move-task"),
            ("ScheduleDeadLetterQueueUrl", self.schedule_dlq.queue_url, "schedules that could not start a job"),
            ("HarvestStepLogGroup", self.functions["harvest_step"].log_group.log_group_name, "harvest_step's logs"),
            ("HarvestRunLogGroup", self.functions["harvest_run"].log_group.log_group_name, "harvest_run's logs"),
            ("PushShardLogGroup", self.functions["push_shard"].log_group.log_group_name, "push_shard's logs"),
        ):
            cdk.CfnOutput(self, name, value=value, description=f"consortium: {what}")

    def _schedules(self, config: StageConfig) -> list[scheduler.CfnSchedule]:
        """One schedule per member source (starting the harvest state machine) and per push frequency, and the
        daily rebuild of the ranking evidence two hours before the push schedules."""
        role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}}
            ),
            description="EventBridge Scheduler: starts scheduled harvests, push runs and the evidence rebuild",
        )
        self.harvest_machine.grant_start_execution(role)
        self.schedule_dlq.grant_send_messages(role)  # Scheduler writes a schedule's dead letters as this role
        self.functions["push_schedule"].grant_invoke(role)
        self.functions["push_evidence"].grant_invoke(role)
        suppress(
            role,
            "AwsSolutions-IAM5",
            "lambda:InvokeFunction on push_schedule and push_evidence and their versions (':*'), as CDK grants it",
        )
        harvest_group = scheduler.CfnScheduleGroup(self, "HarvestSchedules", name=f"consortium-{config.stage}-harvest")
        push_group = scheduler.CfnScheduleGroup(self, "PushSchedules", name=f"consortium-{config.stage}-push")
        found = []
        registry = load_registry(config.path(config.members_file))
        for member in registry.members:
            for source in member.sources:
                if source.paused:
                    continue
                name = _schedule_id(f"harvest-{member.id}-{source.id}")
                schedule = scheduler.CfnSchedule(
                    self,
                    "Harvest"
                    + "".join(part.title() for part in re.split(r"[^A-Za-z0-9]+", f"{member.id} {source.id}")),
                    name=name,
                    group_name=harvest_group.name,
                    description=f"harvest {member.id}/{source.id} ({source.protocol.value})",
                    schedule_expression=source.schedule,
                    schedule_expression_timezone=config.timezone,
                    flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(
                        mode="FLEXIBLE", maximum_window_in_minutes=15
                    ),
                    target=self._target(
                        self.harvest_machine.state_machine_arn,
                        role,
                        json.dumps({"member": member.id, "source": source.id, "steps": 0}),
                    ),
                )
                schedule.node.add_dependency(harvest_group)
                found.append(schedule)
        for frequency, expression in PUSH_CRON.items():
            schedule = scheduler.CfnSchedule(
                self,
                f"Push{frequency.value.title()}",
                name=schedule_name(frequency),
                group_name=push_group.name,
                description=f"consortium push, {frequency.value} digests (the job plans whatever is due)",
                schedule_expression=expression,
                schedule_expression_timezone=config.timezone,
                flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
                target=self._target(
                    self.functions["push_schedule"].function_arn,
                    role,
                    json.dumps({"shards": config.push_shards, "frequency": frequency.value}),
                ),
            )
            schedule.node.add_dependency(push_group)
            found.append(schedule)
        evidence = scheduler.CfnSchedule(
            self,
            "RankingEvidence",
            name=EVIDENCE_SCHEDULE,
            group_name=push_group.name,
            description="consortium: rebuild the ranking evidence (key rarity, loans, co-borrowing; counts only)",
            schedule_expression=EVIDENCE_CRON,
            schedule_expression_timezone=config.timezone,
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(
                mode="FLEXIBLE", maximum_window_in_minutes=30
            ),
            target=self._target(self.functions["push_evidence"].function_arn, role, "{}"),
        )
        evidence.node.add_dependency(push_group)
        found.append(evidence)
        return found

    def _alarms(
        self,
        config: StageConfig,
        resources: HubResources,
        functions: dict[str, lambda_.IFunction],
        harvest_dlq: sqs.IQueue,
    ) -> list[cloudwatch.Alarm]:
        """Errors and throttles of every function, a failed harvest or rebuild execution, the search domain's
        health (:func:`~hubstack.alarms.search_alarms`) and any message in a dead-letter queue, to one SNS topic."""
        topic = self.alarm_topic = sns.Topic(
            self, "Alarms", display_name=f"consortium {config.stage} alarms", master_key=resources.data_key
        )
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={"Bool": {"aws:SecureTransport": "false"}},
            )
        )
        resources.data_key.grant_encrypt_decrypt(iam.ServicePrincipal("cloudwatch.amazonaws.com"))
        if config.alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        action = actions.SnsAction(topic)
        found: list[cloudwatch.Alarm] = []
        for name, function in sorted(functions.items()):
            for metric, what in ((function.metric_errors(), "Errors"), (function.metric_throttles(), "Throttles")):
                summed = metric.with_(period=cdk.Duration.minutes(5), statistic="Sum")
                described = f"consortium {config.stage}: {name} {what.lower()}"
                found.append(alarm(self, f"{name.title().replace('_', '')}{what}", summed, described, action))
        for name, metric, what in (
            (
                "HarvestMachineFailed",
                self.harvest_machine.metric_failed(),
                "a scheduled harvest failed (its cause names it)",
            ),
            ("HarvestMachineTimedOut", self.harvest_machine.metric_timed_out(), "a scheduled harvest ran out of time"),
            (
                "DedupRebuildFailed",
                self.rebuild.machine.metric_failed(),
                "the bulk re-clustering (dedup rebuild) failed",
            ),
            (
                "PartitionedRebuildFailed",
                self.rebuild.partitioned.metric_failed(),
                "the partitioned re-clustering failed",
            ),
        ):
            summed = metric.with_(period=cdk.Duration.minutes(5), statistic="Sum")
            found.append(alarm(self, name, summed, f"consortium {config.stage}: {what}", action))
        found += search_alarms(self, config, resources.search, action)
        found += table_alarms(self, config, resources.tables, action)
        for name, queue in (("Push", self.push_dlq), ("Harvest", harvest_dlq), ("Schedule", self.schedule_dlq)):
            waiting = queue.metric_approximate_number_of_messages_visible(
                period=cdk.Duration.minutes(5), statistic="Maximum"
            )
            described = f"consortium {config.stage}: messages in the {name.lower()} dead-letter queue"
            found.append(alarm(self, f"{name}DeadLettersAlarm", waiting, described, action))
        return found


def _schedule_id(name: str) -> str:
    """A schedule name EventBridge Scheduler takes (letters, digits, ``.-_``, at most 64)."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", name)[:64]
