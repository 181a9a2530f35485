"""Building the ranking evidence from the hub's own data: the catalogue, and the loans readers let be counted.

:func:`build_evidence` reads every cluster (key rarity) and, for each reader who granted
:data:`~consortium.push.coborrow.COBORROW_PURPOSE` (``analytics``), their stored borrow events under that purpose
(audited as the job :data:`EVIDENCE_JOB`); a loan counts when the reader's member shares circulation
(:func:`~consortium.push.coborrow.shared_loans`). Readers enter the counts by pseudonym only. The result is plain
JSON (:meth:`~consortium.push.evidence.Evidence.as_dict`): counts per work and per pair, nothing about a reader,
and nothing about fewer than ``min_readers`` readers (a work's loans, like a pair, appear only from that many
distinct readers on). It is rebuilt whole, in one pass over the catalogue and the consented loans; the scheduler
stores it (:mod:`consortium.push.evidence_store`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from consortium.errors import Interrupted
from consortium.profiles.interest_keys import keys_for_cluster
from consortium.profiles.models import Actor, ActorRole, EventType
from consortium.profiles.vault import pseudonym
from consortium.push.coborrow import COBORROW_PURPOSE, MIN_READERS, coborrowing, shared_loans
from consortium.push.evidence import Evidence

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.dedup.ports import ClusterStore
    from consortium.members import MemberRegistry
    from consortium.profiles.service import ProfileService

__all__ = ["EVIDENCE_JOB", "build_evidence"]

EVIDENCE_JOB = Actor(actor_id="ranking-evidence-job", role=ActorRole.JOB)
"""Who reads readers' borrow events when the evidence is built."""


def build_evidence(
    profiles: ProfileService,
    clusters: ClusterStore,
    registry: MemberRegistry,
    *,
    min_readers: int = MIN_READERS,
    should_stop: Callable[[], bool] | None = None,
) -> Evidence:
    """Key rarity over every cluster; loans and co-borrowing over the loans that may be aggregated.
    :class:`~consortium.errors.Interrupted` once ``should_stop()`` is true (looked at for each cluster and each
    reader read): the build is all or nothing, so nothing is kept of it.

    Example
    -------
    >>> evidence = build_evidence(hub.profiles, hub.cluster_store, hub.registry)
    >>> push = PushService(hub.profiles, hub.cluster_store, evidence=lambda: evidence)
    """
    stop = should_stop or (lambda: False)
    keys: dict[str, list[str]] = {}
    for cluster in clusters.clusters():
        if stop():
            raise Interrupted("the ranking evidence was not rebuilt: asked to stop")
        keys[cluster.cluster_id] = keys_for_cluster(cluster)
    rows: list[tuple[str, str, str]] = []
    for reader_id in profiles.reader_ids():
        if stop():
            raise Interrupted("the ranking evidence was not rebuilt: asked to stop")
        if not profiles.consents(reader_id).get(COBORROW_PURPOSE):
            continue
        member = profiles.member_of(reader_id)
        token = pseudonym(reader_id)
        for event in profiles.events(reader_id, EVIDENCE_JOB, COBORROW_PURPOSE):
            if event.type is EventType.BORROW and event.cluster_id in keys:
                rows.append((token, event.cluster_id, member))
    loans = shared_loans(rows, registry, lambda _: True)  # consent was checked above, reader by reader
    counts, neighbours, related = coborrowing(loans, lambda cluster_id: keys[cluster_id], min_readers=min_readers)
    shown = {cluster_id: readers for cluster_id, readers in counts.items() if readers >= min_readers}
    return Evidence.of_keys(keys.values(), loans=shown, neighbours=neighbours, related=related)
