"""The render phase of the evidence step: the home page and the top crawled pages by class, in the browser.

Each rendered page gives a `rendered_page` item (DOM size, links, JavaScript globals, requests by host, console
errors, lab Core Web Vitals and page weight), its DOM is matched again by the technology collector, and the home
page gives a `screenshot`. One `render_summary` item says what was rendered, what failed (each failure a data gap),
the third parties a visitor's browser talks to and the site's graded vitals; when rendering was not done it says
why, so the report can say what was not seen.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from techscaniq.domain import EvidenceCategory, EvidenceDraft, EvidenceType, with_article
from techscaniq.evidence.bot_protection import check_response
from techscaniq.evidence.collectors.base import CollectContext, PageClass
from techscaniq.evidence.page_class import classify, priority
from techscaniq.evidence.render.browser import BrowserUnavailable, RenderedPage, Renderer, RenderFailed
from techscaniq.evidence.render.vitals import describe, page_weight, site_vitals
from techscaniq.evidence.urls import canonical_url, registrable_domain

log = logging.getLogger(__name__)

COLLECTOR = "render"
MAX_GLOBALS = 120
MAX_LINKS_KEPT = 100
MAX_HOSTS_KEPT = 100
# The whole phase's time budget: pages not started by then are data gaps, not a longer evidence step.
PHASE_SECONDS = 180.0
# Classes whose rendered page says most about the product and its tags, after the home page.
CLASS_ORDER = (
    PageClass.PRICING,
    PageClass.INTEGRATIONS,
    PageClass.DOCS,
    PageClass.CAREERS,
    PageClass.SECURITY,
    PageClass.CUSTOMERS,
    PageClass.ABOUT,
    PageClass.CONTACT,
    PageClass.STATUS,
    PageClass.OTHER,
    PageClass.BLOG,
    PageClass.PRIVACY,
    PageClass.TERMS,
)


@dataclass(frozen=True)
class RenderCandidate:
    """A crawled page that was served as HTML (not a challenge): one the browser may render."""

    url: str
    page_class: str
    depth: int


def choose_pages(candidates: Sequence[RenderCandidate], home_url: str, limit: int) -> list[str]:
    """The home page, then one page per class in CLASS_ORDER, then the rest by crawl priority; at most `limit`."""
    unique = {c.url: c for c in candidates}
    chosen = [home_url] if limit > 0 else []
    by_class: dict[str, list[RenderCandidate]] = {}
    for candidate in sorted(unique.values(), key=lambda c: (c.depth, priority(c.page_class, c.url), c.url)):
        if candidate.url != home_url:
            by_class.setdefault(candidate.page_class, []).append(candidate)
    rounds = max((len(group) for group in by_class.values()), default=0)
    for index in range(rounds):
        for page_class in (*CLASS_ORDER, *sorted(set(by_class) - set(CLASS_ORDER))):
            group = by_class.get(page_class, [])
            if index < len(group) and len(chosen) < limit:
                chosen.append(group[index].url)
    return chosen[:limit]


@dataclass(frozen=True)
class Challenged:
    """What the static crawl could not see: hosts that answered it with a challenge, and the pages it did see."""

    hosts: frozenset[str] = frozenset()
    seen: frozenset[str] = frozenset()  # pages served to the crawler (not challenged)
    limit: int = 0  # pages the phase may render in all, the continuation included


def links_past_challenge(page: RenderedPage, challenged: Challenged, queued: set[str]) -> list[str]:
    """The rendered page's links the crawler could not see: on a challenged host, not served to it, not queued."""
    found = []
    for link in page.links:
        url = canonical_url(link)
        if url and host_of(url) in challenged.hosts and url not in challenged.seen and url not in queued:
            queued.add(url)
            found.append(url)
    return sorted(found, key=lambda url: (priority(classify(url), url), url))


