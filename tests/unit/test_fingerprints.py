"""Matcher semantics for the Wappalyzer technology format."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from selectolax.lexbor import LexborHTMLParser

from techscaniq.evidence.fingerprints import FingerprintMatcher, PageSignals, SiteSignals
from techscaniq.evidence.fingerprints.loader import configured_dirs, load_directory
from techscaniq.evidence.fingerprints.matcher import (
    DATA_DIR,
    FingerprintDataError,
    bound_repetition,
    parse_pattern,
    required_literals,
    resolve_version,
    selector_literals,
    slugify,
)
from tests.support.fingerprint_samples import load_samples

CATS = {"1": "CMS", "2": "Analytics", "3": "Programming languages", "4": "Databases"}


def page(
    html: str = "", headers: tuple[tuple[str, str], ...] = (), url: str = "https://acme.test/", **kw: Any
):
    return PageSignals(url=url, headers=headers, html=html, **kw)


def detect(specs: dict[str, dict[str, Any]], *pages: PageSignals, site: SiteSignals | None = None, **kw: Any):
    matcher = FingerprintMatcher.from_specs(specs, CATS, **kw)
    return {d.name: d for d in matcher.analyze(list(pages) or [page()], site)}


# ------------------------------------------------------------------ each pattern key


def test_headers_match_case_insensitively_with_version() -> None:
    found = detect(
        {"Nginx": {"cats": [1], "headers": {"Server": r"nginx/([\d.]+)\;version:\1"}}},
        page(headers=(("SERVER", "NGINX/1.25.3"),)),
    )
    assert found["Nginx"].version == "1.25.3"
    match = found["Nginx"].matches[0]
    assert (match.signal, match.key, match.value, match.page_url) == (
        "headers",
        "server",
        "NGINX/1.25.3",
        "https://acme.test/",
    )


def test_cookies_from_set_cookie_headers_mapping_and_prefix() -> None:
    specs = {
        "A": {"cats": [2], "cookies": {"_sess": ""}},
        "B": {"cats": [2], "cookies": {"_hjSession_*": ""}},
        "C": {"cats": [2], "cookies": {"token": "^v2-"}},
    }
    found = detect(
        specs,
        page(headers=(("Set-Cookie", "_sess=1; Path=/; HttpOnly"), ("Set-Cookie", "_hjSession_42=x"))),
        page(cookies={"token": "v2-abc"}),
    )
    assert set(found) == {"A", "B", "C"}
    assert not detect(specs, page(cookies={"token": "v1-abc"}))


def test_meta_script_src_scripts_and_html() -> None:
    specs = {
        "Gen": {"cats": [1], "meta": {"generator": r"^gen ([\d.]+)\;version:\1"}},
        "Src": {"cats": [2], "scriptSrc": [r"cdn\.vendor\.test/v(\d+)/\;version:\1"]},
        "Inline": {"cats": [2], "scripts": [r"vendorInit\("]},
        "Html": {"cats": [2], "html": [r"<div id=\"vendor-root\""]},
    }
    html = (
        '<html><head><meta name="Generator" content="Gen 2.1"><script src="https://cdn.vendor.test/v3/x.js"></script>'
        '<script>vendorInit({})</script></head><body><div id="vendor-root"></div></body></html>'
    )
    found = detect(specs, page(html))
    assert set(found) == {"Gen", "Src", "Inline", "Html"}
    assert found["Gen"].version == "2.1"
    assert found["Src"].version == "3"
    # an inline script mentioning the host is not a script src
    assert "Src" not in detect(specs, page('<script>load("https://cdn.vendor.test/v3/x.js")</script>'))


def test_css_sees_stylesheet_links_and_style_text() -> None:
    specs = {
        "Grid": {"cats": [1], "css": [r"/css/grid-kit(?:\.min)?\.css(?:\?ver=([\d.]+))?\;version:\1"]},
        "Rule": {"cats": [1], "css": [r"\.acme-btn--primary\s*\{"]},
    }
    html = (
        '<link rel="stylesheet" href="/css/grid-kit.min.css?ver=5.3.2&amp;x=1">'
        "<style>.acme-btn--primary { color: red }</style>"
    )
    found = detect(specs, page(html))
    assert set(found) == {"Grid", "Rule"}
    assert found["Grid"].version == "5.3.2"
    assert found["Grid"].matches[0].value == "/css/grid-kit.min.css?ver=5.3.2&x=1"
    # a preload hint, a script and prose are not stylesheets
    assert not detect(
        specs,
        page(
            '<link rel="preload" href="/css/grid-kit.css"><script src="/css/grid-kit.css"></script>'
            "<p>.acme-btn--primary {</p>"
        ),
    )


def test_text_is_the_body_text_across_tags_and_entities() -> None:
    specs = {"Made": {"cats": [1], "text": [r"powered by acme shop ([\d.]+)\;version:\1"]}}
    html = "<body><footer>Powered by <a href='/'>Acme&nbsp;Shop</a> <b>2.4</b></footer></body>"
    assert detect(specs, page(html))["Made"].version == "2.4"
    assert detect(specs, page(html), prefilter=False)["Made"].version == "2.4"
    assert not detect(specs, page("<head><title>powered by acme shop 2</title></head><body></body>"))


def test_the_index_is_sound_for_css_and_text_patterns() -> None:
    specs = {
        "Css": {"cats": [1], "css": [r"theme&co\.css"]},
        "Text": {"cats": [1], "text": [r"built with acme"]},
    }
    html = '<link rel="stylesheet" href="/theme&amp;co.css"><body>Built <i>with</i> Acme</body>'
    filtered = detect(specs, page(html))
    assert set(filtered) == set(detect(specs, page(html), prefilter=False)) == {"Css", "Text"}


def test_slug_and_aliases() -> None:
    specs = {
        "Google reCAPTCHA": {"cats": [2], "html": ["recaptcha/api\\.js"], "aliases": ["reCAPTCHA"]},
        "X (Twitter) Widgets": {"cats": [2], "html": ["platform\\.twitter\\.com"], "slug": "twitter-widgets"},
    }
    found = detect(specs, page("recaptcha/api.js platform.twitter.com"))
    assert found["Google reCAPTCHA"].aliases == ("reCAPTCHA",)
    assert found["Google reCAPTCHA"].slug == "google-recaptcha"
    assert found["X (Twitter) Widgets"].slug == "twitter-widgets"
    assert found["X (Twitter) Widgets"].aliases == ()


def test_dom_exists_text_attributes_and_properties() -> None:
    specs = {
        "Exists": {"cats": [1], "dom": "#app-shell"},
        "List": {"cats": [1], "dom": ["link[rel='vendor-manifest']"]},
        "Text": {"cats": [1], "dom": {"footer .credit": {"text": r"powered by acme ([\d.]+)\;version:\1"}}},
        "Attr": {
            "cats": [1],
            "dom": {"div[data-acme]": {"attributes": {"data-acme": r"^v(\d)\;version:\1"}}},
        },
        "Prop": {"cats": [1], "dom": {"a.brand": {"properties": {"className": r"brand--acme"}}}},
        "Missing": {"cats": [1], "dom": "#nothing-here"},
    }
    html = (
        '<div id="app-shell"></div><link rel="vendor-manifest" href="/m.json">'
        '<footer><span class="credit">Powered by Acme 4.2</span></footer><div data-acme="v7"></div>'
        '<a class="brand brand--acme" href="/">x</a>'
    )
    found = detect(specs, page(html))
    assert set(found) == {"Exists", "List", "Text", "Attr", "Prop"}
    assert found["Text"].version == "4.2"
    assert found["Attr"].version == "7"


def test_invalid_dom_selector_and_regex_are_skipped() -> None:
    found = detect(
        {
            "Bad": {"cats": [1], "dom": "div[[[", "html": ["(unclosed"]},
            "Ok": {"cats": [1], "html": ["ok-marker"]},
        },
        page("<p>ok-marker</p>"),
    )
    assert set(found) == {"Ok"}


def test_url_dns_cert_issuer_and_robots() -> None:
    specs = {
        "Board": {"cats": [2], "url": [r"^https://jobs\.vendor\.test/"]},
        "Mail": {"cats": [2], "dns": {"MX": [r"\.mail\.vendor\.test\.?$"], "TXT": ["vendor-verification="]}},
        "CA": {"cats": [2], "certIssuer": [r"vendor ca"]},
        "Robots": {"cats": [2], "robots": [r"disallow: /vendor-admin/"]},
    }
    site = SiteSignals(
        dns={"MX": ["10 in.mail.vendor.test."]},
        cert_issuer="C=US, O=Vendor CA",
        robots="User-agent: *\nDisallow: /vendor-admin/",
    )
    found = detect(specs, page(url="https://jobs.vendor.test/acme"), site=site)
    assert set(found) == {"Board", "Mail", "CA", "Robots"}
    assert found["Mail"].matches[0].page_url is None
    assert found["Mail"].matches[0].key == "MX"
    assert "Mail" in detect(specs, site=SiteSignals(dns={"txt": ["vendor-verification=abc"]}))


# ------------------------------------------------------------------ relations


def test_implies_with_confidence_and_chains() -> None:
    specs = {
        "WordPress": {"cats": [1], "html": ["wp-content"], "implies": ["PHP", "MySQL\\;confidence:50"]},
        "PHP": {"cats": [3], "headers": {"X-Powered-By": "php"}},
        "MySQL": {"cats": [4], "implies": ["Storage"]},
        "Storage": {"cats": [4]},
    }
    found = detect(specs, page('<link href="/wp-content/x.css">'))
    assert set(found) == {"WordPress", "PHP", "MySQL", "Storage"}
    assert found["PHP"].confidence == 100
    assert found["MySQL"].confidence == 50
    assert found["Storage"].confidence == 50
    assert found["PHP"].matches[0].signal == "implies"
    assert found["PHP"].matches[0].key == "WordPress"


def test_excludes_removes_the_other_and_its_implications() -> None:
    specs = {
        "Shop": {"cats": [1], "html": ["shop-root"], "excludes": ["Blog"]},
        "Blog": {"cats": [1], "html": ["blog-root"], "implies": ["PHP"]},
        "PHP": {"cats": [3]},
    }
    assert set(detect(specs, page("blog-root"))) == {"Blog", "PHP"}
    assert set(detect(specs, page("blog-root shop-root"))) == {"Shop"}


def test_requires_and_requires_category() -> None:
    specs = {
        "Base": {"cats": [1], "html": ["base-marker"]},
        "Plugin": {"cats": [2], "html": ["plugin-marker"], "requires": ["Base"]},
        "CmsAddon": {"cats": [2], "html": ["addon-marker"], "requiresCategory": [1]},
        "Deep": {"cats": [2], "html": ["deep-marker"], "requires": ["Plugin"]},
    }
    assert set(detect(specs, page("plugin-marker addon-marker deep-marker"))) == set()
    assert set(detect(specs, page("base-marker plugin-marker addon-marker deep-marker"))) == {
        "Base",
        "Plugin",
        "CmsAddon",
        "Deep",
    }


# ------------------------------------------------------------------ confidence and versions


def test_confidence_sums_per_distinct_pattern_and_caps_at_100() -> None:
    specs = {
        "Weak": {"cats": [2], "cookies": {"a": "\\;confidence:30", "b": "\\;confidence:30"}},
        "Strong": {"cats": [2], "html": ["one\\;confidence:60", "two\\;confidence:60"]},
    }
    two_pages = [page(cookies={"a": "1"}), page(cookies={"a": "1"}, url="https://acme.test/2")]
    assert detect(specs, *two_pages)["Weak"].confidence == 30  # same pattern on two pages counts once
    assert detect(specs, page(cookies={"a": "1", "b": "2"}))["Weak"].confidence == 60
    assert detect(specs, page("one two"))["Strong"].confidence == 100


def test_matches_cite_every_page() -> None:
    specs = {"Lib": {"cats": [2], "scriptSrc": [r"lib\.test/lib\.js"]}}
    html = '<script src="https://lib.test/lib.js"></script>'
    found = detect(specs, page(html), page(html, url="https://acme.test/pricing"))
    assert [m.page_url for m in found["Lib"].matches] == ["https://acme.test/", "https://acme.test/pricing"]


def test_version_template_ternary_and_best_version() -> None:
    assert resolve_version(r"\1", ["x", "2.3"]) == "2.3"
    assert resolve_version(r"\1?pro:free", ["x", "yes"]) == "pro"
    assert resolve_version(r"\1?pro:free", ["x", None]) == "free"
    assert resolve_version(r"\1?\2:legacy", ["x", "y", "5"]) == "5"
    specs = {
        "Lib": {
            "cats": [2],
            "scriptSrc": [r"lib-([\d.]+)\.js\;version:\1"],
            "html": [r"lib v(\d)\;version:\1"],
        }
    }
    html = '<script src="/lib-2.10.1.js"></script><script src="/lib-2.9.js"></script> lib v2'
    assert detect(specs, page(html))["Lib"].version == "2.10.1"
    ternary = {"Ed": {"cats": [2], "html": [r"acme-(enterprise)?app\;version:\1?Enterprise:Community"]}}
    assert detect(ternary, page("acme-enterpriseapp"))["Ed"].version == "Enterprise"
    assert detect(ternary, page("acme-app"))["Ed"].version == "Community"


def test_detection_metadata() -> None:
    specs = {
        "Acme Pay.js": {
            "cats": [2, 99],
            "html": ["acmepay"],
            "website": "https://acme.test",
            "saas": True,
            "oss": False,
            "pricing": ["payg"],
        }
    }
    d = detect(specs, page("acmepay"))["Acme Pay.js"]
    assert (d.slug, d.categories, d.website, d.saas, d.oss, d.pricing) == (
        "acme-pay-js",
        ("Analytics", "99"),
        "https://acme.test",
        True,
        False,
        ("payg",),
    )
    assert slugify("Next.js") == "next-js"


# ------------------------------------------------------------------ pre-filter and safety


def test_bound_repetition_rewrites_only_unbounded_quantifiers() -> None:
    assert bound_repetition(r"a+b*c{2,}") == r"a{1,250}b{0,250}c{2,250}"
    assert bound_repetition(r"[+*]\+\*x?y{1,3}") == r"[+*]\+\*x?y{1,3}"
    assert bound_repetition(r"a+?b*?") == r"a{1,250}?b{0,250}?"
    assert bound_repetition(r"(?:ab)+(?P<n>c)*") == r"(?:ab){1,250}(?P<n>c){0,250}"


def test_required_literals() -> None:
    assert required_literals(r"cdn\.Vendor\.com/v\d+/") == ("cdn.vendor.com/v",)
    assert required_literals(r"(?:alpha|beta)-widget") == ("-widget",)
    assert set(required_literals(r"(?:alphaone|betatwo)\d") or ()) == {"alphaone", "betatwo"}
    assert required_literals(r"(?:abc)?\d+") is None
    assert required_literals(r"a|bcd") is None
    assert selector_literals("div#app-shell > a.brand, [data-acme]") == ("app-shell", "data-acme")
    assert selector_literals("div:not(.excluded)") is None


def test_prefilter_gives_the_same_result_as_without_it() -> None:
    data_dir = Path(__file__).resolve().parents[2] / "techscaniq" / "evidence" / "fingerprints" / "data"
    specs: dict[str, Any] = {}
    for path in sorted(data_dir.glob("*.json")):
        if path.name != "categories.json":
            specs.update(json.loads(path.read_text(encoding="utf-8")))
    cats = {k: v["name"] for k, v in json.loads((data_dir / "categories.json").read_text()).items()}
    samples = load_samples()
    html = "\n".join(s.get("html", "") for s in samples.values())
    headers = tuple((n, v) for s in samples.values() for n, v in s.get("headers", []))
    # Every sample on one page, so one technology's pattern also meets every other's text; the upper-cased
    # variants are checked technology by technology in the candidate index test below, at a tenth of the cost.
    pages = [page(html, headers)]
    with_filter = FingerprintMatcher.from_specs(specs, cats).analyze(pages)
    without = FingerprintMatcher.from_specs(specs, cats, prefilter=False).analyze(pages)
    assert [(d.name, d.version, d.confidence) for d in with_filter] == [
        (d.name, d.version, d.confidence) for d in without
    ]
    assert len(with_filter) > 300


def _with_dependencies(shipped: FingerprintMatcher, name: str) -> list[Any]:
    """The technology and every technology its implications and requirements reach."""
    group: dict[str, Any] = {}
    waiting = [name]
    while waiting:
        tech = shipped.technologies[waiting.pop()]
        if tech.name in group:
            continue
        group[tech.name] = tech
        waiting += [i.name for i in tech.implies] + list(tech.requires)
        waiting += [
            t.name for t in shipped.technologies.values() if set(t.categories) & set(tech.requires_categories)
        ]
    return list(group.values())


def test_the_candidate_index_skips_no_technology_a_sample_page_shows() -> None:
    # Technology by technology over its own sample pages, upper-cased too: each pattern's literals are extracted
    # on their own, so an index built from one technology admits what the shipped index admits for it. (Matching
    # every page against all 3,000 technologies unfiltered took minutes of the suite.)
    shipped = FingerprintMatcher.load()
    checked = 0
    for name, sample in load_samples().items():
        group = _with_dependencies(shipped, name)
        filtered, unfiltered = FingerprintMatcher(group), FingerprintMatcher(group, prefilter=False)
        for variant in [sample, *sample.get("extra", []), *sample.get("negative", [])]:
            headers = tuple((header, value) for header, value in variant.get("headers", []))
            for html in (variant.get("html", ""), variant.get("html", "").upper()):
                signals = page(html, headers, cookies=variant.get("cookies", {}))
                expected = [(d.name, d.version, d.confidence) for d in unfiltered.analyze([signals])]
                assert [(d.name, d.version, d.confidence) for d in filtered.analyze([signals])] == expected, (
                    name
                )
                checked += 1
    assert checked > 1000


def test_a_huge_page_with_the_crawls_tree_is_matched_whole_by_selectors_and_the_index_agrees() -> None:
    # Past the cut (the middle of a page of over 2 M characters): an element a selector finds, an inline script.
    specs = {
        "Widget": {
            "cats": [1],
            "dom": {"#acme-widget-root": {"attributes": {"data-build": r"([\d.]+)\;version:\1"}}},
        },
        "Inline": {"cats": [1], "scripts": r"acmeInlineBoot"},
        "Head": {"cats": [1], "html": r"<meta name=.acme-head"},
    }
    filler = "<p>" + "documentation text " * 50 + "</p>\n"
    middle = '<div id="acme-widget-root" data-build="3.2"></div><script>window.acmeInlineBoot = 1;</script>'
    html = (
        '<html><head><meta name="acme-head" content="x"></head><body>'
        + filler * (1_700_000 // len(filler))
        + middle
        + filler * (800_000 // len(filler))
        + "</body></html>"
    )
    whole = page(html, tree=LexborHTMLParser(html))
    found = {name: detection.version for name, detection in detect(specs, whole).items()}
    assert found == {"Widget": "3.2", "Inline": None, "Head": None}
    assert set(detect(specs, whole, prefilter=False)) == set(found)
    # Without the crawl's tree the page is parsed from its head and tail alone, filtered or not.
    assert set(detect(specs, page(html))) == set(detect(specs, page(html), prefilter=False)) == {"Head"}


def test_huge_page_is_fast() -> None:
    matcher = FingerprintMatcher.load()
    chunk = '<div class="x"><a href="/p">text</a><script src="/s.js"></script></div>\n'
    html = "<html><head>" + chunk * (5_000_000 // len(chunk)) + "</head></html>"
    started = time.perf_counter()
    matcher.analyze([page(html)])
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize(
    "html",
    [
        "<" + "script " * 200_000,
        "<a " + "a" * 1_000_000,
        '<div class="' + "svelte-" * 100_000,
        '<link href="' + "/" * 500_000,
        "<html><body><div><p><table><tr><td><span></div></td></body>" * 2000 + "<scr<ipt src=<<>>",
        "\x00\ufffd<meta name=generator content=>" * 1000,
    ],
)
def test_hostile_and_broken_input(html: str) -> None:
    started = time.perf_counter()
    FingerprintMatcher.load().analyze([page(html, (("Server", "x" * 100_000), ("Set-Cookie", "=;;")))])
    assert time.perf_counter() - started < 10


def test_catastrophic_pattern_is_bounded() -> None:
    specs = {"Evil": {"cats": [1], "html": [r"(a+)+b", r"(x|xx)+y"]}}
    started = time.perf_counter()
    found = detect(specs, page("a" * 50_000 + "x" * 50_000))
    assert "Evil" not in found
    assert time.perf_counter() - started < 5


def test_parse_pattern_tags() -> None:
    p = parse_pattern(r"foo(\d)\;version:\1\;confidence:40")
    assert p is not None and (p.confidence, p.version) == (40, r"\1")
    assert parse_pattern("(") is None


def test_js_and_xhr_patterns_match_what_the_browser_read() -> None:
    specs = {
        "Acme Chat": {
            "cats": [2],
            "js": {
                "AcmeChat": "",
                "AcmeChat.version": "^([\\d.]+)\\;version:\\1",
                "acme.beta": "\\;confidence:40",
            },
        },
        "Acme Beacon": {"cats": [2], "xhr": "^(?:[\\w-]+\\.)*acme-beacon\\.io(?:[/:]|$)"},
    }
    found = detect(specs, page(js={"AcmeChat.version": "2.4.1"}))
    assert found["Acme Chat"].version == "2.4.1"
    assert [(m.signal, m.key, m.value) for m in found["Acme Chat"].matches] == [
        ("js", "AcmeChat.version", "2.4.1")
    ]
    assert detect(specs, page(js={"acme.beta": "true"}))["Acme Chat"].confidence == 40
    assert detect(specs, page(js={"AcmeChat.version": "beta"})) == {}  # the value must match the regex
    assert (
        detect(specs, page(js={"acmechat": "true", "AcmeChat.Version": "2"})) == {}
    )  # chains are case-sensitive
    beacon = detect(specs, page(xhr=["https://rs.acme-beacon.io/e?id=acme-beacon.io"]))["Acme Beacon"]
    assert [(m.signal, m.value) for m in beacon.matches] == [("xhr", "rs.acme-beacon.io/e")]
    for elsewhere in (
        page(xhr=["https://www.acme.test/relay/acme-beacon.io/e"]),  # `^` anchors the host
        page(xhr=["https://acme-beacon.io.acme.test/e"]),
        page(
            '<script src="https://rs.acme-beacon.io/e.js"></script> AcmeChat'
        ),  # xhr and js see only the browser's
    ):
        assert detect(specs, elsewhere) == detect(specs, elsewhere, prefilter=False) == {}
    matcher = FingerprintMatcher.from_specs(specs, CATS)
    assert matcher.js_chains == ("AcmeChat", "AcmeChat.version", "acme.beta")


def test_load_is_cached_and_reads_extra_dirs(tmp_path: Path) -> None:
    assert FingerprintMatcher.load() is FingerprintMatcher.load()
    (tmp_path / "categories.json").write_text(json.dumps({"7": {"name": "Internal tools"}}))
    tech_dir = tmp_path / "technologies"
    tech_dir.mkdir()
    (tech_dir / "a.json").write_text(
        json.dumps({"Acme Internal": {"cats": [7, 1], "html": ["acme-internal-marker"]}})
    )
    # the same name replaces the shipped definition
    (tmp_path / "override.json").write_text(
        json.dumps({"WordPress": {"cats": [7], "html": ["acme-wp-fork"]}})
    )
    matcher = FingerprintMatcher.load([tmp_path])
    assert matcher is not FingerprintMatcher.load()
    found = {d.name: d for d in matcher.analyze([page("acme-internal-marker acme-wp-fork")])}
    assert found["Acme Internal"].categories == ("Internal tools", "CMS")
    assert found["WordPress"].categories == ("Internal tools",)
    assert "WordPress" not in {d.name for d in matcher.analyze([page('<link href="/wp-content/x.css">')])}
    assert len(matcher.technologies) == len(FingerprintMatcher.load().technologies) + 1


@pytest.mark.parametrize(
    ("file_text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"Acme": "html"}', "technology 'Acme' must be an object"),
        ('{"Acme": {"cats": [1], "html": ["(unclosed"]}}', "technology 'Acme', html: pattern '(unclosed'"),
        ('{"Acme": {"cats": [1], "scriptSrc": "acme\\\\;confidnce:5"}}', "unknown tag 'confidnce:5'"),
        ('{"Acme": {"cats": [1], "headers": {"X-Acme": "[z-a]"}}}', "technology 'Acme', headers: pattern"),
        ('{"Acme": {"cats": [1], "dom": "div[[["}}', "technology 'Acme', dom: dom selector 'div[[['"),
        ('{"Acme": {"cats": [1], "meta": ["generator"]}}', "technology 'Acme', meta: expected an object"),
        ('{"Acme": {"cats": "CMS", "html": "acme"}}', "cats must be a list"),
    ],
)
def test_a_bad_operator_file_is_refused_naming_file_and_pattern(
    tmp_path: Path, file_text: str, message: str
) -> None:
    (tmp_path / "custom.json").write_text(file_text)
    with pytest.raises(FingerprintDataError) as caught:
        FingerprintMatcher.load([tmp_path])
    assert str(caught.value).startswith(f"{tmp_path / 'custom.json'}: ")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("file_text", "message"),
    [
        (
            '{"Acme": {"cats": [1], "js": {"Acme..fn": ""}}}',
            "technology 'Acme', js: 'Acme..fn' is not a property",
        ),
        (
            '{"Acme": {"cats": [1], "js": {"a.b.c.d.e.f.g": ""}}}',
            "js: 'a.b.c.d.e.f.g' is not a property chain",
        ),
        ('{"Acme": {"cats": [1], "js": {"Acme.v": "(1"}}}', "technology 'Acme', js: pattern '(1' is not"),
        ('{"Acme": {"cats": [1], "js": ["Acme"]}}', "technology 'Acme', js: expected an object"),
        ('{"Acme": {"cats": [1], "xhr": ["acme\\\\.(io"]}}', "technology 'Acme', xhr: pattern"),
        (
            '{"Acme": {"cats": [1], "xhr": {"a": "b"}}}',
            "technology 'Acme', xhr: expected a pattern or a list",
        ),
    ],
)
def test_a_bad_js_or_xhr_key_is_refused_naming_file_and_pattern(
    tmp_path: Path, file_text: str, message: str
) -> None:
    (tmp_path / "custom.json").write_text(file_text)
    with pytest.raises(FingerprintDataError) as caught:
        load_directory(tmp_path, CATS)  # the operator's file alone: what load() checks after our data
    assert str(caught.value).startswith(f"{tmp_path / 'custom.json'}: ")
    assert message in str(caught.value)


def test_a_missing_operator_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FingerprintDataError, match="fingerprint directory not found"):
        FingerprintMatcher.load([tmp_path / "nowhere"])
    assert configured_dirs("") == ()
    assert configured_dirs(f"/a{os.pathsep}/b") == (Path("/a"), Path("/b"))


def test_shipped_data_compiles_strictly() -> None:
    base = load_directory(DATA_DIR, {})
    assert len(base) == len(FingerprintMatcher.load().technologies)


def test_shipped_names_slugs_and_aliases_are_unambiguous() -> None:
    techs = FingerprintMatcher.load().technologies.values()
    slugs = [tech.slug for tech in techs]
    assert len(slugs) == len(set(slugs))
    assert all(
        tech.slug == slugify(tech.name) for tech in techs
    )  # none pinned yet: a rename must pin the old slug
    names = {tech.name.lower() for tech in techs}
    for tech in techs:
        assert all(alias.lower() not in names for alias in tech.aliases), tech.name
    by_name = {tech.name: tech for tech in techs}
    assert by_name["Google reCAPTCHA"].aliases == ("reCAPTCHA",)
    assert by_name["Google Fonts"].aliases == ("Google Font API",)
    assert by_name["X Widgets"].aliases == ("Twitter",)
