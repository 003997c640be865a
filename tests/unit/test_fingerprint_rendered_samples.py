"""Every `js` and `xhr` pattern of the shipped data finds its sample and refuses its negative one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from techscaniq.evidence.fingerprints import Detection, FingerprintMatcher, PageSignals
from techscaniq.evidence.fingerprints.matcher import Signal, host_and_path
from tests.support.fingerprint_samples import load_rendered_samples

SAMPLES: dict[str, dict[str, Any]] = load_rendered_samples()
MATCHER = FingerprintMatcher.load()


def detect(js: Mapping[str, str] | None = None, xhr: Sequence[str] = ()) -> dict[str, Detection]:
    """What a rendered page with only these globals and XHR/fetch URLs is found to use."""
    page = PageSignals(
        url="https://www.example.com/",
        headers=(),
        html="<html><head><title>Home</title></head><body><p>Welcome</p></body></html>",
        js=dict(js or {}),
        xhr=tuple(xhr),
    )
    return {d.name: d for d in MATCHER.analyze([page])}


def test_every_technology_with_js_or_xhr_patterns_has_a_rendered_sample() -> None:
    with_js = {name for name, tech in MATCHER.technologies.items() if tech.keyed.get(Signal.JS)}
    with_xhr = {name for name, tech in MATCHER.technologies.items() if tech.plain.get(Signal.XHR)}
    assert with_js | with_xhr == set(SAMPLES)
    assert len(with_js) >= 150 and len(with_xhr) >= 100
    assert all(sample.get("negative") for sample in SAMPLES.values())


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_js_and_xhr_patterns_find_their_sample_and_refuse_the_negative(name: str) -> None:
    tech, sample = MATCHER.technologies[name], SAMPLES[name]
    js: dict[str, str] = sample.get("js", {})
    xhr: list[str] = sample.get("xhr", [])
    # Every chain has a sample value, and each alone is a detection that cites the global.
    assert {chain for chain, _ in tech.keyed.get(Signal.JS, ())} == set(js)
    for chain, value in js.items():
        found = detect(js={chain: value})
        assert name in found, f"{name} not detected from js {chain} = {value!r}"
        assert (Signal.JS, chain) in {(m.signal, m.key) for m in found[name].matches}
    # Every xhr pattern matches one of the sample URLs, and each URL alone is a detection.
    for pattern in tech.plain.get(Signal.XHR, ()):
        assert any(pattern.regex.search(host_and_path(url)) for url in xhr), pattern.source
    for url in xhr:
        found = detect(xhr=[url])
        assert name in found, f"{name} not detected from an XHR to {url}"
        assert Signal.XHR in {m.signal for m in found[name].matches}
    together = detect(js=js, xhr=xhr)[name]
    assert together.version == sample.get("version")
    negative = sample["negative"]
    assert name not in detect(js=negative.get("js"), xhr=negative.get("xhr", ()))
