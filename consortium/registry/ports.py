"""The registry's port: the :class:`SourceOverrideStore`, where the changes members make to their own sources
through the member API are kept.

Adapters: :class:`~consortium.adapters.memory.registry.InMemorySourceOverrideStore`,
:class:`~consortium.adapters.local.sqlite_registry.SqliteSourceOverrideStore` (in the hub's SQLite file) and
:class:`~consortium.adapters.aws.dynamodb_registry.DynamoDbSourceOverrideStore` (in the records table); one
contract suite, ``tests/contract/test_source_overrides.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from consortium.registry.models import SourceOverride

__all__ = ["SourceOverrideStore"]


class SourceOverrideStore(Protocol):
    """Members' changes to their sources, one :class:`~consortium.registry.models.SourceOverride` per
    ``(member, source_id)``, each saved over the version before it (optimistic concurrency).

    Example
    -------
    >>> store.save(SourceOverride(member="m", source_id="oai", fields={"set": "books"}, added=False, version=1, ...))
    >>> store.get("m", "oai").version
    1
    """

    def get(self, member: str, source_id: str) -> SourceOverride | None:
        """The member's override of the source, or ``None``."""
        ...

    def overrides(self, member: str | None = None) -> list[SourceOverride]:
        """Every override, or one member's, in ``(member, source_id)`` order."""
        ...

    def save(self, override: SourceOverride) -> None:
        """Store ``override`` if the stored one is at ``override.version - 1`` (no stored one counts as version 0);
        otherwise :class:`~consortium.errors.ConflictError` (someone changed it in between), and nothing is
        written. Of two saves of one version racing, one wins and the other gets the error."""
        ...

    def delete(self, member: str, source_id: str) -> None:
        """Forget the override (the source is members.toml's again, or gone if the member added it); nothing
        happens when there is none."""
        ...
