"""The DynamoDB cluster store beyond the contract: sharing the record store's table, retried batches that
converge, the first-seen index kept without a Scan."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from cluster_data import ids, place, seen_at
from factories import T0, HalfDoneDynamoDb, NoScan, make_page, make_record, make_test_cluster

from consortium.dedup.state import ClusterChange
from consortium.errors import StorageError

if TYPE_CHECKING:
    from collections.abc import Callable


class StuckAfter(HalfDoneDynamoDb):
    """A DynamoDB client whose batch writes go through ``through`` times, then never."""

    def __init__(self, client: Any, through: int) -> None:
        super().__init__(client, never=True)
        self.through = through

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        if self.through > 0:
            self.through -= 1
            return dict(self.client.batch_write_item(RequestItems=RequestItems))
        return super().batch_write_item(RequestItems)


def test_dynamodb_shares_the_record_store_table(aws_client: Callable[[str], Any]) -> None:
    from consortium.adapters.aws import DynamoDbClusterStore, DynamoDbRecordStore, create_table

    table = f"shared-{uuid.uuid4().hex[:12]}"
    create_table(aws_client("dynamodb"), table)
    records = DynamoDbRecordStore(table, aws_client("dynamodb"))
    clusters = DynamoDbClusterStore(table, aws_client("dynamodb"))
    records.commit(make_page(make_record("m", "1"), make_record("MEM", "x")))
    clusters.apply(ClusterChange(placements=[place("m", "1", "c1", ["k"])], saved=[make_test_cluster("c1")]))
    assert [r.key for r in records.records()] == [("MEM", "x"), ("m", "1")]
    assert records.count() == 2
    assert clusters.count() == 1 and [c.cluster_id for c in clusters.clusters()] == ["c1"]
    assert clusters.members_of("c1") == [("m", "1")]


def test_dynamodb_retries_unprocessed_items_and_failed_apply_converges(aws_client: Callable[[str], Any]) -> None:
    from consortium.adapters.aws import DynamoDbClusterStore, create_table

    table = f"clusters-{uuid.uuid4().hex[:12]}"
    create_table(aws_client("dynamodb"), table)
    placements = [place("m", f"{n:03d}", "c1", ["k", f"own:{n}"]) for n in range(130)]
    store = DynamoDbClusterStore(table, HalfDoneDynamoDb(aws_client("dynamodb")), sleep=lambda _: None)
    store.apply(ClusterChange(placements=placements, saved=[make_test_cluster("c1")]))
    keys = [(p.member, p.local_id) for p in placements]
    assert store.lookup(["k"], limit=500) == {"k": keys}
    assert store.members_of("c1") == keys

    # A move that fails part-way through its second write stream, some placements written, leaves a partial
    # state...
    moved = ClusterChange(
        placements=[p.model_copy(update={"cluster_id": "c2", "keys": ["j"]}) for p in placements],
        saved=[make_test_cluster("c2")],
        deleted=["c1"],
    )
    # Stale: 2 x 130 key entries and 130 memberships, 390 deletes in 16 calls; then 5 calls of the new items.
    stuck = StuckAfter(aws_client("dynamodb"), through=16 + 5)
    with pytest.raises(StorageError, match="unprocessed"):
        DynamoDbClusterStore(table, stuck, sleep=lambda _: None).apply(moved)
    assert store.placement(keys[0]) == moved.placements[0]
    assert store.placement(keys[-1]) == placements[-1]
    assert store.lookup(["k"]) == {}

    # ... and applying the same change again converges.
    store.apply(moved)
    assert store.lookup(["k", "j", "own:0"], limit=500) == {"j": keys}
    assert store.members_of("c1") == []
    assert store.members_of("c2") == keys
    assert [c.cluster_id for c in store.clusters()] == ["c2"]

    # The first-seen index converged too: the deleted cluster is gone, the saved one there once.
    assert ids(store.new_since(T0 - timedelta(days=1))) == ["c2"]
    # So did the change index: the saved cluster once, the deleted one as its tombstone, once.
    assert [(v.cluster_id, v.deleted) for v in store.changed()] == [("c2", False), ("c1", True)]
    assert store.count_changed(member="m") == 2


def test_dynamodb_new_since_keeps_one_index_entry_per_cluster(aws_client: Callable[[str], Any]) -> None:
    from consortium.adapters.aws import DynamoDbClusterStore, create_table

    client = aws_client("dynamodb")
    table = f"clusters-{uuid.uuid4().hex[:12]}"
    create_table(client, table)
    store = DynamoDbClusterStore(table, NoScan(client))

    def entries() -> list[str]:
        """Every first-seen entry's sort key, read straight from the table."""
        days = [i["sk"]["S"] for i in client.query(**partition(table, "NEWDAYS"))["Items"]]
        return [i["sk"]["S"] for day in days for i in client.query(**partition(table, f"NEW#{day}"))["Items"]]

    store.apply(ClusterChange(saved=[seen_at("c1", T0), seen_at("c2", T0 + timedelta(days=1))]))
    assert entries() == ["2025-03-01T08:30:15.123456#c1", "2025-03-02T08:30:15.123456#c2"]
    store.apply(ClusterChange(saved=[seen_at("c1", T0 - timedelta(days=2)), seen_at("c2", T0 + timedelta(days=1))]))
    assert entries() == ["2025-02-27T08:30:15.123456#c1", "2025-03-02T08:30:15.123456#c2"]
    store.apply(ClusterChange(deleted=["c2"]))
    assert entries() == ["2025-02-27T08:30:15.123456#c1"]
    assert ids(store.new_since(T0 - timedelta(days=7))) == ["c1"]

    # A stale entry (as a failed apply may leave) names the cluster under a time it no longer has: skipped.
    stale = {"pk": {"S": "NEW#2025-02-27"}, "sk": {"S": "2025-02-27T09:00:00.000000#c1"}, "cluster_id": {"S": "c1"}}
    client.put_item(TableName=table, Item=stale)
    assert ids(store.new_since(T0 - timedelta(days=7))) == ["c1"]
    assert list(store.new_since(datetime(2025, 2, 27, 9, tzinfo=UTC))) == []


