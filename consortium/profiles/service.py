"""Readers' personal data, end to end: one :class:`ProfileService` over the personal-data vault
(:mod:`consortium.profiles.vault`), with the readers' accounts and rights (:mod:`consortium.profiles.readers`) and
learning from their activity (:mod:`consortium.profiles.learning`).

Everything personal is a sealed item in the vault, read and written under a consent purpose and audited. Logs
name readers only by a short hash of their id, never by the id or any of their data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from consortium.ports import system_clock
from consortium.profiles.kinds import PROFILE_KINDS
from consortium.profiles.learning import NOT_INTERESTED, EventOutcome, Interest, Learning
from consortium.profiles.readers import Readers
from consortium.profiles.vault import SYSTEM, Vault

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.models import Cluster
    from consortium.ports import Clock
    from consortium.profiles.consent import ConsentPolicy
    from consortium.profiles.crypto import EnvelopeCipher
    from consortium.profiles.ports import ConsentLedger, KeyService, ProfileStore

__all__ = ["NOT_INTERESTED", "SYSTEM", "EventOutcome", "Interest", "ProfileService"]


class ProfileService(Readers, Learning):
    """Readers' personal data over a profile store, a cipher, the consent ledger and the consent policy.

    Parameters
    ----------
    store, cipher, consents, policy
        Where ciphertexts live, how they are sealed, the consent ledger and the consent policy.
    clock
        The current time (timezone-aware).
    keys
        The cipher's key service. When it can destroy a context (a
        :class:`~consortium.profiles.ports.DestroyableKeyService`, like the local key file), :meth:`erase`
        destroys the reader's, so pre-erasure copies of the store stop opening.
    cluster_lookup
        Finds a work by cluster id (``ClusterStore.get``). With it, stored events about a work teach the
        reader's learned interests (its classes, subjects and authors); without it only searches do.

    Example
    -------
    >>> service = ProfileService(store, EnvelopeCipher(keys), ledger, policy, keys=keys)
    >>> service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION], {"subjects": ["history"]})
    >>> service.record_event("r1", ReaderEvent(event_id="e1", type="search", at=now, query="红楼梦"), actor)
    <EventOutcome.STORED: 'stored'>
    """

    def __init__(
        self,
        store: ProfileStore,
        cipher: EnvelopeCipher,
        consents: ConsentLedger,
        policy: ConsentPolicy,
        clock: Clock = system_clock,
        *,
        keys: KeyService | None = None,
        cluster_lookup: Callable[[str], Cluster | None] | None = None,
    ) -> None:
        self._vault = Vault(store, cipher, consents, policy, clock, keys=keys)
        self._vault.register(*PROFILE_KINDS)
        self._cluster_lookup = cluster_lookup
        self._exported = {}
