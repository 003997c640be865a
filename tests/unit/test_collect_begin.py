"""Collectors' early work beside the crawl: waited for when the crawl succeeds, harmless when it fails."""

from __future__ import annotations

import logging
import threading

import pytest

from techscaniq.config import Settings
from techscaniq.evidence.collect import Collection, CollectorRun, _beside_the_crawl
from techscaniq.evidence.collectors.base import BaseCollector, CollectContext
from tests.support.collectors import make_scan


class Early(BaseCollector):
    """Records on which thread begin() ran; waits for a release before it ends."""

    def __init__(self, release: threading.Event, fail: bool = False) -> None:
        self.release = release
        self.fail = fail
        self.thread: str | None = None
        self.done = False

    def begin(self, context: CollectContext) -> None:
        self.thread = threading.current_thread().name
        self.release.wait(timeout=5)
        if self.fail:
            raise RuntimeError("the resolver is gone")
        self.done = True


def context() -> CollectContext:
    return CollectContext(
        make_scan("https://www.example.com/"), Settings(), None, "https://www.example.com/", "example.com"
    )  # type: ignore[arg-type]


def test_early_work_runs_beside_the_crawl_and_is_awaited() -> None:
    release = threading.Event()
    early = Early(release)
    collection = Collection({"early": CollectorRun(early)})
    with _beside_the_crawl(collection, context()):
        assert not early.done  # the crawl goes on while begin() waits
        release.set()
    assert early.done and early.thread is not None and early.thread.startswith("begin")


def test_a_failing_begin_is_logged_and_the_crawl_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()
    release.set()
    collection = Collection({"early": CollectorRun(Early(release, fail=True))})
    with caplog.at_level(logging.WARNING), _beside_the_crawl(collection, context()):
        pass
    assert "could not start its early work" in caplog.text
    assert not collection.runs["early"].failed  # finish() still runs and does the work itself


def test_a_failing_crawl_does_not_wait_for_early_work() -> None:
    release = threading.Event()  # never set while the crawl fails
    early = Early(release)
    with pytest.raises(KeyError), _beside_the_crawl(Collection({"early": CollectorRun(early)}), context()):
        raise KeyError("the crawl failed")
    assert not early.done
    release.set()
