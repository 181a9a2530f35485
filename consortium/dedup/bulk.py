"""Clustering a whole collection at once (a first load, or a rebuild), by the same rule as the incremental path.

Records are taken in order; each is compared with the earlier records sharing a blocking key (at most
:data:`~consortium.dedup.service.CANDIDATES_PER_KEY` per key), and every match links the two records' clusters:
the clusters are the connected parts of the match graph, as in the incremental path, whatever the order.
Everything is kept in memory and written in one change.
"""

from __future__ import annotations

import os
from collections import Counter
from itertools import chain
from typing import TYPE_CHECKING

from consortium.construct import construct
from consortium.dedup.features import match_view
from consortium.dedup.keys import record_keys
from consortium.dedup.matcher import decide
from consortium.dedup.merge import merge_cluster
from consortium.dedup.model import PRIOR_MODEL, MatchModel
from consortium.dedup.state import ClusterChange, RecordPlacement
from consortium.gc_tuning import fewer_collections
from consortium.text import title_tokens

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from consortium.dedup.state import RecordKey
    from consortium.models import Record

__all__ = ["cluster_bulk", "random_ids"]

CANDIDATES_PER_KEY = 100


def random_ids(count: int) -> list[str]:
    """``count`` new cluster ids, each the 32 hex digits of a random (version 4) UUID, as ``uuid4().hex`` gives,
    from one read of the system's random source (a third of the time of making a UUID object each)."""
    data = bytearray(os.urandom(16 * count))
    data[6::16] = bytes((b & 0x0F) | 0x40 for b in data[6::16])
    data[8::16] = bytes((b & 0x3F) | 0x80 for b in data[8::16])
    text = data.hex()
    return [text[n : n + 32] for n in range(0, len(text), 32)]


def cluster_bulk(
    records: Iterable[Record],
    now: datetime,
    first_seen: dict[RecordKey, datetime] | None = None,
    model: MatchModel = PRIOR_MODEL,
    *,
    keys: list[list[str]] | None = None,
    tokens: list[list[str]] | None = None,
) -> ClusterChange:
    """Placements and merged clusters for every record; ``first_seen`` keeps known records' times; ``keys``: each
    record's :func:`~consortium.dedup.keys.record_keys` and ``tokens`` its title's
    :func:`~consortium.text.title_tokens`, when the caller has them already."""
    with fewer_collections():
        return _cluster_bulk(records, now, first_seen, model, given=keys, given_tokens=tokens)


def _cluster_bulk(
    records: Iterable[Record],
    now: datetime,
    first_seen: dict[RecordKey, datetime] | None,
    model: MatchModel,
    *,
    given: list[list[str]] | None,
    given_tokens: list[list[str]] | None,
) -> ClusterChange:
    known = first_seen or {}
    items = list(records)
    # Each title cut into words once: for its keys, its match view and its cluster's work key.
    tokens = [title_tokens(r.title) for r in items] if given_tokens is None else given_tokens
    keys = [record_keys(r, words) for r, words in zip(items, tokens, strict=True)] if given is None else given
    shared = {key for key, count in Counter(chain.from_iterable(keys)).items() if count > 1}
    # Only records sharing a key with another are ever compared: only they need the whole match view.
    views = [
        None if shared.isdisjoint(ks) else match_view(r, words)
        for r, ks, words in zip(items, keys, tokens, strict=True)
    ]
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    blocks: dict[str, list[int]] = {}
    for i, view in enumerate(views):
        if view is None:
            continue
        compared: set[int] = set()
        for key in keys[i]:
            if key not in shared:  # no other record has it: its block would hold this record alone
                continue
            block = blocks.setdefault(key, [])
            for j in block if len(block) <= CANDIDATES_PER_KEY else block[:CANDIDATES_PER_KEY]:
                if j in compared:
                    continue
                compared.add(j)
                other = views[j]
                assert other is not None
                if find(i) != find(j) and decide(view, other, model).match:
                    parent[find(i)] = find(j)
            block.append(i)
    cluster_of = [find(i) for i in range(len(items))]
    groups: dict[int, list[int]] = {}
    for i, root in enumerate(cluster_of):
        groups.setdefault(root, []).append(i)
    change = ClusterChange(at=now)
    for members, cluster_id in zip(groups.values(), random_ids(len(groups)), strict=True):
        held = [items[i] for i in members]
        times: dict[RecordKey, datetime] = {}
        for i, record in zip(members, held, strict=True):
            placed = (record.member, record.local_id)
            times[placed] = at = known.get(placed, now)
            change.placements.append(
                construct(
                    RecordPlacement,
                    {
                        "member": record.member,
                        "local_id": record.local_id,
                        "cluster_id": cluster_id,
                        "keys": keys[i],
                        "first_seen": at,
                    },
                )
            )
        change.saved.append(merge_cluster(cluster_id, held, times, now, [tokens[i] for i in members]))
    return change
