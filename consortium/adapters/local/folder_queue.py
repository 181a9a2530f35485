"""A :class:`~consortium.ports.Queue` in a folder: how the API's worker processes of ``consortium run --workers
N`` hand the harvest runs members ask for to the hub's own process, the one that harvests and writes the search
index.

Each message is a JSON file, written whole under a temporary name and then renamed, so a receiver never reads
half of one; its name begins with the time it was sent (nanoseconds), so names sort in the order sent. One
process receives (the hub): :meth:`FolderQueue.receive` reads the oldest files and deletes each once read. A
message left when the hub stops waits for the next one: nothing is lost with a process, unlike a queue in a
process's memory.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from typing import TYPE_CHECKING

from consortium.errors import UpstreamError
from consortium.ports import message_body

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

__all__ = ["FolderQueue"]

log = logging.getLogger(__name__)


class FolderQueue:
    """Messages as JSON files in ``folder`` (created when the first is sent), received oldest first by one
    process.

    Example
    -------
    >>> queue = FolderQueue(data_dir / "queue" / "harvest")
    >>> queue.send([{"harvest_run": run_id, "member": "riverside"}])
    1
    >>> [m["member"] for m in queue.receive()]  # in the hub's process
    ['riverside']
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, messages: Sequence[dict[str, object]]) -> int:
        bodies = [message_body(message, number) for number, message in enumerate(messages)]
        for body in bodies:
            name = f"{time.time_ns():020d}-{uuid.uuid4().hex}.json"
            partial = self.folder / f".{name}.partial"
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                partial.write_text(body, encoding="utf-8")
                os.replace(partial, self.folder / name)
            except OSError as exc:
                raise UpstreamError(f"cannot queue a message in {self.folder}: {exc.strerror}") from exc
        return len(bodies)

    def receive(self, limit: int | None = None) -> list[dict[str, object]]:
        """Take up to ``limit`` messages (all of them when ``None``), oldest first; each file is deleted once
        read. A file that is not a JSON object is set aside (renamed ``*.bad``) and logged."""
        try:
            names = sorted(p.name for p in self.folder.glob("*.json"))
        except OSError:
            return []
        taken: list[dict[str, object]] = []
        for name in names[:limit]:
            path = self.folder / name
            try:
                text = path.read_text(encoding="utf-8")
            except OSError:
                continue  # deleted meanwhile
            try:
                message = json.loads(text)
                if not isinstance(message, dict):
                    raise TypeError("not a JSON object")
            except (ValueError, TypeError) as exc:
                log.warning("queued message %s set aside: %s", name, exc)
                path.replace(path.with_suffix(".bad"))
                continue
            path.unlink(missing_ok=True)
            taken.append(message)
        return taken

    def __len__(self) -> int:
        try:
            return sum(1 for _ in self.folder.glob("*.json"))
        except OSError:
            return 0
