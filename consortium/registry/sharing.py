"""Members' sharing policies as they are now: members.toml's, with the member's own change on top.

A member administrator changes its library's :class:`~consortium.members.SharingPolicy` through the member API
(``PUT /members/{member_id}/sharing``). The change is kept in the registry's
:class:`~consortium.registry.ports.SourceOverrideStore` beside the member's source changes, under the reserved
key :data:`SHARING_KEY` (``@sharing`` is no valid source id, so it never names a source): the same three
adapters (memory, SQLite, DynamoDB), the same optimistic versions. Every request reads the registry again
(:meth:`~consortium.registry.service.MemberSources.registry`), so a change applies from the next request — the
search index needs no rebuild: who sees which holdings is decided when a search runs
(:mod:`consortium.search.visibility`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from consortium.errors import ValidationError, VersionConflictError, field_errors
from consortium.members import Member, SharingPolicy
from consortium.registry.models import SourceOrigin, SourceOverride

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.members import MemberRegistry
    from consortium.ports import Clock
    from consortium.registry.ports import SourceOverrideStore

__all__ = ["SHARING_KEY", "MemberSharing", "SharingChange", "SharingPolicies", "apply_sharing", "split_sharing"]

SHARING_KEY = "@sharing"
"""The ``source_id`` under which a member's sharing policy change is kept (not a valid source id)."""


class SharingChange(BaseModel):
    """A change to a member's sharing policy: the fields given replace the policy's; fields not given stay.

    Example
    -------
    >>> SharingChange(share_holdings=False)
    """

    model_config = ConfigDict(extra="forbid")

    share_holdings: bool | None = None
    """Show the member's holdings to readers of other members (and to anyone not logged in)."""
    share_circulation: Literal["none", "aggregate"] | None = None
    """``aggregate``: its readers' loans count in the consortium's aggregates; ``none``: never."""
    lend_to_members: list[str] | None = Field(default=None, max_length=500)
    """The members whose readers may ask it for an inter-library loan; empty: every member."""

    def given(self) -> dict[str, Any]:
        return self.model_dump(mode="json", include=self.model_fields_set)


class MemberSharing(BaseModel):
    """A member's sharing policy as the member API shows it."""

    model_config = ConfigDict(extra="forbid")

    member: str
    sharing: SharingPolicy
    origin: SourceOrigin
    """``file``: members.toml's; ``file+api``: changed by the member through the API."""
    version: int = Field(ge=0)
    """0 while never changed through the API; send it back as ``version`` to change only what you read."""
    updated_at: datetime | None = None
    updated_by: str | None = None


def split_sharing(overrides: list[SourceOverride]) -> tuple[list[SourceOverride], SourceOverride | None]:
    """The source overrides, and the sharing policy's (or ``None``)."""
    sources = [o for o in overrides if o.source_id != SHARING_KEY]
    sharing = next((o for o in overrides if o.source_id == SHARING_KEY), None)
    return sources, sharing


def apply_sharing(member: Member, override: SourceOverride | None) -> Member:
    """``member`` with its sharing policy changed as ``override`` says (the file's fields under it)."""
    if override is None:
        return member
    policy = SharingPolicy.model_validate({**member.sharing.model_dump(mode="json"), **override.fields})
    return member.model_copy(update={"sharing": policy})


class SharingPolicies:
    """Read and change members' sharing policies (see the module).

    Parameters
    ----------
    registry
        The registry as it is now (sources and policies merged), read on each call.
    store
        Where members' changes are kept.

    Example
    -------
    >>> policies = SharingPolicies(member_sources.registry, member_sources.store)
    >>> policies.change("eastlake", SharingChange(share_holdings=False), actor_id="eastlake/admin").version
    1
    """

    def __init__(self, registry: Callable[[], MemberRegistry], store: SourceOverrideStore, clock: Clock) -> None:
        self._registry = registry
        self._store = store
        self._clock = clock

    def get(self, member_id: str) -> MemberSharing:
        """The member's policy now; :class:`~consortium.errors.ConfigError` (404) for an unknown member."""
        member = self._registry().get(member_id)
        stored = self._store.get(member_id, SHARING_KEY)
        return MemberSharing(
            member=member_id,
            sharing=member.sharing,
            origin=SourceOrigin.FILE if stored is None else SourceOrigin.FILE_AND_API,
            version=stored.version if stored is not None else 0,
            updated_at=stored.updated_at if stored is not None else None,
            updated_by=stored.updated_by if stored is not None else None,
        )

    def change(
        self, member_id: str, change: SharingChange, *, actor_id: str, expected_version: int | None = None
    ) -> MemberSharing:
        """Set the fields ``change`` gives; validated (``lend_to_members`` names members of the registry, not
        the member itself). With ``expected_version``, :class:`ConflictError` when it changed since."""
        registry = self._registry()
        member = registry.get(member_id)
        given = change.given()
        known = {m.id for m in registry.members}
        for index, lender in enumerate(given.get("lend_to_members") or []):
            if lender not in known or lender == member_id:
                why = "the member itself" if lender == member_id else "not a member of the registry"
                raise ValidationError(
                    f"field 'lend_to_members' value {index + 1}: {lender!r} is {why}", field="lend_to_members"
                )
        stored = self._store.get(member_id, SHARING_KEY)
        version = stored.version if stored is not None else 0
        if expected_version is not None and expected_version != version:
            raise VersionConflictError(
                f"the sharing policy of {member_id!r} is at version {version}, not {expected_version}: read it again",
                version=version,
            )
        fields = {**(stored.fields if stored is not None else {}), **given}
        try:
            SharingPolicy.model_validate({**member.sharing.model_dump(mode="json"), **fields})
        except pydantic.ValidationError as exc:
            raise ValidationError(field_errors(exc), member=member_id) from exc
        self._store.save(
            SourceOverride(
                member=member_id,
                source_id=SHARING_KEY,
                fields=fields,
                added=False,
                version=version + 1,
                updated_at=self._clock(),
                updated_by=actor_id,
            )
        )
        return self.get(member_id)
