"""The member registry with members' own changes: :class:`MemberSources`.

members.toml is the operator's file and stays read-only to the hub: it lists the members, their names and
sharing policies, and the sources the operator set up. A member changes its own sources through the member API:
it adds one, changes some fields of one, pauses or resumes one. Each change is kept in a
:class:`~consortium.registry.ports.SourceOverrideStore` (SQLite in the data folder locally, DynamoDB on AWS) as a
:class:`~consortium.registry.models.SourceOverride`, and the registry every harvest reads is the file with the
overrides on top, read again each time (:meth:`MemberSources.registry`): a change is seen by the next harvest,
scheduled or run by ``consortium harvest``, in this process or another, and survives restarts.

Why an overlay and not a database seeded once from the file: the operator keeps editing members.toml (a new
member, a new source, a fixed URL) and those edits take effect at once, as they always did; an override replaces
only the fields the member set. A field both set is the member's (its latest word); ``consortium members
revert`` drops a member's override and gives the source back to the file.

Every change is validated as members.toml is (the same :class:`~consortium.members.Source` model) and refused
naming the field. Two more rules hold for what comes through the API, which a member, not the operator, writes:
a file source's ``path`` is a name inside that member's own file folder (never an absolute path, never ``..``),
and an OAI-PMH ``url`` may not name this machine or a private network (unless the hub allows it, for tests and
closed networks).
"""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pydantic

from consortium.errors import (
    AlreadyExistsError,
    ConfigError,
    ConflictError,
    NotFoundError,
    ValidationError,
    VersionConflictError,
    field_errors,
)
from consortium.members import Member, MemberRegistry, Source
from consortium.ports import system_clock
from consortium.registry.models import CHANGEABLE, RegisteredSource, SourceOrigin, SourceOverride
from consortium.registry.sharing import SharingPolicies, apply_sharing, split_sharing

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.ports import Clock
    from consortium.registry.models import SourceChange
    from consortium.registry.ports import SourceOverrideStore

__all__ = ["SAVE_ATTEMPTS", "MemberSources"]

log = logging.getLogger(__name__)

SAVE_ATTEMPTS = 3
"""How often a change without ``expected_version`` is tried again when another change got in first."""

_PROTOCOL_FIELDS = ("url", "path", "metadata_prefix", "set", "file", "holdings")
"""The fields that belong to one protocol: a change of protocol drops the file's values of these."""
_FORMAT_FIELDS = ("metadata_prefix", "holdings")
"""The fields that belong to one format (a holdings file is written in the source's format): a change of format
drops the file's values of these."""