def test_dynamodb_index_first_seen_indexes_clusters_saved_before_the_index(aws_client: Callable[[str], Any]) -> None:
    from consortium.adapters.aws import DynamoDbClusterStore, create_table

    client = aws_client("dynamodb")
    table = f"clusters-{uuid.uuid4().hex[:12]}"
    create_table(client, table)
    store = DynamoDbClusterStore(table, NoScan(client))
    legacy = [seen_at(f"c{n}", T0 + timedelta(days=n)) for n in range(3)]
    legacy[0] = seen_at("c0", T0, [("a", "1"), ("b", "1")])  # held by two members
    for cluster in legacy:  # cluster items as the store wrote them before the first-seen and shared indexes
        pk = f"CL#{hashlib.sha256(cluster.cluster_id.encode()).hexdigest()[0]}"
        item = {"pk": {"S": pk}, "sk": {"S": cluster.cluster_id}, "body": {"S": cluster.model_dump_json()}}
        client.put_item(TableName=table, Item=item)
    assert (list(store.new_since(T0)), store.count_shared()) == ([], 0)
    assert store.index_first_seen() == 3
    assert store.index_first_seen() == 3
    assert list(store.new_since(T0)) == legacy
    assert (store.count_shared(), store.most_shared(5)) == (1, legacy[:1])
    assert (store.sharing_counts("a"), store.sharing_counts("b"), store.sharing_counts("m")) == ({2: 1}, {2: 1}, {1: 2})
    # A legacy cluster item (no holders) saved with other members: its old holder entries, from its body, go.
    store.apply(ClusterChange(saved=[seen_at("c0", T0, [("a", "1")])]))
    assert (store.sharing_counts("a"), store.sharing_counts("b")) == ({1: 1}, {})

    # A legacy cluster item (no first_seen_sk) whose first_seen moves: its old entry, found from its body, goes.
    store.apply(ClusterChange(saved=[seen_at("c1", T0 - timedelta(days=1))], deleted=["c2"]))
    assert ids(store.new_since(T0 - timedelta(days=7))) == ["c1", "c0"]
    days = [i["sk"]["S"] for i in client.query(**partition(table, "NEWDAYS"))["Items"]]
    left = [i["sk"]["S"] for day in days for i in client.query(**partition(table, f"NEW#{day}"))["Items"]]
    assert left == ["2025-02-28T08:30:15.123456#c1", "2025-03-01T08:30:15.123456#c0"]


