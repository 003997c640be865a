"""Security posture evidence: the HTTP Observatory score of the home page, headers, cookies and page hygiene.

Crawled pages feed small aggregates (headers per host, cookies, mixed content, SRI, disclosures); finish() adds
the http:// redirect chain, a CORS probe and security.txt, all fetched through the guarded client.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from techscaniq.domain import EvidenceCategory, EvidenceDraft, EvidenceType
from techscaniq.evidence.bot_protection import (
    NOT_PROTECTED,
    BotCheck,
    challenge_facts,
    check_response,
    not_seen_reason,
)
from techscaniq.evidence.collectors.base import (
    BaseCollector,
    CollectContext,
    CrawledPage,
    PageClass,
    register,
)
from techscaniq.evidence.collectors.pages import parsed
from techscaniq.evidence.collectors.tls import is_preloaded
from techscaniq.evidence.fetch import FetchResult, ResourceKind
from techscaniq.evidence.observatory import ObservatoryResult, RedirectStep, ResponseFacts, score_observatory
from techscaniq.evidence.security_headers import (
    DISCLOSURE_HEADERS,
    MATRIX_HEADERS,
    Presence,
    deprecated_headers,
    header_matrix,
    header_values,
    mixed_content,
    parse_security_txt,
    parse_set_cookie,
    subresource_integrity,
    truncate,
    version_disclosure,
)
from techscaniq.evidence.urls import url_host

NAME = "security"
RENDERED = "rendered"  # a page's `discovered_via` when the browser rendered it past a challenge
HTTP_PORT = 80
CORS_PROBE_ORIGIN = "https://cors-probe.techscaniq.invalid"
MAX_HOSTS = 20
MAX_COOKIES = 100
MAX_DISCLOSURES = 60
MAX_EXAMPLES = 10
MAX_HEADERS_KEPT = 100
HEADER_CONFIDENCE = 0.95
PAGE_CONFIDENCE = 0.9
# The response headers the aggregates need; the rest of a page's headers are not kept in state.
KEPT_HEADERS = frozenset(
    {name.lower() for name in MATRIX_HEADERS}
    | {name.lower() for name in DISCLOSURE_HEADERS}
    | {
        "content-type",
        "content-security-policy-report-only",
        "x-xss-protection",
        "expect-ct",
        "public-key-pins",
        "public-key-pins-report-only",
        "feature-policy",
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "set-cookie",
    }
)

Headers = tuple[tuple[str, str], ...]


def _kept(headers: Iterable[tuple[str, str]]) -> list[list[str]]:
    kept = [[name, truncate(value)] for name, value in headers if name.lower() in KEPT_HEADERS]
    return kept[:MAX_HEADERS_KEPT]


def _as_headers(rows: Iterable[Iterable[str]]) -> Headers:
    return tuple((str(pair[0]), str(pair[1])) for pair in (list(row) for row in rows))


def _path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


@dataclass
class _Auto:
    """The response the Observatory reads (`auto`), and how it was obtained."""

    url: str
    status: int
    headers: Headers
    html: str
    https: bool


@register(NAME)
class SecurityCollector(BaseCollector):
    """Observatory score, header matrix, cookies, redirects, CORS, mixed content, SRI, disclosures, security.txt."""

    name = NAME

    def __init__(self, http_port: int = HTTP_PORT) -> None:
        self.http_port = http_port
        self._home: dict[str, Any] | None = None
        self._home_html: str | None = None  # kept in memory only; refetched after a restore
        self._home_challenge: dict[str, Any] | None = None  # the home page answered with a challenge
        self._hosts: dict[str, dict[str, Any]] = {}
        self._cookies: dict[str, dict[str, Any]] = {}
        self._disclosures: dict[str, dict[str, Any]] = {}
        self._mixed: dict[str, Any] = {"pages_checked": 0, "pages_with_mixed": 0, "count": 0, "examples": []}
        self._sri: dict[str, Any] = {
            "pages_checked": 0,
            "with_integrity": 0,
            "without_integrity": 0,
            "examples_without": [],
        }

    # -- per page ----------------------------------------------------------------------------------------------

    def on_page(self, page: CrawledPage, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Fold one page into the aggregates; the home page is kept for the Observatory."""
        if page.status is None:
            return ()
        host = url_host(page.url)
        is_home = page.url == context.root_url or page.page_class == PageClass.HOME
        if self._home is None and is_home:
            self._home = {"url": page.url, "status": page.status, "headers": _kept(page.headers)}
            if page.discovered_via == RENDERED:  # the browser's document, past a challenge the crawler met
                self._home["seen_in"] = RENDERED
            self._home_html = page.html
        if page.is_html and host and host not in self._hosts and len(self._hosts) < MAX_HOSTS:
            self._hosts[host] = {"url": page.url, "headers": _kept(page.headers)}
        self._fold_cookies(page, host)
        self._fold_disclosures(page, host)
        if page.is_html:
            self._fold_mixed_content(page)
            self._fold_sri(page)
        return ()

    def on_challenge_page(self, page: CrawledPage, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Note a home page answered with a challenge: the root's grade is then "not seen", never the vendor's."""
        is_home = page.url == context.root_url or page.depth == 0
        if is_home and self._home_challenge is None:
            check = page.bot_check
            self._home_challenge = {
                "url": page.url,
                "status": page.status,
                "vendor": check.vendor,
                "outcome": check.outcome,
                "signals": list(check.signals[:5]),
            }
        return ()

    def _fold_cookies(self, page: CrawledPage, host: str) -> None:
        for raw in header_values(page.headers, "Set-Cookie"):
            cookie = parse_set_cookie(raw)
            if cookie is None:
                continue
            key = f"{host} {cookie.name}"
            if key in self._cookies or len(self._cookies) >= MAX_COOKIES:
                continue
            self._cookies[key] = {
                "host": host,
                "url": page.url,
                "name": cookie.name,
                "secure": cookie.secure,
                "httponly": cookie.httponly,
                "samesite": cookie.samesite,
                "samesite_valid": cookie.samesite_valid,
                "domain": cookie.domain,
                "path": cookie.path,
                "persistent": cookie.persistent,
                "session_like": cookie.session_like,
                "csrf_like": cookie.csrf_like,
                "prefix": cookie.prefix.value if cookie.prefix else None,
                "prefix_valid": cookie.prefix_valid,
                "https_page": page.url.startswith("https://"),
            }

    def _fold_disclosures(self, page: CrawledPage, host: str) -> None:
        for disclosure in version_disclosure(page.headers, page.html if page.is_html else "", parsed(page)):
            key = (
                f"{host} {disclosure.source.lower()} {disclosure.product.lower()} {disclosure.version or ''}"
            )
            if key in self._disclosures or len(self._disclosures) >= MAX_DISCLOSURES:
                continue
            self._disclosures[key] = {
                "host": host,
                "url": page.url,
                "source": disclosure.source,
                "value": disclosure.value,
                "product": disclosure.product,
                "version": disclosure.version,
            }

    def _fold_mixed_content(self, page: CrawledPage) -> None:
        if not page.url.startswith("https://"):
            return
        self._mixed["pages_checked"] += 1
        found = mixed_content(page.url, page.html, parsed(page))
        if not found:
            return
        self._mixed["pages_with_mixed"] += 1
        self._mixed["count"] += len(found)
        room = MAX_EXAMPLES - len(self._mixed["examples"])
        self._mixed["examples"] += [[page.url, url] for url in found[: max(room, 0)]]

    def _fold_sri(self, page: CrawledPage) -> None:
        summary = subresource_integrity(page.url, page.html, parsed(page))
        self._sri["pages_checked"] += 1
        self._sri["with_integrity"] += len(summary.scripts_with_integrity) + len(
            summary.stylesheets_with_integrity
        )
        missing = [*summary.scripts_without_integrity, *summary.stylesheets_without_integrity]
        self._sri["without_integrity"] += len(missing)
        examples = self._sri["examples_without"]
        for url in missing:
            if url not in examples and len(examples) < MAX_EXAMPLES:
                examples.append(url)

    def state(self) -> dict[str, Any]:
        """Bounded aggregates; the home page's HTML is not kept (finish() refetches it after a restore)."""
        return {
            "home": self._home,
            "home_challenge": self._home_challenge,
            "hosts": self._hosts,
            "cookies": self._cookies,
            "disclosures": self._disclosures,
            "mixed": self._mixed,
            "sri": self._sri,
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Load the aggregates a previous delivery checkpointed."""
        self._home = dict(state["home"]) if state.get("home") else None
        self._home_html = None
        self._home_challenge = dict(state["home_challenge"]) if state.get("home_challenge") else None
        self._hosts = {str(k): dict(v) for k, v in dict(state.get("hosts", {})).items()}
        self._cookies = {str(k): dict(v) for k, v in dict(state.get("cookies", {})).items()}
        self._disclosures = {str(k): dict(v) for k, v in dict(state.get("disclosures", {})).items()}
        self._mixed = dict(state.get("mixed", self._mixed))
        self._sri = dict(state.get("sri", self._sri))

    # -- site level --------------------------------------------------------------------------------------------

    def finish(self, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Fetch the http chain, CORS probe and security.txt; score the home page; emit every item."""
        items: list[EvidenceDraft] = []
        host = url_host(context.root_url)
        chain_result = context.fetcher.fetch(self._http_url(host), ResourceKind.HTML, probe=True)
        auto, https_verified, https_note = self._auto_response(context, host, chain_result)
        chain = _redirect_steps(chain_result)
        items.append(self._redirect_item(context, chain_result, chain, auto))
        context.checkpoint()
        challenge = check_response(auto.status, auto.headers, auto.html) if auto else NOT_PROTECTED
        if auto is None and self._home is None and self._home_challenge:
            # Nothing answered now, and the crawl's home page was a challenge the browser did not pass.
            noted = self._home_challenge
            challenge = BotCheck(noted["vendor"], noted["outcome"], tuple(noted["signals"]))
            auto = _Auto(str(noted["url"]), int(noted["status"] or 0), (), "", False)
        if auto is None:
            items.append(self._unscored_item(context, host, "neither http nor https answered"))
        elif challenge.challenged:
            # The vendor's edge answered, not the company's site: nothing to grade, and no CORS to probe.
            items.append(self._not_seen_item(context, host, auto, challenge))
            auto = None
        else:
            cors_headers = self._cors_probe(context, auto, items)
            hosts = {urlsplit(step.url).hostname or "" for step in chain} | {host}
            facts = ResponseFacts(
                url=auto.url,
                status=auto.status,
                headers=auto.headers,
                html=auto.html,
                redirect_chain=chain,
                https_certificate_verified=https_verified,
                preloaded_hosts=frozenset(h for h in hosts if h and is_preloaded(h)),
                other_set_cookies=tuple(self._other_cookies(chain_result, auto)),
                cors_preflight_headers=cors_headers,
                cors_probe_origin=CORS_PROBE_ORIGIN if cors_headers is not None else "",
            )
            observatory = self._observatory_items(context, auto, score_observatory(facts), https_note)
            if self._home and self._home.get("seen_in") == RENDERED and self._home["url"] == auto.url:
                for draft in observatory:
                    draft.data["seen_in"] = RENDERED
            items += observatory
            self._hosts[(urlsplit(auto.url).hostname or host).lower()] = {
                "url": auto.url,
                "headers": [list(pair) for pair in auto.headers],
                "https": auto.https,
            }
        items += self._header_items(
            context, home_host=(urlsplit(auto.url).hostname or host) if auto else host
        )
        items += self._cookie_items(context)
        items += self._disclosure_items(context)
        items.append(self._mixed_content_item(context))
        items.append(self._sri_item(context))
        context.checkpoint()
        items.append(self._security_txt_item(context))
        return items

    def _http_url(self, host: str) -> str:
        return f"http://{host}/" if self.http_port == HTTP_PORT else f"http://{host}:{self.http_port}/"

    def _auto_response(
        self, context: CollectContext, host: str, chain_result: FetchResult
    ) -> tuple[_Auto | None, bool, str | None]:
        """The https home response (crawled, refetched, or the chain's end), else the http one."""
        home = self._home
        if home and str(home["url"]).startswith("https://"):
            html = self._home_html
            if html is None and home.get("seen_in") == RENDERED:
                html = ""  # a refetch would meet the challenge the browser passed
            if html is None:
                refetched = context.fetcher.fetch(str(home["url"]), ResourceKind.HTML)
                html = refetched.text if refetched.status is not None else ""
            return (
                _Auto(str(home["url"]), int(home["status"]), _as_headers(home["headers"]), html, True),
                True,
                None,
            )
        if chain_result.status is not None and chain_result.final_url.startswith("https://"):
            return _auto_from(chain_result, https=True), True, None
        https_url = urljoin(context.root_url, "/").replace("http://", "https://", 1)
        if not context.root_url.startswith("https://"):
            https_url = f"https://{host}/"
        https = context.fetcher.fetch(https_url, ResourceKind.HTML, probe=True)
        if https.status is not None:
            return _auto_from(https, https=True), True, None
        note = f"https://{host}/ did not answer ({https.error_code})"
        verified = https.error_code != "tls_error"
        if home:
            html = self._home_html if self._home_html is not None else chain_result.text
            auto = _Auto(str(home["url"]), int(home["status"]), _as_headers(home["headers"]), html, False)
            return auto, verified, note
        if chain_result.status is not None:
            return _auto_from(chain_result, https=False), verified, note
        return None, verified, note

    def _other_cookies(self, chain_result: FetchResult, auto: _Auto) -> list[str]:
        if chain_result.status is None or chain_result.final_url == auto.url:
            return []
        return header_values(tuple(chain_result.headers), "Set-Cookie")

    def _cors_probe(self, context: CollectContext, auto: _Auto, items: list[EvidenceDraft]) -> Headers | None:
        """A HEAD with our Origin (the guard sends only GET and HEAD, so no OPTIONS preflight)."""
        probe = context.fetcher.fetch(
            auto.url, ResourceKind.HTML, method="HEAD", headers={"Origin": CORS_PROBE_ORIGIN}
        )
        check = check_response(probe.status, tuple(probe.headers), "")
        if check.challenged:
            items.append(self._cors_not_seen(context, auto.url, check))
            return None
        if probe.status is None:
            items.append(
                context.observed(
                    NAME,
                    EvidenceCategory.SECURITY,
                    EvidenceType.CORS,
                    key=auto.url,
                    title=f"CORS probe of {auto.url} failed",
                    summary=f"A request with Origin {CORS_PROBE_ORIGIN} got no answer ({probe.error_code}).",
                    source_url=auto.url,
                    data={
                        "status": "error",
                        "error_code": probe.error_code,
                        "probe_origin": CORS_PROBE_ORIGIN,
                    },
                    confidence=HEADER_CONFIDENCE,
                )
            )
            return None
        headers = tuple(probe.headers)
        origins = header_values(headers, "Access-Control-Allow-Origin")
        allow_origin = origins[0] if origins else None
        credentials = "true" in [
            v.strip().lower() for v in header_values(headers, "Access-Control-Allow-Credentials")
        ]
        reflects = allow_origin is not None and allow_origin.strip().rstrip("/").lower() == CORS_PROBE_ORIGIN
        if allow_origin is None:
            title = f"{auto.url} allows no cross-origin reads"
        elif reflects and credentials:
            title = f"{auto.url} lets any origin read it with credentials"
        elif allow_origin.strip() == "*":
            title = f"{auto.url} allows public cross-origin reads (*)"
        else:
            title = f"{auto.url} allows cross-origin reads from {truncate(allow_origin, 100)}"
        items.append(
            context.observed(
                NAME,
                EvidenceCategory.SECURITY,
                EvidenceType.CORS,
                key=auto.url,
                title=title[:500],
                summary=f"A HEAD request with Origin {CORS_PROBE_ORIGIN} was answered with "
                f"Access-Control-Allow-Origin {allow_origin or 'absent'} and credentials {credentials}.",
                source_url=auto.url,
                data={
                    "url": auto.url,
                    "probe_origin": CORS_PROBE_ORIGIN,
                    "method": "HEAD",
                    "allow_origin": allow_origin,
                    "allow_credentials": credentials,
                    "reflects_origin": reflects,
                    "status": "observed" if allow_origin is not None else "not_observed",
                },
                confidence=HEADER_CONFIDENCE,
            )
        )
        return headers

    # -- items -------------------------------------------------------------------------------------------------

    def _redirect_item(
        self,
        context: CollectContext,
        result: FetchResult,
        chain: tuple[RedirectStep, ...],
        auto: _Auto | None,
    ) -> EvidenceDraft:
        start = result.requested_url
        hops = [
            {"url": step.url, "status": step.status, "certificate_verified": step.certificate_verified}
            for step in chain
        ]
        data: dict[str, Any] = {
            "start_url": start,
            "hops": hops,
            "final_url": result.final_url,
            "final_status": result.status,
            "error_code": result.error_code,
        }
        if not chain:
            data["status"] = "not_observed"
            title = (
                f"{start} does not answer: the site is https-only"
                if auto and auto.https
                else f"{start} does not answer"
            )
            summary = f"The plain-http request to {start} failed ({result.error_code})."
        else:
            final = chain[-1]
            upgraded = final.url.startswith("https://")
            data["https_upgrade"] = upgraded
            data["redirects"] = len(chain) - 1
            if len(chain) == 1:
                title = f"{start} answers {final.status} without redirecting to https"
                if auto is not None and not auto.https:
                    title = f"The site is served over plain http only ({start} answers {final.status})"
            elif upgraded:
                title = f"{start} redirects to https in {len(chain) - 1} hop(s)"
            else:
                title = f"{start} redirects but never reaches https"
            route = " -> ".join(f"{step.url} ({step.status})" for step in chain)
            summary = f"Route from http: {route}."[:1000]
        return context.observed(
            NAME,
            EvidenceCategory.SECURITY,
            EvidenceType.REDIRECT_CHAIN,
            key=start,
            title=title,
            summary=summary,
            source_url=start,
            data=data,
            confidence=HEADER_CONFIDENCE,
        )

    def _not_seen_item(
        self, context: CollectContext, host: str, auto: _Auto, check: BotCheck
    ) -> EvidenceDraft:
        reason = not_seen_reason(check)
        return context.observed(
            NAME,
            EvidenceCategory.SECURITY,
            EvidenceType.OBSERVATORY_SCORE,
            key=host,
            title=f"No Observatory grade for {host}: not seen, {reason}",
            summary=f"The HTTP Observatory grade was not computed: {reason} ({auto.url} answered {auto.status}), "
            "whose headers are the protection vendor's, not the company's site.",
            source_url=auto.url,
            data={
                "score": None,
                "grade": None,
                "check": "HTTP Observatory grade and security headers",
                "not_seen": reason,
                "challenge": challenge_facts(check, auto.url),
                "unscored_reason": f"not seen: {reason}",
                "status": "not_observed",
            },
            confidence=HEADER_CONFIDENCE,
        )

    def _cors_not_seen(self, context: CollectContext, url: str, check: BotCheck) -> EvidenceDraft:
        reason = not_seen_reason(check)
        return context.observed(
            NAME,
            EvidenceCategory.SECURITY,
            EvidenceType.CORS,
            key=url,
            title=f"CORS of {url} not seen: {reason}",
            summary=f"A request with Origin {CORS_PROBE_ORIGIN} was answered by the bot protection, not the site.",
            source_url=url,
            data={
                "probe_origin": CORS_PROBE_ORIGIN,
                "check": "CORS",
                "not_seen": reason,
                "challenge": challenge_facts(check, url),
                "status": "not_observed",
            },
            confidence=HEADER_CONFIDENCE,
        )

    def _unscored_item(self, context: CollectContext, host: str, reason: str) -> EvidenceDraft:
        url = context.root_url
        return context.observed(
            NAME,
            EvidenceCategory.SECURITY,
            EvidenceType.OBSERVATORY_SCORE,
            key=host,
            title=f"No Observatory score for {host}",
            summary=f"The HTTP Observatory score could not be computed: {reason}.",
            source_url=url,
            data={
                "score": None,
                "grade": None,
                "unscored_reason": reason,
                "status": "error",
                "error_code": "unscored",
            },
            confidence=HEADER_CONFIDENCE,
        )

    def _observatory_items(
        self, context: CollectContext, auto: _Auto, result: ObservatoryResult, https_note: str | None
    ) -> list[EvidenceDraft]:
        host = url_host(auto.url)
        if result.score is None:
            return [self._unscored_item(context, host, result.unscored_reason or "unscorable response")]
        failed = [test.name.value for test in result.tests if not test.passed]
        items = [
            context.observed(
                NAME,
                EvidenceCategory.SECURITY,
                EvidenceType.OBSERVATORY_SCORE,
                key=host,
                title=f"HTTP Observatory grade {result.grade} ({result.score}) for {host}",
                summary=f"{auto.url} scores {result.score} (grade {result.grade}) on the MDN HTTP Observatory "
                f"algorithm v{result.algorithm_version}: {result.tests_passed} of {len(result.tests)} tests pass"
                + (f"; failing: {', '.join(failed)}." if failed else "."),
                source_url=auto.url,
                data={
                    "url": auto.url,
                    "score": result.score,
                    "grade": result.grade,
                    "tests_passed": result.tests_passed,
                    "tests_failed": result.tests_failed,
                    "failed_tests": failed,
                    "modifiers": {test.name.value: test.score_modifier for test in result.tests},
                    "algorithm_version": result.algorithm_version,
                    "response_https": auto.https,
                    "https_note": https_note,
                },
                confidence=HEADER_CONFIDENCE,
            )
        ]
        for test in result.tests:
            modifier = f"{test.score_modifier:+d}" if test.score_modifier else "0"
            items.append(
                context.observed(
                    NAME,
                    EvidenceCategory.SECURITY,
                    EvidenceType.OBSERVATORY_TEST,
                    key=test.name.value,
                    title=f"{test.name.value}: {test.result.value} ({modifier})",
                    summary=f"{test.description} on {auto.url} ({'pass' if test.passed else 'fail'}, {modifier}).",
                    source_url=auto.url,
                    data={
                        "test": test.name.value,
                        "result": test.result.value,
                        "score_modifier": test.score_modifier,
                        "passed": test.passed,
                        "description": test.description,
                        "details": _json_safe(test.data),
                    },
                    confidence=HEADER_CONFIDENCE,
                )
            )
        return items

    def _header_items(self, context: CollectContext, home_host: str) -> list[EvidenceDraft]:
        items = []
        for host, entry in self._hosts.items():
            url = str(entry["url"])
            https = url.startswith("https://")
            headers = _as_headers(entry["headers"])
            for row in header_matrix(headers, https=https).values():
                state = {
                    Presence.PRESENT: "present",
                    Presence.ABSENT: "missing",
                    Presence.INVALID: "invalid",
                }[row.presence]
                summary = (
                    f"{row.header}: {row.value}" if row.value else f"{host} sends no {row.header} header"
                )
                items.append(
                    context.observed(
                        NAME,
                        EvidenceCategory.SECURITY,
                        EvidenceType.SECURITY_HEADER,
                        key=f"{host} {row.header.lower()}",
                        title=f"{row.header} {state} on {host}",
                        summary=f"{summary[:400]} ({row.verdict}).",
                        source_url=url,
                        data={
                            "host": host,
                            "home": host == home_host,
                            "header": row.header,
                            "presence": row.presence.value,
                            "value": row.value,
                            "verdict": row.verdict,
                            "warnings": list(row.warnings),
                            "https": https,
                            "deprecated": False,
                            "status": "not_observed" if row.presence is Presence.ABSENT else "observed",
                            "excerpt": truncate(f"{row.header}: {row.value}", 500) if row.value else None,
                        },
                        confidence=HEADER_CONFIDENCE,
                    )
                )
            for old in deprecated_headers(headers):
                items.append(
                    context.observed(
                        NAME,
                        EvidenceCategory.SECURITY,
                        EvidenceType.SECURITY_HEADER,
                        key=f"{host} {old.header.lower()}",
                        title=f"Deprecated {old.header} sent by {host}",
                        summary=f"{old.header}: {truncate(old.value, 200)} ({old.note}).",
                        source_url=url,
                        data={
                            "host": host,
                            "home": host == home_host,
                            "header": old.header,
                            "presence": "present",
                            "value": old.value,
                            "verdict": old.note,
                            "deprecated": True,
                            "excerpt": truncate(f"{old.header}: {old.value}", 500),
                        },
                        confidence=HEADER_CONFIDENCE,
                    )
                )
        return items

    def _cookie_items(self, context: CollectContext) -> list[EvidenceDraft]:
        items = []
        for key, cookie in self._cookies.items():
            flags = [flag for flag in ("secure", "httponly") if cookie[flag]]
            samesite = cookie["samesite"]
            flags.append(f"SameSite={samesite}" if samesite is not None else "no SameSite")
            problems = []
            if not cookie["secure"]:
                problems.append("not Secure")
            if cookie["session_like"] and not cookie["httponly"]:
                problems.append("session cookie readable by scripts")
            if not cookie["samesite_valid"]:
                problems.append("invalid SameSite (or SameSite=None without Secure)")
            if cookie["prefix_valid"] is False:
                problems.append(f"breaks the {cookie['prefix']} prefix rules")
            items.append(
                context.observed(
                    NAME,
                    EvidenceCategory.SECURITY,
                    EvidenceType.COOKIE,
                    key=key,
                    title=f"Cookie {cookie['name']} on {cookie['host']}: {', '.join(flags)}"[:500],
                    summary=f"{cookie['url']} sets {cookie['name']}"
                    + (f" ({'; '.join(problems)})." if problems else " with sound flags."),
                    source_url=str(cookie["url"]),
                    data={**cookie, "flags": flags, "problems": problems},
                    confidence=HEADER_CONFIDENCE,
                )
            )
        return items

    def _disclosure_items(self, context: CollectContext) -> list[EvidenceDraft]:
        items = []
        findings: dict[str, dict[str, Any]] = {}
        for disclosure in self._disclosures.values():
            source, host = disclosure["source"], disclosure["host"]
            product, version = disclosure["product"], disclosure["version"]
            items.append(
                context.observed(
                    NAME,
                    EvidenceCategory.TECHNOLOGY,
                    EvidenceType.SERVER_DISCLOSURE,
                    key=f"{host} {source.lower()} {product.lower()}",
                    title=f"{source} on {host} names {product}" + (f" {version}" if version else ""),
                    summary=f"{disclosure['url']} sends {source}: {truncate(disclosure['value'], 200)}.",
                    source_url=str(disclosure["url"]),
                    data={**disclosure, "excerpt": truncate(f"{source}: {disclosure['value']}", 500)},
                    confidence=HEADER_CONFIDENCE,
                )
            )
            if version:
                entry = findings.setdefault(
                    f"{product.lower()}/{version}",
                    {
                        "product": product,
                        "version": version,
                        "sources": [],
                        "hosts": [],
                        "url": disclosure["url"],
                    },
                )
                if source not in entry["sources"]:
                    entry["sources"].append(source)
                if host not in entry["hosts"]:
                    entry["hosts"].append(host)
        for key, finding in findings.items():
            items.append(
                context.observed(
                    NAME,
                    EvidenceCategory.SECURITY,
                    EvidenceType.VERSION_DISCLOSURE,
                    key=key,
                    title=f"{finding['product']} {finding['version']} disclosed by {', '.join(finding['sources'])}",
                    summary=f"{', '.join(finding['hosts'])} disclose{'s' if len(finding['hosts']) == 1 else ''} "
                    f"{finding['product']} version {finding['version']}.",
                    source_url=str(finding["url"]),
                    data=finding,
                    confidence=HEADER_CONFIDENCE,
                )
            )
        return items

    def _mixed_content_item(self, context: CollectContext) -> EvidenceDraft:
        mixed = self._mixed
        if mixed["count"]:
            title = f"{mixed['count']} insecure http:// subresource(s) on {mixed['pages_with_mixed']} https page(s)"
        else:
            title = f"No mixed content on {mixed['pages_checked']} https page(s)"
        examples = [{"page": page, "url": url} for page, url in mixed["examples"]]
        return context.observed(
            NAME,
            EvidenceCategory.SECURITY,
            EvidenceType.MIXED_CONTENT,
            key="site",
            title=title,
            summary=f"Checked {mixed['pages_checked']} https pages for http:// scripts, styles, images, frames and form targets"
            + (f"; first: {examples[0]['url']} on {examples[0]['page']}." if examples else "."),
            source_url=examples[0]["page"] if examples else context.root_url,
            data={
                "pages_checked": mixed["pages_checked"],
                "pages_with_mixed_content": mixed["pages_with_mixed"],
                "count": mixed["count"],
                "examples": examples,
                "status": "observed" if mixed["count"] else "not_observed",
            },
            confidence=PAGE_CONFIDENCE,
        )

    def _sri_item(self, context: CollectContext) -> EvidenceDraft:
        sri = self._sri
        total = sri["with_integrity"] + sri["without_integrity"]
        return context.observed(
            NAME,
            EvidenceCategory.SECURITY,
            EvidenceType.SUBRESOURCE_INTEGRITY,
            key="site",
            title=f"{sri['with_integrity']} of {total} cross-origin script/style loads carry integrity hashes",
            summary=f"Across {sri['pages_checked']} HTML pages, {sri['without_integrity']} cross-origin script or stylesheet "
            "loads have no integrity attribute"
            + (f"; for example {sri['examples_without'][0]}." if sri["examples_without"] else "."),
            source_url=context.root_url,
            data={
                "pages_checked": sri["pages_checked"],
                "with_integrity": sri["with_integrity"],
                "without_integrity": sri["without_integrity"],
                "examples_without": list(sri["examples_without"]),
            },
            confidence=PAGE_CONFIDENCE,
        )

    def _security_txt_item(self, context: CollectContext) -> EvidenceDraft:
        tried = []
        challenged: tuple[BotCheck, str] | None = None
        for path in ("/.well-known/security.txt", "/security.txt"):
            url = urljoin(context.root_url, path)
            result = context.fetcher.fetch(url, ResourceKind.SECURITY_TXT)
            tried.append({"url": url, "status": result.status, "error_code": result.error_code})
            plain = (result.content_type or "text/plain").startswith("text/plain")
            if result.ok and result.body and plain:
                return self._security_txt_found(context, result, tried)
            check = check_response(result.status, tuple(result.headers), result.text)
            if check.challenged:
                challenged = challenged or (check, url)
        if challenged:
            reason = not_seen_reason(challenged[0], "the site")
            return context.observed(
                NAME,
                EvidenceCategory.SECURITY,
                EvidenceType.SECURITY_TXT,
                key="security.txt",
                title=f"security.txt not seen: {reason}",
                summary=f"{challenged[1]} was answered by the bot protection, so whether a security.txt is "
                "published was not seen.",
                source_url=challenged[1],
                data={
                    "present": None,
                    "tried": tried,
                    "check": "security.txt",
                    "not_seen": reason,
                    "challenge": challenge_facts(*challenged),
                    "status": "not_observed",
                },
                confidence=HEADER_CONFIDENCE,
            )
        return context.observed(
            NAME,
            EvidenceCategory.SECURITY,
            EvidenceType.SECURITY_TXT,
            key="security.txt",
            title="No security.txt",
            summary="Neither /.well-known/security.txt nor /security.txt served a text/plain file.",
            source_url=str(tried[0]["url"]),
            data={"present": False, "tried": tried, "status": "not_observed"},
            confidence=HEADER_CONFIDENCE,
        )

    def _security_txt_found(
        self, context: CollectContext, result: FetchResult, tried: list[dict[str, Any]]
    ) -> EvidenceDraft:
        parsed = parse_security_txt(result.text)
        expires = parsed.expires.isoformat() if parsed.expires else None
        state = "expired" if parsed.expired else ("valid" if parsed.valid else "invalid")
        return context.observed(
            NAME,
            EvidenceCategory.SECURITY,
            EvidenceType.SECURITY_TXT,
            key="security.txt",
            title=f"security.txt published ({state}), contact {parsed.contact[0] if parsed.contact else 'missing'}"[
                :500
            ],
            summary=f"{result.final_url} lists {len(parsed.contact)} contact(s), expires {expires or 'never stated'}"
            + (
                f"; problems: {'; '.join([*parsed.errors, *parsed.warnings])}."
                if parsed.errors or parsed.warnings
                else "."
            ),
            source_url=result.final_url,
            data={
                "present": True,
                "url": result.final_url,
                "tried": tried,
                "contact": list(parsed.contact),
                "expires": expires,
                "expired": parsed.expired,
                "encryption": list(parsed.encryption),
                "acknowledgments": list(parsed.acknowledgments),
                "preferred_languages": list(parsed.preferred_languages),
                "canonical": list(parsed.canonical),
                "policy": list(parsed.policy),
                "hiring": list(parsed.hiring),
                "signed": parsed.signed,
                "valid": parsed.valid,
                "errors": list(parsed.errors),
                "warnings": list(parsed.warnings),
                "excerpt": result.text[:500],
            },
            confidence=HEADER_CONFIDENCE,
        )


def _auto_from(result: FetchResult, *, https: bool) -> _Auto:
    html = result.text if (result.content_type or "").endswith("html") else ""
    return _Auto(result.final_url, int(result.status or 0), tuple(result.headers), html, https)


def _redirect_steps(result: FetchResult) -> tuple[RedirectStep, ...]:
    """Every response of the http:// chain; a final hop that failed on its certificate is marked unverified."""
    steps = [RedirectStep(hop.url, hop.status) for hop in result.redirects]
    if result.status is not None and result.error_code in (None, "body_too_large"):
        steps.append(RedirectStep(result.final_url, result.status))
    elif result.error_code == "tls_error" and steps:
        steps.append(RedirectStep(result.final_url, 0, certificate_verified=False))
    return tuple(steps)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
