"""Hiring and team evidence (docs/evidence.md §9): careers page, ATS provider and its public JSON listing,
one item per open role, a jobs summary by function, location and seniority, and leadership from about pages.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
    absolute_url,
    attr,
    block_texts,
    clean_text,
    node_text,
    page_links,
    parsed,
    sentences,
)
from techscaniq.evidence.fetch import ResourceKind
from techscaniq.evidence.urls import in_site, url_host, url_origin, url_path

MAX_ROLES = 500
MAX_LEADERS = 60
MAX_FIELD_CHARS = 200
BOARD_PATH_EXCLUDED = frozenset({"embed", "api", "assets", "static", "jobs", "careers", "v1", "v0"})


@dataclass(frozen=True)
class Ats:
    """An applicant tracking system: how to recognise its board host and where its public listing is."""

    key: str
    name: str
    host: re.Pattern[str]
    listing: Callable[[str, str], str] | None  # (board origin, token) -> listing URL


ATS_PROVIDERS = (
    Ats(
        "greenhouse",
        "Greenhouse",
        re.compile(r"^(?:boards|job-boards)(?:\.eu)?\.greenhouse\.io$"),
        lambda _, token: f"https://boards-api.greenhouse.io/v1/boards/{token}/jobs?content=true",
    ),
    Ats(
        "lever",
        "Lever",
        re.compile(r"^jobs(?:\.eu)?\.lever\.co$"),
        lambda board, token: (
            f"https://api{'.eu' if '.eu.' in board else ''}.lever.co/v0/postings/{token}?mode=json"
        ),
    ),
    Ats(
        "ashby",
        "Ashby",
        re.compile(r"^jobs\.ashbyhq\.com$"),
        lambda _, token: f"https://api.ashbyhq.com/posting-api/job-board/{token}",
    ),
    Ats(
        "workable",
        "Workable",
        re.compile(r"^apply\.workable\.com$"),
        lambda _, token: f"https://apply.workable.com/api/v1/widget/accounts/{token}",
    ),
    Ats(
        "smartrecruiters",
        "SmartRecruiters",
        re.compile(r"^(?:jobs|careers)\.smartrecruiters\.com$"),
        lambda _, token: f"https://api.smartrecruiters.com/v1/companies/{token}/postings",
    ),
    # Workday's listing is a JSON POST, and the guard sends only GET/HEAD: recorded, not listed.
    Ats("workday", "Workday", re.compile(r"\.wd\d+\.myworkdayjobs\.com$|\.myworkdayjobs\.com$"), None),
    Ats("bamboohr", "BambooHR", re.compile(r"\.bamboohr\.com$"), None),
    Ats("recruitee", "Recruitee", re.compile(r"\.recruitee\.com$"), None),
    Ats("teamtailor", "Teamtailor", re.compile(r"\.teamtailor\.com$"), None),
    Ats("personio", "Personio", re.compile(r"\.jobs\.personio\.(?:de|com)$"), None),
    Ats("jazzhr", "JazzHR", re.compile(r"\.applytojob\.com$"), None),
    Ats("jobvite", "Jobvite", re.compile(r"^jobs\.jobvite\.com$"), None),
    Ats("icims", "iCIMS", re.compile(r"\.icims\.com$"), None),
    # The demo site's job board (techscaniq.demo.site): a Greenhouse-shaped listing on the board's own host.
    Ats(
        "hireboard",
        "HireBoard",
        re.compile(r"^jobs\.hireboard\.[a-z]+$"),
        lambda board, token: f"{board}/api/v1/boards/{token}/jobs",
    ),
)
ATS_BY_KEY = {ats.key: ats for ats in ATS_PROVIDERS}

FUNCTIONS_BY_DEPARTMENT = (
    ("security", r"security"),
    ("data & ML", r"\bdata\b|machine learning|\bml\b|\bai\b|analytics"),
    (
        "engineering",
        r"engineer|development|platform|devops|\bsre\b|infrastructure|\bqa\b|quality|mobile|r&d|tech",
    ),
    ("product", r"^product$|product management"),
    ("design", r"design|\bux\b|\bui\b"),
    ("customer success & support", r"customer|support|success|services|onboarding|implementation"),
    ("sales", r"sales|business development|account"),
    ("marketing", r"marketing|growth|brand|communications|content"),
    (
        "G&A",
        r"financ|legal|people|\bhr\b|human resources|talent|recruit|operations|admin|accounting|g&a|\bit\b",
    ),
)
FUNCTIONS_BY_TITLE = (
    ("security", r"security"),
    ("data & ML", r"\bdata\b|machine learning|\bml\b|analytics|scientist"),
    ("engineering", r"engineer|developer|\bsre\b|devops|\bqa\b|architect|programmer"),
    ("product", r"product manager|product owner|\bpm\b"),
    ("design", r"designer|\bux\b|researcher"),
    ("customer success & support", r"customer success|support|solutions|implementation|onboarding"),
    ("sales", r"account executive|sales|\bsdr\b|\bbdr\b|account manager"),
    ("marketing", r"marketing|content|brand|growth|communications"),
    ("G&A", r"accountant|financ|legal|counsel|recruit|people|\bhr\b|office|controller|operations|payroll"),
)
SENIORITY = (
    ("intern", r"\bintern(?:ship)?\b"),
    ("executive", r"\bchief\b|\bc[tefo]o\b"),
    ("vp", r"\bvp\b|vice president"),
    ("director", r"\bdirector\b|\bhead of\b"),
    ("principal", r"\bprincipal\b"),
    ("staff", r"\bstaff\b"),
    ("lead", r"\blead\b"),
    ("senior", r"\bsenior\b|\bsr\.?\b"),
    ("junior", r"\bjunior\b|\bjr\.?\b|\bassociate\b|\bentry\b"),
    ("manager", r"\bmanager\b"),
)
STACK_TERMS = (
    "Python", "PostgreSQL", "Kafka", "Kubernetes", "Terraform", "AWS", "GCP", "Azure", "Prometheus", "TypeScript",
    "JavaScript", "React", "Next.js", "Vue", "Angular", "Node.js", "dbt", "Snowflake", "Go", "Golang", "Java",
    "Kotlin", "Scala", "Ruby", "Rails", "Django", "Flask", "PHP", "Rust", "Swift", "C#", ".NET", "Docker", "Redis",
    "MySQL", "MongoDB", "Elasticsearch", "Spark", "Airflow", "GraphQL", "Datadog", "BigQuery", "Databricks",
)  # fmt: skip
STACK_SENTENCE = re.compile(r"stack|technolog|tools|we use|experience with|work with|built (?:on|with)", re.I)
LEADER_CONTAINER = (
    "[class*=leader], [class*=team-member], [class*=person], [class*=member], [class*=bio], "
    "[class*=profile], [class*=executive], [class*=founder]"
)
ROLE_WORDS = re.compile(
    r"\b(?:chief|ceo|cto|cfo|coo|cio|ciso|cmo|cro|cpo|vp|vice president|head of|director|founder|co-founder|"
    r"president|general counsel|officer|managing director|partner)\b",
    re.IGNORECASE,
)
PERSON_NAME = re.compile(r"^[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,3}$")


@functools.lru_cache(maxsize=4096)
def ats_for_host(host: str) -> Ats | None:
    """The ATS whose board lives on this host, if any."""
    return next((ats for ats in ATS_PROVIDERS if ats.host.search(host.lower())), None)


def job_function(department: str | None, title: str) -> str:
    """The function of a role (docs/evidence.md §9): from its department, else from title keywords, else "other"."""
    if department:
        for function, pattern in FUNCTIONS_BY_DEPARTMENT:
            if re.search(pattern, department, re.IGNORECASE):
                return function
    for function, pattern in FUNCTIONS_BY_TITLE:
        if re.search(pattern, title, re.IGNORECASE):
            return function
    return "other"


def seniority(title: str) -> str:
    """The seniority a title states ("mid" when it states none)."""
    return next((level for level, pattern in SENIORITY if re.search(pattern, title, re.IGNORECASE)), "mid")


def stack_named(text: str) -> list[str]:
    """Technologies named in the stack sentences of a job post."""
    found: list[str] = []
    for sentence in sentences(text):
        if not STACK_SENTENCE.search(sentence):
            continue
        for term in STACK_TERMS:
            if term not in found and re.search(rf"(?<![\w.]){re.escape(term)}(?![\w])", sentence):
                found.append(term)
    return found


def _board_token(url: str) -> str | None:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    for name in ("for", "board", "token", "account"):
        if query.get(name):
            return query[name][0]
    segments = [s for s in parts.path.split("/") if s]
    if segments and segments[0].lower() not in BOARD_PATH_EXCLUDED:
        return segments[0]
    return None


def _listing_roles(provider: str, document: Any) -> list[dict[str, Any]] | None:
    """Roles from an ATS's public JSON listing, normalised; None when the shape is not the provider's."""
    if provider in {"greenhouse", "hireboard"} and isinstance(document, dict):
        jobs = document.get("jobs")
        if not isinstance(jobs, list):
            return None
        return [
            {
                "id": str(j.get("id")),
                "title": str(j.get("title") or ""),
                "department": _first_name(j.get("departments")),
                "location": _name(j.get("location")),
                "url": j.get("absolute_url"),
                "updated": j.get("updated_at"),
                "stack": stack_named(clean_text(re.sub(r"<[^>]+>", " ", str(j.get("content") or "")))),
            }
            for j in jobs
            if isinstance(j, dict)
        ]
    if provider == "lever" and isinstance(document, list):
        return [
            {
                "id": str(j.get("id")),
                "title": str(j.get("text") or ""),
                "department": (j.get("categories") or {}).get("department")
                or (j.get("categories") or {}).get("team"),
                "location": (j.get("categories") or {}).get("location"),
                "url": j.get("hostedUrl"),
                "remote": j.get("workplaceType") == "remote" or None,
            }
            for j in document
            if isinstance(j, dict)
        ]
    if provider == "ashby" and isinstance(document, dict) and isinstance(document.get("jobs"), list):
        return [
            {
                "id": str(j.get("id")),
                "title": str(j.get("title") or ""),
                "department": j.get("department") or j.get("team"),
                "location": j.get("location"),
                "url": j.get("jobUrl"),
                "remote": bool(j.get("isRemote")) or None,
            }
            for j in document["jobs"]
            if isinstance(j, dict)
        ]
    if provider == "workable" and isinstance(document, dict) and isinstance(document.get("jobs"), list):
        return [
            {
                "id": str(j.get("shortcode") or j.get("id")),
                "title": str(j.get("title") or ""),
                "department": j.get("department"),
                "location": ", ".join(str(v) for v in (j.get("city"), j.get("country")) if v) or None,
                "url": j.get("url"),
                "remote": bool(j.get("telecommuting")) or None,
            }
            for j in document["jobs"]
            if isinstance(j, dict)
        ]
    if (
        provider == "smartrecruiters"
        and isinstance(document, dict)
        and isinstance(document.get("content"), list)
    ):
        return [
            {
                "id": str(j.get("id")),
                "title": str(j.get("name") or ""),
                "department": _name(j.get("department")) or None,
                "location": ", ".join(
                    str(v)
                    for v in ((j.get("location") or {}).get("city"), (j.get("location") or {}).get("country"))
                    if v
                )
                or None,
                "url": j.get("ref"),
                "remote": bool((j.get("location") or {}).get("remote")) or None,
            }
            for j in document["content"]
            if isinstance(j, dict)
        ]
    return None


def _name(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name") or value.get("label")
    return clean_text(str(value))[:MAX_FIELD_CHARS] if value else None


def _first_name(values: Any) -> str | None:
    if isinstance(values, list) and values:
        return _name(values[0])
    return None


@register("hiring")
class HiringCollector(BaseCollector):
    """Careers page, ATS provider, open roles (from the ATS's JSON when possible), jobs summary, leaders."""

    name = "hiring"

    def __init__(self) -> None:
        self._ats: dict[str, dict[str, Any]] = {}
        self._roles: dict[str, dict[str, Any]] = {}  # job URL -> facts seen in HTML
        self._careers: list[str] = []

    # -- pages ----------------------------------------------------------------------------------------------

    def on_page(self, page: CrawledPage, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Careers page and leader items of this page; ATS boards and roles kept for finish()."""
        tree = parsed(page)
        if tree is None or page.status is None or page.status >= 400:
            return []
        own = in_site(page.host, context.registrable_domain)
        board = ats_for_host(page.host)
        if not own and board is None:
            return []
        items: list[EvidenceDraft] = []
        if board is not None:
            self._note_board(board, page.url, page.url)
            self._note_job_page(page, tree)
        if own:
            self._note_ats_links(page, tree)
            if page.page_class == PageClass.CAREERS:
                items.append(self._careers_item(page, tree, context))
            if page.page_class == PageClass.ABOUT or re.search(
                r"about|team|leadership|company", url_path(page.url)
            ):
                items.extend(self._leaders(page, tree, context))
        return items

    def _note_board(self, ats: Ats, url: str, source: str) -> None:
        token = _board_token(url)
        entry = self._ats.get(ats.key)
        if entry is None:
            entry = {
                "provider": ats.name,
                "origin": url_origin(url),
                "token": token,
                "board_url": None,
                "source": source,
            }
            self._ats[ats.key] = entry
        if token and not entry.get("token"):
            entry["token"] = token
        if token and not entry.get("board_url"):
            entry["board_url"] = f"{url_origin(url)}/{token}"

    def _note_ats_links(self, page: CrawledPage, tree: LexborHTMLParser) -> None:
        urls = [url for url, _ in page_links(tree, page.url)]
        urls += [u for u in (absolute_url(page.url, attr(s, "src")) for s in tree.css("script[src]")) if u]
        urls += [u for u in (absolute_url(page.url, attr(f, "src")) for f in tree.css("iframe[src]")) if u]
        for url in urls:
            ats = ats_for_host(url_host(url))
            if ats is not None:
                self._note_board(ats, url, page.url)
        for node in tree.css("a[href]"):
            job_url = absolute_url(page.url, attr(node, "href"))
            if job_url is None or ats_for_host(url_host(job_url)) is None or "/job" not in url_path(job_url):
                continue
            url = job_url
            container = node.parent
            location = container.css_first(".location, [class*=location]") if container is not None else None
            role = (
                self._roles.setdefault(url, {})
                if len(self._roles) < MAX_ROLES or url in self._roles
                else None
            )
            if role is not None:
                role.setdefault("title", node_text(node)[:MAX_FIELD_CHARS])
                if location is not None:
                    role.setdefault("location", node_text(location)[:MAX_FIELD_CHARS])

    def _note_job_page(self, page: CrawledPage, tree: LexborHTMLParser) -> None:
        heading = tree.css_first("h1")
        if heading is None or not re.search(r"/jobs?/|/positions?/|/o/|/j/", url_path(page.url)):
            return
        if page.url not in self._roles and len(self._roles) >= MAX_ROLES:
            return
        role = self._roles.setdefault(page.url, {})
        role["title"] = node_text(heading)[:MAX_FIELD_CHARS]
        for field in ("department", "location"):
            node = tree.css_first(f".{field}, [class*={field}]")
            if node is not None:
                role[field] = node_text(node)[:MAX_FIELD_CHARS]
        body = " ".join(text for _, text in block_texts(tree))
        role["stack"] = stack_named(body)
        role["job_page"] = True

    def _careers_item(
        self, page: CrawledPage, tree: LexborHTMLParser, context: CollectContext
    ) -> EvidenceDraft:
        if page.url not in self._careers:
            self._careers.append(page.url)
        job_links = {
            url
            for url, _ in page_links(tree, page.url)
            if ats_for_host(url_host(url)) and "/job" in url_path(url)
        }
        providers = sorted({ATS_BY_KEY[k].name for k in self._ats})
        summary = f"Careers page at {page.url}"
        summary += f" links {len(job_links)} open roles" if job_links else ""
        summary += f" on {', '.join(providers)}" if providers else ""
        return context.draft(
            self.name,
            EvidenceType.CAREERS_PAGE,
            EvidenceCategory.HIRING,
            key=page.url,
            title="Careers page",
            summary=summary + ".",
            source_url=page.url,
            data={"url": page.url, "job_links": len(job_links), "ats_providers": providers},
            confidence=0.9,
        )

    def _leaders(
        self, page: CrawledPage, tree: LexborHTMLParser, context: CollectContext
    ) -> list[EvidenceDraft]:
        found: dict[str, str] = {}
        for container in tree.css(LEADER_CONTAINER):
            name_node = container.css_first("h2, h3, h4, h5, strong, .name, [class*=name]")
            if name_node is None:
                continue
            name = node_text(name_node)
            title_node = container.css_first(".role, .title, .position, [class*=role], [class*=position], p")
            title = node_text(title_node) if title_node is not None else ""
            if PERSON_NAME.match(name) and ROLE_WORDS.search(title) and name not in found:
                found[name] = title
        if not found:
            found = _leaders_by_headings(tree)
        return [
            context.draft(
                self.name,
                EvidenceType.LEADER,
                EvidenceCategory.HIRING,
                key=name.lower(),
                title=f"{name}, {title}"[:MAX_FIELD_CHARS],
                summary=f"{name} is listed as {title}."[: MAX_FIELD_CHARS * 2],
                source_url=page.url,
                data={"name": name, "title": title[:MAX_FIELD_CHARS]},
                confidence=0.8,
            )
            for name, title in list(found.items())[:MAX_LEADERS]
        ]

    # -- site level -----------------------------------------------------------------------------------------

    def finish(self, context: CollectContext) -> Iterable[EvidenceDraft]:
        """ATS providers, each role (from the ATS listing when it answers, else from pages) and a summary."""
        items: list[EvidenceDraft] = []
        listed: list[dict[str, Any]] | None = None
        listing_provider: str | None = None
        for key, entry in self._ats.items():
            ats = ATS_BY_KEY[key]
            listing_url = (
                ats.listing(entry["origin"], entry["token"]) if ats.listing and entry.get("token") else None
            )
            outcome: dict[str, Any] = {"url": listing_url, "error_code": None, "roles": None}
            if listing_url is not None and listed is None:
                roles = self._fetch_listing(key, listing_url, context, outcome)
                if roles is not None:
                    listed, listing_provider = roles, key
            items.append(self._ats_item(ats, entry, outcome, context))
        roles = self._merge_roles(listed, listing_provider)
        items.extend(self._role_item(role, context) for role in roles)
        if roles:
            items.append(self._summary_item(roles, listing_provider, context))
        return items

    def _fetch_listing(
        self, provider: str, url: str, context: CollectContext, outcome: dict[str, Any]
    ) -> list[dict[str, Any]] | None:
        result = context.fetcher.fetch(url, ResourceKind.JSON)
        outcome["status"] = result.status
        if not result.ok:
            outcome["error_code"] = result.error_code or f"http_{result.status}"
            return None
        try:
            document = json.loads(result.body)
        except (ValueError, UnicodeDecodeError):
            outcome["error_code"] = "invalid_json"
            return None
        roles = _listing_roles(provider, document)
        if roles is None:
            outcome["error_code"] = "unexpected_listing_shape"
            return None
        outcome["roles"] = len(roles)
        return roles[:MAX_ROLES]

    def _merge_roles(self, listed: list[dict[str, Any]] | None, provider: str | None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if listed is not None:
            for role in listed:
                html = self._roles.get(str(role.get("url") or ""), {})
                merged = {
                    **role,
                    "stack": role.get("stack") or html.get("stack") or [],
                    "source": "ats_listing",
                }
                merged["key"] = str(role.get("url") or f"{provider}:{role.get('id')}")
                out.append(merged)
            return out
        for url, role in self._roles.items():
            if role.get("title"):
                out.append(
                    {**role, "url": url, "key": url, "stack": role.get("stack") or [], "source": "html"}
                )
        return out

    def _ats_item(
        self, ats: Ats, entry: Mapping[str, Any], outcome: Mapping[str, Any], context: CollectContext
    ) -> EvidenceDraft:
        summary = f"Jobs are posted on {ats.name}"
        if entry.get("board_url"):
            summary += f" at {entry['board_url']}"
        if outcome.get("roles") is not None:
            summary += f"; its public listing shows {outcome['roles']} open roles"
        return context.draft(
            self.name,
            EvidenceType.ATS_PROVIDER,
            EvidenceCategory.HIRING,
            key=ats.key,
            title=f"Applicant tracking: {ats.name}",
            summary=summary + ".",
            source_url=entry["source"],
            data={
                "provider": ats.name,
                "board_url": entry.get("board_url"),
                "token": entry.get("token"),
                "listing": dict(outcome),
            },
            confidence=0.9,
        )

    def _role_item(self, role: Mapping[str, Any], context: CollectContext) -> EvidenceDraft:
        title = str(role.get("title") or "")
        location = role.get("location")
        remote = role.get("remote")
        if remote is None:
            remote = bool(location and re.search(r"remote", str(location), re.IGNORECASE))
        function = job_function(role.get("department"), title)
        data = {
            "title": title,
            "department": role.get("department"),
            "function": function,
            "location": location,
            "remote": bool(remote),
            "seniority": seniority(title),
            "stack": list(role.get("stack") or []),
            "url": role.get("url"),
            "source": role.get("source"),
        }
        where = f" in {location}" if location else ""
        return context.draft(
            self.name,
            EvidenceType.JOB_POSTING,
            EvidenceCategory.HIRING,
            key=str(role["key"]),
            title=f"Open role: {title}"[:MAX_FIELD_CHARS],
            summary=f"The company is hiring for {title}{where} ({function})."[: MAX_FIELD_CHARS * 2],
            source_url=str(role.get("url") or context.root_url),
            data=data,
            confidence=0.9 if role.get("source") == "ats_listing" else 0.8,
        )

    def _summary_item(
        self, roles: list[dict[str, Any]], provider: str | None, context: CollectContext
    ) -> EvidenceDraft:
        by_function: dict[str, int] = {}
        by_location: dict[str, int] = {}
        by_seniority: dict[str, int] = {}
        stacks: dict[str, int] = {}
        remote = 0
        for role in roles:
            title = str(role.get("title") or "")
            function = job_function(role.get("department"), title)
            by_function[function] = by_function.get(function, 0) + 1
            location = str(role.get("location") or "unspecified")
            by_location[location] = by_location.get(location, 0) + 1
            level = seniority(title)
            by_seniority[level] = by_seniority.get(level, 0) + 1
            is_remote = role.get("remote")
            remote += bool(is_remote if is_remote is not None else re.search(r"remote", location, re.I))
            for term in role.get("stack") or []:
                stacks[term] = stacks.get(term, 0) + 1
        total = len(roles)
        engineering = by_function.get("engineering", 0)
        top = sorted(by_function.items(), key=lambda kv: (-kv[1], kv[0]))
        summary = f"{total} open roles, {engineering} in engineering; {remote} remote"
        if top:
            summary += f"; largest function {top[0][0]} ({top[0][1]})"
        return context.draft(
            self.name,
            EvidenceType.JOBS_SUMMARY,
            EvidenceCategory.HIRING,
            key="jobs_summary",
            title=f"{total} open roles",
            summary=summary + ".",
            source_url=self._careers[0] if self._careers else str(roles[0].get("url") or context.root_url),
            data={
                "open_roles": total,
                "by_function": dict(sorted(by_function.items())),
                "by_location": dict(sorted(by_location.items())),
                "by_seniority": dict(sorted(by_seniority.items())),
                "remote_roles": remote,
                "remote_share": round(remote / total, 3) if total else 0.0,
                "stacks": dict(sorted(stacks.items(), key=lambda kv: (-kv[1], kv[0]))),
                "source": "ats_listing" if provider else "html",
                "provider": ATS_BY_KEY[provider].name if provider else None,
            },
            confidence=0.9 if provider else 0.75,
        )

    # -- checkpoints ----------------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """ATS boards seen, roles seen in HTML (bounded) and careers pages."""
        return {"ats": self._ats, "roles": self._roles, "careers": self._careers}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Load the checkpointed facts."""
        self._ats = dict(state.get("ats") or {})
        self._roles = dict(state.get("roles") or {})
        self._careers = list(state.get("careers") or [])


def _leaders_by_headings(tree: LexborHTMLParser) -> dict[str, str]:
    """Fallback: a person-name heading followed by a paragraph naming a leadership role."""
    found: dict[str, str] = {}
    for heading in tree.css("h3, h4"):
        name = node_text(heading)
        sibling: LexborNode | None = heading.next
        while sibling is not None and not sibling.is_element_node:
            sibling = sibling.next
        title = node_text(sibling) if sibling is not None else ""
        if PERSON_NAME.match(name) and len(title) < 120 and ROLE_WORDS.search(title):
            found.setdefault(name, title)
    return found
