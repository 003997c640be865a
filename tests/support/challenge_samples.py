"""Real challenge and block responses of the bot-protection vendors (status, headers, body), for the tests."""

from __future__ import annotations

CLOUDFLARE_MANAGED_CHALLENGE = (
    403,
    [
        ("Server", "cloudflare"),
        ("CF-RAY", "8a1b2c3d4e5f6a7b-SEA"),
        ("cf-mitigated", "challenge"),
        ("Content-Type", "text/html; charset=UTF-8"),
        ("Cross-Origin-Embedder-Policy", "require-corp"),
    ],
    """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta name="robots" content="noindex,nofollow">
</head><body><div class="main-wrapper" role="main"><div class="main-content">
<noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></noscript>
</div></div><script>(function(){window._cf_chl_opt={cvId: '3',cZone: "www.example.com",cType: 'managed'};
var cpo = document.createElement('script');cpo.src = '/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8a1b2c3d4e5f6a7b';
document.getElementsByTagName('head')[0].appendChild(cpo);}());</script></body></html>""",
)

CLOUDFLARE_LEGACY_IUAM = (
    503,
    [("Server", "cloudflare"), ("CF-RAY", "7a0b1c2d3e4f5a6b-LHR")],
    "<html><head><title>Just a moment...</title></head><body>Checking your browser before accessing "
    "example.com.<script>window._cf_chl_opt = {cvId: '2'};</script></body></html>",
)

CLOUDFLARE_1020_BLOCK = (
    403,
    [("Server", "cloudflare"), ("CF-RAY", "7a0b1c2d3e4f5a6b-FRA")],
    """<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>
<div id="cf-wrapper"><div id="cf-error-details" class="cf-error-details-wrapper"><h1>Sorry, you have been blocked</h1>
<h2 class="cf-subheadline">You are unable to access example.com</h2></div>
<span>Cloudflare Ray ID: <strong class="font-semibold">7a0b1c2d3e4f5a6b</strong></span></div></body></html>""",
)

AKAMAI_ACCESS_DENIED = (
    403,
    [("Server", "AkamaiGHost"), ("Mime-Version", "1.0"), ("Content-Type", "text/html")],
    """<HTML><HEAD>
<TITLE>Access Denied</TITLE>
</HEAD><BODY>
<H1>Access Denied</H1>

You don't have permission to access "http&#58;&#47;&#47;www&#46;example&#46;com&#47;" on this server.<P>
Reference&#32;&#35;18&#46;6f2c1002&#46;1700000000&#46;1a2b3c4d
<P>https&#58;&#47;&#47;errors&#46;edgesuite&#46;net&#47;18&#46;6f2c1002&#46;1700000000&#46;1a2b3c4d</P>
</BODY>
</HTML>""",
)

AKAMAI_SEC_CPT = (
    428,
    [("Set-Cookie", "sec_cpt=A1B2C3~3; Domain=example.com; Path=/; Max-Age=7200")],
    '<!DOCTYPE html><html><head><title>Challenge</title></head><body><div id="sec-if-cpt-container">'
    '<script src="/_sec/cp_challenge/ak-challenge-4-3.js"></script></div></body></html>',
)

DATADOME_BLOCK = (
    403,
    [
        ("X-DataDome", "protected"),
        ("X-DD-B", "1"),
        (
            "Set-Cookie",
            "datadome=AbCdEf~123; Max-Age=31536000; Domain=.example.com; Path=/; Secure; SameSite=Lax",
        ),
    ],
    """<html><head><title>example.com</title><style>#cmsg{animation: A 1.5s;}</style></head>
<body style="margin:0"><p id="cmsg">Please enable JS and disable any ad blocker</p>
<script data-cfasync="false">var dd={'rt':'c','cid':'AHrlqAAA','hsh':'1A2B3C','t':'fe','s':40475,'e':'abc',
'host':'geo.captcha-delivery.com','cookie':'AbCdEf'}</script>
<script data-cfasync="false" src="https://ct.captcha-delivery.com/c.js"></script></body></html>""",
)

PERIMETERX_BLOCK = (
    403,
    [
        ("Content-Type", "text/html"),
        ("Set-Cookie", "_pxhd=abc123:def456; Expires=Wed, 01 Jan 2031 00:00:00 GMT; path=/"),
    ],
    """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Access to this page has been denied</title></head><body>
<section class="center-wrapper"><div class="page-title-wrapper"><h1 class="page-title">Before we continue...</h1></div>
<p>Press &amp; Hold to confirm you are a human (and not a bot).</p><div id="px-captcha"></div>
<script>window._pxAppId = 'PXa1b2c3d4';window._pxJsClientSrc = '/a1b2c3d4/init.js';</script>
<script src="https://captcha.px-cdn.net/PXa1b2c3d4/captcha.js?a=c&u=abc&v=&m=0"></script></section></body></html>""",
)

IMPERVA_INCIDENT = (
    200,
    [("X-CDN", "Imperva"), ("X-Iinfo", "12-34567890-0 0NNN RT(1700000000000 0) q(0 -1 -1 -1) r(0 -1)")],
    '<html style="height:100%"><head><META NAME="ROBOTS" CONTENT="NOINDEX, NOFOLLOW"></head>'
    '<body style="margin:0px;height:100%"><iframe id="main-iframe" src="/_Incapsula_Resource?CWUDNSAI=27&xinfo=1'
    '&incident_id=123000450012345678-987654321012345678&edet=15" frameborder=0 width="100%" height="100%">'
    "Request unsuccessful. Incapsula incident ID: 123000450012345678-987654321012345678</iframe></body></html>",
)

IMPERVA_JS_CHALLENGE = (
    200,
    [("Set-Cookie", "visid_incap_2345678=abcdef; expires=Thu, 01 Jan 2026 00:00:00 GMT; HttpOnly; path=/")],
    '<html><head><META NAME="robots" CONTENT="noindex,nofollow"><script src="/_Incapsula_Resource?'
    'SWJIYLWA=5074a744e2e3d891814e9a2dace20bd4,719d34d31c8e3a6e6fffd425f7e032f3"></script><body></body></html>',
)

AWS_WAF_CHALLENGE = (
    202,
    [("x-amzn-waf-action", "challenge"), ("Content-Type", "text/html; charset=UTF-8")],
    '<!DOCTYPE html><html lang="en"><head><script type="text/javascript" '
    'src="https://abc123def456.edge.sdk.awswaf.com/abc123def456/0f1e2d3c4b5a/challenge.js"></script></head>'
    "<body><script>AwsWafIntegration.saveReferrer();AwsWafIntegration.checkForceRefresh()</script></body></html>",
)

KASADA_BLOCK = (
    429,
    [("x-kpsdk-ct", "0abcdef")],
    "<html><head></head><body><script>window.KPSDK={};KPSDK.now=Date.now;</script>"
    '<script src="/149e9513-01fa-4fb0-aad4-566afd725d1b/2d206a39-8ed7-437e-a3be-862e0f06eea3/ips.js"></script>'
    "</body></html>",
)

SUCURI_BLOCK = (
    403,
    [("Server", "Sucuri/Cloudproxy"), ("X-Sucuri-ID", "17012"), ("X-Sucuri-Block", "BL001")],
    "<html><head><title>Sucuri WebSite Firewall - Access Denied</title></head><body>Access Denied - "
    "Sucuri Website Firewall</body></html>",
)
