"""API keys in memory: for unit tests, and a correct :class:`~consortium.auth.ports.ApiKeyStore`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from consortium.auth.api_keys import ApiKey

__all__ = ["InMemoryApiKeyStore"]


class InMemoryApiKeyStore:
    """An :class:`~consortium.auth.ports.ApiKeyStore` in a dict by key id."""

    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}

    def put(self, key: ApiKey) -> None:
        """Keep ``key`` (a new one, or the same id revoked)."""
        self._keys[key.key_id] = key

    def get(self, key_id: str) -> ApiKey | None:
        """The key with id ``key_id``, or ``None``."""
        return self._keys.get(key_id)

    def list(self, member: str) -> list[ApiKey]:
        """The member's keys, oldest first, revoked ones too."""
        found = [key for key in self._keys.values() if key.member == member]
        return sorted(found, key=lambda key: (key.created_at, key.key_id))
