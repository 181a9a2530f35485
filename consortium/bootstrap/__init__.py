"""The composition root: the one place that picks adapters, from :class:`~consortium.config.Settings`.

Nothing is built at import time; a Lambda keeps one :class:`Container` at module scope, built on first use. The
container is made of parts, one module each: :mod:`~consortium.bootstrap.catalogue` (records, clusters, search,
members), :mod:`~consortium.bootstrap.readers` (keys, profiles, push) and :mod:`~consortium.bootstrap.access`
(API keys, tokens), :mod:`~consortium.bootstrap.cooperation` (inter-library loans) and
:mod:`~consortium.bootstrap.analytics` (the analytics report).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from consortium.bootstrap.access import AccessParts
from consortium.bootstrap.analytics import AnalyticsParts
from consortium.bootstrap.catalogue import CatalogueParts
from consortium.bootstrap.cooperation import CooperationParts
from consortium.bootstrap.readers import ReaderParts
from consortium.config import Settings

__all__ = ["Container", "bootstrap"]


@dataclass
class Container(CatalogueParts, ReaderParts, AccessParts, CooperationParts, AnalyticsParts):
    """Every adapter and service of the hub, each built on first use from the settings (or taken from the
    overrides)."""

    settings: Settings
    _overrides: dict[str, Any] = field(default_factory=dict)


def bootstrap(settings: Settings | None = None, **overrides: Any) -> Container:
    """Build the container; ``overrides`` replace adapters by name (``record_store=``, ``archive=``...)."""
    return Container(settings or Settings(), dict(overrides))
