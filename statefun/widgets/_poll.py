"""Polling a running stack from a background thread, stoppably, and one lock per stack.

A view of a :class:`~statefun.flink.FlinkStack` reads Kafka and Flink's REST API, which block;
a :class:`Poller` does that in a thread of its own and hands the drawing to the kernel's event
loop (widgets are drawn from the thread that owns them). :func:`stack_lock` keeps two views
(or a view and the failure drill) from using the stack's Kafka consumer at the same time.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable

__all__ = ["Poller", "stack_lock"]

_locks: weakref.WeakKeyDictionary[object, threading.RLock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def stack_lock(stack: object) -> threading.RLock:
    """The lock every view takes around a call into ``stack`` (one per stack object)."""
    with _locks_guard:
        lock = _locks.get(stack)
        if lock is None:
            lock = _locks[stack] = threading.RLock()
        return lock


class Poller:
    """Calls ``tick()`` every ``interval`` seconds in a daemon thread until :meth:`stop`.

    ``tick`` returns whether to go on. ``draw`` is then called in the event loop that was
    running when :meth:`start` was called (a Jupyter kernel's), or in the thread itself when
    there was none (scripts, tests). :meth:`stop` waits for the thread to end.
    """

    def __init__(
        self, tick: Callable[[], bool], draw: Callable[[], None], *, name: str = "statefun-poll"
    ) -> None:
        self._tick = tick
        self._draw = draw
        self._name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._active = False
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def running(self) -> bool:
        """Whether the thread is polling."""
        return self._active and self._thread is not None and self._thread.is_alive()

    def start(self, interval: float) -> None:
        """Poll every ``interval`` seconds (the first tick at once); a no-op when running."""
        if self.running:
            return
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self.stop()  # a thread that stopped itself: joined
        self._stop = threading.Event()
        self._active = True
        self._thread = threading.Thread(
            target=self._run, args=(interval, self._stop), name=self._name, daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop polling and wait (``timeout`` s at most) for a tick under way to end."""
        self._stop.set()
        self._active = False
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def in_thread(self) -> bool:
        """Whether the caller is the polling thread."""
        return threading.current_thread() is self._thread

    def _run(self, interval: float, stop: threading.Event) -> None:
        while not stop.is_set():
            go_on = self._tick()
            if stop.is_set():
                return
            if not go_on:
                self._active = False  # not running any more when the drawing looks
            self._hand_draw()
            if not go_on:
                return
            stop.wait(interval)

    def _hand_draw(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            self._draw()
            return
        try:
            loop.call_soon_threadsafe(self._draw)
        except RuntimeError:  # the loop closed meanwhile
            self._draw()
