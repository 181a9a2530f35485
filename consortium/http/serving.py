"""The waitress server the local API runs under (:func:`serve`), and stopping it whole (:class:`LocalServer`).

waitress (a threaded pure-Python WSGI server) does the HTTP for :class:`~consortium.http.server.LocalGateway`, or
the portal in front of it. Each of its worker threads opens its own imports of the apps, hence SQLite connections
only that thread may close: the threads here close them as they end, and :meth:`LocalServer.close` ends them.
"""

from __future__ import annotations

import contextlib
import logging
import select
import threading
import time
from typing import TYPE_CHECKING, Any, Final, Protocol

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ThreadedTaskDispatcher

from consortium.http.server import MAX_REQUEST_BODY

if TYPE_CHECKING:
    import socket
    from collections.abc import Callable, Iterable

__all__ = ["DRAIN", "LocalServer", "ServedApplication", "serve"]

DRAIN: Final = 5.0
"""Seconds a stopping server gives the requests under way to be answered (:class:`LocalServer`); a request still
running then has its connection closed."""
_STOP_WAIT: Final = 1
"""Seconds a stopping server then gives its threads to end (they are idle by then, unless a request ran over)."""
_MOST_QUEUED: Final = 1024
"""The most connections a stopping server takes from its listening socket's queue (its backlog)."""

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
    :meth:`request_stop` or :meth:`close`, then stops gracefully.

    waitress's own ``close()`` of a single-socket server only stops listening: its worker threads would wait for
    work for the life of the process, holding the apps' containers, and the connections clients keep alive would
    stay open; and its ``run()`` ends on ``SystemExit`` at once, leaving the answers of the requests under way
    unsent. Here a stop is graceful and bounded: the connections the kernel queued already are taken, the
    listening socket is closed (no new connection), the requests under way finish and their answers are sent
    (for up to :data:`DRAIN` seconds), each idle kept-alive connection is closed, then the threads stop, each
    closing its own imports of the apps as it ends, and the application is closed.
    """

    def __init__(self, server: Any, application: ServedApplication, threads: _Threads) -> None:
        self._server = server
        self._application = application
        self._threads = threads
        self._stop_asked = False
        self._running = False
        self._ended = threading.Event()
        self._wake: Any = next(d for d in self._map.values() if isinstance(d, BaseWSGIServer)).trigger
        """A server's wake-up pipe (every server of several sockets shares the loop: one wakes it)."""

    @property
    def effective_host(self) -> str:
        """The address served."""
        return str(self._server.effective_host)

    @property
    def effective_port(self) -> int:
        """The port served (the one picked when asked for 0)."""
        return int(self._server.effective_port)

    @property
    def _map(self) -> dict[int, Any]:
        channels: dict[int, Any] | None = getattr(self._server, "_map", None)  # one socket's server; several: map
        return self._server.map if channels is None else channels

    def run(self) -> None:
        """Serve until :meth:`request_stop` (from any thread, or a signal handler), :meth:`close`, or a
        ``SystemExit`` or ``KeyboardInterrupt`` raised in this thread; then stop gracefully (see the class notes)."""
        self._running = True
        try:
            try:
                while not self._stop_asked:
                    wasyncore.poll2(self._server.adj.asyncore_loop_timeout, self._map)
            finally:
                self._drain(time.monotonic() + DRAIN)
        finally:
            self._stop_threads()
            wasyncore.close_all(self._map, ignore_all=True)
            self._application.close()
            self._ended.set()

    def request_stop(self) -> None:
        """Ask :meth:`run` to stop gracefully, and return at once. It takes no lock (a flag, and a byte written to
        the server's wake-up pipe), so a signal handler may call it."""
        self._stop_asked = True
        if not self._ended.is_set():
            with contextlib.suppress(OSError):  # the loop has ended and closed its pipe meanwhile
                self._wake.pull_trigger()

    def close(self) -> None:
        """Stop serving and wait for it: :meth:`request_stop` and wait for :meth:`run` to have stopped gracefully
        (:data:`DRAIN` seconds at most for the requests under way, then two seconds at most for the threads); when it is
        not running (never started), close the listening socket, the threads and the application here."""
        if self._running:
            self.request_stop()
            bound = DRAIN + 2 * _STOP_WAIT + 1  # draining, the threads' shutdown and their joining, a margin
            if not self._ended.wait(bound):
                log.warning("the API server did not stop within %.1f s", bound)
            return
        self._stop_asked = True
        self._stop_threads()
        wasyncore.close_all(self._map, ignore_all=True)
        self._application.close()

    def _drain(self, deadline: float) -> None:
        """In the loop's thread: stop listening (taking the connections queued already), then serve the requests
        under way until each has been answered or ``deadline``, closing every connection as it falls idle."""
        for listener in [d for d in self._map.values() if isinstance(d, BaseWSGIServer)]:
            _take_queued(listener)
            wasyncore.dispatcher.close(listener)  # waitress's close() would close the wake-up pipe too
        while True:
            channels = [d for d in list(self._map.values()) if isinstance(d, HTTPChannel)]
            for channel in channels:
                if not (channel.requests or channel.total_outbufs_len or channel.request is not None):
                    channel.handle_close()  # idle: nothing under way on it
            busy = [channel for channel in channels if channel.connected]
            if not busy or time.monotonic() >= deadline:
                if busy:
                    log.warning(
                        "%d request(s) still under way after %.1f s: their connections are closed", len(busy), DRAIN
                    )
                return
            wasyncore.poll2(0.05, self._map)

    def _stop_threads(self) -> None:
        self._threads.shutdown(timeout=_STOP_WAIT)
        self._threads.join(_STOP_WAIT)


def _take_queued(listener: Any) -> None:
    """Accept the connections the kernel has queued on ``listener`` already (their requests are served), so
    that closing it resets none of them."""
    waiting = select.poll()
    waiting.register(listener.socket, select.POLLIN)
    for _ in range(_MOST_QUEUED):
        if not waiting.poll(0):
            return
        listener.handle_accept()


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
