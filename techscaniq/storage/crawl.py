"""Crawl checkpoints: the crawl state and the pages already fetched (for resuming)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from techscaniq.storage.evidence import KEY_LOOKUP_CHUNK
from techscaniq.storage.rows import insert_ignoring_duplicates, utcnow
from techscaniq.storage.tables import crawl_pages, crawl_state


def save_crawl_state(session: Session, scan_id: str, state: dict[str, Any]) -> None:
    """Store the crawl's checkpoint (frontier, fetched URLs, collector state), replacing the previous one."""
    now = utcnow()
    updated = session.execute(
        update(crawl_state).where(crawl_state.c.scan_id == scan_id).values(state=state, updated_at=now)
    )
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(insert(crawl_state).values(scan_id=scan_id, state=state, updated_at=now))


def load_crawl_state(session: Session, scan_id: str) -> dict[str, Any] | None:
    """The last checkpoint of a scan's crawl, if any."""
    value = session.execute(select(crawl_state.c.state).where(crawl_state.c.scan_id == scan_id)).scalar()
    return dict(value) if value else None


@dataclass(frozen=True)
class CrawledPageRow:
    """What resuming a crawl needs of a fetched page: its requested URL, depth, class, status and outlinks."""

    url: str
    depth: int
    page_class: str
    status: int | None
    outlinks: list[str]


def record_crawled_pages(session: Session, scan_id: str, pages: Sequence[CrawledPageRow]) -> int:
    """Remember that pages were fetched (with their outlinks, for resuming); returns how many were new."""
    urls = sorted({page.url for page in pages})
    known: set[str] = set()
    for start in range(0, len(urls), KEY_LOOKUP_CHUNK):
        chunk = urls[start : start + KEY_LOOKUP_CHUNK]
        known.update(
            session.execute(
                select(crawl_pages.c.url).where(
                    crawl_pages.c.scan_id == scan_id, crawl_pages.c.url.in_(chunk)
                )
            ).scalars()
        )
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for page in pages:
        if page.url in known:
            continue
        known.add(page.url)
        rows.append(
            {
                "scan_id": scan_id,
                "url": page.url,
                "depth": page.depth,
                "page_class": page.page_class,
                "status": page.status,
                "outlinks": page.outlinks,
                "fetched_at": now,
            }
        )
    return len(insert_ignoring_duplicates(session, crawl_pages, rows, returning=crawl_pages.c.url))


def crawled_pages(session: Session, scan_id: str) -> list[dict[str, Any]]:
    """Every page a scan's crawl has fetched so far, in fetch order."""
    rows = session.execute(
        select(crawl_pages).where(crawl_pages.c.scan_id == scan_id).order_by(crawl_pages.c.fetched_at)
    ).all()
    return [
        {
            "url": r.url,
            "depth": r.depth,
            "page_class": r.page_class,
            "status": r.status,
            "outlinks": r.outlinks,
        }
        for r in rows
    ]
