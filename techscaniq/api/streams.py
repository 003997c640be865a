"""A cap on the event streams one API key holds open at once in this API process."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from techscaniq.errors import TechScanError


class TooManyStreams(TechScanError):
    """The key already holds its share of open event streams: 429."""

    code = "too_many_streams"
    http_status = 429


class StreamSlots:
    """Open streams per key; each process counts its own, since a stream holds one of that process's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, int] = {}

    def acquire(self, key: str, cap: int) -> Callable[[], None]:
        """Take a slot (TooManyStreams past the cap); returns the release, safe to call more than once."""
        with self._lock:
            if self._open.get(key, 0) >= cap:
                raise TooManyStreams(
                    f"at most {cap} event streams may be open per API key; close one or poll "
                    "/api/scans/<id>/status instead"
                )
            self._open[key] = self._open.get(key, 0) + 1
        released = threading.Event()

        def release() -> None:
            with self._lock:
                if released.is_set():
                    return
                released.set()
                left = self._open.get(key, 1) - 1
                if left > 0:
                    self._open[key] = left
                else:
                    self._open.pop(key, None)

        return release

    def open_count(self, key: str) -> int:
        """Streams this key holds open now."""
        with self._lock:
            return self._open.get(key, 0)


SLOTS = StreamSlots()


def held(stream: Iterator[str], release: Callable[[], None]) -> Iterator[str]:
    """The stream, giving its slot back however it ends (finished, failed or the client hung up)."""
    try:
        yield from stream
    finally:
        release()
