"""Every shipped technology is detected from its samples and refuses its negative ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from techscaniq.evidence.fingerprints import FingerprintMatcher, PageSignals, SiteSignals

SAMPLES_FILE = Path(__file__).parent / "fingerprint_samples" / "samples.json"
SAMPLES: dict[str, dict[str, Any]] = json.loads(SAMPLES_FILE.read_text(encoding="utf-8"))
MATCHER = FingerprintMatcher.load()


def signals(sample: dict[str, Any]) -> tuple[PageSignals, SiteSignals]:
    """Turn one sample record into page and site signals."""
    page = PageSignals(
        url=sample.get("url", "https://www.example.com/"),
        headers=tuple((name, value) for name, value in sample.get("headers", [])),
        html=sample.get("html", "<html><body></body></html>"),
        cookies=sample.get("cookies", {}),
    )
    site = SiteSignals(
        dns=sample.get("dns", {}), cert_issuer=sample.get("cert_issuer"), robots=sample.get("robots")
    )
    return page, site


def test_every_shipped_technology_has_a_positive_and_a_negative_sample() -> None:
    assert sorted(MATCHER.technologies) == sorted(SAMPLES)
    assert len(MATCHER.technologies) >= 860
    # The least a negative shows: prose naming the product and linking its website is no detection.
    assert [name for name, sample in SAMPLES.items() if not sample.get("negative")] == []


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_is_detected(name: str) -> None:
    sample = SAMPLES[name]
    page, site = signals(sample)
    found = {d.name: d for d in MATCHER.analyze([page], site)}
    assert name in found, f"{name} not detected from its sample; found {sorted(found)}"
    detection = found[name]
    assert 0 < detection.confidence <= 100
    assert detection.matches, "a detection cites at least one signal"
    if "version" in sample:
        assert detection.version == sample["version"]


EXTRA = [
    (name, i, extra) for name in sorted(SAMPLES) for i, extra in enumerate(SAMPLES[name].get("extra", []))
]
NEGATIVE = [
    (name, i, neg) for name in sorted(SAMPLES) for i, neg in enumerate(SAMPLES[name].get("negative", []))
]


def test_tightened_patterns_keep_their_negative_samples() -> None:
    # patterns narrowed after the corpus review or the vendor fact check must keep a case they refuse
    tightened = {"Act-On", "Atatus", "MediaWiki", "Osano Cookie Consent", "Quantcast Measure", "SharpSpring"}
    assert tightened <= {name for name, _, _ in NEGATIVE}


@pytest.mark.parametrize(("name", "index", "sample"), EXTRA, ids=[f"{n}-{i}" for n, i, _ in EXTRA])
def test_extra_sample_is_detected(name: str, index: int, sample: dict[str, Any]) -> None:
    page, site = signals(sample)
    found = {d.name: d for d in MATCHER.analyze([page], site)}
    assert name in found, f"{name} not detected from extra sample {index}; found {sorted(found)}"
    if "version" in sample:
        assert found[name].version == sample["version"]


@pytest.mark.parametrize(("name", "index", "sample"), NEGATIVE, ids=[f"{n}-{i}" for n, i, _ in NEGATIVE])
def test_negative_sample_is_not_detected(name: str, index: int, sample: dict[str, Any]) -> None:
    page, site = signals(sample)
    assert name not in {d.name for d in MATCHER.analyze([page], site)}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_metadata_is_complete(name: str) -> None:
    tech = MATCHER.technologies[name]
    assert tech.categories and all(not c.isdigit() for c in tech.categories)
    assert tech.website and tech.website.startswith(("https://", "http://"))
