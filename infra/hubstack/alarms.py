"""The search domain's alarms: what Amazon OpenSearch Service itself recommends watching, so that a domain that
stops taking writes (a full disk, a red cluster) or fails its snapshots is an alarm, not a harvest that fails
later for a reason its log does not give. And the tables': DynamoDB failing requests itself (system errors) or
throttling them (an on-demand table past twice its last peak, or the account's limit), which the functions see
as retries and slowness before they see errors.

Each alarm goes to the stage's alarm topic with the others (:mod:`hubstack.functions`). Yellow is not watched: a
one-node dev domain is yellow for good (its index's replica has no second node to go to).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb

if TYPE_CHECKING:
    from collections.abc import Mapping

    from aws_cdk import aws_cloudwatch_actions as actions
    from aws_cdk import aws_opensearchservice as opensearch
    from constructs import Construct

    from hubstack.config import StageConfig

__all__ = [
    "FREE_STORAGE_FRACTION",
    "JVM_PRESSURE_PERCENT",
    "TABLE_OPERATIONS",
    "alarm",
    "search_alarms",
    "table_alarms",
]

FREE_STORAGE_FRACTION: Final = 0.2
"""Free space a node must keep of its volume (OpenSearch blocks writes at its flood stage, 95% used)."""
JVM_PRESSURE_PERCENT: Final = 95
"""JVM memory pressure held this high for 3 minutes: the domain is about to refuse requests."""
TABLE_OPERATIONS: Final = (
    dynamodb.Operation.GET_ITEM,
    dynamodb.Operation.BATCH_GET_ITEM,
    dynamodb.Operation.QUERY,
    dynamodb.Operation.SCAN,
    dynamodb.Operation.PUT_ITEM,
    dynamodb.Operation.UPDATE_ITEM,
    dynamodb.Operation.DELETE_ITEM,
    dynamodb.Operation.BATCH_WRITE_ITEM,
    dynamodb.Operation.TRANSACT_WRITE_ITEMS,
)
"""The operations the hub calls, summed in a table's alarms (an alarm's metric math takes at most 10 metrics)."""


def alarm(
    scope: Construct,
    construct_id: str,
    metric: cloudwatch.IMetric,
    description: str,
    action: actions.SnsAction,
    *,
    threshold: float = 1,
    comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    periods: int = 1,
) -> cloudwatch.Alarm:
    """An alarm on ``metric`` (at ``threshold`` or more, by default, in one period) that goes to ``action``; no
    data is no alarm."""
    made = cloudwatch.Alarm(
        scope,
        construct_id,
        metric=metric,
        alarm_description=description,
        threshold=threshold,
        comparison_operator=comparison,
        evaluation_periods=periods,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    made.add_alarm_action(action)
    return made


def search_alarms(
    scope: Construct, config: StageConfig, domain: opensearch.IDomain, action: actions.SnsAction
) -> list[cloudwatch.Alarm]:
    """A red cluster, writes blocked, a node short of disk, a failed automated snapshot and JVM memory pressure."""
    free_mib = config.opensearch_volume_gb * 1024 * FREE_STORAGE_FRACTION
    minute = cdk.Duration.minutes(1)
    specs = (
        ("SearchClusterRed", domain.metric_cluster_status_red(period=minute, statistic="Maximum"), 1,
         cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, 1,
         "the search domain is red: a primary shard is not allocated, searches and harvests fail"),
        ("SearchWritesBlocked", domain.metric_cluster_index_writes_blocked(period=minute, statistic="Maximum"), 1,
         cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, 1,
         "the search domain refuses writes (disk or memory): harvests cannot index"),
        ("SearchFreeStorageLow", domain.metric_free_storage_space(period=minute, statistic="Minimum"), free_mib,
         cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD, 1,
         f"a search node has under {FREE_STORAGE_FRACTION:.0%} of its {config.opensearch_volume_gb} GB free: "
         "raise opensearch_volume_gb"),
        ("SearchSnapshotFailed", domain.metric_automated_snapshot_failure(period=minute, statistic="Maximum"), 1,
         cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, 1,
         "the search domain's automated snapshot failed"),
        ("SearchJvmPressure", domain.metric_jvm_memory_pressure(period=minute, statistic="Maximum"),
         JVM_PRESSURE_PERCENT, cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, 3,
         f"the search domain's JVM memory pressure is at {JVM_PRESSURE_PERCENT}% or more: raise "
         "opensearch_instance_type"),
    )  # fmt: skip
    return [
        alarm(scope, name, metric, f"consortium {config.stage}: {what}", action, threshold=threshold,
              comparison=comparison, periods=periods)
        for name, metric, threshold, comparison, periods, what in specs
    ]  # fmt: skip


def table_alarms(
    scope: Construct, config: StageConfig, tables: Mapping[str, dynamodb.ITable], action: actions.SnsAction
) -> list[cloudwatch.Alarm]:
    """For each table, any system error or throttled request in five minutes, over :data:`TABLE_OPERATIONS`."""
    five = cdk.Duration.minutes(5)
    found = []
    for name, table in sorted(tables.items()):
        ops = list(TABLE_OPERATIONS)
        for kind, metric, what in (
            ("SystemErrors", table.metric_system_errors_for_operations(operations=ops, period=five),
             "DynamoDB failed requests itself (5xx)"),
            ("Throttled", table.metric_throttled_requests_for_operations(operations=ops, period=five),
             "DynamoDB throttled requests (past twice the table's last peak, or the account's limit)"),
        ):  # fmt: skip
            made = f"Table{name.title().replace('_', '')}{kind}"
            found.append(alarm(scope, made, metric, f"consortium {config.stage}: {name} table: {what}", action))
    return found
