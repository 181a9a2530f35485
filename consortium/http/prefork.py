"""Several API server processes on one port: ``consortium run --workers N``.

One Python process serves about 250 requests a second whatever its threads (they share the interpreter's lock);
N processes serve N times that on N cores. :class:`WorkerPool` binds the port in the hub's process (so a port in
use is refused at once, and port 0 becomes a free port), then starts N worker processes
(:mod:`consortium.http.worker`), each listening on the same port with ``SO_REUSEPORT`` and serving it with waitress
and its threads. The kernel spreads new connections evenly over the workers' sockets; the hub's own socket never
listens, it only keeps the port while workers come and go. (One socket shared by every worker, the other way,
gives each connection to the worker that wakes first: under load, one worker held three quarters of the
bench's long-lived connections.)

The workers are new Python processes, not forks of the hub: the hub has open SQLite connections, a search index
with threads of its own (tantivy's) and its scheduler's threads, none of which a fork may copy safely. Each
worker builds its own stores on first use, as a Lambda environment does; SQLite in WAL mode serves readers and
one writer at a time across processes, and searches reload the index when another process commits to it.

Supervision, as an administrator expects of a pre-forking server:

- a worker that stops on its own (a crash, the kernel's out-of-memory killer) is reported and started again;
  when workers stop more than ``max_restarts`` times within ``restart_window`` seconds, something is wrong
  that restarting will not mend: the pool gives up and the hub stops, saying why (:attr:`WorkerPool.failure`);
- :meth:`WorkerPool.signal_stop` (the hub's Ctrl-C or SIGTERM, at once) sends SIGTERM to every worker, which stops
  gracefully (no new connection, the requests under way answered, :class:`~consortium.http.serving.LocalServer`),
  and no worker is started again; :meth:`WorkerPool.stop` then waits for them and kills any still running
  ``stop_timeout`` seconds after they were signalled;
- a worker whose hub dies without stopping it (SIGKILL) notices the end of its channel and stops by itself:
  no worker outlives its hub.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from consortium.errors import ConsortiumError
from consortium.http.worker import READY, reuse_port

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

__all__ = ["WorkerEvent", "WorkerPool", "WorkerPoolError", "check_address", "default_workers"]

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
"""The folder holding the ``consortium`` package this process runs: the workers import the same one."""


class WorkerPoolError(ConsortiumError):
    """The API workers could not start, or kept stopping: the server stops."""


def default_workers() -> int:
    """How many worker processes ``consortium run`` starts by default: the CPUs this process may run on (at
    least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class WorkerEvent:
    """A worker that stopped on its own, as the pool reports it."""

    worker: int
    pid: int
    returncode: int
    restarted_as: int | None
    """The new worker's process id, or ``None`` when the pool gave up."""

    def status(self) -> str:
        """How the worker ended, in words: ``exit status 3`` or ``killed by SIGKILL``."""
        if self.returncode < 0:
            return f"killed by {signal.Signals(-self.returncode).name}"
        return f"exit status {self.returncode}"

    def line(self) -> str:
        """One line for the administrator."""
        then = "gave up" if self.restarted_as is None else f"started again as pid {self.restarted_as}"
        return f"API worker {self.worker} (pid {self.pid}) stopped ({self.status()}); {then}"

    def as_dict(self) -> dict[str, object]:
        return {
            "api_worker": self.worker,
            "pid": self.pid,
            "status": self.status(),
            "restarted_as": self.restarted_as,
        }


@dataclass
class _Worker:
    number: int
    process: subprocess.Popen[bytes]
    channel: socket.socket
    """The parent's end of the worker's channel (closing it stops the worker)."""
    started: float = field(default_factory=time.monotonic)
    signalled: bool = False
    """Sent SIGTERM by :meth:`WorkerPool.signal_stop`."""


class WorkerPool:
    """N API worker processes on one listening socket (see the module notes).

    Parameters
    ----------
    functions_dir
        The apps the workers serve.
    host, port
        Where to listen (port 0: any free port; :attr:`port` says which).
    workers, threads
        How many worker processes, and waitress threads in each.
    report
        Told of every worker that stopped on its own (a :class:`WorkerEvent`), from the supervising thread.
    ready_timeout
        How long each worker may take to start serving, in seconds.
    max_restarts, restart_window
        The pool gives up when workers stop on their own more than ``max_restarts`` times within
        ``restart_window`` seconds.
    stop_timeout
        How long the workers have to stop once signalled (:meth:`signal_stop`) before :meth:`stop` kills them: a
        worker gives the requests under way :data:`~consortium.http.serving.DRAIN` seconds.
    env
        Environment variables the workers get besides this process's.
    args
        More arguments of :mod:`consortium.http.worker` (the portal's folder, the demo readers).

    Example
    -------
    >>> pool = WorkerPool(settings.functions_dir, "127.0.0.1", 8000, workers=2, threads=8, report=print)
    >>> pool.start()
    >>> threading.Thread(target=pool.supervise, args=(stop,), daemon=True).start()
    >>> ...  # until stop is set
    >>> pool.stop()
    """

    def __init__(
        self,
        functions_dir: Path,
        host: str,
        port: int,
        *,
        workers: int,
        threads: int = 8,
        report: Callable[[WorkerEvent], None] | None = None,
        ready_timeout: float = 60.0,
        max_restarts: int = 5,
        restart_window: float = 60.0,
        stop_timeout: float = 8.0,
        env: Mapping[str, str] | None = None,
        args: Sequence[str] = (),
    ) -> None:
        if workers < 1:
            raise ValueError("a pool has at least one worker")
        self.functions_dir = functions_dir
        self.workers, self.threads = workers, threads
        self._report = report
        self.ready_timeout, self.stop_timeout = ready_timeout, stop_timeout
        self.max_restarts, self.restart_window = max_restarts, restart_window
        self._env = dict(env or {})
        self._args = list(args)
        self.failure: str | None = None
        """Why the pool gave up, once it has."""
        self._socket = _reserve(host, port)
        self.host, self.port = host, int(self._socket.getsockname()[1])
        self._running: dict[int, _Worker] = {}
        self._stops: deque[float] = deque()
        self._lock = threading.Lock()
        self._stopping = False
        self._reaped = False
        self._deadline: float | None = None
        """When the workers signalled to stop are killed if still running."""

    @property
    def pids(self) -> list[int]:
        """The process ids of the workers running now, by worker number."""
        with self._lock:
            return [self._running[n].process.pid for n in sorted(self._running)]

    def start(self, stop: threading.Event | None = None) -> None:
        """Start every worker and wait until each serves, or ``stop`` is set (then return at once: the caller
        stops the pool); :class:`WorkerPoolError` (every worker stopped) when one stops or does not get ready in
        time."""
        with self._lock:
            for number in range(1, self.workers + 1):
                self._running[number] = self._spawn(number)
            waiting = list(self._running.values())
        try:
            for worker in waiting:
                self._wait_ready(worker, stop)
        except WorkerPoolError:
            self.stop()
            if stop is not None and stop.is_set():
                return  # told to stop while starting (a worker stops at once then): not a failure
            raise

    def supervise(self, stop: threading.Event, every: float = 0.5) -> None:
        """Until ``stop`` is set: report each worker that stopped on its own and start it again, or give up
        (:attr:`failure` set, ``stop`` set) when they keep stopping."""
        while not stop.wait(every):
            if not self.check():
                stop.set()
                return

    def check(self) -> bool:
        """Restart the workers that stopped on their own (reporting each); ``False`` once the pool gave up."""
        with self._lock:
            if self._stopping or self.failure is not None:
                return self.failure is None
            ended = [w for w in self._running.values() if w.process.poll() is not None]
            events = []
            for worker in ended:
                worker.channel.close()
                now = time.monotonic()
                self._stops.append(now)
                while self._stops and self._stops[0] < now - self.restart_window:
                    self._stops.popleft()
                returncode = worker.process.returncode
                if len(self._stops) > self.max_restarts:
                    del self._running[worker.number]
                    events.append(WorkerEvent(worker.number, worker.process.pid, returncode, None))
                    self.failure = (
                        f"API workers stopped {len(self._stops)} times within {self.restart_window:.0f} s (the last, "
                        f"worker {worker.number}: {events[-1].status()}); see the messages above. The hub stops"
                    )
                    break
                try:
                    fresh = self._spawn(worker.number)
                except WorkerPoolError as exc:
                    del self._running[worker.number]
                    events.append(WorkerEvent(worker.number, worker.process.pid, returncode, None))
                    self.failure = f"{exc}. The hub stops"
                    break
                self._running[worker.number] = fresh
                events.append(WorkerEvent(worker.number, worker.process.pid, returncode, fresh.process.pid))
        for event in events:
            if self._report is not None:
                self._report(event)
        if self.failure is not None:
            self.stop()
            return False
        return True

    def signal_stop(self) -> None:
        """Tell every worker to stop (SIGTERM: each stops gracefully) and return at once; from now on no worker
        is started again. Calling it again signals no worker twice."""
        with self._lock:
            self._stopping = True
            if self._deadline is None:
                self._deadline = time.monotonic() + self.stop_timeout
            workers = [worker for worker in self._running.values() if not worker.signalled]
            for worker in workers:
                worker.signalled = True
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                worker.process.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        """Stop every worker: SIGTERM (unless :meth:`signal_stop` sent it), then SIGKILL for any still running
        ``stop_timeout`` seconds after it; then close the listening socket. Calling it again does nothing."""
        self.signal_stop()
        with self._lock:
            if self._reaped:
                return
            self._reaped = True
            workers = list(self._running.values())
            self._running.clear()
            deadline = self._deadline or time.monotonic()
        for worker in workers:
            try:
                worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
            worker.channel.close()
        self._socket.close()

    # -- inside

    def _spawn(self, number: int) -> _Worker:
        ours, theirs = socket.socketpair()
        command = [
            sys.executable,
            "-m",
            "consortium.http.worker",
            f"--host={self.host}",
            f"--port={self.port}",
            f"--channel-fd={theirs.fileno()}",
            f"--worker={number}",
            f"--threads={self.threads}",
            f"--functions-dir={self.functions_dir}",
            *self._args,
        ]
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, **self._env, "PYTHONPATH": _PACKAGE_ROOT + (os.pathsep + path if path else "")}
        try:
            # A worker prints only diagnostics (Chalice logs errors to stdout): they go to the hub's stderr, and
            # the hub's stdout stays its own report (JSON lines under --json).
            process = subprocess.Popen(
                command, pass_fds=(theirs.fileno(),), env=env, process_group=0, stdout=sys.stderr.fileno()
            )
        except OSError as exc:
            ours.close()
            raise WorkerPoolError(f"cannot start API worker {number}: {exc.strerror or exc}") from exc
        finally:
            theirs.close()
        return _Worker(number, process, ours)

    def _wait_ready(self, worker: _Worker, stop: threading.Event | None) -> None:
        deadline = time.monotonic() + self.ready_timeout
        said = b""
        while not said.endswith(READY):
            if stop is not None and stop.is_set():
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerPoolError(f"API worker {worker.number} did not start serving within {self.ready_timeout} s")
            # poll(), not select(): select() cannot wait on a descriptor numbered 1024 or more
            waiting = select.poll()
            waiting.register(worker.channel, select.POLLIN)
            readable = waiting.poll(min(left, 0.5) * 1000)
            if readable:
                chunk = worker.channel.recv(64)
                if not chunk:
                    worker.process.wait()
                    event = WorkerEvent(worker.number, worker.process.pid, worker.process.returncode, None)
                    raise WorkerPoolError(
                        f"API worker {worker.number} stopped while starting ({event.status()}); see the messages above"
                    )
                said += chunk


