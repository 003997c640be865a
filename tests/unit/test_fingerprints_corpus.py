"""The whole fingerprint set over real saved pages matches the reviewed expectations."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from techscaniq.evidence.fingerprints import FingerprintMatcher, PageSignals

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus" / "pages"
EXPECTED_FILE = Path(__file__).parent / "fingerprint_samples" / "corpus_expected.json"
REVIEW: dict[str, Any] = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
PAGES: dict[str, dict[str, Any]] = REVIEW["pages"]


def corpus_dir() -> Path:
    """Return the corpus folder, failing in CI and skipping elsewhere when it is missing."""
    if not CORPUS_DIR.is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"corpus pages missing at {CORPUS_DIR}")
        pytest.skip(f"corpus pages not found at {CORPUS_DIR}")
    return CORPUS_DIR


def test_every_corpus_page_has_reviewed_expectations() -> None:
    pages = sorted(p.name for p in corpus_dir().glob("*.html"))
    assert pages == sorted(PAGES)


def test_every_expected_detection_cites_its_evidence() -> None:
    for page, review in PAGES.items():
        for name, evidence in review["detections"].items():
            assert isinstance(evidence, str) and len(evidence) >= 10, f"{page}: {name} has no evidence"
        for name, reason in review.get("not_detected", {}).items():
            assert name not in review["detections"], f"{page}: {name} is both detected and not"
            assert isinstance(reason, str) and reason, f"{page}: {name} has no reason"


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_detections_match_review(page: str) -> None:
    html = (corpus_dir() / page).read_text(encoding="utf-8", errors="replace")
    detections = FingerprintMatcher.load().analyze([PageSignals("https://example.org/", (), html)])
    assert sorted(d.name for d in detections) == sorted(PAGES[page]["detections"])
