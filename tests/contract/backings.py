"""What the contract suites share: a store under test with a way to open another on the same data, and fresh
DynamoDB tables on the moto server."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import pytest

__all__ = ["Backing", "dynamodb_table", "reopening"]

S = TypeVar("S")


class _Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=_Closable)


@dataclass
class Backing(Generic[S]):
    """A store under test, and ``reopen``: a new store on the same data (the same instance for memory)."""

    store: S
    reopen: Callable[[], S]

    @classmethod
    def same(cls, store: S) -> Backing[S]:
        """A store that holds its data itself: reopening gives it back."""
        return cls(store, lambda: store)

    @classmethod
    def fresh(cls, make: Callable[[], S]) -> Backing[S]:
        """A store over a shared backend: each reopening makes a new one."""
        return cls(make(), make)


def reopening(open_store: Callable[[], C]) -> Iterator[Backing[C]]:
    """A store with a file of its own: each reopening closes the store before; the last is closed at the end."""
    opened = [open_store()]

    def reopen() -> C:
        opened[-1].close()
        opened.append(open_store())
        return opened[-1]

    yield Backing(opened[0], reopen)
    opened[-1].close()


@contextmanager
def dynamodb_table(request: pytest.FixtureRequest, prefix: str) -> Iterator[tuple[Callable[[str], Any], str]]:
    """A fresh table made by :func:`~consortium.adapters.aws.create_table` on the moto server, deleted afterwards:
    ``(make_client, table_name)``."""
    from consortium.adapters.aws import create_table

    make_client: Callable[[str], Any] = request.getfixturevalue("aws_client")
    table = f"{prefix}-{uuid.uuid4().hex[:12]}"
    create_table(make_client("dynamodb"), table)
    yield make_client, table
    make_client("dynamodb").delete_table(TableName=table)
