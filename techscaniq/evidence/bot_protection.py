"""Recognise bot-protection challenge and block pages, and the vendor behind them, from one response.

The markers are data: each names a vendor, where it looks (a header, a cookie or the body), a pattern, and what
it proves. A `challenge` or `block` marker alone marks the page as not the company's content, but only with the
statuses that vendor really answers with (a product page mentioning "Just a moment..." is a 200); `protection`
markers show the vendor's bot product on pages that passed; `edge` markers only name the vendor's network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from techscaniq.domain import with_article

BODY_SCAN_CHARS = 256 * 1024
# An interstitial served with a 2xx status is tiny; a marker that may count on a 2xx counts only on such a page.
SMALL_PAGE_CHARS = 16 * 1024
ERROR_STATUSES = frozenset({401, 403, 405, 429, 503})


class MarkerKind(StrEnum):
    """What a matching marker proves."""

    CHALLENGE = "challenge"  # an interstitial a browser may pass (JavaScript, captcha)
    BLOCK = "block"  # a refusal
    PROTECTION = "protection"  # the vendor's bot product on a page that was served
    EDGE = "edge"  # only the vendor's network (a CDN header)


class Where(StrEnum):
    """Where a marker looks."""

    HEADER = "header"
    COOKIE = "cookie"
    BODY = "body"


@dataclass(frozen=True)
class Marker:
    """One vendor signal; `statuses` limits it to those response statuses (empty: any)."""

    vendor: str
    kind: MarkerKind
    where: Where
    name: str  # header name, or cookie name (a trailing * matches a prefix); "" for the body
    pattern: str = ""  # regex over the header value or the body; "" = present
    statuses: frozenset[int] = frozenset()
    small_page_on_success: bool = False  # on a 2xx, counts only when the body is under SMALL_PAGE_CHARS
    literal: str = ""  # lower-case text the body must hold before the regex runs (cheap pre-filter)

    @property
    def decisive(self) -> bool:
        """True when this marker alone marks a challenge or block page."""
        return self.kind in (MarkerKind.CHALLENGE, MarkerKind.BLOCK)


# The technologies of the fingerprint set each vendor stands for: the only ones detected on its challenge pages.
VENDOR_TECHNOLOGIES: dict[str, frozenset[str]] = {
    "Cloudflare": frozenset({"Cloudflare", "Cloudflare Bot Management", "Cloudflare Turnstile"}),
    "Akamai": frozenset({"Akamai", "Akamai Bot Manager"}),
    "DataDome": frozenset({"DataDome"}),
    "PerimeterX (HUMAN)": frozenset({"HUMAN"}),
    "Imperva": frozenset({"Imperva"}),
    "AWS WAF": frozenset({"AWS WAF", "Amazon Web Services", "Amazon CloudFront"}),
    "Kasada": frozenset({"Kasada"}),
    "Sucuri": frozenset({"Sucuri"}),
}

_CF_ERRORS = frozenset({403, 429, 503})
_FORBIDDEN = frozenset({403})


C, B, P, E = MarkerKind.CHALLENGE, MarkerKind.BLOCK, MarkerKind.PROTECTION, MarkerKind.EDGE
H, K, BODY = Where.HEADER, Where.COOKIE, Where.BODY

MARKERS: tuple[Marker, ...] = (
    # Cloudflare: managed and JS challenges answer 403 (legacy "I'm Under Attack" 503) with cf-mitigated.
    Marker("Cloudflare", C, H, "cf-mitigated", r"challenge"),
    Marker(
        "Cloudflare",
        C,
        BODY,
        "",
        r"<title>\s*Just a moment\.\.\.\s*</title>",
        _CF_ERRORS,
        literal="just a moment",
    ),
    Marker("Cloudflare", C, BODY, "", r"window\._cf_chl_opt\s*=", _CF_ERRORS, literal="_cf_chl_opt"),
    Marker(
        "Cloudflare",
        C,
        BODY,
        "",
        r"/cdn-cgi/challenge-platform/h/[a-z]/orchestrate/",
        _CF_ERRORS,
        literal="/cdn-cgi/challenge-platform/",
    ),
    Marker(
        "Cloudflare",
        B,
        BODY,
        "",
        r"<title>\s*Attention Required! \| Cloudflare\s*</title>",
        _FORBIDDEN,
        literal="attention required",
    ),
    Marker(
        "Cloudflare", B, BODY, "", r"id=[\"']cf-error-details[\"']", _FORBIDDEN, literal="cf-error-details"
    ),
    Marker(
        "Cloudflare",
        P,
        BODY,
        "",
        r"/cdn-cgi/challenge-platform/scripts/jsd/",
        literal="/cdn-cgi/challenge-platform/",
    ),
    Marker("Cloudflare", P, K, "__cf_bm"),
    Marker("Cloudflare", P, K, "cf_clearance"),
    Marker("Cloudflare", E, H, "cf-ray"),
    Marker("Cloudflare", E, H, "server", r"^cloudflare$"),
    # Akamai: the edge's refusal names a reference number; the Bot Manager challenge loads /_sec/cp_challenge/.
    Marker(
        "Akamai",
        B,
        BODY,
        "",
        r"<title>\s*Access Denied\s*</title>.{0,2000}?Reference\s*(?:#|&#32;&#35;)\s*[0-9a-f]+(?:\.|&#46;)[0-9a-f]+",
        _FORBIDDEN,
        literal="reference",
    ),
    Marker(
        "Akamai", B, BODY, "", r"errors(?:\.|&#46;)edgesuite(?:\.|&#46;)net", _FORBIDDEN, literal="edgesuite"
    ),
    Marker(
        "Akamai",
        C,
        BODY,
        "",
        r"/_sec/cp_challenge/",
        frozenset({200, 403, 428, 429}),
        small_page_on_success=True,
        literal="/_sec/cp_challenge/",
    ),
    Marker("Akamai", P, K, "_abck"),
    Marker("Akamai", P, K, "bm_sz"),
    Marker("Akamai", P, K, "ak_bmsc"),
    Marker("Akamai", E, H, "server", r"^AkamaiGHost"),
    Marker("Akamai", E, H, "akamai-grn"),
    # DataDome: every protected answer says x-datadome; a refusal is a 403 pointing at captcha-delivery.com.
    Marker("DataDome", C, H, "x-datadome", "", frozenset({401, 403, 405, 429})),
    Marker("DataDome", C, H, "x-dd-b", "", ERROR_STATUSES),
    Marker(
        "DataDome",
        C,
        BODY,
        "",
        r"(?:geo|ct|interstitial)\.captcha-delivery\.com",
        ERROR_STATUSES,
        literal="captcha-delivery.com",
    ),
    Marker("DataDome", C, BODY, "", r"var\s+dd\s*=\s*\{\s*['\"]rt['\"]", ERROR_STATUSES, literal="dd"),
    Marker("DataDome", P, H, "x-datadome"),
    Marker("DataDome", P, H, "x-datadome-cid"),
    Marker("DataDome", P, K, "datadome"),
    Marker("DataDome", P, BODY, "", r"js\.datadome\.co/tags\.js", literal="datadome"),
    # PerimeterX (now HUMAN): the block page holds the press-and-hold captcha in #px-captcha.
    Marker(
        "PerimeterX (HUMAN)",
        C,
        BODY,
        "",
        r"id=[\"']px-captcha[\"']",
        ERROR_STATUSES,
        small_page_on_success=True,
        literal="px-captcha",
    ),
    Marker(
        "PerimeterX (HUMAN)",
        C,
        BODY,
        "",
        r"<title>\s*Access to this page has been denied\.?\s*</title>",
        ERROR_STATUSES,
        literal="access to this page has been denied",
    ),
    Marker(
        "PerimeterX (HUMAN)",
        C,
        BODY,
        "",
        r"captcha\.px-cdn\.net|captcha\.px-cloud\.net",
        ERROR_STATUSES,
        literal="captcha.px-c",
    ),
    Marker("PerimeterX (HUMAN)", P, K, "_px*"),
    Marker("PerimeterX (HUMAN)", P, K, "pxcts"),
    Marker(
        "PerimeterX (HUMAN)",
        P,
        BODY,
        "",
        r"client\.perimeterx\.net|client\.px-cloud\.net|window\._pxAppId\s*=",
        literal="px",
    ),
    # Imperva (Incapsula): the refusal names an incident ID; the JS challenge is a tiny noindex page.
    Marker(
        "Imperva",
        B,
        BODY,
        "",
        r"Incapsula incident ID:?\s*\d+-\d+",
        small_page_on_success=True,
        literal="incapsula incident id",
    ),
    Marker(
        "Imperva",
        B,
        BODY,
        "",
        r"/_Incapsula_Resource\?(?:SWUDNSAI|CWUDNSAI)=",
        small_page_on_success=True,
        literal="_incapsula_resource",
    ),
    Marker(
        "Imperva",
        C,
        BODY,
        "",
        r"<meta name=\"?robots\"? content=\"?noindex,\s*nofollow\"?\s*/?>\s*(?:<head>\s*)?<script[^>]*/_Incapsula_Resource\?",
        small_page_on_success=True,
        literal="_incapsula_resource",
    ),
    Marker("Imperva", P, K, "visid_incap_*"),
    Marker("Imperva", P, K, "incap_ses_*"),
    Marker("Imperva", P, H, "x-iinfo"),
    Marker("Imperva", E, H, "x-cdn", r"imperva|incapsula"),
    # AWS WAF: challenge (202) and captcha (405) actions say so in a header.
    Marker("AWS WAF", C, H, "x-amzn-waf-action", r"challenge|captcha"),
    Marker(
        "AWS WAF",
        C,
        BODY,
        "",
        r"AwsWafIntegration|\.token\.awswaf\.com/[^\"']*/challenge\.js",
        frozenset({202, 405}),
        literal="awswaf",
    ),
    Marker("AWS WAF", P, K, "aws-waf-token"),
    # Kasada: a 429 carrying its SDK bootstrap; every protected answer carries x-kpsdk headers.
    Marker("Kasada", C, BODY, "", r"window\.KPSDK\s*=", frozenset({429}), literal="kpsdk"),
    Marker("Kasada", P, H, "x-kpsdk-ct"),
    Marker("Kasada", P, H, "x-kpsdk-cd"),
    # Sucuri: its firewall's block page, and the JS "cloudproxy" challenge.
    Marker("Sucuri", B, H, "x-sucuri-block"),
    Marker(
        "Sucuri",
        B,
        BODY,
        "",
        r"<title>\s*Sucuri WebSite Firewall - Access Denied\s*</title>",
        _FORBIDDEN,
        literal="sucuri",
    ),
    Marker(
        "Sucuri",
        C,
        BODY,
        "",
        r"sucuri_cloudproxy_js",
        small_page_on_success=True,
        literal="sucuri_cloudproxy_js",
    ),
    Marker("Sucuri", E, H, "x-sucuri-id"),
)

_COMPILED = {
    marker: re.compile(marker.pattern, re.IGNORECASE | re.DOTALL) for marker in MARKERS if marker.pattern
}


@dataclass(frozen=True)
class BotCheck:
    """What one response showed: the vendor, whether it was a challenge or block page, and every signal."""

    vendor: str | None
    outcome: str | None  # "challenge", "block", or None when the page was served
    signals: tuple[str, ...] = ()
    vendors: tuple[str, ...] = field(default=())  # every vendor with a challenge, block or protection signal

    @property
    def challenged(self) -> bool:
        """True when the response is a challenge or block page, not the site's content."""
        return self.outcome is not None

    @property
    def technologies(self) -> frozenset[str]:
        """The fingerprint names allowed to be detected on this page when it is a challenge."""
        return VENDOR_TECHNOLOGIES.get(self.vendor or "", frozenset())


