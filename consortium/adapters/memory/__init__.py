"""In-memory adapters: used by unit tests, and correct implementations of each port in their own right."""

from consortium.adapters.memory.consent import InMemoryConsentLedger
from consortium.adapters.memory.search import InMemorySearchIndex
from consortium.adapters.memory.stores import InMemoryBlobStore, InMemoryRecordStore

__all__ = ["InMemoryBlobStore", "InMemoryConsentLedger", "InMemoryRecordStore", "InMemorySearchIndex"]
