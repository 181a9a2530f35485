"""Context secrets in memory: for unit tests, and a correct :class:`~consortium.profiles.ports.ContextSecrets`."""

from __future__ import annotations

import os
import threading

from consortium.adapters.kek_wrapping import KEK_BYTES

__all__ = ["InMemoryContextSecrets"]


class InMemoryContextSecrets:
    """A :class:`~consortium.profiles.ports.ContextSecrets` in a dict: one random 32-byte secret per encryption
    context (the same mapping in any key order is the same context). Gone with the process, as a secret that
    must never be in a backup may be.

    Example
    -------
    >>> secrets = InMemoryContextSecrets()
    >>> secret = secrets.get({"consortium:reader": "r1"}, create=True)
    >>> secrets.get({"consortium:reader": "r1"}, create=False) == secret
    True
    >>> secrets.destroy({"consortium:reader": "r1"})
    >>> secrets.get({"consortium:reader": "r1"}, create=False) is None
    True
    """

    def __init__(self) -> None:
        self._secrets: dict[frozenset[tuple[str, str]], bytes] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"InMemoryContextSecrets({len(self._secrets)} contexts)"

    def get(self, context: dict[str, str], *, create: bool) -> bytes | None:
        """The context's secret; made when ``create`` and missing (two callers racing get the same one), else
        ``None`` when there is none (never made, or destroyed)."""
        key = frozenset(context.items())
        with self._lock:
            if create and key not in self._secrets:
                self._secrets[key] = os.urandom(KEK_BYTES)
            return self._secrets.get(key)

    def destroy(self, context: dict[str, str]) -> None:
        """Forget the context's secret (nothing happens when there is none)."""
        with self._lock:
            self._secrets.pop(frozenset(context.items()), None)
