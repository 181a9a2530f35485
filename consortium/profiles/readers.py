"""Readers' accounts and rights: creation, consent, the profile they declare, export, erasure and retention.

Erasure (:meth:`Readers.erase`) deletes the wrapped data key first, then has the key service destroy what it
holds for the reader (the local key file's per-reader context secret, see :mod:`consortium.adapters.local.key_file`),
then deletes the ciphertexts and the consent history and drops the unwrapped key from the cipher's cache: a copy
of the store taken before erasure no longer opens afterwards.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from consortium.errors import AlreadyExistsError, NotFoundError
from consortium.profiles.consent import ConsentEvent, Purpose
from consortium.profiles.kinds import EVENT, INTERESTS, PROFILE, PROMPT, READER
from consortium.profiles.models import AuditAction, Processing, Reader
from consortium.profiles.vault import ONE, SYSTEM, pseudonym

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    from consortium.models import Cluster
    from consortium.profiles.models import Actor, AuditPurpose
    from consortium.profiles.vault import Vault

__all__ = ["Readers"]

logger = logging.getLogger(__name__)

ABOUT: dict[str, tuple[str, str]] = {
    "about": (
        "What each part of this file holds. Times are in UTC (ISO 8601); a work is named by its id in the catalogue.",
        "本文件各部分的说明。时间为协调世界时（ISO 8601）；作品以其在目录中的编号表示。",
    ),
    "reader_id": ("Your reader id.", "您的读者号。"),
    "exported_at": ("When this file was made.", "本文件的生成时间。"),
    "consents": (
        "Every consent you gave or withdrew, oldest first, with the policy it was given under.",
        "您每一次同意或撤回授权的记录（按时间先后）及当时的政策版本。",
    ),
    "audit": (
        "Who read or wrote your data, when, which kind and for what purpose (never the data itself).",
        "谁在何时、为何目的读写了您哪一类数据（不含数据本身）。",
    ),
    "works": (
        "The title of each work this file names by its id, as the catalogue has it now.",
        "本文件中以编号出现的作品的题名（取自当前目录）。",
    ),
}
"""What the export says of its parts that no item kind describes (each kind says what it holds itself)."""


class Readers:
    """Readers' accounts, consents and rights, in the vault."""

    _vault: Vault
    _cluster_lookup: Callable[[str], Cluster | None] | None
    _exported: dict[str, tuple[Callable[[str], Any], tuple[str, str]]]

    def add_to_export(self, name: str, fetch: Callable[[str], Any], about: tuple[str, str]) -> None:
        """Have :meth:`export` hold ``name``: what ``fetch(reader_id)`` returns (JSON-able), described by ``about``
        (English, Chinese); for a feature that keeps a reader's data outside the vault (inter-library loans)."""
        self._exported[name] = (fetch, about)

    @property
    def vault(self) -> Vault:
        """The personal-data vault every feature keeps its reader items in."""
        return self._vault

    def create_reader(
        self,
        reader_id: str,
        member: str,
        consents: list[Purpose],
        declared: dict[str, Any] | None = None,
        actor: Actor = SYSTEM,
    ) -> Reader:
        """Make the reader: a new wrapped data key, a consent grant per purpose in ``consents``, and the
        encrypted reader and profile items. :class:`ConflictError` when the reader exists."""
        vault = self._vault
        if vault.exists(reader_id):
            raise AlreadyExistsError("the reader exists already", reader_id=reader_id)
        reader = Reader(reader_id=reader_id, member=member, created_at=vault.clock())
        vault.create(reader_id)
        for purpose in dict.fromkeys(consents):
            vault.record_consent(reader_id, Purpose(purpose), granted=True)
        items = vault.items_of(reader_id)
        items.save(READER, ONE, reader.model_dump(mode="json"))
        items.save(PROFILE, ONE, dict(declared or {}))
        vault.audit(reader_id, actor, "*", AuditAction.WRITE, Processing.ACCOUNT)
        logger.info("created reader %s", pseudonym(reader_id))
        return reader

    def get_reader(self, reader_id: str, actor: Actor, purpose: AuditPurpose = Processing.READER_REQUEST) -> Reader:
        """The reader's :class:`Reader`; :class:`NotFoundError` for an unknown or erased reader."""
        return Reader.model_validate(self._read_single(reader_id, READER, actor, purpose))

    def member_of(self, reader_id: str) -> str:
        """The reader's home library (no personal payload is returned, but the reader item is opened)."""
        payload = self._vault.load(reader_id, READER, ONE)
        if payload is None:
            raise NotFoundError("no such reader (never created, or erased)", reader_id=reader_id)
        return str(payload["member"])

    def reader_ids(self) -> list[str]:
        """Every reader with a key, sorted (for jobs that go through all readers)."""
        store = self._vault.store
        return [reader_id for reader_id in store.readers() if store.get_key(reader_id) is not None]

    # -- consent

    def grant(self, reader_id: str, purpose: Purpose, actor: Actor = SYSTEM) -> None:
        """Record that the reader grants ``purpose``."""
        self._vault.wrapped(reader_id)
        self._vault.record_consent(reader_id, Purpose(purpose), granted=True)

    def withdraw(self, reader_id: str, purpose: Purpose, actor: Actor = SYSTEM) -> None:
        """Record that the reader withdraws ``purpose`` and delete what is kept for it (see
        :meth:`~consortium.profiles.vault.Vault.withdraw`): withdrawing personalization deletes what it learned
        (declared interests stay), withdrawing push what push kept."""
        self._vault.withdraw(reader_id, Purpose(purpose), actor)

    def consents(self, reader_id: str) -> dict[Purpose, bool]:
        """Which purposes the reader grants now (every purpose of the policy, ungranted ones ``False``)."""
        self._vault.wrapped(reader_id)
        return self._vault.granted(reader_id)

    def consent_history(self, reader_id: str) -> list[ConsentEvent]:
        """Every grant and withdrawal of the reader, oldest first."""
        self._vault.wrapped(reader_id)
        return self._vault.consent_history(reader_id)

    def item_counts(self, reader_id: str) -> dict[str, int]:
        """How many encrypted items the reader has, by kind (no data is opened)."""
        return self._vault.counts(reader_id)

    # -- the profile they declare

    def get_profile(
        self, reader_id: str, actor: Actor, purpose: AuditPurpose = Processing.READER_REQUEST
    ) -> dict[str, Any]:
        """The reader's profile payload."""
        return dict(self._read_single(reader_id, PROFILE, actor, purpose))

    def put_profile(
        self,
        reader_id: str,
        payload: dict[str, Any],
        actor: Actor,
        purpose: AuditPurpose = Processing.READER_REQUEST,
    ) -> None:
        """Replace the reader's profile payload (any JSON-able dict)."""
        self._vault.write(reader_id, PROFILE, {ONE: payload}, actor, purpose)

    # -- the reader's rights

    def export(self, reader_id: str, actor: Actor = SYSTEM) -> dict[str, Any]:
        """Everything the hub keeps about the reader, decrypted, in one JSON-serializable dict: what each part holds
        (``about``, in English and Chinese), the reader, every item by kind (the interests, declared and learned,
        included), the events, the open drift prompts, the consent history, the audit log (this export included),
        what features add (:meth:`add_to_export`), and the title of each work named by id (``works``)."""
        vault = self._vault
        items = vault.items_of(reader_id)
        vault.audit(reader_id, actor, "*", AuditAction.EXPORT, Processing.READER_REQUEST)
        data: dict[str, Any] = {}
        listed: dict[str, list[dict[str, Any]]] = {EVENT: [], PROMPT: []}
        for item, payload in items.load_all():
            kind = vault.kind(item.kind)
            if item.kind in listed:
                listed[item.kind].append(payload)
            elif kind is not None and kind.single and item.item_id == ONE:
                data[item.kind] = payload
            else:
                data.setdefault(item.kind, {})[item.item_id] = payload
        exported = {
            "reader_id": reader_id,
            "exported_at": vault.clock().isoformat(),
            **data,
            "events": sorted(listed[EVENT], key=lambda e: (str(e.get("at")), str(e.get("event_id")))),
            "prompts": sorted(listed[PROMPT], key=lambda p: (str(p.get("created_at")), str(p.get("prompt_id")))),
            "consents": [event.model_dump(mode="json") for event in vault.consent_history(reader_id)],
            "audit": [entry.model_dump(mode="json") for entry in vault.store.audit_log(reader_id)],
            **{name: fetch(reader_id) for name, (fetch, _) in self._exported.items()},
        }
        exported["works"] = self._titles(exported)
        about = dict(ABOUT)
        for name in exported:
            kind = vault.kind({"events": EVENT, "prompts": PROMPT}.get(name, name))
            if kind is not None and kind.about[0]:
                about[name] = kind.about
        about |= {name: text for name, (_, text) in self._exported.items()}
        shown = [name for name in ["about", *exported] if name in about]
        return {"about": {lang: {n: about[n][i] for n in shown} for i, lang in enumerate(("en", "zh"))}, **exported}

    def _titles(self, exported: dict[str, Any]) -> dict[str, str]:
        """The title of each work the events and the recent borrowings name, as the catalogue has it now."""
        named = [event.get("cluster_id") for event in exported["events"]]
        named += [borrowed.get("cluster_id") for borrowed in (exported.get(INTERESTS) or {}).get("borrowed", [])]
        titles: dict[str, str] = {}
        for cluster_id in dict.fromkeys(c for c in named if isinstance(c, str)):
            work = self._cluster_lookup(cluster_id) if self._cluster_lookup is not None else None
            if work is not None:
                titles[cluster_id] = work.title
        return titles

    def erase(self, reader_id: str, actor: Actor = SYSTEM) -> str:
        """Erase the reader (see the module notes); returns the pseudonym their audit trail is kept under (see
        :meth:`~consortium.profiles.vault.Vault.erase`). Erasing an unknown reader does no harm."""
        return self._vault.erase(reader_id, actor)

    def purge_expired(self, now: dt.datetime | None = None) -> int:
        """Delete every item older than its retention allows; return how many were deleted (see
        :meth:`~consortium.profiles.vault.Vault.purge_expired`)."""
        return self._vault.purge_expired(now)

    # -- inside

    def _read_single(self, reader_id: str, kind: str, actor: Actor, purpose: AuditPurpose) -> dict[str, Any]:
        payload = self._vault.read_one(reader_id, kind, ONE, actor, purpose)
        if payload is None:
            raise NotFoundError(f"the reader has no {kind}", reader_id=reader_id, kind=kind)
        return dict(payload)