NOT_PROTECTED = BotCheck(None, None)


def _cookie_names(headers: Iterable[tuple[str, str]]) -> list[str]:
    names = []
    for name, value in headers:
        if name.lower() == "set-cookie":
            cookie = value.split(";", 1)[0].split("=", 1)[0].strip()
            if cookie:
                names.append(cookie)
    return names


def _marker_matches(
    marker: Marker,
    status: int | None,
    headers: Sequence[tuple[str, str]],
    cookies: Sequence[str],
    body: str,
    body_lower: str,
) -> str | None:
    """The signal text when the marker matches this response, else None."""
    if marker.statuses and status not in marker.statuses:
        return None
    regex = _COMPILED.get(marker)
    if marker.where is Where.HEADER:
        wanted = marker.name.lower()
        for name, value in headers:
            if name.lower() == wanted and (regex is None or regex.search(value)):
                return f"header {marker.name}: {value[:80]}" if value else f"header {marker.name}"
        return None
    if marker.where is Where.COOKIE:
        prefix = marker.name[:-1].lower() if marker.name.endswith("*") else None
        for cookie in cookies:
            lowered = cookie.lower()
            if (prefix is not None and lowered.startswith(prefix)) or lowered == marker.name.lower():
                return f"cookie {cookie}"
        return None
    if (
        marker.small_page_on_success
        and status is not None
        and 200 <= status < 300
        and len(body) > SMALL_PAGE_CHARS
    ):
        return None
    if marker.literal and marker.literal not in body_lower:
        return None
    found = regex.search(body) if regex is not None else None
    if found is None:
        return None
    return f"body {' '.join(found.group(0).split())[:80]}"


