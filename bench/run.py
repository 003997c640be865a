"""Run every benchmark in one go (`make bench`); each writes bench/results/<name>.md."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

BENCHMARKS = (
    "fingerprints",
    "fingerprint_memory",
    "report",
    "api",
    "dispatch",
    "crawl",
    "memory",
    "memory_docs",
    "e2e",
    "burst",
    "render",
    "workflow",
)
ROOT = Path(__file__).resolve().parent.parent


def main(names: list[str]) -> int:
    """Run the named benchmarks (all by default) one after another; a failure is reported, not fatal."""
    failed = []
    for name in names or list(BENCHMARKS):
        if importlib.util.find_spec(f"bench.{name}") is None:
            print(f"== {name}: not present, skipped")
            continue
        print(f"== {name}", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", f"bench.{name}"], cwd=ROOT, check=False)
        print(f"== {name}: exit {result.returncode} after {time.monotonic() - started:.0f} s", flush=True)
        if result.returncode:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
