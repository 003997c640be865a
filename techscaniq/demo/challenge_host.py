"""The fixture company's customer portal host, which answers every request with a Cloudflare managed challenge.

The page is the kind an enterprise zone customises (Cloudflare's custom challenge pages): the company's logo and
its tag-manager snippet around the vendor's challenge script, so a scanner that read it as the company's page
would report Google Tag Manager from it. Registered by one line in `site.build_site`.

The gate host (`install_passable`) is the variant a browser passes: a JavaScript challenge that sets a clearance
cookie and reloads (`Site.gates`: the server answers the challenge to any request without that cookie), behind which
a few pages (home, pricing, careers, security) send the company's own security headers.
"""

from __future__ import annotations

from typing import Any

CHALLENGE_LABEL = "portal"
CHALLENGE_STATUS = 403
CHALLENGE_VENDOR = "Cloudflare"
# The technologies a scan may report from the challenge pages: the vendor's own.
CHALLENGE_TECHNOLOGIES = ("Cloudflare", "Cloudflare Bot Management")


def _challenge_page(host: str, ray: str, gtm: str) -> bytes:
    return f"""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta http-equiv="X-UA-Compatible" content="IE=Edge">
<meta name="robots" content="noindex,nofollow">
<meta name="viewport" content="width=device-width,initial-scale=1">
<script>(function(w,d,s,l,i){{w[l]=w[l]||[];w[l].push({{'gtm.start':new Date().getTime(),event:'gtm.js'}});
var f=d.getElementsByTagName(s)[0],j=d.createElement(s);j.async=true;j.src='https://www.googletagmanager.com/gtm.js?id='+i;
f.parentNode.insertBefore(j,f);}})(window,document,'script','dataLayer','{gtm}');</script>
<script async src="https://www.googletagmanager.com/gtm.js?id={gtm}"></script>
</head><body><div class="main-wrapper" role="main"><div class="main-content">
<img src="/brand/logo.svg" alt="Northwind Ledger" width="180" height="32">
<h1 class="zone-name-title h1">{host}</h1>
<h2 class="h2" id="challenge-body-text">Verifying you are human. This may take a few seconds.</h2>
<noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></noscript>
<p><a href="https://www.cloudflare.com/5xx-error-landing">Performance &amp; security by Cloudflare</a></p>
</div></div>
<div class="footer" role="contentinfo"><div class="footer-inner"><div class="text-center" id="footer-text">Ray ID:
<code>{ray}</code></div></div></div>
<script>(function(){{window._cf_chl_opt={{cvId: '3',cZone: "{host}",cType: 'managed',cNounce: '74513',
cRay: '{ray}',cHash: '9f6a0e1c2b3d4e5',cUPMDTk: "\\/?__cf_chl_tk=Q1w2E3r4T5y6",cFPWv: 'g'}};
var cpo = document.createElement('script');
cpo.src = '/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray={ray}';
window._cf_chl_opt.cOgUHash = location.hash === '' && location.href.indexOf('#') !== -1 ? '#' : location.hash;
document.getElementsByTagName('head')[0].appendChild(cpo);}}());</script></body></html>
""".encode()


def install(builder: Any) -> dict[str, Any]:
    """Add the portal host (every path a challenge, an A record) to a site builder; returns its manifest facts."""
    from techscaniq.demo.northwind.common import seeded_token as _token
    from techscaniq.demo.northwind.facts import TECH_IDS
    from techscaniq.demo.site_model import SiteResponse

    host = f"{CHALLENGE_LABEL}.{builder.domain}"
    builder.hosts[CHALLENGE_LABEL] = host
    ray = _token(builder.seed, "portal-ray", 16)
    bm = _token(builder.seed, "portal-cfbm", 40)
    headers = (
        ("Server", "cloudflare"),
        ("CF-RAY", f"{ray}-SEA"),
        ("cf-mitigated", "challenge"),
        (
            "Cache-Control",
            "private, max-age=0, no-store, no-cache, must-revalidate, post-check=0, pre-check=0",
        ),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "SAMEORIGIN"),
        ("X-Content-Type-Options", "nosniff"),
        (
            "Set-Cookie",
            f"__cf_bm={bm}; path=/; expires=Fri, 01-Jan-2038 00:00:00 GMT; domain=.{host}; HttpOnly; Secure",
        ),
        ("Content-Type", "text/html; charset=UTF-8"),
    )
    body = _challenge_page(host, ray, TECH_IDS["gtm"])
    builder.not_found[host] = SiteResponse(CHALLENGE_STATUS, headers, body)
    builder.zone[host] = {"A": ["{ip}"]}
    return {
        "host": host,
        "vendor": CHALLENGE_VENDOR,
        "status": CHALLENGE_STATUS,
        "every_path": True,
        "technologies_allowed": list(CHALLENGE_TECHNOLOGIES),
        "technologies_on_page_not_to_report": ["Google Tag Manager"],
    }


