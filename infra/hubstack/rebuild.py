"""The bulk re-clustering on AWS: ``consortium dedup rebuild`` as an ECS Fargate task, started by a Step Functions
state machine that waits for it to end (``run.sync``) and fails when the task does.

Why not a Lambda: the bulk path holds every record and its match keys and the clusters in one process's memory
(about 7.2 GB a million records measured with ``bench/dedup_speed.py``, see infra/README.md): a rebuild of ten
million records needs about 75 GB and longer than Lambda's 15 minutes, where Lambda gives at most 10 GB. One
Fargate task takes up to 16 vCPU and 120 GB (context ``rebuild_cpu``, ``rebuild_memory_gb``), about 16 million
records.

The task runs the functions' own code asset (``make package``) in the Python 3.12 image of
``infra/hubstack/rebuild.Dockerfile``, which ``make package`` copies into the asset as its ``Dockerfile``. Its
role is the ``dedup_rebuild`` permission set of ``policies/permissions.toml`` (the records read, the clusters
rewritten, the index rebuilt), its environment the settings that set names. It runs in a VPC of its own with
public subnets only (no NAT gateway to pay for: the task gets a public address to reach ECR, CloudWatch Logs and
the search domain's HTTPS endpoint) and gateway endpoints for DynamoDB and S3; nothing can connect to it.

Start it by hand (``make`` prints nothing of it; see infra/README.md)::

    aws stepfunctions start-execution --state-machine-arn <RebuildMachineArn output of the Functions stack>
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from hubstack.lambdas import statements
from hubstack.nag import suppress

if TYPE_CHECKING:
    from hubstack.config import StageConfig
    from hubstack.lambdas import HubResources
    from hubstack.permissions import FunctionPermissions

__all__ = [
    "COMMAND",
    "PARTITION_RECORDS_PER_GB",
    "REBUILD",
    "RebuildTask",
    "max_partition_records",
    "partition_commands",
]

REBUILD = "dedup_rebuild"
"""The task's permission set in ``policies/permissions.toml``."""
COMMAND = ["dedup", "rebuild", "--json"]
"""The task's command: the image's entry point is ``python -m consortium``."""


PARTITION_RECORDS_PER_GB: Final = 100_000
"""Records a partition task holds per GB of memory: about 10 KB a record, measured as an upper bound with
``bench/dedup_partitions.py`` (infra/README.md)."""


def max_partition_records(memory_gb: int) -> int:
    """The most records a partition task of ``memory_gb`` is planned to hold (the plan refuses larger ones)."""
    return memory_gb * PARTITION_RECORDS_PER_GB


def partition_commands(partitions: int, max_records: int, run: str, partition: str) -> dict[str, list[str]]:
    """The commands of the partitioned machine's three steps (``run`` and ``partition`` as given: the machine
    passes JSONPath values, the tests literal ones); the plan refuses a partition above ``max_records``."""
    plan = ["dedup", "rebuild", "--plan", str(partitions), "--max-records", str(max_records), "--run", run, "--json"]
    return {
        "plan": plan,
        "partition": ["dedup", "rebuild", "--partition", partition, "--run", run, "--json"],
        "finish": ["dedup", "rebuild", "--finish", "--run", run, "--json"],
    }


