"""Stopping the local API server (``consortium run``'s, in each worker process or in the hub): no new connection,
the request under way answered whole, the idle kept-alive connections closed, all within a bound; then the
threads and the application closed. Over real sockets on 127.0.0.1, against a small WSGI application."""

from __future__ import annotations

import socket
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
import requests

from consortium.http import serving

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

WAIT = 20.0
"""Seconds a test waits for something that takes milliseconds, before failing."""


class SlowApp:
    """``/fast`` answers at once; ``/slow`` once released (``release``), or never (``stuck``)."""

    def __init__(self) -> None:
        self.inside = threading.Event()
        self.release = threading.Event()
        self.closed = threading.Event()
        self.released_threads = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/slow":
            self.inside.set()
            self.release.wait(WAIT)
        body = b"x" * 100_000  # more than a socket buffer: sent by the server's loop, after the thread returned
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    def release_thread(self) -> None:
        self.released_threads += 1

    def close(self) -> None:
        self.closed.set()


@pytest.fixture
def served() -> Iterator[tuple[SlowApp, serving.LocalServer, threading.Thread]]:
    app = SlowApp()
    server = serving.serve(app, threads=4)
    thread = threading.Thread(target=server.run, name="served", daemon=True)
    thread.start()
    yield app, server, thread
    app.release.set()
    server.close()


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=WAIT).close()
    except ConnectionRefusedError:
        return True
    return False


def _wait_until(check: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def test_a_stop_answers_the_request_under_way_closes_idle_connections_and_takes_no_new_one(
    served: tuple[SlowApp, serving.LocalServer, threading.Thread],
) -> None:
    app, server, thread = served
    port = server.effective_port
    idle = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    idle.sendall(b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < 100_000:
        answer += idle.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200")  # answered whole, kept alive: idle now

    slow: list[requests.Response] = []
    asking = threading.Thread(target=lambda: slow.append(requests.get(f"http://127.0.0.1:{port}/slow", timeout=WAIT)))
    asking.start()
    assert app.inside.wait(WAIT)

    server.request_stop()  # as the worker's SIGTERM handler does
    assert _wait_until(lambda: _refused(port))  # no new connection
    assert idle.recv(65536) == b""  # the idle connection was closed by the server
    assert thread.is_alive() and not slow  # the request under way is still being answered

    app.release.set()
    asking.join(WAIT)
    [response] = slow
    assert response.status_code == 200 and len(response.content) == 100_000  # answered whole
    thread.join(WAIT)
    assert not thread.is_alive() and app.closed.is_set() and app.released_threads == 4


def test_a_request_running_over_the_drain_time_is_cut_off_and_the_stop_ends(
    served: tuple[SlowApp, serving.LocalServer, threading.Thread], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serving, "DRAIN", 0.5)
    app, server, thread = served
    failed: list[BaseException] = []

    def ask() -> None:
        try:
            requests.get(f"http://127.0.0.1:{server.effective_port}/slow", timeout=WAIT)
        except requests.RequestException as exc:
            failed.append(exc)

    asking = threading.Thread(target=ask)
    asking.start()
    assert app.inside.wait(WAIT)
    started = time.monotonic()
    server.close()  # from another thread, as the hub does with its own server: returns once stopped
    took = time.monotonic() - started
    assert not thread.is_alive() and app.closed.is_set()
    assert took < WAIT  # a bound on hanging (0.5 s to drain, then at most a second for the threads)
    asking.join(WAIT)
    assert failed and isinstance(failed[0], requests.ConnectionError)  # its connection was closed
