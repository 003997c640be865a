"""Every `dom` rule of the shipped data finds one of its technology's samples by itself."""

from __future__ import annotations

from typing import Any

import pytest

from techscaniq.evidence.fingerprints import FingerprintMatcher, PageSignals
from techscaniq.evidence.fingerprints.matcher import Signal
from tests.support.fingerprint_samples import load_samples

SAMPLES: dict[str, dict[str, Any]] = load_samples()
MATCHER = FingerprintMatcher.load()
WITH_DOM = sorted(name for name, tech in MATCHER.technologies.items() if tech.dom)

# Client-rendered frameworks whose marker a browser's DOM shows: the render collector's pages must find them.
RENDERED_MARKERS = {
    "Angular",
    "AngularJS",
    "Astro",
    "Ember.js",
    "Gatsby",
    "Next.js",
    "Nuxt.js",
    "Svelte",
    "Vue.js",
}


def test_client_rendered_frameworks_have_dom_rules() -> None:
    assert set(WITH_DOM) >= RENDERED_MARKERS


def cited_selectors(name: str, html: str) -> set[str]:
    """The dom rule keys the detection of `name` cites on a page of `html`."""
    found = {d.name: d for d in MATCHER.analyze([PageSignals("https://www.example.com/", (), html)])}
    return {m.key for m in found[name].matches if m.signal == Signal.DOM} if name in found else set()


@pytest.mark.parametrize("name", WITH_DOM)
def test_every_dom_rule_is_cited_by_a_sample(name: str) -> None:
    sample = SAMPLES[name]
    cited: set[str] = set()
    for record in (sample, *sample.get("extra", [])):
        if "html" in record:
            cited |= cited_selectors(name, record["html"])
    for rule in MATCHER.technologies[name].dom:
        assert any(key == rule.selector or key.startswith(f"{rule.selector} [") for key in cited), (
            f"{name}: no sample is found by the dom rule {rule.selector!r}"
        )
