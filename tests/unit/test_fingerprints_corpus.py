"""The whole fingerprint set over real saved pages matches the reviewed expectations."""

from __future__ import annotations

import gzip
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from techscaniq.evidence.fingerprints import FingerprintMatcher, PageSignals

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS_ROOT = REPO_ROOT.parent / "shared" / "corpus"
SAMPLES_DIR = Path(__file__).parent / "fingerprint_samples"
PAGES, AEB = "pages", "pages-aeb"  # corpus folders: plain HTML, and gzipped HTML reviewed in parts
AEB_PAGE_COUNT = 120
REVIEW_FILES = [SAMPLES_DIR / "corpus_expected.json", *sorted(SAMPLES_DIR.glob("corpus_expected_aeb_*.json"))]
REVIEWS: dict[str, dict[str, Any]] = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in REVIEW_FILES}


def folder_of(review_file: str) -> str:
    """The corpus folder a review file covers."""
    return AEB if review_file.startswith("corpus_expected_aeb_") else PAGES


# (folder, page) -> that page's review; a page reviewed in two files keeps its first review here
# and fails test_no_aeb_page_is_reviewed_twice.
EXPECTED: dict[tuple[str, str], dict[str, Any]] = {}
for _file, _review in REVIEWS.items():
    for _page, _entry in _review["pages"].items():
        EXPECTED.setdefault((folder_of(_file), _page), _entry)


def corpus_dir(folder: str) -> Path:
    """Return a corpus folder, failing in CI and skipping elsewhere when it is missing."""
    path = CORPUS_ROOT / folder
    if not path.is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"corpus pages missing at {path}")
        pytest.skip(f"corpus pages not found at {path}")
    return path


def read_page(folder: str, page: str) -> str:
    """The saved page's HTML; pages-aeb pages are gzipped."""
    path = corpus_dir(folder) / page
    data = gzip.decompress(path.read_bytes()) if page.endswith(".gz") else path.read_bytes()
    return data.decode("utf-8", errors="replace")


@pytest.fixture(scope="module")
def matcher() -> FingerprintMatcher:
    """The shipped fingerprint set, loaded once for every page of the module."""
    return FingerprintMatcher.load()


def test_every_corpus_page_has_reviewed_expectations() -> None:
    pages = sorted(p.name for p in corpus_dir(PAGES).glob("*.html"))
    assert pages == sorted(REVIEWS["corpus_expected.json"]["pages"])


def test_every_review_file_says_when_what_and_how() -> None:
    for name, review in REVIEWS.items():
        header = review["review"]
        assert {"date", "scope", "method"} <= set(header), f"{name}: review header incomplete"
        assert review["pages"], f"{name}: no pages"


def test_no_aeb_page_is_reviewed_twice() -> None:
    counts = Counter(
        page for name, review in REVIEWS.items() if folder_of(name) == AEB for page in review["pages"]
    )
    assert [page for page, n in counts.items() if n > 1] == []
    on_disk = {p.name for p in corpus_dir(AEB).glob("*.html.gz")}
    assert sorted(set(counts) - on_disk) == [], "reviewed pages-aeb pages that are not in the corpus"


def test_every_expected_detection_cites_its_evidence() -> None:
    for (folder, page), review in EXPECTED.items():
        for name, evidence in review["detections"].items():
            assert isinstance(evidence, str) and len(evidence) >= 10, (
                f"{folder}/{page}: {name} has no evidence"
            )
        for name, reason in review.get("not_detected", {}).items():
            assert name not in review["detections"], f"{folder}/{page}: {name} is both detected and not"
            assert isinstance(reason, str) and reason, f"{folder}/{page}: {name} has no reason"


CASES = sorted(EXPECTED)
CASE_IDS = [f"{folder}/{page if folder == PAGES else page[:16]}" for folder, page in CASES]


@pytest.mark.parametrize(("folder", "page"), CASES, ids=CASE_IDS)
def test_page_detections_match_review(matcher: FingerprintMatcher, folder: str, page: str) -> None:
    html = read_page(folder, page)
    detections = matcher.analyze([PageSignals("https://example.org/", (), html)])
    assert sorted(d.name for d in detections) == sorted(EXPECTED[(folder, page)]["detections"])


def test_every_aeb_page_is_reviewed() -> None:
    # The corpus_expected_aeb_*.json parts together cover the folder; each page is in one (checked above).
    on_disk = sorted(p.name for p in corpus_dir(AEB).glob("*.html.gz"))
    assert len(on_disk) == AEB_PAGE_COUNT
    reviewed = {
        page for name, review in REVIEWS.items() if folder_of(name) == AEB for page in review["pages"]
    }
    missing = [page for page in on_disk if page not in reviewed]
    assert missing == [], f"{len(missing)} pages-aeb pages have no review"
