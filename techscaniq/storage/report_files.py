"""Files rendered from reports (cached PDFs): where they live, and their removal with their scan."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from techscaniq.report.files import PDF_CACHE_FOLDER, pdf_cache_path
from techscaniq.storage.tables import reports

__all__ = ["PDF_CACHE_FOLDER", "pdf_cache_path", "remove_rendered_files", "report_ids_of_scan"]

log = logging.getLogger(__name__)


def report_ids_of_scan(session: Session, scan_id: str) -> list[str]:
    """Every report version of a scan (read before the scan is deleted, to find its files)."""
    return [
        str(i) for i in session.execute(select(reports.c.id).where(reports.c.scan_id == scan_id)).scalars()
    ]


def remove_rendered_files(data_dir: Path, report_ids: Iterable[str]) -> int:
    """Delete the cached PDFs of these reports; returns how many existed. Never raises for a missing file."""
    removed = 0
    for report_id in report_ids:
        path = pdf_cache_path(data_dir, report_id)
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
        except OSError:
            log.warning("could not remove the rendered report %s", path, exc_info=True)
    return removed
