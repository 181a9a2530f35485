"""The waitress server the local API runs under (:func:`serve`), and stopping it whole (:class:`LocalServer`).

waitress (a threaded pure-Python WSGI server) does the HTTP for :class:`~consortium.http.server.LocalGateway`, or
the portal in front of it. Each of its worker threads opens its own imports of the apps, hence SQLite connections
only that thread may close: the threads here close them as they end, and :meth:`LocalServer.close` ends them.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Final, Protocol

from waitress import wasyncore
from waitress.server import create_server
from waitress.task import ThreadedTaskDispatcher

from consortium.http.server import MAX_REQUEST_BODY

if TYPE_CHECKING:
    import socket
    from collections.abc import Callable, Iterable

__all__ = ["LocalServer", "ServedApplication", "serve"]

_STOP_WAIT: Final = 5
"""Seconds :meth:`LocalServer.close` gives the requests under way, then the threads' closing, each."""

log = logging.getLogger(__name__)


class ServedApplication(Protocol):
    """What :func:`serve` serves: a WSGI application that can close what its threads opened
    (:class:`~consortium.http.server.LocalGateway`, or :class:`~consortium.http.portal.PortalSite` in front of one)."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]: ...

    def release_thread(self) -> None:
        """Close what the calling thread opened to answer requests."""

    def close(self) -> None:
        """Close the rest, once the serving threads have ended."""


class _Threads(ThreadedTaskDispatcher):
    """waitress's worker threads, each calling ``on_exit`` as it ends (the application's
    :meth:`~ServedApplication.release_thread`: SQLite connections may only be closed by their own thread)."""

    def __init__(self, on_exit: Callable[[], None]) -> None:
        super().__init__()
        self._on_exit = on_exit
        self._started: list[threading.Thread] = []

    def start_new_thread(self, target: Callable[[int], object], thread_no: int) -> None:
        thread = threading.Thread(target=self._serve, args=(target, thread_no), name=f"waitress-{thread_no}")
        thread.daemon = True
        self._started.append(thread)
        thread.start()

    def _serve(self, target: Callable[[int], object], thread_no: int) -> None:
        try:
            target(thread_no)
        finally:
            try:
                self._on_exit()
            except Exception:  # the thread ends anyway; what it held is freed with it
                log.exception("an API thread could not close what it opened")

    def join(self, timeout: float) -> None:
        """Wait (up to ``timeout`` seconds in all) for the threads told to stop to have ended."""
        deadline = time.monotonic() + timeout
        for thread in list(self._started):
            thread.join(max(0.0, deadline - time.monotonic()))
        self._started = [thread for thread in self._started if thread.is_alive()]


class LocalServer:
    """A waitress server and the application it serves (made by :func:`serve`): :meth:`run` serves until
    :meth:`close`.

    waitress's own ``close()`` of a single-socket server only stops listening: its worker threads would wait for
    work for the life of the process, holding the apps' containers, and the connections clients keep alive would
    stay open. :meth:`close` also stops the threads (giving the requests under way a few seconds), each closing
    its own imports of the apps as it ends, closes those connections, and then the application.
    """

    def __init__(self, server: Any, application: ServedApplication, threads: _Threads) -> None:
        self._server = server
        self._application = application
        self._threads = threads

    @property
    def effective_host(self) -> str:
        """The address served."""
        return str(self._server.effective_host)

    @property
    def effective_port(self) -> int:
        """The port served (the one picked when asked for 0)."""
        return int(self._server.effective_port)

    def run(self) -> None:
        """Serve until :meth:`close` (from another thread), SIGTERM or Ctrl-C (``SystemExit``,
        ``KeyboardInterrupt``); the threads and the application are closed then."""
        try:
            self._server.run()
        finally:
            self._stop_threads()
            self._application.close()

    def close(self) -> None:
        """Stop serving: no new connection, the requests under way finish (a few seconds at most), the
        connections still open are closed, and so is what the application opened."""
        self._server.close()
        self._stop_threads()
        channels = getattr(self._server, "_map", None)  # a single socket's server; several sockets': map
        wasyncore.close_all(getattr(self._server, "map", {}) if channels is None else channels, ignore_all=True)
        self._application.close()

    def _stop_threads(self) -> None:
        self._threads.shutdown(timeout=_STOP_WAIT)
        self._threads.join(_STOP_WAIT)


def serve(
    gateway: ServedApplication,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    threads: int = 8,
    sock: socket.socket | None = None,
) -> LocalServer:
    """A waitress server for ``gateway`` (a WSGI application: the :class:`LocalGateway`, or the portal in front
    of it) on ``host``:``port`` (0: any free port), or on ``sock`` (a socket bound already, e.g. by the parent of
    worker processes), not yet running: call its ``run()`` (blocks) or run it in a thread, and ``close()`` to stop
    (which closes ``gateway`` too: :class:`LocalServer`)."""
    where: dict[str, Any] = {"host": host, "port": port} if sock is None else {"sockets": [sock]}
    pool = _Threads(gateway.release_thread)
    server = create_server(
        gateway,
        _dispatcher=pool,
        **where,
        threads=threads,
        max_request_body_size=MAX_REQUEST_BODY,
        ident="consortium",
        clear_untrusted_proxy_headers=True,
        # poll(), not select(): select() cannot wait on a descriptor numbered 1024 or more, and a hub (or a test
        # session) with many files open gets sockets past it; waitress then stops answering at all.
        asyncore_use_poll=True,
    )
    pool.set_thread_count(threads)  # waitress starts them only for a pool of its own
    return LocalServer(server, gateway, pool)
