"""The ranking evidence as the scheduler stores it, and as push runs read it back.

A scheduled job (``consortium run``'s ``evidence`` job locally, the ``push_evidence`` function on AWS) rebuilds
the evidence (:func:`~consortium.push.evidence_build.build_evidence`) and writes it, whole, to an
:class:`~consortium.push.ports.EvidenceStore` with :func:`rebuild_evidence`. The document is JSON, counts only::

    {"format": 1, "built_at": "2026-12-04T05:00:00+00:00", "min_readers": 10,
     "works_total": ..., "key_works": {key: works}, "loans": {cluster id: readers},
     "neighbours": {cluster id: {cluster id: cosine}}, "related": {key: {key: cosine}}}

No reader id, pseudonym or event is in it: a work's loans and every pair appear only when at least
``min_readers`` distinct readers are behind them.

Push runs read it through :class:`StoredEvidence`, which keeps the decoded evidence and reads the document again
only when the store says its version changed (a cheap ``HEAD`` on S3, a ``stat`` locally). Without a document, or
with one that cannot be read, a run ranks without the evidence (rarity over its own new works, no co-borrowing)
and the log says so, naming the store and the error type, never a reader.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pydantic
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from consortium.errors import StorageError, ValidationError, field_errors
from consortium.ports import system_clock
from consortium.push.coborrow import MIN_READERS
from consortium.push.evidence import Evidence
from consortium.push.evidence_build import build_evidence

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    from consortium.dedup.ports import ClusterStore
    from consortium.members import MemberRegistry
    from consortium.ports import Clock
    from consortium.profiles.service import ProfileService
    from consortium.push.ports import EvidenceStore

__all__ = [
    "EVIDENCE_FORMAT",
    "EvidenceSummary",
    "StoredEvidence",
    "decode_evidence",
    "encode_evidence",
    "rebuild_evidence",
]

logger = logging.getLogger(__name__)

EVIDENCE_FORMAT = 1
"""The version of the stored document's layout."""


class EvidenceDocument(BaseModel):
    """The stored document, checked field by field when read back."""

    model_config = ConfigDict(extra="forbid")

    format: Literal[1]
    built_at: AwareDatetime
    min_readers: int = Field(ge=1)
    works_total: int = Field(ge=0)
    key_works: dict[str, int]
    loans: dict[str, int]
    neighbours: dict[str, dict[str, float]]
    related: dict[str, dict[str, float]]


def encode_evidence(evidence: Evidence, built_at: dt.datetime, *, min_readers: int = MIN_READERS) -> bytes:
    """The evidence as the stored JSON document (UTF-8, compact, keys sorted)."""
    document = {
        "format": EVIDENCE_FORMAT,
        "built_at": built_at.isoformat(),
        "min_readers": min_readers,
        **evidence.as_dict(),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False).encode()


def decode_evidence(data: bytes) -> Evidence:
    """The evidence of a stored document, with its ``built_at``; :class:`~consortium.errors.ValidationError`
    naming the field when the document is not one :func:`encode_evidence` writes."""
    try:
        document = EvidenceDocument.model_validate_json(data)
    except pydantic.ValidationError as exc:
        raise ValidationError(f"the stored ranking evidence is not valid: {field_errors(exc)}") from exc
    return Evidence(
        key_works=document.key_works,
        works_total=document.works_total,
        loans=document.loans,
        neighbours=document.neighbours,
        related=document.related,
        built_at=document.built_at,
    )


