"""In-memory adapters: used by unit tests, and correct implementations of each port in their own right."""

from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.adapters.memory.consent import InMemoryConsentLedger
from consortium.adapters.memory.profiles import InMemoryProfileStore
from consortium.adapters.memory.search import InMemorySearchIndex
from consortium.adapters.memory.secrets import InMemoryContextSecrets
from consortium.adapters.memory.stores import InMemoryBlobStore, InMemoryRecordStore

__all__ = [
    "InMemoryBlobStore",
    "InMemoryClusterStore",
    "InMemoryConsentLedger",
    "InMemoryContextSecrets",
    "InMemoryProfileStore",
    "InMemoryRecordStore",
    "InMemorySearchIndex",
]
