"""The holders index of the DynamoDB cluster store: for each member, the clusters it holds records of, by how
many members hold them, so that :meth:`~consortium.adapters.aws.DynamoDbClusterStore.sharing_counts` counts a
member's partitions instead of reading clusters.

=====================  ==========================================  ==========================
item                   ``pk``                                      ``sk``
=====================  ==========================================  ==========================
holder entry           ``HLD#<member>#<members, 3 digits>``        ``<cluster_id>``
holder directory       ``HOLDERS``                                 ``<member>#<members>``
=====================  ==========================================  ==========================

Each cluster item carries its members in ``holders`` (joined by U+001F), so a save knows, from the item it
already reads for the first-seen index, which entries the cluster had: the entries that change are deleted
and put in ``apply``'s first stream, before the cluster item with its new ``holders`` is written in the second,
so applying a change again after a failure converges (see :mod:`consortium.adapters.aws.dynamodb_clusters`).
A cluster item without ``holders`` (written before this index) has its members read from its body.

The directory lists every (member, count) partition that ever had an entry (never deleted; ``#`` sorts below
every character of a member id, so a member's are one ``begins_with`` Query). Counting is one ``Select=COUNT``
Query per partition: it reads (and is billed for) the member's small entries, not its clusters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from consortium.adapters.aws.dynamodb_common import delete_request, key_of, put_request

if TYPE_CHECKING:
    from consortium.adapters.aws.dynamodb_common import DynamoDbTable
    from consortium.models import Cluster

__all__ = ["HOLDERS", "directory_writes", "holder_writes", "holders_of", "sharing_counts"]

HOLDERS = "holders"
"""The cluster item's attribute listing its members."""
_DIRECTORY = "HOLDERS"
_SEP = "\x1f"


def holders_of(cluster: Cluster) -> str:
    """The value of the cluster item's ``holders``: its members, joined."""
    return _SEP.join(cluster.members)


def _entries(cluster_id: str, members: list[str]) -> dict[tuple[str, str], tuple[str, int]]:
    return {(f"HLD#{m}#{len(members):03d}", cluster_id): (m, len(members)) for m in members}


def holder_writes(
    cluster_id: str, old: str | None, new: Cluster | None, written: dict[tuple[str, str], dict[str, Any]]
) -> set[tuple[str, int]]:
    """Add to ``written`` the requests that move the cluster's holder entries from those of its stored members
    ``old`` (a ``holders`` value; ``None``: it had none) to those of ``new`` (``None``: deleted); return the
    (member, count) partitions the new entries are in (for the directory)."""
    before = _entries(cluster_id, old.split(_SEP) if old else [])
    after = _entries(cluster_id, new.members if new is not None else [])
    for key in before.keys() - after.keys():
        written[key] = delete_request(*key)
    for key in after.keys() - before.keys():
        written[key] = put_request(key_of(*key))
    return set(after.values())


def directory_writes(pairs: set[tuple[str, int]], written: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Add the directory items of these (member, count) partitions to ``written``."""
    for member, count in pairs:
        key = (_DIRECTORY, f"{member}#{count:03d}")
        written[key] = put_request(key_of(*key))


def sharing_counts(table: DynamoDbTable, member: str) -> dict[int, int]:
    """``{members: clusters}`` for the member: the directory's items of the member, then a count of each."""
    counts: dict[int, int] = {}
    for row in table.query(_DIRECTORY, prefix=f"{member}#", action="read the holder directory"):
        members = int(row["sk"]["S"].rpartition("#")[2])
        count = table.count(f"HLD#{member}#{members:03d}", action="count holder entries")
        if count:
            counts[members] = count
    return counts
