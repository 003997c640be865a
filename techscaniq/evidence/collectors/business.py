"""Business facts (docs/evidence.md §10): the organisation from structured data, social profiles, copyright,
customers and case studies, and contact channels.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from techscaniq.domain import EvidenceCategory, EvidenceDraft, EvidenceType
from techscaniq.evidence.collectors.base import (
    BaseCollector,
    CollectContext,
    CrawledPage,
    PageClass,
    register,
)
from techscaniq.evidence.collectors.pages import (
    PARSER_ERRORS,
    attr,
    clean_text,
    mailto_addresses,
    node_text,
    page_links,
    parsed,
)
from techscaniq.evidence.urls import in_site, url_path

MAX_CUSTOMERS = 300
MAX_PROFILES = 30
MAX_FIELD_CHARS = 300
SYNTAXES = ["json-ld", "opengraph", "microdata"]
ORGANIZATION_TYPES = frozenset(
    {"Organization", "Corporation", "LocalBusiness", "OnlineBusiness", "NGO", "SoftwareCompany"}
)
CUSTOMER_CONTAINER = re.compile(r"customer|client|logo|trusted|brands|used-by|social-proof", re.IGNORECASE)
CUSTOMER_HEADING = re.compile(r"trusted by|our customers|used by|loved by|customers include", re.IGNORECASE)
LOGO_SUFFIX = re.compile(r"\s+(?:logo|logotype|wordmark)$", re.IGNORECASE)
COPYRIGHT = re.compile(
    r"(?:©|\(c\)|copyright)\s*(?:(\d{4})(?:\s*[-–]\s*(\d{4}))?)?\s*,?\s*"
    r"([A-Z][\w&'’.-]*(?:[ ,]+[A-Z][\w&'’.-]*){0,6}?(?:,?\s+(?:Inc|LLC|Ltd|Limited|GmbH|Corp|Corporation|plc|AG|"
    r"B\.V|S\.A|SAS|Pty Ltd)\.?)?)(?=\s*(?:All rights|\.|\||$))",
    re.IGNORECASE,
)
FOUNDED = re.compile(r"\bfounded in (\d{4})\b", re.IGNORECASE)
INDUSTRY = re.compile(r"\bIndustry:\s*([^.|\n]{2,60})")
SOCIAL_PLATFORMS = (
    (
        "linkedin",
        "LinkedIn",
        re.compile(r"^(?:[a-z]{2,3}\.)?linkedin\.com$"),
        re.compile(r"^/(company|school)/[^/]+"),
    ),
    (
        "x",
        "X (Twitter)",
        re.compile(r"^(?:www\.)?(?:x|twitter)\.com$"),
        re.compile(r"^/(?!intent|share|home)[A-Za-z0-9_]{1,15}/?$"),
    ),
    ("github", "GitHub", re.compile(r"^(?:www\.)?github\.com$"), re.compile(r"^/[A-Za-z0-9-]+/?$")),
    (
        "youtube",
        "YouTube",
        re.compile(r"^(?:www\.)?youtube\.com$"),
        re.compile(r"^/(?:@[^/]+|c/[^/]+|channel/[^/]+|user/[^/]+)"),
    ),
    (
        "facebook",
        "Facebook",
        re.compile(r"^(?:www\.)?facebook\.com$"),
        re.compile(r"^/(?!sharer|share|dialog)[^/]+/?$"),
    ),
    ("instagram", "Instagram", re.compile(r"^(?:www\.)?instagram\.com$"), re.compile(r"^/[A-Za-z0-9_.]+/?$")),
    (
        "crunchbase",
        "Crunchbase",
        re.compile(r"^(?:www\.)?crunchbase\.com$"),
        re.compile(r"^/organization/[^/]+"),
    ),
)
EMAIL_KINDS = (
    ("sales", ("sales", "demo", "enterprise")),
    ("support", ("support", "help", "care", "success")),
    ("press", ("press", "media", "pr", "news")),
    ("security", ("security", "psirt", "trust")),
    ("privacy", ("privacy", "dpo", "gdpr", "dataprotection")),
    ("legal", ("legal", "compliance")),
    ("careers", ("careers", "jobs", "recruiting", "talent")),
    ("billing", ("billing", "invoices", "accounts", "finance")),
    ("partners", ("partners", "partnerships")),
)


@lru_cache(maxsize=16_384)  # every page repeats the footer's profile links
def social_profile(url: str) -> tuple[str, str, str] | None:
    """(platform key, platform name, normalised profile URL) when url is a company profile on a social site."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    for key, name, host_pattern, path_pattern in SOCIAL_PLATFORMS:
        if host_pattern.match(host):
            match = path_pattern.match(parts.path or "/")
            if match is None:
                return None
            path = match.group(0).rstrip("/")
            return key, name, f"https://{host.removeprefix('www.')}{path}".lower()
    return None


