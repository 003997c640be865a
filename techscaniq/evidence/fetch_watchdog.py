"""The fetch watchdog: one thread per process cuts requests still waiting for headers at their deadline.

A read timeout bounds one socket read, so a server that trickles header bytes would never trip it
(docs/fetch-safety.md §4). The guarded connection registers each wait here, and the watchdog shuts the socket
when the fetch's total deadline passes first.
"""

from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from collections.abc import Callable

# The deadline of the request running on this thread, read by the connection while it waits for headers.
request_deadline = threading.local()


class Watch:
    """One request waiting for its response headers; exactly one of cancel() and fire() wins."""

    def __init__(self, cut: Callable[[], None]) -> None:
        self._cut = cut
        self._lock = threading.Lock()
        self._state = "waiting"

    def cancel(self) -> bool:
        """Stop watching; False when the deadline had already fired."""
        with self._lock:
            if self._state == "waiting":
                self._state = "cancelled"
                self._cut = _nothing  # the heap may hold the watch a while: let the connection go now
            return self._state == "cancelled"

    @property
    def done(self) -> bool:
        """True once cancelled or fired."""
        return self._state != "waiting"

    def fire(self) -> None:
        """Cut the request's socket unless it was cancelled first."""
        with self._lock:
            if self._state != "waiting":
                return
            self._state = "fired"
        self._cut()


def _nothing() -> None:
    return None


class HeaderWatchdog:
    """One thread per process that cuts requests still waiting for headers at their deadline.

    A timer thread per request cost a quarter of a fetch's CPU; this one sleeps until the nearest deadline.
    """

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._heap: list[tuple[float, int, Watch]] = []
        self._sequence = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: float, cut: Callable[[], None]) -> Watch:
        """Call cut() at the monotonic deadline unless the returned watch is cancelled first."""
        watch = Watch(cut)
        with self._wake:
            heapq.heappush(self._heap, (deadline, next(self._sequence), watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="fetch-watchdog", daemon=True)
                self._thread.start()
            elif self._heap[0][2] is watch:
                self._wake.notify()  # the new deadline is the nearest one
        return watch

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wake.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                due = heapq.heappop(self._heap)[2]
            due.fire()


_watchdog = HeaderWatchdog()


def watchdog() -> HeaderWatchdog:
    """This process's watchdog."""
    return _watchdog


def _reset_watchdog_after_fork() -> None:
    global _watchdog
    _watchdog = HeaderWatchdog()  # the parent's thread and lock do not exist in a forked child


os.register_at_fork(after_in_child=_reset_watchdog_after_fork)
