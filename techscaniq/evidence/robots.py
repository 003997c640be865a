"""robots.txt per origin (RFC 9309) through the guarded fetch, parsed with protego."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from protego import Protego

from techscaniq.evidence.fetch import FetchResult, GuardedFetcher, ResourceKind

ROBOTS_TOKEN = "techscaniq"
# A site may ask for any delay; past this one the crawl's wall-time cap is the better judge.
MAX_CRAWL_DELAY_SECONDS = 10.0
# RFC 9309 §2.3.1.2: past five redirects the file may be taken as unavailable, like a 4xx.
REDIRECT_FAILURES = frozenset({"too_many_redirects", "redirect_loop"})


class RobotsOutcome(StrEnum):
    """How the rules were decided."""

    PARSED = "parsed"  # a 2xx robots.txt was read
    ALLOW_ALL = "allow_all"  # 4xx or too many redirects: unavailable, no rules (RFC 9309 §2.3.1.3)
    DISALLOW_ALL = "disallow_all"  # 5xx, 429 or no answer: unreachable, assume complete disallow (§2.3.1.4)


@dataclass(frozen=True)
class RobotsPolicy:
    """The robots.txt rules of one origin for our token."""

    origin: str
    outcome: RobotsOutcome
    status: int | None = None
    text: str | None = None
    error_code: str | None = None
    crawl_delay_seconds: float | None = None
    sitemaps: tuple[str, ...] = ()
    _parser: Protego | None = field(default=None, repr=False, compare=False)

    def allows(self, url: str) -> bool:
        """True when our token may fetch this URL of the origin."""
        if self.outcome is RobotsOutcome.ALLOW_ALL:
            return True
        if self.outcome is RobotsOutcome.DISALLOW_ALL or self._parser is None:
            return False
        return bool(self._parser.can_fetch(url, ROBOTS_TOKEN))


def robots_url(origin: str) -> str:
    """The robots.txt URL of an origin (scheme://host[:port])."""
    return origin.rstrip("/") + "/robots.txt"


def policy_from_text(origin: str, text: str, status: int | None = 200) -> RobotsPolicy:
    """Rules from a robots.txt body."""
    parser = Protego.parse(text)
    delay = parser.crawl_delay(ROBOTS_TOKEN)
    if delay is not None:
        delay = min(max(float(delay), 0.0), MAX_CRAWL_DELAY_SECONDS)
    return RobotsPolicy(
        origin=origin,
        outcome=RobotsOutcome.PARSED,
        status=status,
        text=text,
        crawl_delay_seconds=delay,
        sitemaps=tuple(parser.sitemaps),
        _parser=parser,
    )


def policy_from_fetch(origin: str, result: FetchResult) -> RobotsPolicy:
    """Rules from a robots.txt fetch, by RFC 9309's status rules."""
    status = result.status
    if status is not None and 200 <= status < 300 and result.error_code in (None, "body_too_large"):
        # Over the cap, RFC 9309 §2.5 lets us parse what arrived (at least 500 KiB).
        return policy_from_text(origin, result.text, status)
    unavailable = status is not None and 400 <= status < 500 and status != 429
    if unavailable or result.error_code in REDIRECT_FAILURES:
        return RobotsPolicy(origin, RobotsOutcome.ALLOW_ALL, status=status, error_code=result.error_code)
    return RobotsPolicy(
        origin, RobotsOutcome.DISALLOW_ALL, status=status, error_code=result.error_code or f"http_{status}"
    )


def fetch_robots(fetcher: GuardedFetcher, origin: str) -> tuple[RobotsPolicy, FetchResult]:
    """Fetch and interpret an origin's robots.txt (redirects are followed by the fetcher, at most 5)."""
    result = fetcher.fetch(robots_url(origin), kind=ResourceKind.ROBOTS)
    return policy_from_fetch(origin, result), result
