"""The report page's view: the one report view every renderer reads, with the scan's evidence table."""

from __future__ import annotations

from collections.abc import Sequence

from techscaniq.domain import Evidence, Report, Scan
from techscaniq.report.view import ReportView, report_view

__all__ = ["ReportView", "build_report_view"]


def build_report_view(report: Report, scan: Scan, evidence: Sequence[Evidence]) -> ReportView:
    """The stored report, typed, with the scan's evidence items as the page's evidence table."""
    if report.scan_id != scan.id:
        raise ValueError(f"report {report.id} is not of scan {scan.id}")
    return report_view(report.content, evidence)
