"""The evidence worker's C heap controls (techscaniq/evidence/heap.py) on this machine's glibc."""

from __future__ import annotations

import ctypes.util
import subprocess
import sys

import pytest

from techscaniq.config import Settings
from techscaniq.evidence import heap

GLIBC = sys.platform.startswith("linux") and "libc.so.6" in (ctypes.util.find_library("c") or "")


def test_the_arena_cap_defaults_to_two_and_zero_keeps_glibcs_default() -> None:
    assert Settings.from_env({}).malloc_arena_max == 2
    assert Settings.from_env({"TECHSCANIQ_MALLOC_ARENA_MAX": "0"}).malloc_arena_max == 0
    assert heap.limit_arenas(0) is False


def _arenas_after_threads(cap: int) -> int:
    """Arenas glibc opened in a fresh process whose eight threads allocated at once, under the given cap."""
    code = (
        "import threading\n"
        "from techscaniq.evidence import heap\n"
        f"heap.limit_arenas({cap})\n"
        "barrier = threading.Barrier(8)\n"
        "def work():\n"
        "    barrier.wait(); keep = [bytearray(4000) for _ in range(2000)]; barrier.wait()\n"
        "threads = [threading.Thread(target=work) for _ in range(8)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "heap.release_free_memory()\n"
        "import ctypes, os, tempfile\n"
        "libc = ctypes.CDLL('libc.so.6')\n"
        "libc.fdopen.restype = ctypes.c_void_p; libc.fclose.argtypes = [ctypes.c_void_p]\n"
        "libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]\n"
        "fd, path = tempfile.mkstemp(); stream = libc.fdopen(fd, b'w')\n"
        "libc.malloc_info(0, stream); libc.fclose(stream)\n"
        "print(open(path).read().count('<heap nr='))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


@pytest.mark.skipif(not GLIBC, reason="glibc only")
def test_a_capped_process_keeps_its_threads_in_two_arenas() -> None:
    assert _arenas_after_threads(0) > 2  # the threads do open arenas of their own without the cap
    assert _arenas_after_threads(2) <= 2
