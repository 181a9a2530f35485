"""The composition root: the one place that picks adapters, from :class:`~consortium.config.Settings`.

Nothing is built at import time; a Lambda keeps one :class:`Container` at module scope, built on first use. The
container is made of parts, one module each: :mod:`~consortium.bootstrap.catalogue` (records, clusters, search,
members), :mod:`~consortium.bootstrap.readers` (keys, profiles, push) and :mod:`~consortium.bootstrap.access`
(API keys, tokens), :mod:`~consortium.bootstrap.cooperation` (inter-library loans) and
:mod:`~consortium.bootstrap.analytics` (the analytics report).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from consortium.adapters.local.sqlite_common import SqliteAdapter
from consortium.adapters.memory.queue import BackgroundQueue
from consortium.bootstrap.access import AccessParts
from consortium.bootstrap.analytics import AnalyticsParts
from consortium.bootstrap.catalogue import CatalogueParts
from consortium.bootstrap.cooperation import CooperationParts
from consortium.bootstrap.environment import load_settings
from consortium.bootstrap.readers import ReaderParts

if TYPE_CHECKING:
    from consortium.config import Settings

__all__ = ["Container", "bootstrap"]

log = logging.getLogger(__name__)

_QUEUE_WAIT = 60.0
"""How long :meth:`Container.close` waits for a background harvest under way to finish (seconds)."""


@dataclass
class Container(CatalogueParts, ReaderParts, AccessParts, CooperationParts, AnalyticsParts):
    """Every adapter and service of the hub, each built on first use from the settings (or taken from the
    overrides)."""

    settings: Settings
    _overrides: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        """Stop the background harvest worker this container started, once the run it is on is done (waiting up
        to a minute; the runs still queued are dropped and found interrupted later, as when the process ends),
        then close the database connections this container opened (not those passed in as overrides); a store
        used after this raises. A process that makes containers one after another (a test session, a server
        stopped and started) calls it so their threads and files are not left behind."""
        built = [
            value
            for name, value in vars(self).items()
            if name not in ("settings", "_overrides") and all(value is not given for given in self._overrides.values())
        ]
        for value in built:
            if isinstance(value, BackgroundQueue) and not value.close(timeout=_QUEUE_WAIT):
                log.warning(
                    "the background harvest is still running after %.0f s; it stops when it is done", _QUEUE_WAIT
                )
        for value in built:
            if isinstance(value, SqliteAdapter):
                value.close()


def bootstrap(settings: Settings | None = None, **overrides: Any) -> Container:
    """Build the container; ``overrides`` replace adapters by name (``record_store=``, ``archive=``...). Without
    ``settings``, they are read from the environment, a refused value named by its variable
    (:func:`~consortium.bootstrap.environment.load_settings`)."""
    return Container(settings or load_settings(), dict(overrides))
