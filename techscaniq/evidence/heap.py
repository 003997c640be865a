"""The C heap of an evidence worker: fewer glibc malloc arenas, and freed pages handed back after each page.

Parsing a page (lexbor, lxml) on the crawl's threads allocates in one glibc arena per thread; what a big page
freed stays mapped in that arena, so a worker's RSS climbed with every multi-megabyte page it had parsed
(bench/results/memory_docs.md). Both calls are no-ops where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any

M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h


@functools.cache
def _glibc() -> Any | None:
    """glibc's handle, or None on another C library (musl, macOS)."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt  # noqa: B018 - only glibc has both
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def limit_arenas(arenas: int) -> bool:
    """Cap glibc's malloc arenas for this process (0 keeps glibc's default); True when the cap was set."""
    libc = _glibc()
    if arenas <= 0 or libc is None:
        return False
    return bool(libc.mallopt(M_ARENA_MAX, arenas))


def release_free_memory() -> None:
    """Hand the heap's free pages back to the system (glibc's malloc_trim)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