# The variant a browser passes: a JavaScript challenge that sets a clearance cookie and reloads. A client that runs
# no script (the crawler) gets the challenge on every request; a browser gets the company's pages after one reload.
PASSABLE_LABEL = "gate"
PASSABLE_COOKIE = "cf_clearance"
# Pages behind the challenge, by path: (title, page class, body). The home page links to the others.
PASSABLE_PAGES = {
    "/": ("Northwind Ledger Gate - close your books faster", "home", ""),
    "/pricing": (
        "Pricing - Northwind Ledger Gate",
        "pricing",
        "<h1>Pricing</h1><p>Team: $49 per user per month. Business: $99 per user per month.</p>",
    ),
    "/careers": (
        "Careers - Northwind Ledger Gate",
        "careers",
        "<h1>Careers</h1><p>We are hiring a Senior Platform Engineer in Lisbon to run our ledger service.</p>",
    ),
    "/security": (
        "Security - Northwind Ledger Gate",
        "security",
        "<h1>Security</h1><p>Customer data is encrypted at rest and in transit; we test our controls yearly.</p>",
    ),
}
# What the passed pages send: the company's own headers, which the challenge's do not show.
PASSABLE_PAGE_HEADERS = (
    ("Server", "cloudflare"),
    (
        "Content-Security-Policy",
        "default-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Content-Type", "text/html; charset=utf-8"),
)
# Seen only past the challenge: its script source is in the passed pages alone.
PASSABLE_TECHNOLOGY = "jQuery"


def _js_challenge_page(host: str, ray: str, clearance: str) -> bytes:
    return f"""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta name="robots" content="noindex,nofollow">
</head><body><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">{host}</h1>
<h2 class="h2" id="challenge-body-text">Checking your browser before accessing {host}.</h2>
<noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></noscript>
</div></div>
<div class="footer" role="contentinfo">Ray ID: <code>{ray}</code></div>
<script>window._cf_chl_opt={{cvId: '3',cZone: "{host}",cType: 'non-interactive',cRay: '{ray}'}};
setTimeout(function () {{
  document.cookie = "{PASSABLE_COOKIE}={clearance}; path=/; SameSite=Lax";
  location.reload();
}}, 100);</script></body></html>
""".encode()


def _passed_page(title: str, body: str) -> bytes:
    nav = "".join(f'<a href="{path}">{path.strip("/") or "home"}</a> ' for path in PASSABLE_PAGES)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        '<script src="/assets/jquery-3.7.1.min.js"></script></head>'
        f"<body><nav>{nav}</nav><main>{body or '<h1>Close your books faster</h1>'}</main></body></html>\n"
    ).encode()


def install_passable(builder: Any) -> dict[str, Any]:
    """Add the gate host (a JavaScript challenge a browser passes, then a few pages) to a site builder."""
    from techscaniq.demo.northwind.common import seeded_token as _token
    from techscaniq.demo.site_model import SiteResponse

    host = f"{PASSABLE_LABEL}.{builder.domain}"
    builder.hosts[PASSABLE_LABEL] = host
    ray = _token(builder.seed, "gate-ray", 16)
    clearance = _token(builder.seed, "gate-clearance", 32)
    challenge_headers = (
        ("Server", "cloudflare"),
        ("CF-RAY", f"{ray}-SEA"),
        ("cf-mitigated", "challenge"),
        ("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate"),
        ("Content-Type", "text/html; charset=UTF-8"),
    )
    challenge = SiteResponse(CHALLENGE_STATUS, challenge_headers, _js_challenge_page(host, ray, clearance))
    builder.gates[host] = (f"{PASSABLE_COOKIE}={clearance}", challenge)
    for path, (title, _, body) in PASSABLE_PAGES.items():
        builder.responses[(host, path)] = SiteResponse(200, PASSABLE_PAGE_HEADERS, _passed_page(title, body))
    script = (("Content-Type", "application/javascript; charset=utf-8"), ("Server", "cloudflare"))
    builder.responses[(host, "/assets/jquery-3.7.1.min.js")] = SiteResponse(
        200, script, b"window.jQuery={};\n"
    )
    builder.not_found[host] = SiteResponse(
        404, PASSABLE_PAGE_HEADERS, _passed_page("Not found", "<h1>404</h1>")
    )
    builder.zone[host] = {"A": ["{ip}"]}
    return {
        "host": host,
        "vendor": CHALLENGE_VENDOR,
        "status": CHALLENGE_STATUS,
        "cookie": PASSABLE_COOKIE,
        "pages": {path: page_class for path, (_, page_class, _) in PASSABLE_PAGES.items()},
        "page_headers": [list(pair) for pair in PASSABLE_PAGE_HEADERS],
        "technology_past_challenge": PASSABLE_TECHNOLOGY,
    }
