"""A WSGI application served by waitress on 127.0.0.1 in a thread, for the test peers written here (the OAI-PMH and
SRU provider, the fake OpenID Connect provider)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from waitress.server import create_server
from waitress.wasyncore import close_all

if TYPE_CHECKING:
    from collections.abc import Callable


class ServedApp:
    """``app`` on a free port of 127.0.0.1 (``url``) from :meth:`start` until :meth:`stop`."""

    def __init__(self, app: Callable[..., Any], *, name: str, threads: int = 1) -> None:
        # poll(), not select(): a long test session has descriptors past 1024, which select() cannot wait on.
        self._server = create_server(app, host="127.0.0.1", port=0, threads=threads, asyncore_use_poll=True)
        self._thread = threading.Thread(target=self._server.run, name=name, daemon=True)
        self.port = int(self._server.effective_port)
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        # Closed from the server's own loop thread (a trigger thunk), so no socket is closed under a poll; the
        # loop ends when nothing is left in its map.
        self._server.task_dispatcher.shutdown()
        self._server.trigger.pull_trigger(lambda: close_all(self._server._map))
        self._thread.join(timeout=10)