def render_pages(
    context: CollectContext,
    renderer: Renderer | None,
    urls: Sequence[str],
    on_rendered: Callable[[RenderedPage, bool], None],
    progress: Callable[[int, int], None],
    reason_not_done: str = "",
    challenged: Challenged = Challenged(),
) -> list[EvidenceDraft]:
    """Render the pages one by one; a failure costs only that page. Returns every item of the phase.

    A page on a host that challenged the crawler, which the browser passed, is rendered "past the challenge":
    its links on that host are rendered too (within `challenged.limit`), with the cookies that passed it.
    `on_rendered(page, past_challenge)` gets every rendered page.
    """
    started = time.monotonic()
    if renderer is None:
        return [_summary(context, "not_done", reason_not_done or "rendering is off", [], [], {}, 0.0, "")]
    drafts: list[EvidenceDraft] = []
    rendered: list[str] = []
    past: list[str] = []
    left_behind: list[str] = []  # links behind a passed challenge that the page limit kept from rendering
    failures: list[dict[str, str]] = []
    inventory: dict[str, dict[str, Any]] = {}
    site_domain = context.registrable_domain
    queue = list(urls)
    queued = set(queue)
    limit = max(challenged.limit, len(queue))
    jar: list[dict[str, Any]] = []  # the browser's cookies on challenged hosts, carried from page to page
    index = 0
    while index < len(queue):
        url = queue[index]
        context.checkpoint()
        progress(index, len(queue))
        if time.monotonic() - started > PHASE_SECONDS:
            message = f"the render phase's {PHASE_SECONDS:.0f} s budget was spent"
            failures.extend(
                {"url": left, "code": "render_budget_spent", "message": message} for left in queue[index:]
            )
            break
        index += 1
        behind = host_of(url) in challenged.hosts
        try:
            page = renderer.render(url, context.fetcher, screenshot=index == 1, cookies=jar if behind else ())
        except RenderFailed as failure:
            failures.append({"url": url, "code": failure.code, "message": failure.message[:300]})
            continue
        except BrowserUnavailable as failure:
            failures.append({"url": url, "code": failure.code, "message": failure.message[:300]})
            break
        check = check_response(page.status, page.headers, page.dom)
        if check.challenged:
            # The browser did not pass the challenge either: nothing on the page is the company's.
            message = f"the browser was also answered with {with_article(check.vendor or 'bot-protection')} {check.outcome}"
            failures.append({"url": url, "code": "bot_challenge", "message": message})
            continue
        rendered.append(url)
        passed = behind and url not in challenged.seen
        if behind:
            jar = page.cookie_jar
            new = links_past_challenge(page, challenged, queued)
            room = max(0, limit - len(queue))
            queue += new[:room]
            left_behind += new[room:]
        if passed:
            past.append(url)
        on_rendered(page, passed)
        drafts.append(_page_item(context, page, site_domain))
        if page.screenshot is not None:
            drafts.append(_screenshot_item(context, page))
        _add_to_inventory(inventory, page, site_domain)
    status = "done" if not failures else "partial" if rendered else "failed"
    seconds = round(time.monotonic() - started, 3)
    drafts.append(
        _summary(context, status, "", rendered, failures, inventory, seconds, renderer.version, drafts)
    )
    # Pages the crawler was answered with a challenge for, which the browser passed and rendered.
    drafts[-1].data["past_challenge"] = past
    drafts[-1].data["past_challenge_not_rendered"] = len(left_behind)
    drafts[-1].data["past_challenge_not_rendered_urls"] = left_behind[:MAX_LINKS_KEPT]
    return drafts


def _third_party(host: str, site_domain: str) -> bool:
    return bool(host) and registrable_domain(host) != site_domain


def _requests_by_host(page: RenderedPage) -> dict[str, dict[str, Any]]:
    hosts: dict[str, dict[str, Any]] = {}
    for record in page.requests:
        entry = hosts.setdefault(record.host, {"requests": 0, "bytes": 0, "types": {}, "not_fetched": 0})
        entry["requests"] += 1
        entry["bytes"] += record.bytes
        entry["types"][record.resource_type] = entry["types"].get(record.resource_type, 0) + 1
        if record.outcome != "fulfilled":
            entry["not_fetched"] += 1
    return dict(sorted(hosts.items())[:MAX_HOSTS_KEPT])


def _page_item(context: CollectContext, page: RenderedPage, site_domain: str) -> EvidenceDraft:
    by_host = _requests_by_host(page)
    third = sorted(h for h in by_host if _third_party(h, site_domain))
    names = sorted(page.globals)[:MAX_GLOBALS]
    weight = page_weight(page.requests)
    measured = (
        f" Lab measurement on the scanning machine: {describe(page.vitals)} "
        f"({str(page.vitals['overall'] or 'not graded').replace('_', ' ')}); {weight['bytes'] / 1024:.0f} KiB in "
        f"{weight['requests']} responses."
        if page.vitals
        else ""
    )
    return context.draft(
        COLLECTOR,
        EvidenceType.RENDERED_PAGE,
        EvidenceCategory.PAGES,
        key=page.url,
        title=f"Rendered {page.url}: {len(page.requests)} requests to {len(by_host)} hosts",
        summary=(
            f"In a browser, {page.url} made {len(page.requests)} requests to {len(by_host)} hosts "
            f"({len(third)} third parties) and left {len(page.links)} links and {len(page.globals)} page globals."
            + measured
        ),
        source_url=page.url,
        data={
            "url": page.url,
            "final_url": page.final_url,
            "status": page.status,
            "title": page.title[:300],
            "seconds": page.seconds,
            "dom_bytes": len(page.dom.encode()),
            "link_count": len(page.links),
            "links": page.links[:MAX_LINKS_KEPT],
            "globals": names,
            "global_values": {
                name: page.globals[name] for name in names if not isinstance(page.globals[name], dict)
            },
            "requests": len(page.requests),
            "requests_by_host": by_host,
            "third_party_hosts": third,
            "console_errors": page.console_errors[:20],
            "cookies": sorted(page.cookies)[:50],
            "is_home": page.url == context.root_url,
            "vitals": page.vitals,
            "weight": weight,
            "status_text": "observed",
        },
        confidence=0.9,
    )