@dataclass(frozen=True)
class EvidenceSummary:
    """What a rebuild stored: counts only."""

    built_at: dt.datetime
    works: int
    keys: int
    borrowed_works: int
    """Works with loans from at least ``min_readers`` readers."""
    work_pairs: int
    key_pairs: int
    size: int
    """Bytes of the stored document."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "built_at": self.built_at.isoformat(),
            "works": self.works,
            "keys": self.keys,
            "borrowed_works": self.borrowed_works,
            "work_pairs": self.work_pairs,
            "key_pairs": self.key_pairs,
            "bytes": self.size,
        }

    def line(self) -> str:
        """One line for a log or a terminal."""
        return (
            f"ranking evidence built at {self.built_at.isoformat()}: {self.works} works, {self.keys} keys, "
            f"{self.borrowed_works} borrowed works, {self.work_pairs} co-borrowed work pairs, {self.key_pairs} key "
            f"pairs ({self.size} bytes)"
        )


def rebuild_evidence(
    profiles: ProfileService,
    clusters: ClusterStore,
    registry: MemberRegistry,
    store: EvidenceStore,
    *,
    clock: Clock = system_clock,
    min_readers: int = MIN_READERS,
    should_stop: Callable[[], bool] | None = None,
) -> EvidenceSummary:
    """Build the evidence from the hub's stores and replace the stored document with it; once ``should_stop()``
    is true, :class:`~consortium.errors.Interrupted` before it is stored (the stored evidence stays as it was).

    Example
    -------
    >>> rebuild_evidence(hub.profiles, hub.cluster_store, hub.registry, hub.evidence_store).line()
    'ranking evidence built at 2026-12-04T05:00:00+00:00: 1200 works, ...'
    """
    built_at = clock()
    evidence = build_evidence(profiles, clusters, registry, min_readers=min_readers, should_stop=should_stop)
    data = encode_evidence(evidence, built_at, min_readers=min_readers)
    store.put(data)
    summary = EvidenceSummary(
        built_at=built_at,
        works=evidence.works_total,
        keys=len(evidence.key_works),
        borrowed_works=len(evidence.loans),
        work_pairs=sum(len(v) for v in evidence.neighbours.values()) // 2,
        key_pairs=sum(len(v) for v in evidence.related.values()) // 2,
        size=len(data),
    )
    logger.info("%s", summary.line())
    return summary


class StoredEvidence:
    """The latest stored evidence, for :class:`~consortium.push.service.PushService`'s ``evidence=``: each call
    asks the store for the document's version and decodes the document again only when it changed.

    A store with no document gives ``None`` (ranking without the evidence); so does one that cannot be read or
    holds a document that is not valid, unless an earlier document was read, which is then kept. Each state is
    logged once when it begins (the store's error type and message name the file or object, never a reader).

    Example
    -------
    >>> evidence = StoredEvidence(hub.evidence_store)
    >>> push = PushService(hub.profiles, hub.cluster_store, evidence=evidence)
    >>> evidence.built_at  # after a run: when the evidence it used was built
    """

    def __init__(self, store: EvidenceStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._version: str | None = None
        self._evidence: Evidence | None = None
        self._problem: str | None = None

    @property
    def built_at(self) -> dt.datetime | None:
        """When the evidence in hand was built (``None``: none in hand)."""
        return None if self._evidence is None else self._evidence.built_at

    def __call__(self) -> Evidence | None:
        with self._lock:
            try:
                version = self._store.version()
                if version is None:
                    self._version, self._evidence = None, None
                    self._tell("no ranking evidence stored yet: push runs rank without it", logging.INFO)
                    return None
                if version != self._version:
                    self._load()
            except (StorageError, ValidationError) as exc:
                kept = "the evidence read before" if self._evidence is not None else "no evidence"
                self._tell(f"the stored ranking evidence cannot be used ({type(exc).__name__}: {exc}): {kept}")
            return self._evidence

    def _load(self) -> None:
        blob = self._store.get()
        if blob is None:  # removed between the two calls
            self._version, self._evidence = None, None
            return
        evidence = decode_evidence(blob.data)
        self._version, self._evidence = blob.version, evidence
        self._problem = None
        logger.info(
            "ranking evidence built at %s read: %d works, %d borrowed, %d co-borrowed works",
            evidence.built_at.isoformat() if evidence.built_at else "?",
            evidence.works_total,
            len(evidence.loans),
            len(evidence.neighbours),
        )

    def _tell(self, problem: str, level: int = logging.WARNING) -> None:
        if problem != self._problem:
            self._problem = problem
            logger.log(level, "%s", problem)
