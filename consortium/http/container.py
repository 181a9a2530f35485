"""The container of one Lambda environment: built by :func:`~consortium.bootstrap.bootstrap` on first use, then
kept at module scope for every later invocation (Chalice's client-getter pattern), so importing an app builds
nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from consortium.bootstrap import bootstrap
from consortium.http.access import RouteTable

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalice.app import Chalice

    from consortium.bootstrap import Container

__all__ = ["LambdaContainer", "route_table"]


class LambdaContainer:
    """A lazily built, cached :class:`~consortium.bootstrap.Container`; call it to get the container.

    Parameters
    ----------
    build
        What builds the container (``bootstrap``, reading the ``CONSORTIUM_*`` settings, unless given).

    Examples
    --------
    >>> container = LambdaContainer()          # at module scope of a function's app.py: builds nothing yet
    >>> def service() -> ProfileService:
    ...     return container().profiles        # the first call builds, the later ones reuse
    """

    def __init__(self, build: Callable[[], Container] = bootstrap) -> None:
        self._build = build
        self._container: Container | None = None

    def __call__(self) -> Container:
        """The container, built on the first call and kept for the life of the Lambda environment."""
        if self._container is None:
            self._container = self._build()
        return self._container

    def close(self) -> None:
        """Close the container built, if any (:meth:`~consortium.bootstrap.Container.close`: its database files),
        and forget it; a later call builds a new one."""
        built, self._container = self._container, None
        if built is not None:
            built.close()

    def reset(self) -> None:
        """Forget the container: the next call builds a new one, reading the settings again (as a new Lambda
        environment would)."""
        self._container = None


def route_table(app: Chalice, container: LambdaContainer, tag: str) -> RouteTable:
    """The route table of ``app``, checking callers with ``container``'s authenticator and finding a reader's
    home library through its profile service."""
    return RouteTable(
        app,
        authenticator=lambda: container().authenticator,  # built on first use, not at import
        reader_member=lambda reader_id: container().profiles.member_of(reader_id),  # noqa: PLW0108 (lazy)
        tag=tag,
        origins=lambda: container().settings.cors_origins,
    )
