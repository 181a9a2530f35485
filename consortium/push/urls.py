"""The hub's public links that push hands out: feeds, one-click unsubscribe, work pages, the portal."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HubUrls"]


@dataclass(frozen=True)
class HubUrls:
    """Links under the hub's public base URL (a trailing slash is ignored).

    Example
    -------
    >>> HubUrls("https://hub.example/").work("c1")
    'https://hub.example/works/c1'
    """

    public_url: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "public_url", self.public_url.rstrip("/"))

    def feed(self, token: str) -> str:
        return f"{self.public_url}/push/feeds/{token}"

    def unsubscribe(self, token: str) -> str:
        return f"{self.public_url}/push/unsubscribe/{token}"

    def work(self, cluster_id: str) -> str:
        return f"{self.public_url}/works/{cluster_id}"

    def portal(self) -> str:
        return f"{self.public_url}/push"
