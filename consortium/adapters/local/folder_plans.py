"""A :class:`~consortium.dedup.ports.PlanStore` in a folder: ``root/<run>/<file>``."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from consortium.errors import NotFoundError, StorageError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["FolderPlanStore"]

_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}/[A-Za-z0-9_.-]{1,80}")


def _checked(name: str) -> str:
    if not _NAME.fullmatch(name) or ".." in name:
        raise NotFoundError(f"no rebuild plan file {name!r}")
    return name


class FolderPlanStore:
    """Named files under a folder, each written to a temporary file and renamed into place.

    Example
    -------
    >>> store = FolderPlanStore(settings.data_dir / "rebuild")
    >>> store.put("run/plan.json", b"{}")
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, name: str, data: bytes) -> None:
        path = self.root / _checked(name)
        tmp = path.with_name(path.name + ".tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError as exc:
            raise StorageError(f"cannot write rebuild plan file {name}: {exc}") from exc

    def get(self, name: str) -> bytes:
        path = self.root / _checked(name)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"no rebuild plan file {name} (plan the run first)") from None
        except OSError as exc:
            raise StorageError(f"cannot read rebuild plan file {name}: {exc}") from exc
