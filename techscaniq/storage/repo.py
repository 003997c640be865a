"""The repository functions under one name: `repo.create_scan(...)` keeps working for every caller.

Each aggregate has its own module under `techscaniq/storage/`; new functions go there, not here.
"""

from __future__ import annotations

from techscaniq.storage.crawl import (
    CrawledPageRow,
    crawled_pages,
    load_crawl_state,
    record_crawled_pages,
    save_crawl_state,
)
from techscaniq.storage.events import (
    append_event,
    append_events,
    list_events,
)
from techscaniq.storage.evidence import (
    KEY_LOOKUP_CHUNK,
    _evidence_from_row,
    _existing_evidence_keys,
    add_evidence,
    all_evidence,
    count_evidence,
    list_evidence,
)
from techscaniq.storage.keys import (
    API_KEY_PREFIX,
    DEFAULT_ORG_NAME,
    _hash_key,
    _key_from_row,
    _key_query,
    count_admin_keys,
    create_api_key,
    find_api_key,
    get_or_create_org,
    list_api_keys,
    revoke_api_key,
)
from techscaniq.storage.reports import (
    _report_from_row,
    count_reports,
    get_report,
    latest_report,
    latest_report_id,
    save_report,
)
from techscaniq.storage.rows import (
    _aware,
    _step_from_row,
    utcnow,
)
from techscaniq.storage.scans import (
    _scan_from_row,
    cancel_requested,
    create_scan,
    delete_scan,
    get_scan,
    list_scans,
    reopen_scan,
    request_cancel,
    set_scan_status,
)
from techscaniq.storage.steps import (
    claim_step,
    expired_steps,
    fail_step_and_scan,
    finish_step,
    get_step,
    release_step,
    renew_lease,
    requeue_expired_step,
    reset_step,
    update_step_progress,
)

__all__ = [
    "API_KEY_PREFIX",
    "DEFAULT_ORG_NAME",
    "KEY_LOOKUP_CHUNK",
    "CrawledPageRow",
    "_aware",
    "_evidence_from_row",
    "_existing_evidence_keys",
    "_hash_key",
    "_key_from_row",
    "_key_query",
    "_report_from_row",
    "_scan_from_row",
    "_step_from_row",
    "add_evidence",
    "all_evidence",
    "append_event",
    "append_events",
    "cancel_requested",
    "claim_step",
    "count_admin_keys",
    "count_evidence",
    "count_reports",
    "crawled_pages",
    "create_api_key",
    "create_scan",
    "delete_scan",
    "expired_steps",
    "fail_step_and_scan",
    "find_api_key",
    "finish_step",
    "get_or_create_org",
    "get_report",
    "get_scan",
    "get_step",
    "latest_report",
    "latest_report_id",
    "list_api_keys",
    "list_events",
    "list_evidence",
    "list_scans",
    "load_crawl_state",
    "record_crawled_pages",
    "release_step",
    "renew_lease",
    "reopen_scan",
    "request_cancel",
    "requeue_expired_step",
    "reset_step",
    "revoke_api_key",
    "save_crawl_state",
    "save_report",
    "set_scan_status",
    "update_step_progress",
    "utcnow",
]