class RebuildTask(Construct):
    """The rebuild's network, cluster, task definition and state machine (see the module notes)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        code: str,
        permissions: FunctionPermissions,
        resources: HubResources,
    ) -> None:
        super().__init__(scope, construct_id)
        self.vpc = ec2.Vpc(
            self,
            "Network",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC)],
            gateway_endpoints={
                "DynamoDb": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.DYNAMODB),
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
            },
        )
        flow_logs = logs.LogGroup(
            self,
            "FlowLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        self.vpc.add_flow_log("FlowLog", destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs))
        self.cluster = ecs.Cluster(self, "Cluster", vpc=self.vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
        self.task_role = iam.Role(
            self,
            "TaskRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description=f"consortium {config.stage} {REBUILD}: {permissions.summary}"[:1000],
        )
        for statement in statements(permissions, resources, config):
            self.task_role.add_to_policy(statement)
        log_group = logs.LogGroup(
            self,
            "Logs",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        image = ecs.ContainerImage.from_asset(code, file="Dockerfile")
        environment = {
            variable: resources.setting(name, config)
            for variable, name in zip(
                permissions.environment_names(), ("backend", "aws_region", *permissions.settings), strict=True
            )
        }
        self.task, self.container = self._task(
            "Task",
            cpu=config.rebuild_cpu,
            memory_gb=config.rebuild_memory_gb,
            image=image,
            environment=environment,
            log_group=log_group,
        )
        self.partition_task, self.partition_container = self._task(
            "PartitionTask",
            cpu=config.rebuild_partition_cpu,
            memory_gb=config.rebuild_partition_memory_gb,
            image=image,
            environment=environment,
            log_group=log_group,
        )
        self.machine = self._machine(config)
        self.partitioned = self._partitioned_machine(config)
        cdk.CfnOutput(
            cdk.Stack.of(self),
            "PartitionedRebuildMachineArn",
            value=self.partitioned.state_machine_arn,
            description=f"the same rebuild in {config.rebuild_partitions} partitions (above one task's memory)",
        )
        cdk.CfnOutput(
            cdk.Stack.of(self),
            "RebuildMachineArn",
            value=self.machine.state_machine_arn,
            description="aws stepfunctions start-execution --state-machine-arn <this>: consortium dedup rebuild",
        )
        self._suppress()

    def _machine(self, config: StageConfig) -> sfn.StateMachine:
        run = tasks.EcsRunTask(
            self,
            "RunRebuild",
            cluster=self.cluster,
            task_definition=self.task,
            launch_target=tasks.EcsFargateLaunchTarget(platform_version=ecs.FargatePlatformVersion.LATEST),
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            assign_public_ip=True,
            subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
        )
        log_group = logs.LogGroup(
            self, "MachineLogs", retention=logs.RetentionDays.THREE_MONTHS, removal_policy=cdk.RemovalPolicy.DESTROY
        )
        return sfn.StateMachine(
            self,
            "Machine",
            state_machine_name=f"consortium-{config.stage}-dedup-rebuild",
            definition_body=sfn.DefinitionBody.from_chainable(run),
            timeout=cdk.Duration.hours(24),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )

    def _task(
        self,
        construct_id: str,
        *,
        cpu: int,
        memory_gb: int,
        image: ecs.ContainerImage,
        environment: dict[str, str],
        log_group: logs.ILogGroup,
    ) -> tuple[ecs.FargateTaskDefinition, ecs.ContainerDefinition]:
        """A task definition of this size running the rebuild's container (its command: the one-shot rebuild)."""
        task = ecs.FargateTaskDefinition(
            self,
            construct_id,
            cpu=cpu * 1024,
            memory_limit_mib=memory_gb * 1024,
            task_role=self.task_role,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        container = task.add_container(
            "Rebuild",
            image=image,
            command=COMMAND,
            environment=environment,
            logging=ecs.LogDriver.aws_logs(stream_prefix="rebuild", log_group=log_group),
            readonly_root_filesystem=True,
        )
        return task, container

    def _run(self, construct_id: str, *, partition: bool = False) -> tasks.EcsRunTask:
        """A step running a task definition (the partition-sized one for a partition) with the command in its
        input's ``command`` instead of its own."""
        return tasks.EcsRunTask(
            self,
            construct_id,
            cluster=self.cluster,
            task_definition=self.partition_task if partition else self.task,
            launch_target=tasks.EcsFargateLaunchTarget(platform_version=ecs.FargatePlatformVersion.LATEST),
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            assign_public_ip=True,
            subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            container_overrides=[
                tasks.ContainerOverride(
                    container_definition=self.partition_container if partition else self.container,
                    command=sfn.JsonPath.list_at("$.command"),
                )
            ],
            result_path=sfn.JsonPath.DISCARD,
        )

    def _command(self, construct_id: str, words: list[str]) -> sfn.Pass:
        return sfn.Pass(self, construct_id, parameters={"command": sfn.JsonPath.array(*words)})

    def _partitioned_machine(self, config: StageConfig) -> sfn.StateMachine:
        """Plan (one task: the records' components packed into ``rebuild_partitions`` partitions, the plan in the
        raw bucket under ``rebuild/<execution name>/``), then every partition in a Map of tasks
        (``rebuild_concurrency`` at a time), then finish (stale clusters deleted, the index rebuilt)."""
        run = sfn.JsonPath.string_at("$$.Execution.Name")
        item = sfn.JsonPath.format("{}", sfn.JsonPath.string_at("$$.Map.Item.Value"))
        limit = max_partition_records(config.rebuild_partition_memory_gb)
        commands = partition_commands(config.rebuild_partitions, limit, run, item)
        plan = self._command("PlanCommand", commands["plan"]).next(self._run("PlanPartitions"))
        each = sfn.Map(
            self,
            "EachPartition",
            items_path=sfn.JsonPath.string_at("$.partitions"),
            item_selector={"command": sfn.JsonPath.array(*commands["partition"])},
            max_concurrency=config.rebuild_concurrency,
            result_path=sfn.JsonPath.DISCARD,
        )
        each.item_processor(self._run("RebuildPartition", partition=True))
        numbers = sfn.Pass(
            self,
            "Partitions",
            parameters={"partitions": sfn.JsonPath.array_range(0, config.rebuild_partitions - 1, 1)},
        )
        finish = self._command("FinishCommand", commands["finish"]).next(self._run("FinishRebuild"))
        log_group = logs.LogGroup(
            self,
            "PartitionedLogs",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        machine = sfn.StateMachine(
            self,
            "PartitionedMachine",
            state_machine_name=f"consortium-{config.stage}-dedup-rebuild-partitioned",
            definition_body=sfn.DefinitionBody.from_chainable(plan.next(numbers).next(each).next(finish)),
            timeout=cdk.Duration.hours(48),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        suppress(
            machine,
            "AwsSolutions-IAM5",
            "Step Functions runs the task definition's revisions and manages the run.sync rule of its own, as CDK "
            "grants it (events:PutRule on the StepFunctionsGetEventsForECSTaskRule rule, ecs:StopTask/DescribeTasks)",
        )
        return machine

    def _suppress(self) -> None:
        for task in (self.task, self.partition_task):
            suppress(
                task,
                "AwsSolutions-ECS2",
                "the environment holds the names of the stage's tables, bucket, search endpoint and region (what "
                "the dedup_rebuild permission set reads), no secret",
            )
            suppress(
                task,
                "AwsSolutions-IAM5",
                "the execution role pulls the image (ecr:GetAuthorizationToken takes no resource) and writes its "
                "own log group's streams, as CDK grants it; the task role's only wildcards are the index names "
                "under the stage's search domain and the raw bucket's objects",
            )
        suppress(
            self.task_role,
            "AwsSolutions-IAM5",
            "the statements name the stage's own tables and index paths; the only wildcards are index names",
        )
        suppress(
            self.machine,
            "AwsSolutions-IAM5",
            "Step Functions runs the task definition's revisions and manages the run.sync rule of its own, as CDK "
            "grants it (events:PutRule on the StepFunctionsGetEventsForECSTaskRule rule, ecs:StopTask/DescribeTasks)",
        )