class MemberSources:
    """Members' sources: members.toml with the members' own changes on top (see the module).

    Parameters
    ----------
    load_file
        Reads members.toml (:func:`~consortium.members.load_registry`), afresh on each call.
    store
        Where the members' changes are kept.
    files_root
        The folder holding one folder per member for the files its file sources load (``<root>/<member>/``);
        ``None`` where the hub has no such folder (AWS): file sources cannot then be set through the API.
    allow_private_urls
        Let an OAI-PMH ``url`` name this machine or a private network (tests, a closed network).

    Example
    -------
    >>> sources = MemberSources(lambda: load_registry(path), SqliteSourceOverrideStore.open(db), files_root=root)
    >>> sources.pause("riverside", "catalogue", actor_id="key-1", reason="moving to a new ILS")
    >>> sources.registry().get("riverside").source("catalogue").paused
    True
    """

    def __init__(
        self,
        load_file: Callable[[], MemberRegistry],
        store: SourceOverrideStore,
        *,
        files_root: Path | None = None,
        allow_private_urls: bool = False,
        clock: Clock = system_clock,
    ) -> None:
        self._load_file = load_file
        self.store = store
        self.files_root = files_root
        self.allow_private_urls = allow_private_urls
        self._clock = clock

    # -- reading -------------------------------------------------------------------------------------------

    def registry(self) -> MemberRegistry:
        """Every member with its sources as they are now (the file read again, the overrides on top); a
        :class:`~consortium.errors.ConfigError` when the file is invalid or an override no longer fits it."""
        registry = self._load_file()
        by_member: dict[str, list[SourceOverride]] = {}
        for override in self.store.overrides():
            by_member.setdefault(override.member, []).append(override)
        members = []
        for member in registry.members:
            sources, sharing = split_sharing(by_member.get(member.id, []))
            merged = apply_sharing(member, sharing)
            members.append(merged.model_copy(update={"sources": [r.source for r in self._merged(member, sources)]}))
        for orphan in sorted(set(by_member) - {m.id for m in registry.members}):
            log.warning("source overrides of %r ignored: members.toml has no such member", orphan)
        return MemberRegistry.model_construct(members=members)

    def member(self, member_id: str) -> Member:
        """The member with its sources as they are now; :class:`NotFoundError` for a member the registry lacks."""
        file_member = self._file_member(member_id)
        sources, sharing = split_sharing(self.store.overrides(member_id))
        return self._with_sources(apply_sharing(file_member, sharing), self._merged(file_member, sources))

    def sources(self, member_id: str) -> list[RegisteredSource]:
        """The member's sources as the member API shows them: each with its origin and version, file paths
        relative to the member's file folder (or the bare file name: the hub's own folders are not shown)."""
        sources, _ = split_sharing(self.store.overrides(member_id))
        merged = self._merged(self._file_member(member_id), sources)
        return [self._shown(member_id, r) for r in merged]

    def source(self, member_id: str, source_id: str) -> RegisteredSource:
        """One of the member's sources, as :meth:`sources` shows it; :class:`NotFoundError` if it has none."""
        for registered in self.sources(member_id):
            if registered.source.id == source_id:
                return registered
        raise NotFoundError(f"member {member_id!r} has no source {source_id!r}", member=member_id, source=source_id)

    @property
    def sharing(self) -> SharingPolicies:
        """Members' sharing policies: read and changed through the member API."""
        return SharingPolicies(self.registry, self.store, self._clock)

    # -- changing ------------------------------------------------------------------------------------------

    def add(self, member_id: str, source: Source | dict[str, Any], *, actor_id: str) -> RegisteredSource:
        """Add a source to the member; :class:`ConflictError` when it has one with that id already,
        :class:`~consortium.errors.ValidationError` naming the field when the source is invalid."""
        data = source.model_dump(mode="json", exclude_unset=True) if isinstance(source, Source) else dict(source)
        source_id = data.get("id")
        if not isinstance(source_id, str):
            self._validated(member_id, data)  # names the field 'id'
            raise ValidationError("field 'id': a source needs an id", field="id")
        if any(s.source.id == source_id for s in self.sources(member_id)):
            raise AlreadyExistsError(f"member {member_id!r} has a source {source_id!r} already", source=source_id)
        fields = {k: v for k, v in data.items() if k != "id"}
        self._check_api_fields(member_id, fields)
        self._validated(member_id, {"id": source_id, **self._resolved(member_id, fields)})
        override = SourceOverride(
            member=member_id,
            source_id=source_id,
            fields=fields,
            added=True,
            version=1,
            updated_at=self._clock(),
            updated_by=actor_id,
        )
        try:
            self.store.save(override)
        except ConflictError as exc:
            raise AlreadyExistsError(
                f"member {member_id!r} has a source {source_id!r} already", source=source_id
            ) from exc
        return self.source(member_id, source_id)

    def change(
        self,
        member_id: str,
        source_id: str,
        change: SourceChange,
        *,
        actor_id: str,
        expected_version: int | None = None,
    ) -> RegisteredSource:
        """Set the fields ``change`` gives on the source; the result is validated whole (as members.toml is).

        With ``expected_version`` (the ``version`` the caller read), :class:`ConflictError` when the source was
        changed since; without it, a change that races another is tried again (:data:`SAVE_ATTEMPTS`)."""
        given = change.given()
        self._check_api_fields(member_id, given)
        return self._update(member_id, source_id, given, actor_id, expected_version)

    def pause(
        self,
        member_id: str,
        source_id: str,
        *,
        actor_id: str,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> RegisteredSource:
        """Pause the source: every harvest leaves it alone (and says so) until :meth:`resume`."""
        fields = {"paused": True, "paused_reason": reason.strip() if reason and reason.strip() else None}
        return self._update(member_id, source_id, fields, actor_id, expected_version)

    def resume(
        self, member_id: str, source_id: str, *, actor_id: str, expected_version: int | None = None
    ) -> RegisteredSource:
        """Resume a paused source: the next harvest takes it up again (where its last run stopped)."""
        return self._update(member_id, source_id, {"paused": False, "paused_reason": None}, actor_id, expected_version)

    def revert(self, member_id: str, source_id: str) -> None:
        """Drop what the member set for the source through the API: it is members.toml's again, or gone if the
        member added it (for the operator: ``consortium members revert``)."""
        self._file_member(member_id)
        if self.store.get(member_id, source_id) is None:
            raise NotFoundError(
                f"member {member_id!r} changed nothing of a source {source_id!r} through the API", source=source_id
            )
        self.store.delete(member_id, source_id)

    # -- inside --------------------------------------------------------------------------------------------

    def _update(
        self, member_id: str, source_id: str, fields: dict[str, Any], actor_id: str, expected: int | None
    ) -> RegisteredSource:
        attempts = 1 if expected is not None else SAVE_ATTEMPTS
        for attempt in range(attempts):
            file_member = self._file_member(member_id)
            stored = self.store.get(member_id, source_id)
            in_file = any(s.id == source_id for s in file_member.sources)
            if stored is None and not in_file:
                raise NotFoundError(f"member {member_id!r} has no source {source_id!r}", source=source_id)
            version = stored.version if stored is not None else 0
            if expected is not None and expected != version:
                raise VersionConflictError(
                    f"source {source_id!r} of member {member_id!r} is at version {version}, not {expected}: "
                    "it was changed in between; read it again",
                    source=source_id,
                    version=version,
                )
            merged_fields = {**(stored.fields if stored is not None else {}), **fields}
            override = SourceOverride(
                member=member_id,
                source_id=source_id,
                fields=merged_fields,
                added=stored.added if stored is not None else False,
                version=version + 1,
                updated_at=self._clock(),
                updated_by=actor_id,
            )
            base = next((s for s in file_member.sources if s.id == source_id), None)
            self._source_of(member_id, base, override)  # refused here, naming the field, before it is kept
            try:
                self.store.save(override)
            except ConflictError:
                if attempt + 1 >= attempts:
                    raise
                continue
            return self.source(member_id, source_id)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _with_sources(member: Member, sources: list[RegisteredSource]) -> Member:
        return member.model_copy(update={"sources": [registered.source for registered in sources]})

    def _file_member(self, member_id: str) -> Member:
        for member in self._load_file().members:
            if member.id == member_id:
                return member
        raise NotFoundError(f"no member {member_id!r} in the registry", member=member_id)

    def _merged(self, member: Member, overrides: list[SourceOverride]) -> list[RegisteredSource]:
        by_id = {o.source_id: o for o in overrides}
        merged: list[RegisteredSource] = []
        for source in member.sources:
            override = by_id.pop(source.id, None)
            merged.append(
                RegisteredSource(member=member.id, source=source, origin=SourceOrigin.FILE, version=0)
                if override is None
                else self._registered(member.id, source, override)
            )
        for source_id, override in sorted(by_id.items()):
            if override.added:
                merged.append(self._registered(member.id, None, override))
            else:
                log.warning("override of %s/%s ignored: members.toml no longer lists the source", member.id, source_id)
        return merged

    def _registered(self, member_id: str, base: Source | None, override: SourceOverride) -> RegisteredSource:
        try:
            source = self._source_of(member_id, base, override)
        except ValidationError as exc:
            raise ConfigError(
                f"member {member_id!r}, source {override.source_id!r} (as the member changed it through the API, "
                f"version {override.version}) no longer fits members.toml: {exc}; fix the file, or drop the "
                f"member's change with: consortium members revert {member_id} {override.source_id}"
            ) from exc
        return RegisteredSource(
            member=member_id,
            source=source,
            origin=SourceOrigin.FILE_AND_API if base is not None else SourceOrigin.API,
            version=override.version,
            updated_at=override.updated_at,
            updated_by=override.updated_by,
        )

    def _source_of(self, member_id: str, base: Source | None, override: SourceOverride) -> Source:
        """The source: the file's (if it lists it) with the override's fields on top, validated."""
        data: dict[str, Any] = base.model_dump(mode="json") if base is not None else {}
        fields = override.fields
        if base is not None:
            dropped = _PROTOCOL_FIELDS if "protocol" in fields else _FORMAT_FIELDS if "format" in fields else ()
            for name in dropped:
                if name not in fields:
                    data.pop(name, None)  # the file's value belongs to its protocol (or format): default it again
        data.update(self._resolved(member_id, fields))
        data["id"] = override.source_id
        return self._validated(member_id, data)

    def _resolved(self, member_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """``fields`` with a ``path`` set through the API made absolute inside the member's file folder."""
        path = fields.get("path")
        if not isinstance(path, str) or self.files_root is None:
            return dict(fields)
        return {**fields, "path": str((self.files_root / member_id / path).resolve())}

    @staticmethod
    def _validated(member_id: str, data: dict[str, Any]) -> Source:
        try:
            return Source.model_validate(data)
        except pydantic.ValidationError as exc:
            raise ValidationError(field_errors(exc), member=member_id) from exc

    def _check_api_fields(self, member_id: str, fields: dict[str, Any]) -> None:
        """The rules for what a member (not the operator) writes: a file inside its own folder, a public URL."""
        unknown = sorted(set(fields) - {*CHANGEABLE, "paused", "paused_reason"})
        if unknown:
            raise ValidationError(f"field {unknown[0]!r}: not a field of a source", field=unknown[0])
        path = fields.get("path")
        if path is not None:
            if self.files_root is None:
                raise ValidationError(
                    "field 'path': this hub loads no files a member names; use an oai-pmh source", field="path"
                )
            pure = PurePosixPath(str(path))
            if not str(path).strip() or pure.is_absolute() or ".." in pure.parts or "\\" in str(path):
                raise ValidationError(
                    "field 'path': must be a file name inside the member's file folder on the hub "
                    "(not an absolute path, no '..')",
                    field="path",
                )
            root = (self.files_root / member_id).resolve()
            if not (root / str(path)).resolve().is_relative_to(root):
                raise ValidationError("field 'path': leads outside the member's file folder", field="path")
        url = fields.get("url")
        if isinstance(url, str) and not self.allow_private_urls:
            host = (urlsplit(url).hostname or "").lower()
            if _private_host(host):
                raise ValidationError(
                    f"field 'url': {host or 'the host'} is this machine or a private network, which the hub does "
                    "not harvest; give the public address of the OAI-PMH server",
                    field="url",
                )

    def _shown(self, member_id: str, registered: RegisteredSource) -> RegisteredSource:
        """The source with its files (``path``, ``holdings``) relative to the member's file folder, else by name."""
        root = (self.files_root / member_id).resolve() if self.files_root is not None else None
        shown = {}
        for field in ("path", "holdings"):
            path: Path | None = getattr(registered.source, field)
            if path is not None:
                shown[field] = (
                    path.relative_to(root) if root is not None and path.is_relative_to(root) else Path(path.name)
                )
        if not shown:
            return registered
        return registered.model_copy(update={"source": registered.source.model_copy(update=shown)})


def _private_host(host: str) -> bool:
    """Whether ``host`` names this machine or a private, link-local or reserved network (by name or address)."""
    if not host or host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not address.is_global
