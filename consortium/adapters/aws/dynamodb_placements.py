"""The record side of the DynamoDB cluster store: the writes that place records in clusters (each record's
placement, its blocking keys and its cluster membership), as :meth:`DynamoDbClusterStore.apply
<consortium.adapters.aws.dynamodb_clusters.DynamoDbClusterStore.apply>` makes them.

==========================  ==========================  =======================================
item                        ``pk``                      ``sk``
==========================  ==========================  =======================================
a record's placement        ``PLC#<member>``            ``<local id>`` (``cluster_id``, ``body``)
a blocking key              ``KEY#<key>``               ``<member><US><local id>``
a cluster's member record   ``MEM#<cluster id>``        ``<member><US><local id>``
==========================  ==========================  =======================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from consortium.adapters.aws.dynamodb_common import delete_request, key_of, put_request

if TYPE_CHECKING:
    from consortium.dedup.state import RecordKey, RecordPlacement

__all__ = ["Writes", "placement_writes", "record_sk"]

Writes = dict[tuple[str, str], dict[str, Any]]
"""Write requests by the key they write (a later one for the same key replaces the earlier)."""

_SEP = "\x1f"


def record_sk(key: RecordKey) -> str:
    """The sort key of a record under its blocking keys and its cluster."""
    return f"{key[0]}{_SEP}{key[1]}"


def placement_writes(
    final: dict[RecordKey, RecordPlacement | None], old: dict[RecordKey, RecordPlacement]
) -> tuple[Writes, Writes]:
    """The writes that take each record from its ``old`` placement to its ``final`` one (``None``: removed):
    the stale entries to delete first (keys and memberships it no longer has), then the fresh ones."""
    stale: Writes = {}
    fresh: Writes = {}
    for key, new in final.items():
        sk = record_sk(key)
        names = {"member": key[0], "local_id": key[1]}
        new_keys = set(new.keys) if new is not None else set()
        previous = old.get(key)
        if previous is not None:
            for index_key in sorted(set(previous.keys) - new_keys):
                stale[(f"KEY#{index_key}", sk)] = delete_request(f"KEY#{index_key}", sk)
            if new is None or new.cluster_id != previous.cluster_id:
                pk = f"MEM#{previous.cluster_id}"
                stale[(pk, sk)] = delete_request(pk, sk)
        placement_pk = f"PLC#{key[0]}"
        if new is None:
            fresh[(placement_pk, key[1])] = delete_request(placement_pk, key[1])
            continue
        for index_key in new.keys:
            fresh[(f"KEY#{index_key}", sk)] = put_request(key_of(f"KEY#{index_key}", sk), **names)
        fresh[(f"MEM#{new.cluster_id}", sk)] = put_request(key_of(f"MEM#{new.cluster_id}", sk), **names)
        fresh[(placement_pk, key[1])] = put_request(
            key_of(placement_pk, key[1]), cluster_id=new.cluster_id, body=new.model_dump_json()
        )
    return stale, fresh