def email_kind(address: str) -> str:
    """What an e-mail address is for, from its local part."""
    local = address.split("@", 1)[0].lower()
    for kind, words in EMAIL_KINDS:
        if any(local == w or local.startswith(w + ".") or local.startswith(w + "-") for w in words):
            return kind
    return "general"


def _text_value(value: Any) -> str | None:
    if isinstance(value, str):
        return clean_text(value)[:MAX_FIELD_CHARS] or None
    if isinstance(value, dict):
        for field in ("name", "url", "@id", "value"):
            found = _text_value(value.get(field))
            if found:
                return found
    if isinstance(value, list) and value:
        return _text_value(value[0])
    return None


def _organizations(document: Any) -> Iterable[dict[str, Any]]:
    if isinstance(document, list):
        for item in document:
            yield from _organizations(item)
    elif isinstance(document, dict):
        types = document.get("@type")
        types = types if isinstance(types, list) else [types]
        if any(t in ORGANIZATION_TYPES for t in types if isinstance(t, str)):
            yield document
        if "@graph" in document:
            yield from _organizations(document["@graph"])


def organization_facts(document: Mapping[str, Any]) -> dict[str, Any]:
    """The organisation fields of one JSON-LD / microdata Organization object."""
    facts: dict[str, Any] = {}
    for field in ("name", "legalName", "url", "logo", "foundingDate", "parentOrganization", "description"):
        value = _text_value(document.get(field))
        if value:
            facts[field] = value
    employees = document.get("numberOfEmployees")
    if isinstance(employees, dict):
        employees = employees.get("value") or employees.get("minValue")
    if isinstance(employees, int | float | str) and str(employees).strip():
        facts["numberOfEmployees"] = str(employees).strip()[:40]
    address = document.get("address")
    if isinstance(address, dict):
        parts = {k: clean_text(str(v)) for k, v in address.items() if not k.startswith("@") and v}
        facts["address"] = parts
        facts["address_text"] = ", ".join(parts.values())[:MAX_FIELD_CHARS]
    elif isinstance(address, str):
        facts["address_text"] = clean_text(address)[:MAX_FIELD_CHARS]
    founders = document.get("founder") or document.get("founders")
    if founders:
        founders = founders if isinstance(founders, list) else [founders]
        names = [n for n in (_text_value(f) for f in founders) if n]
        if names:
            facts["founders"] = names[:10]
    same_as = document.get("sameAs")
    if same_as:
        same_as = same_as if isinstance(same_as, list) else [same_as]
        facts["sameAs"] = [str(u)[:MAX_FIELD_CHARS] for u in same_as if isinstance(u, str)][:MAX_PROFILES]
    points = document.get("contactPoint")
    if points:
        points = points if isinstance(points, list) else [points]
        facts["contactPoint"] = [
            {k: str(v)[:MAX_FIELD_CHARS] for k, v in p.items() if not k.startswith("@")}
            for p in points[:10]
            if isinstance(p, dict)
        ]
    return facts


