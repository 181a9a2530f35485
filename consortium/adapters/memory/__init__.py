"""In-memory adapters: used by unit tests, and correct implementations of each port in their own right."""

from consortium.adapters.memory.analytics import InMemoryAnalyticsStore
from consortium.adapters.memory.clock import ManualClock
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.adapters.memory.consent import InMemoryConsentLedger
from consortium.adapters.memory.keys import InMemoryKeyService
from consortium.adapters.memory.lists import InMemoryCuratedListStore
from consortium.adapters.memory.loans import InMemoryLoanRequestStore
from consortium.adapters.memory.match_model import InMemoryMatchModelStore
from consortium.adapters.memory.outbox import InMemoryOutbox
from consortium.adapters.memory.plans import InMemoryPlanStore
from consortium.adapters.memory.profiles import InMemoryProfileStore
from consortium.adapters.memory.queue import BackgroundQueue, InMemoryQueue, InProcessQueue
from consortium.adapters.memory.registry import InMemorySourceOverrideStore
from consortium.adapters.memory.runs import InMemoryHarvestRunStore
from consortium.adapters.memory.search import InMemorySearchIndex
from consortium.adapters.memory.secrets import InMemoryContextSecrets
from consortium.adapters.memory.stores import InMemoryBlobStore, InMemoryRecordStore

__all__ = [
    "BackgroundQueue",
    "InMemoryAnalyticsStore",
    "InMemoryBlobStore",
    "InMemoryClusterStore",
    "InMemoryConsentLedger",
    "InMemoryContextSecrets",
    "InMemoryCuratedListStore",
    "InMemoryHarvestRunStore",
    "InMemoryKeyService",
    "InMemoryLoanRequestStore",
    "InMemoryMatchModelStore",
    "InMemoryOutbox",
    "InMemoryPlanStore",
    "InMemoryProfileStore",
    "InMemoryQueue",
    "InMemoryRecordStore",
    "InMemorySearchIndex",
    "InMemorySourceOverrideStore",
    "InProcessQueue",
    "ManualClock",
]
