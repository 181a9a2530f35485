"""A :class:`~consortium.dedup.ports.PlanStore` in memory."""

from __future__ import annotations

from consortium.errors import NotFoundError

__all__ = ["InMemoryPlanStore"]


class InMemoryPlanStore:
    """Named files in a dict.

    Example
    -------
    >>> store = InMemoryPlanStore()
    >>> store.put("run/plan.json", b"{}")
    >>> store.get("run/plan.json")
    b'{}'
    """

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, name: str, data: bytes) -> None:
        self.files[name] = bytes(data)

    def get(self, name: str) -> bytes:
        try:
            return self.files[name]
        except KeyError:
            raise NotFoundError(f"no rebuild plan file {name}") from None
