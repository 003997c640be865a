"""Bot protection per host: which vendor guards it and how many of its answers were challenge or block pages.

The crawler judges every response (evidence/bot_protection.py); this collector counts, per host, the pages that
answered and those that were challenges, so the report can say how much of the site was really seen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from techscaniq.domain import EvidenceCategory, EvidenceDraft, EvidenceType, with_article
from techscaniq.evidence.collectors.base import BaseCollector, CollectContext, CrawledPage, register

NAME = "bot_protection"
MAX_SIGNALS = 12
MAX_BLOCKED_URLS = 10
MAX_HOSTS = 50


def _new_host() -> dict[str, Any]:
    return {
        "answered": 0,
        "blocked": 0,
        "rendered": 0,  # pages the browser rendered past the challenge (evidence/render/phase.py)
        "vendors": {},
        "outcomes": {},
        "signals": [],
        "blocked_urls": [],
    }


@register(NAME)
class BotProtectionCollector(BaseCollector):
    """One `bot_protection` item per host where a vendor's challenge, block or bot product was seen."""

    name = NAME

    def __init__(self) -> None:
        self._hosts: dict[str, dict[str, Any]] = {}

    def _host(self, page: CrawledPage) -> dict[str, Any] | None:
        host = page.host.lower()
        if host not in self._hosts and len(self._hosts) >= MAX_HOSTS:
            return None
        return self._hosts.setdefault(host, _new_host())

    def _note(self, entry: dict[str, Any], page: CrawledPage) -> None:
        check = page.bot_check
        vendors: dict[str, int] = entry["vendors"]
        for vendor in check.vendors or ((check.vendor,) if check.vendor else ()):
            vendors[vendor] = vendors.get(vendor, 0) + 1
        signals: list[str] = entry["signals"]
        signals += [s for s in check.signals if s not in signals][: MAX_SIGNALS - len(signals)]

    def on_page(self, page: CrawledPage, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Count a served page; note the vendor when its bot product showed on the page."""
        if page.status is None:
            return ()
        entry = self._host(page)
        if entry is not None:
            entry["answered"] += 1
            if page.bot_check.vendor:
                self._note(entry, page)
        return ()

    def on_challenge_page(self, page: CrawledPage, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Count a challenge or block page, with its vendor and signals."""
        entry = self._host(page)
        if entry is None:
            return ()
        entry["answered"] += 1
        entry["blocked"] += 1
        outcomes: dict[str, int] = entry["outcomes"]
        outcome = page.bot_check.outcome or "challenge"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if len(entry["blocked_urls"]) < MAX_BLOCKED_URLS:
            entry["blocked_urls"].append(page.requested_url)
        self._note(entry, page)
        return ()

    def on_passed_page(self, page: CrawledPage, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Count a page the browser rendered past the challenge the crawler was answered with."""
        entry = self._hosts.get(page.host.lower())
        if entry is not None:
            entry["rendered"] = int(entry.get("rendered") or 0) + 1
        return ()

    def state(self) -> dict[str, Any]:
        """Counts, vendors and signals per host."""
        return {"hosts": self._hosts}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Load the counts."""
        self._hosts = {str(host): dict(entry) for host, entry in dict(state.get("hosts", {})).items()}

    def finish(self, context: CollectContext) -> Iterable[EvidenceDraft]:
        """One item per host with a vendor seen; each carries the site's totals for the coverage statement."""
        site_answered = sum(int(entry["answered"]) for entry in self._hosts.values())
        site_blocked = sum(int(entry["blocked"]) for entry in self._hosts.values())
        site_rendered = sum(int(entry.get("rendered") or 0) for entry in self._hosts.values())
        items = []
        for host, entry in sorted(self._hosts.items()):
            vendors = Counter({str(v): int(n) for v, n in dict(entry["vendors"]).items()})
            if not vendors:
                continue
            vendor = vendors.most_common(1)[0][0]
            answered, blocked = int(entry["answered"]), int(entry["blocked"])
            rendered = int(entry.get("rendered") or 0)
            outcomes = dict(entry["outcomes"])
            if blocked:
                kind = "challenge" if outcomes.get("challenge") else "block page"
                title = f"{host} answered {blocked} of {answered} requests with {with_article(vendor)} {kind}"
                summary = (
                    f"{vendor} bot protection answered {blocked} of the {answered} page requests to {host} with a "
                    f"{kind} instead of the page; those pages were left out of every page-level collector."
                )
                if rendered:
                    passed = f"; the browser passed it and rendered {rendered} page" + "s" * (rendered != 1)
                    title += passed
                    summary += (
                        f" A browser passed the {kind} and rendered {rendered} pages, which were analysed."
                    )
            else:
                title = f"{host} is guarded by {vendor} bot protection (no request challenged)"
                summary = f"{vendor}'s bot product shows on {host}, but every page request was served."
            items.append(
                context.draft(
                    NAME,
                    EvidenceType.BOT_PROTECTION,
                    EvidenceCategory.SECURITY,
                    key=host,
                    title=title,
                    summary=summary,
                    source_url=(entry["blocked_urls"] or [f"https://{host}/"])[0],
                    data={
                        "host": host,
                        "vendor": vendor,
                        "vendors": sorted(vendors),
                        "pages_blocked": blocked,
                        "pages_answered": answered,
                        "pages_seen": answered - blocked + rendered,
                        "pages_rendered_past_challenge": rendered,
                        "outcomes": outcomes,
                        "signals": list(entry["signals"]),
                        "blocked_urls": list(entry["blocked_urls"]),
                        "site_pages_answered": site_answered,
                        "site_pages_blocked": site_blocked,
                        "site_pages_rendered_past_challenge": site_rendered,
                        "status": "observed",
                    },
                    confidence=0.95 if blocked else 0.85,
                )
            )
        return items
