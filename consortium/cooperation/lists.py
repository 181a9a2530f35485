"""Subject librarians' curated lists: a librarian of a member gathers works for a class range or a subject, each
with a note, and publishes the list; a published list is read by anyone and feeds the "subject librarians' lists"
push service (``librarian_lists``) to its subscribers in every member library.

A list belongs to its member: its subject librarians and administrators edit it (change its title, class,
subject or description; add a work with a note, change the note, remove a work; publish, withdraw) and delete a
draft (a published list is withdrawn first). Each change is saved over the version before it (a 409 when two
librarians change one list at once, or when the caller's ``expected_version`` is not the stored one).
"""

from __future__ import annotations

import re
import secrets
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from consortium.classification import class_pattern
from consortium.errors import InvalidStateError, NotFoundError, ValidationError, VersionConflictError
from consortium.ports import system_clock

if TYPE_CHECKING:
    from consortium.cooperation.ports import CuratedListStore
    from consortium.dedup.ports import ClusterStore
    from consortium.ports import Clock

__all__ = ["CuratedList", "CuratedLists", "ListChange", "ListEntry", "ListState", "NewList", "NoteBody"]

MAX_ENTRIES = 200
"""The most works one list holds."""

_CLASS = re.compile(class_pattern())


class ListState(StrEnum):
    DRAFT = "draft"
    """Seen by the member's librarians only."""
    PUBLISHED = "published"
    """Read by anyone, and pushed to the service's subscribers."""


class ListEntry(BaseModel):
    """A work on a list, with the librarian's note."""

    model_config = ConfigDict(extra="forbid")

    cluster_id: str
    title: str
    note: str | None = None
    added_at: AwareDatetime


def _class_code(cls: type[BaseModel], value: str | None) -> str | None:
    """``value`` if it is a class with its scheme (or ``None``); the refusal's type, ``class_with_scheme``, is the
    reason an API answer names for the field (the portal words it)."""
    if value is not None and not _CLASS.fullmatch(value):
        raise PydanticCustomError(
            "class_with_scheme",
            "{value} is not a class with its scheme (clc:TP3, lcc:QA76, ddc:005)",
            {"value": repr(value)},
        )
    return value


class NewList(BaseModel):
    """The body of ``POST /members/{member_id}/lists``."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    title_zh: str | None = Field(default=None, max_length=200)
    class_code: str | None = Field(default=None, max_length=50, json_schema_extra={"pattern": class_pattern()})
    """The class range the list serves, with its scheme (``clc:TP3``: TP3 and every class under it)."""
    subject: str | None = Field(default=None, max_length=200)
    """Or a subject, in words (``Tang poetry``)."""
    description: str | None = Field(default=None, max_length=2000)

    _class = field_validator("class_code")(classmethod(_class_code))


class ListChange(BaseModel):
    """The body of ``PATCH /members/{member_id}/lists/{list_id}``: the fields given replace the list's own (``null``
    clears one, except the title); the same limits as :class:`NewList`."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    """A new title (a list always has one: ``null`` is refused)."""
    title_zh: str | None = Field(default=None, max_length=200)
    class_code: str | None = Field(default=None, max_length=50, json_schema_extra={"pattern": class_pattern()})
    subject: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)

    @field_validator("title", mode="before")
    @classmethod
    def _kept(cls, value: object) -> object:
        if value is None:
            raise ValueError("a list keeps a title: give a new one, or leave title out")
        return value

    _class = field_validator("class_code")(classmethod(_class_code))

    def changes(self) -> dict[str, object]:
        """The fields given, as :class:`CuratedList` takes them."""
        return self.model_dump(exclude_unset=True)


class NoteBody(BaseModel):
    """The body of ``PUT /members/{member_id}/lists/{list_id}/works/{cluster_id}``."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=1000)
    """Why the work is on the list, for readers."""


class CuratedList(NewList):
    """A list as kept and shown."""

    list_id: str
    member: str
    """The library whose librarians keep it."""
    state: ListState = ListState.DRAFT
    entries: list[ListEntry] = Field(default_factory=list)
    created_by: str
    updated_by: str
    created_at: AwareDatetime
    updated_at: AwareDatetime
    published_at: AwareDatetime | None = None
    """When it was (last) published: the push service sends its works to subscribers whose window includes it."""
    version: int = Field(ge=1)


