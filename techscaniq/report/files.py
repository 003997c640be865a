"""Where files rendered from reports (cached PDFs) live under the data directory."""

from __future__ import annotations

from pathlib import Path

PDF_CACHE_FOLDER = "pdf"


def pdf_cache_path(data_dir: Path, report_id: str) -> Path:
    """Where a report's PDF is cached (reports are immutable versions, so the id is the key)."""
    return Path(data_dir) / PDF_CACHE_FOLDER / f"{report_id}.pdf"
