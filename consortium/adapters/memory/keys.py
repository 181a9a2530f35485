"""The in-memory :class:`~consortium.profiles.ports.KeyService`: KEKs and context secrets in dicts, for unit tests
(no key files to write) and as the simplest adapter of the port. Same wrapped-key format, rotation and
crypto-shredding as the local key file."""

from __future__ import annotations

import os
import threading

from consortium.adapters.kek_wrapping import KEK_BYTES, KekWrappingKeyService, new_kek_id
from consortium.adapters.memory.secrets import InMemoryContextSecrets
from consortium.errors import ConflictError
from consortium.profiles.ports import DecryptionError

__all__ = ["InMemoryKeyService"]


class InMemoryKeyService(KekWrappingKeyService):
    """KEKs and per-context secrets held in this object only: everything it wrapped is lost with it.

    Example
    -------
    >>> keys = InMemoryKeyService()
    >>> plaintext, wrapped = keys.generate_data_key({"consortium:reader": "r1"})
    >>> keys.destroy({"consortium:reader": "r1"})  # no copy of ``wrapped`` opens any more
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current = new_kek_id()
        self._keks = {self._current: os.urandom(KEK_BYTES)}
        self._secrets = InMemoryContextSecrets()

    def __repr__(self) -> str:
        return f"InMemoryKeyService(current={self._current!r})"

    def key_id(self) -> str:
        return self._current

    def kek_ids(self) -> list[str]:
        return sorted(self._keks)

    def rotate(self) -> str:
        """Add a new KEK and make it current; older KEKs stay until :meth:`retire`."""
        with self._lock:
            self._current = new_kek_id()
            self._keks[self._current] = os.urandom(KEK_BYTES)
            return self._current

    def retire(self, kek_id: str) -> None:
        """Forget an old KEK (the current one cannot be retired)."""
        with self._lock:
            if kek_id == self._current:
                raise ConflictError(f"KEK {kek_id} is the current one; rotate before retiring it", kek_id=kek_id)
            self._keks.pop(kek_id, None)

    def destroy(self, context: dict[str, str]) -> None:
        """Forget the context's secret (crypto-shredding)."""
        self._secrets.destroy(context)

    def _kek(self, kek_id: str) -> bytes:
        kek = self._keks.get(kek_id)
        if kek is None:
            raise DecryptionError(f"KEK {kek_id} is not held (retired, or another key service)", kek_id=kek_id)
        return kek

    def _context_secret(self, context: dict[str, str], *, create: bool) -> bytes | None:
        return self._secrets.get(context, create=create)
