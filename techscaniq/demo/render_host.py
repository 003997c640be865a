"""The fixture company's web app host: facts that only a browser sees. Registered by one line in `site.build_site`.

- The home page loads one first-party tag-manager script; it injects the session-replay and A/B-testing vendors'
  tags, so no vendor name is in the HTML (Hotjar, Optimizely); it also sets a chat vendor's page globals without
  loading its script (Crisp: found only by a `js` pattern) and calls an analytics vendor's API with fetch (Mixpanel:
  found only by an `xhr` pattern).
- `/directory` is client-rendered: its HTML is an empty mount point; the script builds the list (Vue-style scoped
  attributes) and the links to the partner pages, which exist only after rendering.
- `/console` is an Angular-style app: its bootstrap script stamps `ng-version` on the root element, the framework's
  only trace (Angular: found only by a `dom` pattern, version included).
"""

from __future__ import annotations

import json
from typing import Any

RENDER_LABEL = "app"
HOTJAR_SITE_ID = "3712904"
OPTIMIZELY_PROJECT = "24681357"
FULLSTORY_ORG = "o-1NWL7K-na1"
CRISP_WEBSITE = "7d3f5c1e-2b4a-4c8d-9e6f-0a1b2c3d4e5f"
MIXPANEL_TOKEN = "5f2e8c4a9b1d7e3f6a0c2b4d8e1f3a5c"
VUE_SCOPE = "data-v-5f1c2a3b"
PARTNERS = ("ledgerlink", "paybridge", "taxwise", "closekit", "auditrail")
# Technologies a scan finds only when it renders, and where they come from.
RENDER_ONLY_TECHNOLOGIES = {
    "Hotjar": "tag injected by /static/tags.js",
    "Optimizely": "tag injected by /static/tags.js",
    "FullStory": "settings request (fetch) made by /static/tags.js; in no DOM",
    "Vue.js": "scoped attributes written by /static/directory.js on /directory",
    "Crisp": "page globals $crisp and CRISP_WEBSITE_ID set by /static/tags.js; in no DOM or request",
    "Mixpanel": "fetch to api-js.mixpanel.com made by /static/tags.js; in no DOM",
    "Angular": "ng-version attribute stamped by /static/console.js on /console",
}
# Of those, the ones only a `js` pattern (a page global) or only an `xhr` pattern (an XHR/fetch host) finds.
JS_ONLY_TECHNOLOGIES = {"Crisp": "$crisp"}
XHR_ONLY_TECHNOLOGIES = {"Mixpanel": "api-js.mixpanel.com"}
# And the one only a `dom` pattern finds: (selector, version it reads).
ANGULAR_VERSION = "17.3.4"
DOM_ONLY_TECHNOLOGIES = {"Angular": ("[ng-version]", ANGULAR_VERSION)}

TAGS_JS = f"""(function () {{
  var tags = [
    "https://static.hotjar.com/c/hotjar-{HOTJAR_SITE_ID}.js?sv=6",
    "https://cdn.optimizely.com/js/{OPTIMIZELY_PROJECT}.js"
  ];
  window.nwlTags = {{ loaded: tags.length, version: "2.4.1" }};
  fetch("https://edge.fullstory.com/s/settings/{FULLSTORY_ORG}/v1/web").catch(function () {{}});
  window.$crisp = [];
  window.CRISP_WEBSITE_ID = "{CRISP_WEBSITE}";
  fetch("https://api-js.mixpanel.com/decide/?verbose=1&lib=web&token={MIXPANEL_TOKEN}").catch(function () {{}});
  tags.forEach(function (src) {{
    var script = document.createElement("script");
    script.async = true;
    script.src = src;
    document.head.appendChild(script);
  }});
}})();
"""

DIRECTORY_JS = """(function () {
  var partners = PARTNERS;
  var mount = document.getElementById("app");
  var list = document.createElement("ul");
  list.setAttribute("SCOPE", "");
  list.className = "partner-list";
  partners.forEach(function (slug) {
    var item = document.createElement("li");
    item.setAttribute("SCOPE", "");
    var link = document.createElement("a");
    link.href = "/directory/" + slug;
    link.textContent = slug;
    item.appendChild(link);
    list.appendChild(item);
  });
  mount.appendChild(list);
  window.__directory__ = { count: partners.length };
})();
""".replace("PARTNERS", json.dumps(list(PARTNERS))).replace("SCOPE", VUE_SCOPE)


CONSOLE_JS = f"""(function () {{
  var root = document.querySelector("nw-console");
  root.setAttribute("ng-version", "{ANGULAR_VERSION}");
  var heading = document.createElement("h1");
  heading.textContent = "Close console";
  root.appendChild(heading);
}})();
"""


def _page(title: str, body: str, head: str = "") -> bytes:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>{head}</head>'
        f"<body>{body}</body></html>\n"
    ).encode()


def install(builder: Any) -> dict[str, Any]:
    """Add the app host (pages, scripts, a 404 page, an A record) to a site builder; returns its manifest facts."""
    from techscaniq.demo.site_model import SiteResponse

    host = f"{RENDER_LABEL}.{builder.domain}"
    builder.hosts[RENDER_LABEL] = host
    html = (("Content-Type", "text/html; charset=utf-8"), ("Server", "nginx"))
    script = (("Content-Type", "application/javascript; charset=utf-8"), ("Server", "nginx"))
    home = _page(
        "Northwind Ledger app",
        '<main><h1>Welcome back</h1><p>Sign in to close your books.</p><a href="/directory">Partner directory</a>'
        ' <a href="/console">Close console</a></main>',
        '<script async src="/static/tags.js"></script>',
    )
    directory = _page(
        "Partner directory | Northwind Ledger",
        '<div id="app"></div><noscript>The directory needs JavaScript.</noscript>',
        '<script defer src="/static/directory.js"></script>',
    )
    console = _page(
        "Close console | Northwind Ledger",
        "<nw-console></nw-console>",
        '<script defer src="/static/console.js"></script>',
    )
    responses = {
        "/": (html, home),
        "/console": (html, console),
        "/static/console.js": (script, CONSOLE_JS.encode()),
        "/directory": (html, directory),
        "/static/tags.js": (script, TAGS_JS.encode()),
        "/static/directory.js": (script, DIRECTORY_JS.encode()),
    }
    for slug in PARTNERS:
        responses[f"/directory/{slug}"] = (html, _page(f"{slug} | Partner directory", f"<h1>{slug}</h1>"))
    for path, (headers, body) in responses.items():
        builder.responses[(host, path)] = SiteResponse(200, headers, body)
    builder.not_found[host] = SiteResponse(404, html, _page("Not found", "<h1>Not found</h1>"))
    builder.zone[host] = {"A": ["{ip}"]}
    return {
        "host": host,
        "home_path": "/",
        "client_rendered_path": "/directory",
        "client_rendered_links": [f"/directory/{slug}" for slug in PARTNERS],
        "render_only_technologies": RENDER_ONLY_TECHNOLOGIES,
        "js_only_technologies": JS_ONLY_TECHNOLOGIES,
        "xhr_only_technologies": XHR_ONLY_TECHNOLOGIES,
        "dom_only_technologies": DOM_ONLY_TECHNOLOGIES,
    }
