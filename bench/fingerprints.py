"""Benchmark: fingerprint detections and milliseconds per page over the saved real-world pages.

Run from the repository root: `python bench/fingerprints.py [corpus_dir]` (the corpus root with `pages/` and
`pages-aeb/`, or one folder of `.html` pages). Prints a Markdown table and writes it to bench/results/fingerprints.md.
Wall and CPU milliseconds are both reported: on a shared, loaded machine the CPU time is the steadier figure.
"""

from __future__ import annotations

import gzip
import statistics
import sys
import time
from pathlib import Path

from techscaniq.evidence.fingerprints import FingerprintMatcher, PageSignals

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus"
RESULTS_FILE = REPO_ROOT / "bench" / "results" / "fingerprints.md"
REPEATS = 5  # each page is analysed this many times; the median run counts


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def load_pages(corpus: Path) -> list[tuple[str, str]]:
    """(name, html) of every page: `*.html` in the folder, or in its pages/ plus the gzipped pages-aeb/."""
    out = [(p.name, p.read_text(encoding="utf-8", errors="replace")) for p in sorted(corpus.glob("*.html"))]
    out += [
        (f"pages/{p.name}", p.read_text(encoding="utf-8", errors="replace"))
        for p in sorted(corpus.glob("pages/*.html"))
    ]
    out += [
        (f"pages-aeb/{p.name}", gzip.decompress(p.read_bytes()).decode("utf-8", errors="replace"))
        for p in sorted(corpus.glob("pages-aeb/*.gz"))
    ]
    return out


def main(argv: list[str]) -> int:
    """Analyse each page, print and write the Markdown report."""
    corpus = Path(argv[1]) if len(argv) > 1 else DEFAULT_CORPUS
    pages = load_pages(corpus)
    if not pages:
        print(f"no pages in {corpus}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    matcher = FingerprintMatcher.load()
    load_ms = (time.perf_counter() - started) * 1000
    rows, times, cpu_times, counts = [], [], [], []
    for name, html in pages:
        runs, cpu_runs = [], []
        for _ in range(REPEATS):
            t0, c0 = time.perf_counter(), time.process_time()
            detections = matcher.analyze([PageSignals("https://example.org/", (), html)])
            runs.append((time.perf_counter() - t0) * 1000)
            cpu_runs.append((time.process_time() - c0) * 1000)
        ms, cpu_ms = statistics.median(runs), statistics.median(cpu_runs)
        times.append(ms)
        cpu_times.append(cpu_ms)
        counts.append(len(detections))
        found = ", ".join(f"{d.name}{' ' + d.version if d.version else ''}" for d in detections) or "–"
        rows.append(
            f"| {name} | {len(html) // 1024} | {len(detections)} | {ms:.1f} | {cpu_ms:.1f} | {found} |"
        )
    lines = [
        "# Fingerprint benchmark",
        "",
        f"{len(matcher.technologies)} technologies, compiled in {load_ms:.0f} ms; {len(pages)} pages from {corpus}.",
        "HTML only (the saved pages have no headers, cookies or DNS).",
        "",
        f"- wall ms per page: median **{statistics.median(times):.1f}**, p90 **{percentile(times, 0.9):.1f}**,"
        f" max {max(times):.1f}",
        f"- CPU ms per page: median **{statistics.median(cpu_times):.1f}**, p90 **{percentile(cpu_times, 0.9):.1f}**,"
        f" max {max(cpu_times):.1f}",
        f"- detections per page: median {statistics.median(counts):.0f}, total {sum(counts)}",
        "",
        "| page | KiB | detections | wall ms | CPU ms | technologies |",
        "|---|---:|---:|---:|---:|---|",
        *rows,
        "",
    ]
    report = "\n".join(lines)
    print(report)
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
