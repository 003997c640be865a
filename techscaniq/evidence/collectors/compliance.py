"""Compliance and trust evidence (docs/evidence.md §7): framework claims with their sentence, policies,
subprocessors, cookie consent, trust centre, status page (with its Statuspage JSON), disclosure and SLA claims.
"""

from __future__ import annotations

import functools
import json
import re
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from techscaniq.domain import EvidenceCategory, EvidenceDraft, EvidenceType
from techscaniq.evidence.collectors.base import (
    BaseCollector,
    CollectContext,
    CrawledPage,
    PageClass,
    register,
)
from techscaniq.evidence.collectors.pages import (
    HEADING_TAGS,
    attr,
    block_texts,
    clean_text,
    mailto_addresses,
    node_text,
    page_links,
    parsed,
    sentences,
)
from techscaniq.evidence.fetch import FetchResult, ResourceKind
from techscaniq.evidence.urls import in_site, url_host, url_origin, url_path

MAX_SENTENCE_CHARS = 500
MAX_CLAIMS_PER_FRAMEWORK = 12
MAX_DISCLAIMERS = 20
MAX_SUBPROCESSORS = 200
MAX_INCIDENTS_LISTED = 20
MAX_URLS = 20
MIN_UPTIME_PERCENT = 90.0

CONFIDENCE_TRUST_CENTRE = 0.9
CONFIDENCE_SECURITY_PAGE = 0.8
CONFIDENCE_MARKETING = 0.7
CONFIDENCE_BADGE = 0.6


@dataclass(frozen=True)
class Framework:
    """A compliance framework: its key, display name and the pattern that names it."""

    key: str
    name: str
    pattern: re.Pattern[str]


FRAMEWORKS = (
    Framework("soc2", "SOC 2", re.compile(r"\bSOC[\s-]?2\b(?:®)?(?:\s*[,(:-]?\s*Type\s*(II|2|I|1)\b)?")),
    Framework("iso27001", "ISO/IEC 27001", re.compile(r"\bISO(?:/IEC)?[\s-]*27001\b")),
    Framework("iso27017", "ISO/IEC 27017", re.compile(r"\bISO(?:/IEC)?[\s-]*27017\b")),
    Framework("iso27018", "ISO/IEC 27018", re.compile(r"\bISO(?:/IEC)?[\s-]*27018\b")),
    Framework("iso27701", "ISO/IEC 27701", re.compile(r"\bISO(?:/IEC)?[\s-]*27701\b")),
    Framework("hipaa", "HIPAA", re.compile(r"\bHIPAA\b")),
    Framework("pci-dss", "PCI DSS", re.compile(r"\bPCI[\s-]?DSS\b(?:[^.]*?\bLevel\s*([1-4])\b)?")),
    Framework("gdpr", "GDPR", re.compile(r"\bGDPR\b|General Data Protection Regulation")),
    Framework("ccpa", "CCPA/CPRA", re.compile(r"\bCCPA\b|\bCPRA\b|California Consumer Privacy Act")),
    Framework("fedramp", "FedRAMP", re.compile(r"\bFedRAMP\b(?:\s+(Low|Moderate|High)\b)?")),
    Framework("hitrust", "HITRUST", re.compile(r"\bHITRUST\b")),
    Framework("csa-star", "CSA STAR", re.compile(r"\bCSA\s+STAR\b")),
    Framework("cyber-essentials", "Cyber Essentials", re.compile(r"\bCyber Essentials(?: Plus)?\b")),
    Framework("tisax", "TISAX", re.compile(r"\bTISAX\b")),
)
FRAMEWORK_NAMES = {f.key: f.name for f in FRAMEWORKS}
# A cheap test run before sentence splitting: most blocks name no framework at all.
_ANY_FRAMEWORK = re.compile(
    r"SOC|ISO|HIPAA|PCI|GDPR|General Data|CCPA|CPRA|California Consumer|FedRAMP|HITRUST|CSA|Cyber Essentials|TISAX"
)
# A claim is a clause stating what the company has; these words in the same clause make it a disclaimer or a plan.
_NEGATION = re.compile(
    r"\b(?:not|no|never|neither|nor|cannot|none|nothing)\b|n't\b|\b(?:working|work)\s+towards?\b|\bpursuing\b"
    r"|\bin progress\b|\bplan(?:s|ned)? to\b|\bintend(?:s)? to\b|\bexpect(?:s)? to\b|\broadmap\b"
    r"|\bin the process of\b|\bunderway\b|\bupcoming\b",
    re.IGNORECASE,
)
_HARMLESS_NEGATION = re.compile(r"\b(?:no|without|zero)\s+(?:exceptions?|findings?|qualifications?)\b", re.I)
_CLAUSE_SPLIT = re.compile(r"[;,]\s+|\s+(?:and|but|while|whereas|although|however)\s+", re.IGNORECASE)
_REQUESTABLE = re.compile(r"\brequest(?:ed|able)?\b[^.]*\b(?:report|certificate|attestation|letter)\b", re.I)
_REQUESTABLE_REVERSED = re.compile(r"\b(?:report|certificate|attestation)\b[^.]*\b(?:request|NDA)\b", re.I)

