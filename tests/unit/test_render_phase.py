"""Which pages the render phase takes, and the render settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from techscaniq.config import Settings
from techscaniq.evidence.render import browser
from techscaniq.evidence.render.browser import BrowserUnavailable, RenderedPage, find_chromium, renderer_for
from techscaniq.evidence.render.phase import Challenged, RenderCandidate, choose_pages, links_past_challenge

HOME = "https://example.test/"


def _candidate(path: str, page_class: str, depth: int = 1) -> RenderCandidate:
    return RenderCandidate(f"https://example.test{path}", page_class, depth)


def test_the_home_page_first_then_one_page_per_class_in_turn() -> None:
    candidates = [
        _candidate("/blog/a", "blog"),
        _candidate("/pricing", "pricing"),
        _candidate("/pricing/enterprise", "pricing", 2),
        _candidate("/careers", "careers"),
        _candidate("/docs", "docs"),
        _candidate("/integrations", "integrations"),
        _candidate("/pricing", "pricing"),  # the same page twice is rendered once
    ]
    chosen = choose_pages(candidates, HOME, 6)
    assert chosen == [
        HOME,
        "https://example.test/pricing",
        "https://example.test/integrations",
        "https://example.test/docs",
        "https://example.test/careers",
        "https://example.test/blog/a",
    ]
    assert choose_pages(candidates, HOME, 8)[-1] == "https://example.test/pricing/enterprise"
    assert choose_pages(candidates, HOME, 1) == [HOME]
    assert choose_pages(candidates, HOME, 0) == []


def test_render_settings_are_read_and_checked() -> None:
    settings = Settings.from_env({"TECHSCANIQ_BROWSER": "Required", "TECHSCANIQ_RENDER_PAGES": "3"})
    assert (settings.browser, settings.render_pages) == ("required", 3)
    assert Settings.from_env({}).browser == "auto" and Settings.from_env({}).render_pages == 12
    with pytest.raises(ValueError, match="TECHSCANIQ_BROWSER"):
        Settings.from_env({"TECHSCANIQ_BROWSER": "sometimes"})
    with pytest.raises(ValueError, match="TECHSCANIQ_RENDER_PAGES"):
        Settings.from_env({"TECHSCANIQ_RENDER_PAGES": "-1"})


def test_the_chromium_binary_comes_from_the_setting_or_the_path() -> None:
    assert find_chromium(Settings().with_overrides(chromium_path="/nonexistent/chromium")) is None
    assert find_chromium(Settings().with_overrides(chromium_path="/usr/bin/chromium")) == "/usr/bin/chromium"
    assert find_chromium(Settings()) is not None  # the Debian package, on the PATH


def test_the_headless_shell_is_preferred_to_the_full_browser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("chromium", "google-chrome", "chromium-headless-shell"):
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium(Settings()) == str(tmp_path / "chromium-headless-shell")
    (tmp_path / "chromium-headless-shell").unlink()
    assert find_chromium(Settings()) == str(tmp_path / "chromium")


def test_a_required_browser_that_is_missing_fails_clearly_and_auto_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(browser, "_process_renderer", None)
    missing = Settings().with_overrides(chromium_path="/nonexistent/chromium")
    with pytest.raises(BrowserUnavailable) as failure:
        renderer_for(missing.with_overrides(browser="required"))
    assert failure.value.code == "browser_unavailable" and not failure.value.retryable
    assert renderer_for(missing) is None
    assert renderer_for(Settings().with_overrides(browser="off")) is None


def test_links_past_a_challenge_are_the_unseen_pages_of_the_challenged_hosts_by_priority() -> None:
    links = [
        "https://example.test/blog/a",
        "https://example.test/pricing#plans",
        "https://example.test/careers",
        "https://example.test/about",  # the crawler was served this one
        "https://example.test/",  # already queued
        "https://other.test/pricing",  # not a challenged host
        "https://example.test/careers",  # twice
    ]
    page = RenderedPage(HOME, HOME, 200, "<html></html>", "Home", links, {}, [], [], {}, 1.0)
    challenged = Challenged(frozenset({"example.test"}), frozenset({"https://example.test/about"}), 4)
    queued = {HOME}
    found = links_past_challenge(page, challenged, queued)
    assert found == [
        "https://example.test/pricing",
        "https://example.test/careers",
        "https://example.test/blog/a",
    ]
    assert queued == {HOME, *found}
    assert links_past_challenge(page, challenged, queued) == []