def _screenshot_item(context: CollectContext, page: RenderedPage) -> EvidenceDraft:
    assert page.screenshot is not None
    taken = datetime.fromtimestamp(page.taken_at, UTC).isoformat()
    return context.draft(
        COLLECTOR,
        EvidenceType.SCREENSHOT,
        EvidenceCategory.PAGES,
        key="home",
        title=f"Screenshot of {page.url} (above the fold)",
        summary=f"The home page {page.url} as a browser showed it at {taken}, 1280x800, above the fold.",
        source_url=page.url,
        data={
            "url": page.url,
            "taken_at": taken,
            "width": 1280,
            "height": 800,
            "format": "png",
            "bytes": len(page.screenshot),
            "png_base64": base64.b64encode(page.screenshot).decode(),
        },
        confidence=1.0,
    )


def _add_to_inventory(inventory: dict[str, dict[str, Any]], page: RenderedPage, site_domain: str) -> None:
    for host, facts in _requests_by_host(page).items():
        if not _third_party(host, site_domain):
            continue
        entry = inventory.setdefault(host, {"requests": 0, "bytes": 0, "types": {}, "pages": 0})
        entry["requests"] += facts["requests"]
        entry["bytes"] += facts["bytes"]
        entry["pages"] += 1
        for kind, count in facts["types"].items():
            entry["types"][kind] = entry["types"].get(kind, 0) + count


def _summary(
    context: CollectContext,
    status: str,
    reason: str,
    rendered: list[str],
    failures: list[dict[str, str]],
    inventory: dict[str, dict[str, Any]],
    seconds: float,
    browser: str,
    drafts: Sequence[EvidenceDraft] = (),
) -> EvidenceDraft:
    pages = [d.data for d in drafts if d.type == EvidenceType.RENDERED_PAGE]
    vitals = site_vitals(pages, context.root_url)
    if status == "not_done":
        title = f"Pages were not rendered: {reason}"
        summary = (
            f"Rendering was not done ({reason}); technologies that appear only when a browser runs the page "
            "(tags loaded by a tag manager, client-rendered content) and lab Core Web Vitals were not seen."
        )
    else:
        title = f"Rendered {len(rendered)} pages in a browser ({len(failures)} failed)"
        summary = (
            f"{len(rendered)} pages were rendered in headless Chromium {browser}; {len(failures)} failed; "
            f"the visitor's browser talked to {len(inventory)} third-party hosts."
        )
        summary += _vitals_sentence(vitals)
    return context.draft(
        COLLECTOR,
        EvidenceType.RENDER_SUMMARY,
        EvidenceCategory.PAGES,
        key="render",
        title=title,
        summary=summary,
        source_url=context.root_url,
        data={
            "status": status,
            "reason": reason or None,
            "pages_rendered": len(rendered),
            "pages_failed": len(failures),
            "rendered": rendered,
            "failures": failures,
            "browser": browser or None,
            "seconds": seconds,
            "third_parties": dict(
                sorted(inventory.items(), key=lambda kv: (-kv[1]["requests"], kv[0]))[:MAX_HOSTS_KEPT]
            ),
            "third_party_count": len(inventory),
            "vitals": vitals,
        },
        confidence=1.0,
    )


def _vitals_sentence(vitals: dict[str, Any] | None) -> str:
    if vitals is None or not vitals["pages_measured"]:
        return " No page recorded Core Web Vitals."
    home = vitals["home"]
    said = " Lab measurement on the scanning machine (one unthrottled load per page, not real visitors): "
    if home is not None:
        said += f"home page {describe(home)}; "
    grade = str(vitals["overall"] or "not graded").replace("_", " ")
    return said + f"median over {vitals['pages_measured']} pages {describe(vitals['median'])} ({grade})."


def host_of(url: str) -> str:
    """The lower-case host of a URL."""
    return (urlsplit(url).hostname or "").lower()
