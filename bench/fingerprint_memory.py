"""Fingerprint data's memory: resident growth of a matcher loaded and warmed on the corpus, today's data against the
731-technology set it grew from (git revision BASELINE_REVISION), each in a fresh process. Target: growth <= 30 MB.

Run from the repository root: `python -m bench.fingerprint_memory`; needs git history and the saved corpus pages
(`shared/corpus` beside the repository, as bench/fingerprints.py reads them).
"""

from __future__ import annotations

import gc
import gzip
import json
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

from bench.common import write_table

ROOT = Path(__file__).resolve().parents[1]
DATA = Path("techscaniq/evidence/fingerprints/data")
CORPUS = ROOT.parent / "shared" / "corpus"
BASELINE_REVISION = "279d60f"  # session 3's last commit: 731 technologies
BUDGET_MB = 30


def _resident_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def measure(data: Path) -> tuple[int, float]:
    """(technologies, MiB of resident growth) for a matcher of `data`, warmed on every corpus page."""
    from techscaniq.evidence.fingerprints import FingerprintMatcher, PageSignals

    specs: dict[str, object] = {}
    for path in sorted(data.glob("*.json")):
        if path.name != "categories.json":
            specs.update(json.loads(path.read_text(encoding="utf-8")))
    cats = {
        k: v["name"] for k, v in json.loads((data / "categories.json").read_text(encoding="utf-8")).items()
    }
    pages = [p.read_text("utf-8", "replace") for p in sorted((CORPUS / "pages").glob("*.html"))]
    pages += [
        gzip.decompress(p.read_bytes()).decode("utf-8", "replace")
        for p in sorted((CORPUS / "pages-aeb").glob("*.gz"))
    ]
    gc.collect()
    before = _resident_mb()
    matcher = FingerprintMatcher.from_specs(specs, cats)
    for html in pages:
        matcher.analyze([PageSignals(url="https://example.test/", html=html, headers=())])
    gc.collect()
    return len(matcher.technologies), _resident_mb() - before


def _baseline_data(directory: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", BASELINE_REVISION, str(DATA)], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    return directory / DATA


def _in_fresh_process(data: Path) -> tuple[int, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.fingerprint_memory", "--one", str(data)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    count, growth = out.split()
    return int(count), float(growth)


def main() -> None:
    """Measure both data sets and write bench/results/fingerprint_memory.md."""
    with tempfile.TemporaryDirectory() as scratch:
        base_count, base_mb = _in_fresh_process(_baseline_data(Path(scratch)))
    count, growth_mb = _in_fresh_process(ROOT / DATA)
    write_table(
        "fingerprint_memory",
        "Fingerprint matcher memory: loaded and warmed on the 157 corpus pages",
        ["data", "technologies", "resident growth MiB"],
        [[f"git {BASELINE_REVISION}", base_count, f"{base_mb:.1f}"], ["today", count, f"{growth_mb:.1f}"]],
        notes=f"Growth from the bigger data set: {growth_mb - base_mb:.1f} MiB (target <= {BUDGET_MB} MB). Both "
        "sets are read by today's matcher, each in a fresh process.",
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(*measure(Path(sys.argv[2])))
    else:
        main()
