"""What a reader does with what was pushed: the history, deleting an item or marking it "not interested",
muting a class, author or series, and the portal inbox."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from consortium.errors import NotFoundError, ValidationError
from consortium.profiles.interest_keys import author_key, key_kind
from consortium.profiles.learning import NOT_INTERESTED, UnknownWorkError
from consortium.profiles.models import EventType, Processing, ReaderEvent
from consortium.push.ledgers import INBOX, MUTE, mute_id
from consortium.push.models import ItemAction, Mute, MuteKind, SentItem

if TYPE_CHECKING:
    from consortium.ports import Clock
    from consortium.profiles.models import Actor
    from consortium.profiles.service import ProfileService
    from consortium.push.ledgers import PushLedgers

__all__ = ["ReaderControls"]


def _author(key: str) -> str:
    """The author key of an author mute's key: an author key (``author:liu cixin``) or a name as catalogued
    (``Harari, Yuval Noah``, what a digest item shows), with or without ``author:``; normalized as works' author
    keys are, so the mute matches them."""
    try:
        return author_key(key.strip().removeprefix("author:"))
    except ValidationError as exc:
        raise ValidationError("an author mute takes an author's name or key such as 'author:liu cixin'") from exc


class ReaderControls:
    """The reader's controls over what push sent them (none needs a consent: they are the reader's requests)."""

    _ledgers: PushLedgers
    _profiles: ProfileService
    _clock: Clock

    def history(self, reader_id: str, actor: Actor, *, include_deleted: bool = False) -> list[SentItem]:
        """What was pushed to the reader, newest first (items the reader deleted left out)."""
        items = self._ledgers.sent(reader_id, actor, Processing.READER_REQUEST).values()
        return sorted(
            (i for i in items if include_deleted or not i.deleted), key=lambda i: (i.at, i.cluster_id), reverse=True
        )

    def act(self, reader_id: str, cluster_id: str, action: ItemAction, actor: Actor) -> SentItem:
        """Delete a pushed item from the history, or mark it "not interested" (also negative evidence for the
        profile, when the reader grants personalization). Either way it is never pushed again."""
        item = self._ledgers.sent_item(reader_id, cluster_id, actor, Processing.READER_REQUEST)
        if item is None:
            raise NotFoundError("nothing with this id was pushed to the reader", cluster_id=cluster_id)
        if ItemAction(action) is ItemAction.DELETE:
            item = item.model_copy(update={"deleted": True})
        else:
            item = item.model_copy(update={"not_interested": True})
            event = ReaderEvent(
                event_id=f"push-not-interested-{cluster_id}",
                type=EventType.FEEDBACK,
                at=self._clock(),
                cluster_id=cluster_id,
                feedback=NOT_INTERESTED,
            )
            try:
                self._profiles.record_event(reader_id, event, actor)  # dropped unless personalization is granted
            except UnknownWorkError:
                pass  # the work has left the catalogue since: the item is still marked, nothing is learned
        self._ledgers.save_sent(reader_id, [item], actor, Processing.READER_REQUEST)
        return item

    def mute(self, reader_id: str, kind: MuteKind, key: str, actor: Actor) -> Mute:
        """Never push works of this class (and the classes under it), author or series again."""
        kind = MuteKind(kind)
        key = key.strip()
        if not key:
            raise ValidationError(f"a mute of {kind.value} needs a key: it is empty", kind=kind.value)
        if kind is MuteKind.CLASS and (not key.startswith("class:") or key_kind(key) != "class"):
            raise ValidationError("a class mute takes a class key such as class:clc:TP3", key=key)
        if kind is MuteKind.AUTHOR:
            key = _author(key)
        try:
            mute = Mute(kind=kind, key=key, at=self._clock())
        except ValueError as exc:
            raise ValidationError(f"invalid mute: {exc}", kind=kind.value) from exc
        self._ledgers.save_mute(reader_id, mute, actor, Processing.READER_REQUEST)
        return mute

    def unmute(self, reader_id: str, kind: MuteKind, key: str, actor: Actor) -> None:
        """Remove a mute (none by that key: nothing to do). An author is found by name or key, as :meth:`mute`
        took it."""
        kind = MuteKind(kind)
        key = key.strip()
        if kind is MuteKind.AUTHOR:
            try:
                key = _author(key)
            except ValidationError:
                pass  # no mute was ever made with a name that has no words: there is nothing to remove
        self._ledgers.delete(reader_id, MUTE, [mute_id(kind, key)], actor, Processing.READER_REQUEST)

    def mutes(self, reader_id: str, actor: Actor) -> list[Mute]:
        return self._ledgers.mutes(reader_id, actor, Processing.READER_REQUEST)

    def inbox(self, reader_id: str, actor: Actor) -> list[dict[str, Any]]:
        """The digests delivered to the portal inbox, newest first: ``{"at", "digest", "read"}`` as JSON. The items
        the reader deleted (:meth:`act`) are left out; those they marked not interested say so
        (``"not_interested": true``)."""
        entries = self._ledgers.inbox(reader_id, actor, Processing.READER_REQUEST).values()
        sent = self._ledgers.sent(reader_id, actor, Processing.READER_REQUEST)
        ordered = sorted(entries, key=lambda entry: entry.digest.window_end, reverse=True)
        digests = []
        for entry in ordered:
            view = entry.model_dump(mode="json")
            items = []
            for item in view["digest"]["items"]:
                state = sent.get(item["cluster_id"])
                if state is not None and state.deleted:
                    continue
                items.append({**item, "not_interested": state is not None and state.not_interested})
            view["digest"]["items"] = items
            digests.append(view)
        return digests

    def mark_read(self, reader_id: str, digest_id: str, actor: Actor) -> None:
        entry = self._ledgers.inbox_entry(reader_id, digest_id, actor, Processing.READER_REQUEST)
        if entry is None:
            raise NotFoundError("no such digest in the reader's inbox", digest_id=digest_id)
        read = entry.model_copy(update={"read": True})
        self._ledgers.save_inbox_entry(reader_id, digest_id, read, actor, Processing.READER_REQUEST)

    def delete_from_inbox(self, reader_id: str, digest_id: str, actor: Actor) -> None:
        self._ledgers.delete(reader_id, INBOX, [digest_id], actor, Processing.READER_REQUEST)