def _inside(node: LexborNode, tags: frozenset[str]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in tags:
            return True
        parent = parent.parent
    return False


def _customer_containers(tree: LexborHTMLParser) -> list[LexborNode]:
    containers: list[LexborNode] = []
    for node in tree.css("section, ul, div, ol"):
        label = " ".join((attr(node, "class"), attr(node, "id"), attr(node, "aria-label")))
        heading = node.css_first("h2, h3")
        if CUSTOMER_CONTAINER.search(label) or (
            heading is not None and CUSTOMER_HEADING.search(node_text(heading))
        ):
            containers.append(node)
    return containers


@register("business")
class BusinessCollector(BaseCollector):
    """Organisation, social profiles, customers, case studies and contact channels."""

    name = "business"

    def __init__(self) -> None:
        self._org: dict[str, Any] = {}
        self._org_source: str | None = None
        self._profiles: dict[str, dict[str, Any]] = {}
        self._customers: dict[str, str] = {}  # name -> first page seen
        self._case_studies: dict[str, str | None] = {}  # url -> industry
        self._testimonials = 0

    def on_page(self, page: CrawledPage, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Case studies and contact channels of this page; organisation facts kept for finish()."""
        tree = parsed(page)
        if tree is None or page.status is None or page.status >= 400:
            return []
        if not in_site(page.host, context.registrable_domain):
            return []
        self._structured_data(page)
        self._page_facts(page, tree)
        self._customer_logos(page, tree)
        items = self._contact_channels(page, tree, context)
        case_study = self._case_study(page, tree, context)
        if case_study is not None:
            items.append(case_study)
        return items

    # -- organisation ---------------------------------------------------------------------------------------

    def _structured_data(self, page: CrawledPage) -> None:
        html = page.html
        # Only the syntaxes this page carries, and OpenGraph only until the site name is known (all it gives).
        wanted = {
            "json-ld": "ld+json" in html,
            "microdata": "itemscope" in html,
            "opengraph": "og:" in html and "og_site_name" not in self._org,
        }
        syntaxes = [syntax for syntax in SYNTAXES if wanted.get(syntax)]
        if not syntaxes:
            return
        import extruct

        try:
            data = extruct.extract(html, base_url=page.url, syntaxes=syntaxes, uniform=True)
        except PARSER_ERRORS:  # broken markup or JSON-LD: the page just has no structured facts
            return
        for syntax in ("json-ld", "microdata"):
            for org in _organizations(data.get(syntax) or []):
                facts = organization_facts(org)
                if facts:
                    self._merge_org(facts, page.url, syntax)
        for og in data.get("opengraph") or []:
            site_name = og.get("og:site_name") if isinstance(og, dict) else None
            if isinstance(site_name, str) and site_name.strip() and "og_site_name" not in self._org:
                self._org["og_site_name"] = clean_text(site_name)[:MAX_FIELD_CHARS]
                self._org_source = self._org_source or page.url

    def _merge_org(self, facts: Mapping[str, Any], url: str, syntax: str) -> None:
        if "structured_source" not in self._org:
            self._org["structured_source"] = syntax
            self._org_source = url
        for key, value in facts.items():
            self._org.setdefault(key, value)
        for profile_url in facts.get("sameAs", []):
            self._note_profile(profile_url, url, "sameAs")

    def _page_facts(self, page: CrawledPage, tree: LexborHTMLParser) -> None:
        footer = tree.css_first("footer")
        if footer is not None and "copyright_holder" not in self._org:
            match = COPYRIGHT.search(node_text(footer))
            if match and match.group(3):
                self._org["copyright_holder"] = match.group(3).strip()
                year = match.group(2) or match.group(1)
                self._org["copyright_year"] = int(year) if year else None
                self._org["copyright_source"] = page.url
        if "founded_year_text" not in self._org and page.page_class == PageClass.ABOUT and tree.body:
            found = FOUNDED.search(node_text(tree.body))
            if found:
                self._org["founded_year_text"] = int(found.group(1))
        for url, _ in page_links(tree, page.url):
            self._note_profile(url, page.url, "link")
        self._testimonials += len(tree.css("blockquote"))

    def _note_profile(self, url: str, page_url: str, via: str) -> None:
        found = social_profile(url)
        if found is None:
            return
        key, name, profile = found
        if profile in self._profiles or len(self._profiles) >= MAX_PROFILES:
            return
        self._profiles[profile] = {"platform": key, "platform_name": name, "source": page_url, "via": via}

    # -- customers ------------------------------------------------------------------------------------------

    def _customer_logos(self, page: CrawledPage, tree: LexborHTMLParser) -> None:
        own_names = {
            n.lower()
            for n in (self._org.get("name"), self._org.get("og_site_name"), self._org.get("legalName"))
            if n
        }
        chrome = frozenset({"header", "nav", "footer"})
        for container in _customer_containers(tree):
            for img in container.css("img"):
                name = LOGO_SUFFIX.sub("", clean_text(attr(img, "alt")))
                if not name or name.lower() in own_names or _inside(img, chrome):
                    continue
                if len(self._customers) < MAX_CUSTOMERS and name not in self._customers:
                    self._customers[name[:MAX_FIELD_CHARS]] = page.url

    def _case_study(
        self, page: CrawledPage, tree: LexborHTMLParser, context: CollectContext
    ) -> EvidenceDraft | None:
        path = url_path(page.url).rstrip("/")
        segments = [s for s in path.split("/") if s]
        is_story_path = len(segments) >= 2 and segments[0] in {
            "customers",
            "case-studies",
            "stories",
            "customer-stories",
        }
        article = tree.css_first("article.case-study, [class*=case-study]")
        if page.page_class != PageClass.CUSTOMERS or not (is_story_path or article is not None):
            return None
        title_node = tree.css_first("title")
        title = node_text(title_node) if title_node is not None else ""
        customer = title.split(" | ")[0].strip() if " | " in title else None
        heading = tree.css_first("h1")
        headline = node_text(heading) if heading is not None else title
        industry_node = tree.css_first(".industry, [class*=industry]")
        industry_source = industry_node or tree.body
        industry_text = node_text(industry_source) if industry_source is not None else ""
        industry_match = INDUSTRY.search(industry_text)
        industry = clean_text(industry_match.group(1)) if industry_match else None
        self._case_studies[page.url] = industry
        summary = f"Case study: {headline}"
        if industry:
            summary += f" ({industry})"
        return context.draft(
            self.name,
            EvidenceType.CASE_STUDY,
            EvidenceCategory.BUSINESS,
            key=page.url,
            title=f"Case study: {customer or headline}"[:MAX_FIELD_CHARS],
            summary=summary[:MAX_FIELD_CHARS] + ".",
            source_url=page.url,
            data={"customer": customer, "headline": headline[:MAX_FIELD_CHARS], "industry": industry},
            confidence=0.8,
        )

    # -- contact channels -----------------------------------------------------------------------------------

    def _contact_channels(
        self, page: CrawledPage, tree: LexborHTMLParser, context: CollectContext
    ) -> list[EvidenceDraft]:
        items: list[EvidenceDraft] = []
        for address in mailto_addresses(tree):
            kind = email_kind(address)
            items.append(
                self._channel(
                    context, page, f"email:{address}", "email", kind, address, f"{kind} e-mail {address}"
                )
            )
        for node in tree.css('a[href^="tel:" i]'):
            number = attr(node, "href")[4:].strip()
            digits = re.sub(r"[^\d+]", "", number)
            if len(digits) >= 7:
                items.append(
                    self._channel(
                        context, page, f"phone:{digits}", "phone", "general", number, f"phone {number}"
                    )
                )
        is_contact = page.page_class == PageClass.CONTACT or re.search(
            r"contact|demo|sales", url_path(page.url)
        )
        if (
            is_contact
            and tree.css_first('form input[type="email" i], form input[name*="email" i]') is not None
        ):
            items.append(
                self._channel(
                    context,
                    page,
                    f"form:{page.url}",
                    "form",
                    "sales",
                    page.url,
                    f"contact form at {page.url}",
                )
            )
        return items

    def _channel(
        self,
        context: CollectContext,
        page: CrawledPage,
        key: str,
        channel: str,
        kind: str,
        value: str,
        label: str,
    ) -> EvidenceDraft:
        return context.draft(
            self.name,
            EvidenceType.CONTACT_CHANNEL,
            EvidenceCategory.BUSINESS,
            key=key,
            title=f"Contact: {label}"[:MAX_FIELD_CHARS],
            summary=f"The site lists a {label}."[:MAX_FIELD_CHARS],
            source_url=page.url,
            data={"channel": channel, "kind": kind, "value": value[:MAX_FIELD_CHARS]},
            confidence=0.9,
        )

    # -- site level -----------------------------------------------------------------------------------------

    def finish(self, context: CollectContext) -> Iterable[EvidenceDraft]:
        """The organisation, one item per social profile, and the customers summary."""
        items: list[EvidenceDraft] = []
        if self._org:
            items.append(self._organization_item(context))
        for url, profile in self._profiles.items():
            items.append(
                context.draft(
                    self.name,
                    EvidenceType.SOCIAL_PROFILE,
                    EvidenceCategory.BUSINESS,
                    key=url,
                    title=f"{profile['platform_name']} profile",
                    summary=f"The company links its {profile['platform_name']} profile {url}.",
                    source_url=profile["source"],
                    data={"platform": profile["platform"], "url": url, "via": profile["via"]},
                    confidence=0.9 if profile["via"] == "sameAs" else 0.8,
                )
            )
        if self._customers or self._case_studies:
            items.append(self._customers_item(context))
        return items

    def _organization_item(self, context: CollectContext) -> EvidenceDraft:
        org = dict(self._org)
        name = (
            org.get("legalName") or org.get("name") or org.get("copyright_holder") or org.get("og_site_name")
        )
        facts = []
        founded = org.get("foundingDate") or org.get("founded_year_text")
        if founded:
            facts.append(f"founded {founded}")
        if org.get("numberOfEmployees"):
            facts.append(f"about {org['numberOfEmployees']} employees")
        if org.get("address_text"):
            facts.append(f"based at {org['address_text']}")
        summary = (
            f"The company identifies itself as {name}" + (f", {', '.join(facts)}" if facts else "") + "."
        )
        structured = "structured_source" in org
        return context.draft(
            self.name,
            EvidenceType.ORGANIZATION,
            EvidenceCategory.BUSINESS,
            key="organization",
            title=f"Organisation: {name}"[:MAX_FIELD_CHARS],
            summary=summary[:500],
            source_url=self._org_source or org.get("copyright_source") or context.root_url,
            data=org,
            confidence=0.9 if structured else 0.7,
        )

    def _customers_item(self, context: CollectContext) -> EvidenceDraft:
        names = sorted(self._customers)
        industries = sorted({i for i in self._case_studies.values() if i})
        source = next(iter(self._customers.values()), None) or next(
            iter(self._case_studies), context.root_url
        )
        summary = f"The site shows {len(names)} customer logos and {len(self._case_studies)} case studies"
        if industries:
            summary += f" across {len(industries)} industries"
        return context.draft(
            self.name,
            EvidenceType.CUSTOMERS,
            EvidenceCategory.BUSINESS,
            key="customers",
            title=f"{len(names)} named customers",
            summary=summary + ".",
            source_url=source,
            data={
                "count": len(names),
                "names": names,
                "case_studies": len(self._case_studies),
                "case_study_urls": sorted(self._case_studies),
                "industries": industries,
                "testimonials": self._testimonials,
            },
            confidence=0.8,
        )

    def state(self) -> dict[str, Any]:
        """Organisation facts, profiles, customer names and case studies (bounded)."""
        return {
            "org": self._org,
            "org_source": self._org_source,
            "profiles": self._profiles,
            "customers": self._customers,
            "case_studies": self._case_studies,
            "testimonials": self._testimonials,
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Load the checkpointed facts."""
        self._org = dict(state.get("org") or {})
        self._org_source = state.get("org_source")
        self._profiles = dict(state.get("profiles") or {})
        self._customers = dict(state.get("customers") or {})
        self._case_studies = dict(state.get("case_studies") or {})
        self._testimonials = int(state.get("testimonials") or 0)