class CuratedLists:
    """Keep and publish subject librarians' lists (see the module).

    Example
    -------
    >>> lists = CuratedLists(store, cluster_store)
    >>> made = lists.create("riverside", NewList(title="Tang poetry", class_code="clc:I222"), actor_id="riverside/li")
    >>> lists.put_work("riverside", made.list_id, "w1", "The standard anthology", actor_id="riverside/li")
    >>> lists.publish("riverside", made.list_id, actor_id="riverside/li").state
    <ListState.PUBLISHED: 'published'>
    """

    def __init__(self, store: CuratedListStore, clusters: ClusterStore, *, clock: Clock = system_clock) -> None:
        self.store = store
        self._clusters = clusters
        self._clock = clock

    def create(self, member: str, new: NewList, *, actor_id: str) -> CuratedList:
        now = self._clock()
        made = CuratedList(
            **new.model_dump(),
            list_id="list-" + secrets.token_hex(6),
            member=member,
            created_by=actor_id,
            updated_by=actor_id,
            created_at=now,
            updated_at=now,
            version=1,
        )
        self.store.save(made)
        return made

    def get(self, member: str, list_id: str) -> CuratedList:
        """One of the member's lists (drafts too); :class:`NotFoundError` for another member's."""
        found = self.store.get(list_id)
        if found is None or found.member != member:
            raise NotFoundError(f"{member} has no list {list_id!r}", list_id=list_id)
        return found

    def published(self, list_id: str) -> CuratedList:
        """A published list, for anyone; :class:`NotFoundError` for a draft."""
        found = self.store.get(list_id)
        if found is None or found.state is not ListState.PUBLISHED:
            raise NotFoundError(f"no published list {list_id!r}", list_id=list_id)
        return found

    def edit(
        self, member: str, list_id: str, change: ListChange, *, actor_id: str, expected_version: int | None = None
    ) -> CuratedList:
        """Change the list's title, class, subject or description (the fields given); with ``expected_version``
        (the ``version`` the caller read), :class:`ConflictError` when the list changed since."""
        current = self._expected(self.get(member, list_id), expected_version)
        given = change.changes()
        if not given:
            return current
        return self._save(current, actor_id, **given)

    def delete(self, member: str, list_id: str, *, expected_version: int | None = None) -> None:
        """Delete a draft list; :class:`ConflictError` for a published one (withdraw it first, so that no reader
        loses a list they may be reading without the librarians having taken it back) or one changed since
        ``expected_version``."""
        current = self._expected(self.get(member, list_id), expected_version)
        if current.state is ListState.PUBLISHED:
            raise InvalidStateError(
                f"list {list_id} is published: withdraw it first (POST .../withdraw), then delete the draft",
                list_id=list_id,
                state=current.state.value,
            )
        self.store.delete(list_id, current.version)

    @staticmethod
    def _expected(current: CuratedList, expected_version: int | None) -> CuratedList:
        if expected_version is not None and expected_version != current.version:
            raise VersionConflictError(
                f"list {current.list_id} is at version {current.version}, not {expected_version}: "
                "it was changed since you read it",
                version=current.version,
            )
        return current

    def put_work(self, member: str, list_id: str, cluster_id: str, note: str | None, *, actor_id: str) -> CuratedList:
        """Add the work with ``note`` (or change its note when it is on the list already)."""
        current = self.get(member, list_id)
        cluster = self._clusters.get(cluster_id)
        if cluster is None:
            raise NotFoundError(f"no work {cluster_id!r}", cluster_id=cluster_id)
        entries = [e for e in current.entries if e.cluster_id != cluster_id]
        old = next((e for e in current.entries if e.cluster_id == cluster_id), None)
        if old is None and len(entries) >= MAX_ENTRIES:
            raise ValidationError(f"a list holds at most {MAX_ENTRIES} works", field="cluster_id")
        entry = ListEntry(
            cluster_id=cluster_id, title=cluster.title, note=note, added_at=old.added_at if old else self._clock()
        )
        position = next((i for i, e in enumerate(current.entries) if e.cluster_id == cluster_id), len(entries))
        entries.insert(position, entry)
        return self._save(current, actor_id, entries=entries)

    def remove_work(self, member: str, list_id: str, cluster_id: str, *, actor_id: str) -> CuratedList:
        current = self.get(member, list_id)
        if all(e.cluster_id != cluster_id for e in current.entries):
            raise NotFoundError(f"{cluster_id!r} is not on the list", cluster_id=cluster_id)
        return self._save(current, actor_id, entries=[e for e in current.entries if e.cluster_id != cluster_id])

    def publish(self, member: str, list_id: str, *, actor_id: str) -> CuratedList:
        """Publish the list: anyone reads it, and the push service sends its works from now on."""
        current = self.get(member, list_id)
        if not current.entries:
            raise ValidationError("a list with no work cannot be published: add works first", field="entries")
        return self._save(current, actor_id, state=ListState.PUBLISHED, published_at=self._clock())

    def withdraw(self, member: str, list_id: str, *, actor_id: str) -> CuratedList:
        """Make the list a draft again (no longer read by anyone, nor pushed)."""
        return self._save(self.get(member, list_id), actor_id, state=ListState.DRAFT)

    def _save(self, current: CuratedList, actor_id: str, **changes: object) -> CuratedList:
        changed = current.model_copy(
            update={**changes, "version": current.version + 1, "updated_at": self._clock(), "updated_by": actor_id}
        )
        self.store.save(changed)
        return changed
