"""Benchmark report generation and rendering; writes bench/results/report.md.

Run from the repository root: .venv/bin/python -m bench.report
"""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from techscaniq.report import render
from techscaniq.report.writer import write_report
from tests.support.report_samples import sample_evidence, sample_scan

RESULTS = Path(__file__).resolve().parent / "results" / "report.md"
SIZES = (300, 3000)
REPEATS = 5
PDF_REPEATS = 2


def _seconds(action: Callable[[], object], repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    """Time the deterministic writer and the renderers for each evidence size and write the results table."""
    rows = []
    for size in SIZES:
        evidence = sample_evidence(size)
        scan = sample_scan()
        written = write_report(scan, evidence)
        generate = _seconds(lambda: write_report(scan, evidence), REPEATS)  # noqa: B023 - called at once
        markdown = _seconds(lambda: render.render_markdown(written.content), REPEATS)  # noqa: B023
        html = _seconds(lambda: render.render_html(written.content), REPEATS)  # noqa: B023
        pdf_bytes = render.render_pdf(written.content)
        pdf = _seconds(lambda: render.render_pdf(written.content), PDF_REPEATS)  # noqa: B023
        from io import BytesIO

        from pypdf import PdfReader

        pages = len(PdfReader(BytesIO(pdf_bytes)).pages)
        rows.append((size, len(written.citations), generate, markdown, html, pdf, pages))
        print(f"{size} items: generate {generate:.3f}s, md {markdown:.3f}s, html {html:.3f}s, pdf {pdf:.2f}s")
    lines = [
        "# Report generation benchmark",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}. Sample company evidence "
        "(`tests/support/report_samples.py`), padded with crawled-page items. Median of "
        f"{REPEATS} runs ({PDF_REPEATS} for PDF). Target: generation under 2 s for 300 items.",
        "",
        "| evidence items | citation rows | generate (deterministic) | Markdown | HTML | PDF | PDF pages |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {size} | {cites} | {gen:.3f} s | {md:.3f} s | {html:.3f} s | {pdf:.2f} s | {pages} |"
        for size, cites, gen, md, html, pdf, pages in rows
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
