"""The fixture company's customer portal host, which answers every request with a Cloudflare managed challenge.

The page is the kind an enterprise zone customises (Cloudflare's custom challenge pages): the company's logo and
its tag-manager snippet around the vendor's challenge script, so a scanner that read it as the company's page
would report Google Tag Manager from it. Registered by one line in `site.build_site`.
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
<img src="/brand/logo.svg" alt="Northwind Ledger" width="148" height="32">
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
