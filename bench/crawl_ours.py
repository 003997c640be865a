"""One evidence collection of a URL in this process; prints pages, items, seconds, CPU seconds, peak RSS as JSON."""

from __future__ import annotations

import json
import resource
import sys
import time
import uuid

from techscaniq import pipeline, tasks, theses
from techscaniq.config import Settings
from techscaniq.domain import StepName
from techscaniq.evidence.collect import warm_up
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope


def main(url: str) -> None:
    """Create a scan row and run the evidence step on it, as an evidence worker would."""
    settings = Settings.from_env()
    warm_up()  # as an evidence worker does once at start, before it takes a scan
    thesis = theses.resolve_thesis(None, None, None)
    scan_id = str(uuid.uuid4())
    with session_scope(settings) as session:
        org_id = repo.get_or_create_org(session, "bench")
        repo.create_scan(
            session, scan_id=scan_id, org_id=org_id, created_by_key_id=None, company_name="Bench",
            website_url=url, primary_criteria=thesis.slug, thesis=thesis.to_dict(), thesis_tags=[],
            requestor_name=None, organization_name=None, company_description=None, metadata={},
            task_ids={step: tasks.task_id_for(scan_id, step, 1, ".bench") for step in StepName},
        )  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    pipeline.collect(settings, scan_id, owner="bench")
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    with session_scope(settings, write=False) as session:
        pages = len(repo.crawled_pages(session, scan_id))
        items = repo.count_evidence(session, scan_id)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(
        json.dumps(
            {
                "pages": pages,
                "items": items,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "peak_rss_mb": after.ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