TRUST_PLATFORMS = (
    ("SafeBase", re.compile(r"(?:^|\.)safebase\.io$")),
    ("Vanta", re.compile(r"(?:^|\.)vanta\.com$")),
    ("Drata", re.compile(r"(?:^|\.)drata\.com$")),
    ("Whistic", re.compile(r"(?:^|\.)whistic\.com$")),
    ("Conveyor", re.compile(r"(?:^|\.)conveyor\.com$")),
    ("Secureframe", re.compile(r"(?:^|\.)secureframe\.com$")),
)
STATUS_PLATFORMS = (
    ("Atlassian Statuspage", re.compile(r"(?:^|\.)statuspage\.io$")),
    ("Instatus", re.compile(r"(?:^|\.)instatus\.com$")),
    ("Better Stack", re.compile(r"(?:^|\.)(?:betteruptime|betterstack)\.com$")),
    ("status.io", re.compile(r"(?:^|\.)status\.io$")),
)
CONSENT_PLATFORMS = (
    ("onetrust", "OneTrust", ("cdn.cookielaw.org", "optanon", "onetrust.com")),
    ("cookiebot", "Cookiebot", ("consent.cookiebot.com", "cookiebot.com")),
    ("osano", "Osano", ("cmp.osano.com",)),
    ("trustarc", "TrustArc", ("consent.trustarc.com", "truste.com")),
    ("usercentrics", "Usercentrics", ("usercentrics.eu", "usercentrics.com")),
    ("didomi", "Didomi", ("sdk.privacy-center.org", "didomi")),
    ("termly", "Termly", ("app.termly.io",)),
    ("iubenda", "iubenda", ("cdn.iubenda.com",)),
    ("cookieyes", "CookieYes", ("cdn-cookieyes.com",)),
    ("quantcast-choice", "Quantcast Choice", ("cmp.quantcast.com", "quantcast.mgr.consensu.org")),
)
DISCLOSURE_PLATFORMS = (
    ("HackerOne", "hackerone.com"),
    ("Bugcrowd", "bugcrowd.com"),
    ("Intigriti", "intigriti.com"),
    ("YesWeHack", "yeswehack.com"),
)
_UPTIME = re.compile(r"(\d{2,3}(?:\.\d+)?)\s?%")
_UPTIME_WORDS = re.compile(r"\b(?:uptime|availability|available|SLA)\b", re.IGNORECASE)
_SLA_WORDS = re.compile(r"\bSLA\b|service level|guarantee|service credits?|commit", re.IGNORECASE)
_UPDATED = re.compile(
    r"\b(?:last\s+updated|last\s+modified|last\s+revised|effective(?:\s+date)?|updated)\s*(?:on)?\s*:?\s*"
    r"(\d{4}-\d{2}-\d{2}|[A-Z][a-z]+\.? \d{1,2},? \d{4}|\d{1,2} [A-Z][a-z]+\.? \d{4})",
    re.IGNORECASE,
)
_ENTITY = re.compile(
    r"\bbetween\s+(?:you|the customer|customer|the subscriber)[^.]*?\s+and\s+"
    r"([A-Z][\w&'.-]*(?:\s+[A-Z][\w&'.-]*)*,?\s+(?:Inc|LLC|L\.L\.C|Ltd|Limited|GmbH|Corp|Corporation|B\.V|"
    r"S\.A|plc|AG|SAS|Pty Ltd|S\.L|SE|AB|Oy|ApS)\b\.?)"
)
_GOVERNING_LAW = re.compile(r"governed by the laws? of ([^.,;]+)", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d", "%B %d, %Y", "%B %d %Y", "%b %d, %Y", "%b. %d, %Y", "%d %B %Y", "%d %b %Y")


def parse_date(text: str) -> str | None:
    """An ISO date from the common written forms ("2025-07-06", "July 6, 2025", "6 July 2025"), else None."""
    text = clean_text(text.replace(",", ", ")).replace(" ,", ",")
    candidates = {text, text.replace(",", ""), text[:10]}
    for candidate in candidates:
        for fmt in _DATE_FORMATS:
            try:
                return datetime.strptime(candidate.strip(), fmt).date().isoformat()
            except ValueError:
                continue
    return None


def is_negated(sentence: str, start: int, end: int) -> bool:
    """True when the clause holding sentence[start:end] negates or defers the claim."""
    clause_start, clause_end = 0, len(sentence)
    for match in _CLAUSE_SPLIT.finditer(sentence):
        if match.end() <= start:
            clause_start = match.end()
        elif match.start() >= end:
            clause_end = match.start()
            break
    clause = _HARMLESS_NEGATION.sub("", sentence[clause_start:clause_end])
    return bool(_NEGATION.search(clause))


def framework_mentions(sentence: str) -> list[tuple[Framework, str | None, bool]]:
    """(framework, detail such as "Type II", negated?) for each framework the sentence names."""
    found: list[tuple[Framework, str | None, bool]] = []
    for framework in FRAMEWORKS:
        matches = list(framework.pattern.finditer(sentence))
        if not matches:
            continue
        detail = next((m.group(1) for m in matches if m.groups() and m.group(1)), None)
        negated = all(is_negated(sentence, m.start(), m.end()) for m in matches)
        found.append((framework, _detail(framework, detail), negated))
    return found


def _detail(framework: Framework, raw: str | None) -> str | None:
    if raw is None:
        return None
    if framework.key == "soc2":
        return "Type II" if raw.upper() in {"II", "2"} else "Type I"
    if framework.key == "pci-dss":
        return f"Level {raw}"
    return raw


@functools.lru_cache(maxsize=4096)
def trust_platform(host: str) -> str | None:
    """The hosted trust-centre vendor of a host, if any."""
    return next((name for name, pattern in TRUST_PLATFORMS if pattern.search(host)), None)


def is_trust_centre(page: CrawledPage, registrable_domain: str) -> bool:
    """Trust centre: a trust./security. host of the company, a /trust path, or a hosted trust platform."""
    host, path = page.host.lower(), url_path(page.url)
    if in_site(host, registrable_domain) and host.split(".")[0] in {"trust", "trustcenter", "security"}:
        return True
    if path.rstrip("/") in {"/trust", "/trust-center", "/trust-centre", "/trustcenter"}:
        return True
    return trust_platform(host) is not None and "/trust" in path


def status_origin(url: str, registrable_domain: str) -> str | None:
    """The origin of a status page URL (status.<company> or a hosted status platform), else None."""
    host = url_host(url)
    if in_site(host, registrable_domain) and host.split(".")[0] == "status":
        return url_origin(url)
    if any(pattern.search(host) for _, pattern in STATUS_PLATFORMS):
        return url_origin(url)
    return None


def claim_confidence(page: CrawledPage, sentence: str, trust_centre: bool) -> tuple[float, str]:
    """Confidence and page kind of a claim sentence (docs/evidence.md §7)."""
    if trust_centre:
        return CONFIDENCE_TRUST_CENTRE, "trust centre"
    if _REQUESTABLE.search(sentence) or _REQUESTABLE_REVERSED.search(sentence):
        return CONFIDENCE_TRUST_CENTRE, "requestable report"
    if page.page_class == PageClass.SECURITY:
        return CONFIDENCE_SECURITY_PAGE, "security page"
    if page.page_class in {PageClass.PRIVACY, PageClass.TERMS}:
        return CONFIDENCE_SECURITY_PAGE, "policy document"
    return CONFIDENCE_MARKETING, "marketing copy"


def policy_kind(page: CrawledPage) -> str | None:
    """Which policy document a page is (privacy, terms, dpa, cookie_policy, accessibility), if any."""
    path = url_path(page.url)
    if "subprocessor" in path or "sub-processor" in path:
        return None
    if "cookie" in path:
        return "cookie_policy"
    if re.search(r"(?:^|/|-)dpa(?:$|/|-)|data-processing", path):
        return "dpa"
    if "accessibility" in path or "vpat" in path:
        return "accessibility"
    if page.page_class == PageClass.PRIVACY or "privacy" in path:
        return "privacy"
    if re.search(r"(?:^|/)(?:terms|tos|msa|eula)(?:$|/|-|\.)|terms-of|service-agreement", path):
        return "terms"
    return None


@functools.lru_cache(maxsize=4096)  # every page loads the same scripts
def _consent_platforms_of(script_src: str) -> frozenset[str]:
    return frozenset(key for key, _, markers in CONSENT_PLATFORMS if any(m in script_src for m in markers))


@register("compliance")
class ComplianceCollector(BaseCollector):
    """Compliance claims, policies, subprocessors, consent, trust centre, status page, disclosure, SLA."""

    name = "compliance"

    def __init__(self, now: date | datetime | None = None) -> None:
        self._now = as_of(now)
        self._claims: dict[str, list[dict[str, Any]]] = {}
        self._disclaimers: list[dict[str, Any]] = []
        self._trust: dict[str, Any] = {}
        self._status: dict[str, Any] = {}
        self._disclosure: dict[str, Any] = {"policies": [], "platforms": {}, "contacts": []}

    # -- pages ----------------------------------------------------------------------------------------------

    def on_page(self, page: CrawledPage, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Per-page items (policies, subprocessors, consent, SLA) and the facts finish() aggregates."""
        tree = parsed(page)
        if tree is None or page.status is None or page.status >= 400:
            return []
        own = in_site(page.host, context.registrable_domain)
        trust_centre = is_trust_centre(page, context.registrable_domain)
        items: list[EvidenceDraft] = []
        if own or trust_centre:
            self._collect_claims(page, tree, trust_centre)
            items.extend(self._sla_claims(page, tree, context))
        if own:
            items.extend(self._policy(page, tree, context))
            items.extend(self._subprocessors(page, tree, context))
        items.extend(self._consent(page, tree, context))
        self._note_trust_and_status(page, tree, context, trust_centre)
        if own:
            self._note_disclosure(page, tree)
        return items

    def _collect_claims(self, page: CrawledPage, tree: LexborHTMLParser, trust_centre: bool) -> None:
        for node, text in block_texts(tree):
            if node.tag in HEADING_TAGS or not _ANY_FRAMEWORK.search(text):
                continue
            for sentence in sentences(text):
                if sentence.endswith("?"):
                    continue
                for framework, detail, negated in framework_mentions(sentence):
                    if negated:
                        self._disclaim(framework, sentence, page.url)
                        continue
                    confidence, source = claim_confidence(page, sentence, trust_centre)
                    self._add_claim(framework, detail, sentence, page.url, confidence, source)
        for img in tree.css("img[alt], img[src]"):
            label = " ".join(filter(None, (attr(img, "alt"), attr(img, "title"))))
            badge_text = f"{label} {attr(img, 'src')}"
            for framework, detail, negated in framework_mentions(badge_text.replace("-", " ")):
                if not negated:
                    sentence = label or attr(img, "src")
                    self._add_claim(framework, detail, sentence, page.url, CONFIDENCE_BADGE, "badge image")

    def _add_claim(
        self,
        framework: Framework,
        detail: str | None,
        sentence: str,
        url: str,
        confidence: float,
        source: str,
    ) -> None:
        claims = self._claims.setdefault(framework.key, [])
        sentence = sentence[:MAX_SENTENCE_CHARS]
        if any(c["sentence"] == sentence and c["url"] == url for c in claims):
            return
        if len(claims) >= MAX_CLAIMS_PER_FRAMEWORK:
            weakest = min(range(len(claims)), key=lambda i: claims[i]["confidence"])
            if claims[weakest]["confidence"] >= confidence:
                return
            claims.pop(weakest)
        claims.append(
            {"sentence": sentence, "url": url, "confidence": confidence, "source": source, "detail": detail}
        )

    def _disclaim(self, framework: Framework, sentence: str, url: str) -> None:
        entry = {"framework": framework.name, "sentence": sentence[:MAX_SENTENCE_CHARS], "url": url}
        if entry not in self._disclaimers and len(self._disclaimers) < MAX_DISCLAIMERS:
            self._disclaimers.append(entry)

    def _sla_claims(
        self, page: CrawledPage, tree: LexborHTMLParser, context: CollectContext
    ) -> list[EvidenceDraft]:
        items: list[EvidenceDraft] = []
        for _, text in block_texts(tree):
            if "%" not in text:
                continue
            for sentence in sentences(text):
                if not _UPTIME_WORDS.search(sentence):
                    continue
                for match in _UPTIME.finditer(sentence):
                    percent = float(match.group(1))
                    if not MIN_UPTIME_PERCENT <= percent < 100.0:
                        continue
                    kind = "sla" if _SLA_WORDS.search(sentence) else "reported_uptime"
                    label = "uptime SLA" if kind == "sla" else "reported uptime"
                    items.append(
                        context.draft(
                            self.name,
                            EvidenceType.SLA_CLAIM,
                            EvidenceCategory.COMPLIANCE,
                            key=f"{kind}:{match.group(1)}",
                            title=f"{match.group(1)}% {label}",
                            summary=f"{page.url} states a {match.group(1)}% {label}.",
                            source_url=page.url,
                            data={
                                "kind": kind,
                                "percent": percent,
                                "text": f"{match.group(1)}%",
                                "sentence": sentence[:MAX_SENTENCE_CHARS],
                            },
                            confidence=0.8,
                        )
                    )
        return items

    def _policy(
        self, page: CrawledPage, tree: LexborHTMLParser, context: CollectContext
    ) -> list[EvidenceDraft]:
        kind = policy_kind(page)
        if kind is None or url_path(page.url).rstrip("/") in {"/legal", ""}:
            return []
        text = node_text(tree.body) if tree.body is not None else ""
        data: dict[str, Any] = {"kind": kind, "url": page.url, "last_updated": _last_updated(tree, text)}
        labels = {
            "privacy": "Privacy policy",
            "terms": "Terms of service",
            "dpa": "Data Processing Addendum",
            "cookie_policy": "Cookie policy",
            "accessibility": "Accessibility statement",
        }
        summary = f"{labels[kind]} published at {page.url}"
        if kind == "privacy":
            data["gdpr_section"] = bool(re.search(r"\bGDPR\b|General Data Protection", text))
            data["ccpa_section"] = bool(re.search(r"\bCCPA\b|\bCPRA\b|California", text))
            data["do_not_sell"] = bool(re.search(r"do not sell", text, re.IGNORECASE))
            sections = [n for n, flag in (("GDPR", "gdpr_section"), ("CCPA", "ccpa_section")) if data[flag]]
            if sections:
                summary += f" with {' and '.join(sections)} sections"
        elif kind == "terms":
            for sentence in (s for _, block in block_texts(tree) for s in sentences(block)):
                match = _ENTITY.search(sentence)
                if match and "contracting_entity" not in data:
                    data["contracting_entity"] = match.group(1).strip()
                    data["entity_sentence"] = sentence[:MAX_SENTENCE_CHARS]
                law = _GOVERNING_LAW.search(sentence)
                if law and "governing_law" not in data:
                    data["governing_law"] = clean_text(law.group(1))
            if data.get("contracting_entity"):
                summary += f"; the contracting entity is {data['contracting_entity']}"
        elif kind == "dpa":
            data["standard_contractual_clauses"] = "Standard Contractual Clauses" in text
        elif kind == "cookie_policy":
            named = [name for _, name, _ in CONSENT_PLATFORMS if name in text]
            data["consent_platform_named"] = named[0] if named else None
            data["cookies_listed"] = len(tree.css("tbody tr"))
        if data["last_updated"]:
            summary += f" (last updated {data['last_updated']})"
        return [
            context.draft(
                self.name,
                EvidenceType.POLICY,
                EvidenceCategory.COMPLIANCE,
                key=kind,
                title=labels[kind],
                summary=summary + ".",
                source_url=page.url,
                data=data,
                confidence=0.9,
            )
        ]

    def _subprocessors(
        self, page: CrawledPage, tree: LexborHTMLParser, context: CollectContext
    ) -> list[EvidenceDraft]:
        path = url_path(page.url)
        title = tree.css_first("title")
        heading = node_text(title) if title is not None else ""
        if not re.search(r"sub-?processor", path + " " + heading, re.IGNORECASE):
            return []
        entries = _subprocessor_rows(tree)
        if not entries:
            return []
        regions = sorted(
            {part.strip() for e in entries for part in (e.get("location") or "").split(",") if part.strip()}
        )
        names = [e["name"] for e in entries]
        return [
            context.draft(
                self.name,
                EvidenceType.SUBPROCESSORS,
                EvidenceCategory.COMPLIANCE,
                key="subprocessors",
                title=f"{len(entries)} subprocessors listed",
                summary=f"The subprocessor list names {len(entries)} subprocessors in {len(regions)} regions.",
                source_url=page.url,
                data={"count": len(entries), "names": names, "regions": regions, "entries": entries},
                confidence=0.9,
            )
        ]

    def _consent(
        self, page: CrawledPage, tree: LexborHTMLParser, context: CollectContext
    ) -> list[EvidenceDraft]:
        sources = [attr(node, "src").lower() for node in tree.css("script[src]")]
        inline = " ".join(node.text()[:2000].lower() for node in tree.css("script:not([src])"))
        items: list[EvidenceDraft] = []
        for key, name, _ in CONSENT_PLATFORMS:
            hit = next((src for src in sources if key in _consent_platforms_of(src)), None)
            if hit is None and key == "onetrust" and "optanonwrapper" in inline:
                hit = "OptanonWrapper()"
            if hit is None:
                continue
            items.append(
                context.draft(
                    self.name,
                    EvidenceType.COOKIE_CONSENT,
                    EvidenceCategory.COMPLIANCE,
                    key=key,
                    title=f"Cookie consent by {name}",
                    summary=f"The site loads the {name} consent platform.",
                    source_url=page.url,
                    data={"platform": name, "evidence": hit[:MAX_SENTENCE_CHARS]},
                    confidence=0.9,
                )
            )
        return items

    def _note_trust_and_status(
        self, page: CrawledPage, tree: LexborHTMLParser, context: CollectContext, trust_centre: bool
    ) -> None:
        domain = context.registrable_domain
        if trust_centre and not self._trust.get("fetched"):
            self._trust = {
                **self._trust,
                "url": page.url,
                "fetched": True,
                "platform": trust_platform(page.host),
                "requestable_documents": bool(
                    _REQUESTABLE.search(node_text(tree.body)) if tree.body is not None else False
                ),
            }
        status_root = status_origin(page.url, domain)
        if status_root is not None or page.page_class == PageClass.STATUS:
            text = node_text(tree.body) if tree.body is not None else ""
            root = status_root or url_origin(page.url)
            if not self._status.get("fetched"):
                self._status = {"origin": root, "url": page.url, "fetched": True}
            if "Atlassian Statuspage" in text:
                self._status["provider"] = "Atlassian Statuspage"
            uptime = re.search(r"uptime[^.%]*?(\d{2,3}(?:\.\d+)?)\s?%", text, re.IGNORECASE)
            if uptime and "uptime_claim" not in self._status:
                self._status["uptime_claim"] = f"{uptime.group(1)}%"
        for url, text in page_links(tree, page.url):
            host = url_host(url)
            if not self._trust.get("url") and (
                re.search(r"trust cent(?:er|re)", text, re.IGNORECASE)
                or (in_site(host, domain) and host.split(".")[0] == "trust")
            ):
                self._trust = {**self._trust, "url": url, "fetched": False, "linked_from": page.url}
            platform = trust_platform(host)
            if platform and platform not in self._trust.get("vendors", []):
                self._trust.setdefault("vendors", []).append(platform)
            if not self._status.get("origin"):
                found = status_origin(url, domain)
                if found is not None:
                    self._status = {"origin": found, "url": url, "fetched": False, "linked_from": page.url}

    def _note_disclosure(self, page: CrawledPage, tree: LexborHTMLParser) -> None:
        state = self._disclosure
        path = url_path(page.url)
        title_node = tree.css_first("title")
        title = node_text(title_node) if title_node is not None else ""
        text = node_text(tree.body) if tree.body is not None else ""
        if re.search(r"disclosure|bug-?bounty|vulnerabilit", path + " " + title, re.IGNORECASE):
            if page.url not in state["policies"] and len(state["policies"]) < MAX_URLS:
                state["policies"].append(page.url)
            if re.search(r"safe harbou?r", text, re.IGNORECASE):
                state["safe_harbour"] = True
        if re.search(r"bug bounty", text, re.IGNORECASE):
            state["bug_bounty"] = True
            state["bug_bounty_source"] = state.get("bug_bounty_source") or page.url
            if re.search(r"private bug bounty", text, re.IGNORECASE):
                state["bug_bounty_private"] = True
        for url, _ in page_links(tree, page.url):
            host = url_host(url)
            for name, domain in DISCLOSURE_PLATFORMS:
                if (host == domain or host.endswith("." + domain)) and name not in state["platforms"]:
                    state["platforms"][name] = url
        for address in mailto_addresses(tree):
            local = address.split("@", 1)[0]
            security_local = local in {"security", "psirt", "vulnerability", "vulnerabilities", "disclosure"}
            if security_local and address not in state["contacts"]:
                state["contacts"].append(address)
                state["contact_source"] = state.get("contact_source") or page.url

    # -- site level -----------------------------------------------------------------------------------------

    def finish(self, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Claims per framework, the trust centre, disclosure programme and status page (fetching its JSON)."""
        items = [self._claim_item(key, claims, context) for key, claims in self._claims.items() if claims]
        if self._trust.get("url"):
            items.append(self._trust_item(context))
        disclosure = self._disclosure_item(context)
        if disclosure is not None:
            items.append(disclosure)
        if self._status.get("origin"):
            items.append(self._status_item(context))
        return items

    def _claim_item(self, key: str, claims: list[dict[str, Any]], context: CollectContext) -> EvidenceDraft:
        ranked = sorted(claims, key=lambda c: -c["confidence"])
        best = ranked[0]
        details = sorted({c["detail"] for c in claims if c["detail"]})
        name = FRAMEWORK_NAMES[key]
        if key == "soc2" and details:
            name = f"SOC 2 {'Type II' if 'Type II' in details else details[0]}"
        elif key == "pci-dss" and details:
            name = f"PCI DSS {details[0]}"
        pages = len({c["url"] for c in claims})
        return context.draft(
            self.name,
            EvidenceType.COMPLIANCE_CLAIM,
            EvidenceCategory.COMPLIANCE,
            key=key,
            title=f"{name} claimed",
            summary=f'The {best["source"]} states: "{best["sentence"]}"'[:MAX_SENTENCE_CHARS],
            source_url=best["url"],
            data={
                "framework": FRAMEWORK_NAMES[key],
                "name": name,
                "details": details,
                "sentence": best["sentence"],
                "url": best["url"],
                "source": best["source"],
                "pages": pages,
                "claims": ranked,
            },
            confidence=best["confidence"],
        )

    def _trust_item(self, context: CollectContext) -> EvidenceDraft:
        trust = self._trust
        frameworks = sorted(
            {
                FRAMEWORK_NAMES[key]
                for key, claims in self._claims.items()
                for c in claims
                if c["url"] == trust["url"]
            }
        )
        summary = f"A trust centre is published at {trust['url']}"
        if frameworks:
            summary += f", listing {', '.join(frameworks)}"
        return context.draft(
            self.name,
            EvidenceType.TRUST_CENTER,
            EvidenceCategory.COMPLIANCE,
            key="trust_center",
            title="Trust centre",
            summary=summary + ".",
            source_url=trust["url"] if trust.get("fetched") else trust.get("linked_from", trust["url"]),
            data={
                "url": trust["url"],
                "fetched": bool(trust.get("fetched")),
                "platform": trust.get("platform"),
                "vendors": trust.get("vendors", []),
                "frameworks_listed": frameworks,
                "requestable_documents": bool(trust.get("requestable_documents")),
                "disclaimed": list(self._disclaimers),
            },
            confidence=0.9 if trust.get("fetched") else 0.75,
        )

    def _disclosure_item(self, context: CollectContext) -> EvidenceDraft | None:
        state = self._disclosure
        if not (state["policies"] or state["platforms"] or state["contacts"] or state.get("bug_bounty")):
            return None
        parts = []
        if state["policies"]:
            parts.append("a disclosure policy")
        if state.get("bug_bounty"):
            parts.append("a private bug bounty" if state.get("bug_bounty_private") else "a bug bounty")
        if state["platforms"]:
            parts.append("a programme on " + ", ".join(state["platforms"]))
        if state["contacts"]:
            parts.append(f"the contact {state['contacts'][0]}")
        source = (
            state["policies"][0]
            if state["policies"]
            else state.get("bug_bounty_source") or state.get("contact_source") or context.root_url
        )
        return context.draft(
            self.name,
            EvidenceType.DISCLOSURE_PROGRAM,
            EvidenceCategory.COMPLIANCE,
            key="disclosure_program",
            title="Vulnerability disclosure programme",
            summary=f"The company publishes {', '.join(parts)}.",
            source_url=source,
            data={
                "policy_urls": list(state["policies"]),
                "platforms": dict(state["platforms"]),
                "contacts": list(state["contacts"]),
                "bug_bounty": bool(state.get("bug_bounty")),
                "bug_bounty_private": bool(state.get("bug_bounty_private")),
                "safe_harbour": bool(state.get("safe_harbour")),
            },
            confidence=0.85,
        )

    def _status_item(self, context: CollectContext) -> EvidenceDraft:
        status = self._status
        root = status["origin"]
        summary_fetch = context.fetcher.fetch(root + "/api/v2/summary.json", ResourceKind.JSON)
        incidents_fetch = context.fetcher.fetch(root + "/api/v2/incidents.json", ResourceKind.JSON)
        summary_doc = _json_object(summary_fetch)
        incidents_doc = _json_object(incidents_fetch)
        data: dict[str, Any] = {
            "url": status.get("url"),
            "origin": root,
            "fetched_page": bool(status.get("fetched")),
            "provider": status.get("provider"),
            "uptime_claim": status.get("uptime_claim"),
            "api": {
                "summary": _fetch_outcome(summary_fetch, summary_doc),
                "incidents": _fetch_outcome(incidents_fetch, incidents_doc),
            },
        }
        sentence = f"A status page is published at {status.get('url') or root}"
        if summary_doc is not None:
            data["provider"] = data["provider"] or "Atlassian Statuspage"
            components = [
                {"name": str(c.get("name")), "status": str(c.get("status"))}
                for c in summary_doc.get("components") or []
                if isinstance(c, dict) and not c.get("group")
            ]
            indicator = summary_doc.get("status") or {}
            data.update(
                components=components,
                component_count=len(components),
                indicator=indicator.get("indicator") if isinstance(indicator, dict) else None,
                description=indicator.get("description") if isinstance(indicator, dict) else None,
            )
            sentence += f" with {len(components)} components"
        if incidents_doc is not None:
            data.update(self._incident_history(incidents_doc))
            sentence += (
                f" and {data['incidents_last_365_days']} incidents in the last 365 days"
                f" ({data['incidents_last_90_days']} in the last 90)"
            )
        return context.draft(
            self.name,
            EvidenceType.STATUS_PAGE,
            EvidenceCategory.COMPLIANCE,
            key="status_page",
            title="Public status page",
            summary=sentence + ".",
            source_url=status.get("url") or root,
            data=data,
            confidence=0.9 if summary_doc is not None or status.get("fetched") else 0.75,
        )

    def _incident_history(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        now = self._now or datetime.now(UTC)
        incidents = [i for i in doc.get("incidents") or [] if isinstance(i, dict)]
        listed: list[dict[str, Any]] = []
        durations: list[float] = []
        last_90 = last_365 = 0
        impacts: dict[str, int] = {}
        for incident in incidents:
            started = _timestamp(incident.get("started") or incident.get("created_at"))
            resolved = _timestamp(incident.get("resolved") or incident.get("resolved_at"))
            impact = str(incident.get("impact") or "unknown")
            impacts[impact] = impacts.get(impact, 0) + 1
            if started is not None:
                age = now - started
                last_90 += age <= timedelta(days=90)
                last_365 += age <= timedelta(days=365)
                if resolved is not None and resolved >= started:
                    durations.append((resolved - started).total_seconds() / 60.0)
            if len(listed) < MAX_INCIDENTS_LISTED:
                listed.append(
                    {
                        "name": str(incident.get("name") or "")[:200],
                        "impact": impact,
                        "started": started.isoformat() if started else None,
                        "resolved": resolved.isoformat() if resolved else None,
                    }
                )
        starts = [i["started"] for i in listed if i["started"]]
        return {
            "incidents_total": len(incidents),
            "incidents_last_90_days": last_90,
            "incidents_last_365_days": last_365,
            "incidents_by_impact": impacts,
            "median_resolution_minutes": round(statistics.median(durations), 1) if durations else None,
            "latest_incident": max(starts) if starts else None,
            "incidents": listed,
        }

    # -- checkpoints ----------------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Claims per framework, disclaimers, trust/status/disclosure facts (all bounded)."""
        return {
            "claims": self._claims,
            "disclaimers": self._disclaimers,
            "trust": self._trust,
            "status": self._status,
            "disclosure": self._disclosure,
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Load the checkpointed facts."""
        self._claims = {str(k): list(v) for k, v in (state.get("claims") or {}).items()}
        self._disclaimers = list(state.get("disclaimers") or [])
        self._trust = dict(state.get("trust") or {})
        self._status = dict(state.get("status") or {})
        disclosure = dict(state.get("disclosure") or {})
        self._disclosure = {"policies": [], "platforms": {}, "contacts": [], **disclosure}


def _last_updated(tree: LexborHTMLParser, text: str) -> str | None:
    for node in tree.css("time[datetime]"):
        parent = node.parent
        context_text = node_text(parent) if parent is not None else ""
        if re.search(r"updated|effective|revised|modified", context_text, re.IGNORECASE):
            found = parse_date(attr(node, "datetime")[:10])
            if found:
                return found
    match = _UPDATED.search(text)
    return parse_date(match.group(1)) if match else None


def _subprocessor_rows(tree: LexborHTMLParser) -> list[dict[str, str]]:
    entries: list[dict[str, str]] = []
    for table in tree.css("table"):
        header_row = next((row for row in table.css("tr") if row.css_first("th") is not None), None)
        headers = [node_text(th).lower() for th in header_row.css("th")] if header_row is not None else []
        location_col = next(
            (i for i, h in enumerate(headers) if re.search(r"location|region|country", h)), None
        )
        purpose_col = next(
            (i for i, h in enumerate(headers) if re.search(r"purpose|service|function|activit", h)), None
        )
        for row in table.css("tr"):
            cells = [node_text(td) for td in row.css("td")]
            if not cells or not cells[0]:
                continue
            entry = {"name": cells[0][:200]}
            if location_col is not None and location_col < len(cells):
                entry["location"] = cells[location_col][:200]
            if purpose_col is not None and purpose_col < len(cells):
                entry["purpose"] = cells[purpose_col][:200]
            entries.append(entry)
            if len(entries) >= MAX_SUBPROCESSORS:
                return entries
    return entries


def _json_object(result: FetchResult) -> dict[str, Any] | None:
    if not result.ok or not result.body:
        return None
    try:
        doc = json.loads(result.body)
    except (ValueError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) else None


def _fetch_outcome(result: FetchResult, doc: Mapping[str, Any] | None) -> dict[str, Any]:
    return {
        "url": result.requested_url,
        "status": result.status,
        "error_code": result.error_code or (None if doc is not None else "not_statuspage_json"),
    }


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed_value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed_value if parsed_value.tzinfo else parsed_value.replace(tzinfo=UTC)


def as_of(value: date | datetime | None) -> datetime | None:
    """A timezone-aware datetime for an injected "now" (tests pass the site's date)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)