def test_dynamodb_change_index_keeps_one_entry_per_cluster_and_scope(aws_client: Callable[[str], Any]) -> None:
    from consortium.adapters.aws import DynamoDbClusterStore, create_table

    client = aws_client("dynamodb")
    table = f"clusters-{uuid.uuid4().hex[:12]}"
    create_table(client, table)
    store = DynamoDbClusterStore(table, NoScan(client))

    def entries(days_pk: str = "CHGDAYS", prefix: str = "CHG#") -> list[str]:
        """Every change entry's sort key in one scope, read straight from the table."""
        days = [i["sk"]["S"] for i in client.query(**partition(table, days_pk))["Items"]]
        return [i["sk"]["S"] for day in days for i in client.query(**partition(table, f"{prefix}{day}"))["Items"]]

    def held(cluster_id: str, when: datetime, *members: str) -> Any:
        return make_test_cluster(cluster_id, [(m, cluster_id) for m in members], updated_at=when)

    store.apply(ClusterChange(saved=[held("c1", T0, "a", "b"), held("c2", T0 + timedelta(days=1), "b")]))
    assert entries() == ["2025-03-01T08:30:15.123456#c1", "2025-03-02T08:30:15.123456#c2"]
    assert entries("CHGMDAYS#b", "CHGM#b#") == entries()
    store.apply(ClusterChange(saved=[held("c1", T0 + timedelta(days=2), "a")]))
    assert entries() == ["2025-03-02T08:30:15.123456#c2", "2025-03-03T08:30:15.123456#c1"]
    assert entries("CHGMDAYS#a", "CHGM#a#") == ["2025-03-03T08:30:15.123456#c1"]
    assert entries("CHGMDAYS#b", "CHGM#b#") == ["2025-03-02T08:30:15.123456#c2"]
    store.apply(ClusterChange(deleted=["c2"], at=T0 + timedelta(days=3)))
    assert entries() == ["2025-03-03T08:30:15.123456#c1", "2025-03-04T08:30:15.123456#c2"]
    assert [(v.cluster_id, v.deleted) for v in store.changed(member="b")] == [("c2", True)]

    # A stale entry (as a failed apply may leave) names a cluster under a time it no longer has: skipped, and a
    # page still fills up past it.
    stale = {"pk": {"S": "CHG#2025-03-01"}, "sk": {"S": "2025-03-01T09:00:00.000000#c1"}, "cluster_id": {"S": "c1"}}
    client.put_item(TableName=table, Item=stale)
    assert [v.cluster_id for v in store.changed(limit=2)] == ["c1", "c2"]
    assert [v.cluster_id for v in store.changed(until=T0 + timedelta(days=2))] == []


def test_dynamodb_index_first_seen_indexes_changes_of_clusters_saved_before(aws_client: Callable[[str], Any]) -> None:
    from consortium.adapters.aws import DynamoDbClusterStore, create_table

    client = aws_client("dynamodb")
    table = f"clusters-{uuid.uuid4().hex[:12]}"
    create_table(client, table)
    store = DynamoDbClusterStore(table, NoScan(client))
    legacy = [make_test_cluster(f"c{n}", [("a", f"{n}")], updated_at=T0 + timedelta(hours=n)) for n in range(3)]
    for cluster in legacy:  # cluster items as the store wrote them before the change index
        pk = f"CL#{hashlib.sha256(cluster.cluster_id.encode()).hexdigest()[0]}"
        item = {"pk": {"S": pk}, "sk": {"S": cluster.cluster_id}, "body": {"S": cluster.model_dump_json()}}
        client.put_item(TableName=table, Item=item)
    assert store.changed() == [] and store.version("c1") is not None
    assert store.index_first_seen() == 3
    assert [v.cluster for v in store.changed(member="a")] == legacy

    # A legacy cluster saved again and another deleted: their old entries, found from their bodies, go.
    moved = legacy[0].model_copy(update={"updated_at": T0 + timedelta(days=1)})
    store.apply(ClusterChange(saved=[moved], deleted=["c1"], at=T0 + timedelta(days=2)))
    assert [(v.cluster_id, v.deleted) for v in store.changed()] == [("c2", False), ("c0", False), ("c1", True)]
    assert store.count_changed(member="a") == 3


def partition(table: str, pk: str) -> dict[str, Any]:
    """Query arguments for one partition of ``table``."""
    return {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": pk}},
        "ConsistentRead": True,
    }
