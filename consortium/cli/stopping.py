"""Stopping ``consortium run``, ``harvest`` and ``import`` on request (SIGTERM from a service manager, Ctrl-C at a
terminal) without a lock in the signal handler.

A handler that sets a :class:`threading.Event` can hang the hub for good: Python runs handlers in the main thread
between two instructions, and when that thread is itself inside the same event's ``wait()`` (the scheduler sleeps
in it), holding the lock of the event's condition between taking it and waiting, ``set()`` in the handler waits
for that lock forever. It happened once in CI on a loaded machine; a test hammering a main thread that waits on
the event in a loop hung on half its signals.

:class:`StopRequest` takes no lock where a signal can land: the C-level handler writes the signal's number to a
pipe (:func:`signal.set_wakeup_fd`) the moment it arrives, even while the main thread is busy in C code, and a
small thread reading that pipe sets :attr:`StopRequest.event` for everyone who waits on it (the scheduler, the
worker pool's supervision, the harvest thread). The Python-level handler only counts: a second signal raises
``KeyboardInterrupt`` in the main thread (stop now, without waiting for a safe point).
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from consortium.errors import Interrupted

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import FrameType

    from consortium.bootstrap import Container

__all__ = ["StopRequest", "stopping_harvests", "when_stopped"]

INTERRUPTED_EXIT = 130
"""The exit status of a command stopped before its end (a shell's for Ctrl-C)."""


class StopRequest:
    """Whether the hub was asked to stop, settable from signal handlers (see the module notes).

    Example
    -------
    >>> stopping = StopRequest()
    >>> stopping.install()  # SIGTERM and SIGINT now ask for a stop
    >>> container.harvester.should_stop = stopping.is_set
    >>> scheduler.run_forever(stopping.event, report)  # returns once asked, after the job's safe point
    >>> stopping.uninstall()
    """

    def __init__(self) -> None:
        self.event = threading.Event()
        """Set once a stop is asked for (by the thread reading the signals, or by :meth:`set`)."""
        self.signal: str | None = None
        """The name of the signal that asked, if one did (``SIGTERM``, ``SIGINT``)."""
        self._signals: tuple[signal.Signals, ...] = ()
        self._count = 0
        self._previous: dict[signal.Signals, Callable[[int, FrameType | None], object] | int | None] = {}
        self._previous_fd = -1
        self._pipe: tuple[int, int] | None = None
        self._reader: threading.Thread | None = None

    def is_set(self) -> bool:
        """Whether a stop was asked for: a plain read, safe to call from any thread, as often as wished."""
        return self._count > 0 or self.event.is_set()

    def set(self) -> None:
        """Ask for a stop from code (not from a signal handler: use the signals for that)."""
        self.event.set()

    def install(self, signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT)) -> bool:
        """Make ``signals`` ask for a stop (each a first time; a second raises ``KeyboardInterrupt``). Only the
        main thread may install signal handlers: elsewhere (a command run in a test's thread) nothing is done and
        ``False`` is returned."""
        if threading.current_thread() is not threading.main_thread() or self._pipe is not None:
            return False
        read, write = os.pipe()
        os.set_blocking(write, False)
        self._pipe, self._signals = (read, write), signals
        self._previous_fd = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        for signum in signals:
            self._previous[signum] = signal.signal(signum, self._handle)
        self._reader = threading.Thread(target=self._read, args=(read,), name="stop-signals", daemon=True)
        self._reader.start()
        return True

    def uninstall(self) -> None:
        """Put back the handlers (and wake-up descriptor) there were before :meth:`install`."""
        if self._pipe is None:
            return
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        signal.set_wakeup_fd(self._previous_fd)
        read, write = self._pipe
        self._pipe = None
        os.close(write)  # the reading thread sees the end and returns
        if self._reader is not None:
            self._reader.join(1.0)
        os.close(read)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        """The Python-level handler (main thread): count, and name the signal; the event is set by the reading
        thread, woken by the C-level handler's byte. No lock is taken here."""
        self._count += 1
        if self.signal is None:
            self.signal = signal.Signals(signum).name
        if self._count > 1:
            raise KeyboardInterrupt  # asked twice: stop now

    def _read(self, read: int) -> None:
        numbers = {int(signum) for signum in self._signals}
        while True:
            try:
                data = os.read(read, 64)
            except OSError:
                return
            if not data:
                return
            if numbers.intersection(data):
                self.event.set()


def when_stopped(event: threading.Event, action: Callable[[], None], name: str) -> threading.Thread:
    """A daemon thread that calls ``action`` once ``event`` is set (for what must start stopping at once, in
    parallel with the job the main thread is bringing to its safe point)."""

    def wait() -> None:
        event.wait()
        action()

    thread = threading.Thread(target=wait, name=name, daemon=True)
    thread.start()
    return thread


@contextmanager
def stopping_harvests(container: Container) -> Iterator[StopRequest]:
    """Around a one-shot command that harvests (``harvest``, ``import``): the first SIGTERM or Ctrl-C stops the
    harvest after the page it is committing (the run recorded ``interrupted``; the next harvest resumes there), a
    second stops at once; either way the command exits 130 with a line saying so, after what it reports. A stop
    while waiting for another writer of the data folder begins nothing."""
    stopping = StopRequest()
    stopping.install()
    previous = container.harvester.should_stop
    container.harvester.should_stop = stopping.is_set
    try:
        yield stopping
    except KeyboardInterrupt:
        click.echo("\ninterrupted: stopped at once (the next harvest goes on from the last page committed)", err=True)
        raise click.exceptions.Exit(INTERRUPTED_EXIT) from None
    except Interrupted:
        click.echo("stopped on request while waiting for the data folder: nothing was harvested", err=True)
        raise click.exceptions.Exit(INTERRUPTED_EXIT) from None
    finally:
        stopping.uninstall()
        container.harvester.should_stop = previous
    if stopping.is_set():
        why = f" ({stopping.signal})" if stopping.signal else ""
        click.echo(
            f"stopped on request{why}: the pages committed are kept; the next harvest resumes after them", err=True
        )
        raise click.exceptions.Exit(INTERRUPTED_EXIT)
