"""The push service: readers' subscriptions (:mod:`consortium.push.subscriptions`), their controls over what
was sent (:mod:`consortium.push.controls`) and the job that plans and delivers digests (:mod:`consortium.push.job`),
over typed ledgers in the personal-data vault (:mod:`consortium.push.ledgers`), used under the ``push`` consent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from consortium.ports import system_clock
from consortium.push.controls import ReaderControls
from consortium.push.job import PUSH_JOB, PushJob, RunReport, shard_of
from consortium.push.ledgers import PushLedgers
from consortium.push.subscriptions import Subscriptions
from consortium.push.tokens import DEFAULT_GENERATION, PushTokens
from consortium.push.urls import HubUrls

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from consortium.dedup.ports import ClusterStore
    from consortium.ports import Clock
    from consortium.profiles.service import ProfileService
    from consortium.push.evidence import Evidence
    from consortium.push.planner import ListedWork
    from consortium.push.ports import Mailer

__all__ = ["PUSH_JOB", "PushService", "RunReport", "shard_of"]


class PushService(Subscriptions, ReaderControls, PushJob):
    """Subscriptions, reader controls, feeds and the push job, over the profile service and the cluster store.

    Parameters
    ----------
    profiles
        Where readers' push data is kept (encrypted, in its vault) and consent is checked.
    clusters
        The works; :meth:`~consortium.dedup.ports.ClusterStore.new_since` finds the new ones.
    mailer
        Delivers email digests; without one, email digests wait (retry later) and say why.
    public_url
        The hub's public base URL: feeds, unsubscribe links and work pages hang under it.
    sender
        The From address of digest email.
    member_names
        Member id → the library's name, for the email.
    clock
        The current time (timezone-aware).
    evidence
        Returns the latest ranking evidence (key rarity over the catalogue, loans, co-borrowing:
        :func:`~consortium.push.evidence_build.build_evidence`), or ``None``; without it a run measures rarity over
        its own new works and uses no co-borrowing.
    token_key
        The generation of the token key that new feed and unsubscribe tokens are sealed under
        (:mod:`consortium.push.tokens`; the secret behind it comes from the profiles' key service).

    Example
    -------
    >>> push = PushService(hub.profiles, hub.cluster_store, public_url="https://hub.example")
    >>> push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.INBOX, actor=reader)
    >>> push.run()
    """

    def __init__(
        self,
        profiles: ProfileService,
        clusters: ClusterStore,
        *,
        mailer: Mailer | None = None,
        public_url: str = "http://127.0.0.1:8000",
        sender: str = "Consortium hub <no-reply@consortium.invalid>",
        member_names: dict[str, str] | None = None,
        clock: Clock = system_clock,
        token_key: str = DEFAULT_GENERATION,
        evidence: Callable[[], Evidence | None] | None = None,
        listed: Callable[[datetime], Sequence[ListedWork]] | None = None,
    ) -> None:
        self._profiles = profiles
        self._ledgers = PushLedgers(profiles.vault)
        self._clusters = clusters
        self._mailer = mailer
        self._urls = HubUrls(public_url)
        self._sender = sender
        self._member_names = dict(member_names or {})
        self._clock = clock
        self._tokens = PushTokens(profiles.vault.keys, token_key)
        self._evidence = evidence
        self._listed = listed
        """The works of subject librarians' lists published since an instant (the ``librarian_lists`` service)."""