def check_response(status: int | None, headers: Sequence[tuple[str, str]], body: str) -> BotCheck:
    """The bot-protection verdict for one response (status, headers in order, decoded body)."""
    if status is None:
        return NOT_PROTECTED
    headers = list(headers)
    cookies = _cookie_names(headers)
    text = body[:BODY_SCAN_CHARS]
    lower = text.lower()
    decisive: dict[str, list[tuple[MarkerKind, str]]] = {}
    supporting: dict[str, list[str]] = {}
    for marker in MARKERS:
        signal = _marker_matches(marker, status, headers, cookies, text, lower)
        if signal is None:
            continue
        if marker.decisive:
            decisive.setdefault(marker.vendor, []).append((marker.kind, signal))
        else:
            supporting.setdefault(marker.vendor, []).append(f"{marker.kind}: {signal}")
    protected = [v for v in supporting if any(not s.startswith("edge:") for s in supporting[v])]
    if not decisive:
        if not protected:
            return NOT_PROTECTED
        vendor = protected[0]
        signals = tuple(s for v in protected for s in supporting[v])
        return BotCheck(vendor, None, signals, tuple(protected))
    # The vendor with the most decisive signals, its own edge signals breaking a tie.
    vendor = max(decisive, key=lambda v: (len(decisive[v]), len(supporting.get(v, ()))))
    kinds = {kind for kind, _ in decisive[vendor]}
    outcome = MarkerKind.CHALLENGE if MarkerKind.CHALLENGE in kinds else MarkerKind.BLOCK
    signals = tuple([f"{kind}: {signal}" for kind, signal in decisive[vendor]] + supporting.get(vendor, []))
    vendors = tuple(dict.fromkeys([vendor, *decisive, *protected]))
    return BotCheck(vendor, str(outcome), signals, vendors)


def challenge_facts(check: BotCheck, url: str) -> dict[str, object]:
    """What a site-level item records when the response it would grade was a challenge or block page."""
    return {
        "vendor": check.vendor,
        "outcome": check.outcome,
        "url": url,
        "signals": list(check.signals[:5]),
    }


def not_seen_reason(check: BotCheck, what: str = "the root") -> str:
    """Why a check was not graded: e.g. "the root answered with a Cloudflare challenge"."""
    outcome = "block page" if check.outcome == MarkerKind.BLOCK else "challenge"
    return f"{what} answered with {with_article(check.vendor or 'bot-protection')} {outcome}"