def check_address(host: str, port: int) -> None:
    """Bind ``host``:``port`` for a moment, as the server will, so that a port in use or a host that is not this
    machine's is said before a harvest of hours, not after it.

    Raises
    ------
    WorkerPoolError
        Naming the address and what to change: ``--port`` for a port in use, ``--host`` for a host name that does
        not resolve or an address this machine does not have.

    Example
    -------
    >>> check_address("127.0.0.1", 8000)  # something listens there
    Traceback (most recent call last):
    WorkerPoolError: cannot serve the API on 127.0.0.1:8000: Address already in use (choose another with --port)
    """
    _probe(host, port)


def _probe(host: str, port: int) -> tuple[int, int, int, tuple[object, ...]]:
    """The family, type, protocol and address (port 0: the free port chosen) of ``host``:``port``, bound once
    without ``SO_REUSEPORT``: that fails when anything listens on the port already, even another hub's workers."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (OSError, UnicodeError) as exc:
        raise WorkerPoolError(f"cannot serve the API on {host}:{port}: {_reason(exc)} (check --host)") from exc
    try:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
            bound: tuple[object, ...] = probe.getsockname()
    except OSError as exc:
        raise WorkerPoolError(f"cannot serve the API on {host}:{port}: {_reason(exc)} ({_hint(exc)})") from exc
    return family, kind, proto, bound


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)


def _hint(exc: OSError) -> str:
    """What to change: the port when it is taken (or not ours to take), else the host."""
    taken = exc.errno in (errno.EADDRINUSE, errno.EACCES)
    return "choose another with --port" if taken else "check --host: an address of this machine"


def _reserve(host: str, port: int) -> socket.socket:
    """A TCP socket bound (not listening) on ``host``:``port`` with ``SO_REUSEPORT``, for the workers to listen on
    the same port; :class:`WorkerPoolError` naming the address when it cannot be bound.

    The port is first bound without ``SO_REUSEPORT`` (:func:`_probe`), which fails when anything listens on it
    already, even another hub whose workers share it: with ``SO_REUSEPORT`` alone, two hubs started on one port
    would split its connections between them without a word."""
    family, kind, proto, address = _probe(host, port)
    try:
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise WorkerPoolError(f"cannot serve the API on {host}:{port}: {_reason(exc)}") from exc
    try:
        reuse_port(sock)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise WorkerPoolError(f"cannot serve the API on {host}:{port}: {_reason(exc)} ({_hint(exc)})") from exc
    return sock
