"""CollectContext.observed: the one draft helper of the site-level collectors (security, tls)."""

from __future__ import annotations

from typing import Any

from techscaniq.config import Settings
from techscaniq.domain import EvidenceCategory, EvidenceType
from techscaniq.evidence.collectors.base import CollectContext
from tests.support.collectors import make_scan


def context() -> CollectContext:
    return CollectContext(
        make_scan("https://www.example.com/"), Settings(), None, "https://www.example.com/", "example.com"
    )  # type: ignore[arg-type]


def observed(data: dict[str, Any]) -> Any:
    return context().observed(
        "tls",
        EvidenceCategory.TLS,
        EvidenceType.HSTS,
        key="www.example.com",
        title="t" * 600,
        summary="s",
        source_url="https://www.example.com/",
        data=data,
        confidence=1.0,
    )


def test_a_fact_is_observed_unless_its_data_says_otherwise() -> None:
    data: dict[str, Any] = {"present": True}
    draft = observed(data)
    assert draft.data == {"present": True, "status": "observed"}
    assert data["status"] == "observed"  # the caller's dict says so too, as the collectors expect
    assert observed({"status": "not_observed"}).data["status"] == "not_observed"


def test_the_draft_carries_collector_category_type_and_limits() -> None:
    draft = observed({})
    assert (draft.collector, draft.category, draft.type) == ("tls", EvidenceCategory.TLS, EvidenceType.HSTS)
    assert (draft.dedup_key, draft.source_url, draft.confidence) == (
        "www.example.com",
        "https://www.example.com/",
        1.0,
    )
    assert len(draft.title) == 500
