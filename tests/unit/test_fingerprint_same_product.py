"""No product is shipped twice under two names: shared names, website addresses and patterns are reviewed."""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import urlsplit

from techscaniq.evidence.fingerprints import FingerprintMatcher
from techscaniq.evidence.fingerprints.matcher import Technology

MATCHER = FingerprintMatcher.load()

_MAIL = "the vendor's mail hosting (found by MX) is another product than its web hosting"

# Technologies with the same website address that the review found to be different products of one vendor.
DISTINCT: dict[frozenset[str], str] = {
    frozenset({"A2 Hosting", "A2 Hosting Mail"}): _MAIL,
    frozenset({"Bluehost", "Bluehost Mail"}): _MAIL,
    frozenset({"DreamHost", "DreamHost Mail"}): _MAIL,
    frozenset({"Gandi", "Gandi Mail"}): _MAIL,
    frozenset({"Hetzner", "Hetzner Mail"}): _MAIL,
    frozenset({"HostGator", "HostGator Mail"}): _MAIL,
    frozenset({"Infomaniak", "Infomaniak Mail"}): _MAIL,
    frozenset({"Namecheap", "Namecheap Email Forwarding"}): _MAIL,
    frozenset({"one.com", "one.com Mail"}): _MAIL,
    frozenset({"Strato", "Strato Mail"}): _MAIL,
    frozenset({"Commanders Act", "TrustCommander"}): "tag management and the vendor's consent manager",
    frozenset({"Material Icons", "Material Symbols"}): "two icon font families",
    frozenset({"Front", "Front Chat"}): "the shared inbox and the website chat widget, sold apart",
    frozenset({"Salesforce Embedded Service", "Salesforce Web-to-Lead"}): "a support chat and a lead form",
    frozenset({"Jupiter", "Jupiter X"}): "two WordPress themes, each with its own theme folder",
    frozenset({"Kameleoon", "Kameleoon Feature Flags"}): "A/B testing and feature management",
    frozenset({"LiveRamp ATS", "LiveRamp Privacy Manager"}): "an identity product and a consent manager",
    frozenset({"MailPoet", "MailPoet Sending Service"}): "the newsletter plugin and the paid sending service",
    frozenset({"Outbrain", "Outbrain Pixel"}): "the recommendation widget and the advertiser's pixel",
    frozenset({"Taboola", "Taboola Pixel"}): "the recommendation widget and the advertiser's pixel",
    frozenset(
        {"Payment Plugins for PayPal WooCommerce", "Payment Plugins for Stripe WooCommerce"}
    ): "two plugins",
    frozenset({"Cxense", "Piano"}): "Piano's DMP (ex-Cxense) and its subscription platform",
    frozenset({"Qubit", "Qubit OpenTag"}): "personalisation and the tag manager",
    frozenset({"MaxCDN", "StackPath"}): "MaxCDN's legacy pull zones (netdna-ssl.com) and StackPath's own CDN",
    frozenset({"Pepyaka", "Wix"}): "Wix's web server and the site builder",
    frozenset({"Workable", "Workable Jobs Widget"}): "the hosted careers site and the embedded job list",
}


def website_address(url: str) -> str:
    """A website without scheme, `www.` or trailing slash: `https://www.x.com/crm/` is `x.com/crm`."""
    parts = urlsplit(url)
    return parts.netloc.lower().removeprefix("www.") + parts.path.rstrip("/").lower()


def plain_name(name: str) -> str:
    """A name as analysts compare names: letters and digits, lower case."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def patterns(tech: Technology) -> set[str]:
    """Each pattern as signal, key and regex (tags such as the version template dropped)."""
    out = {
        f"{signal.value} {p.source.split(chr(92) + ';')[0]}" for signal, ps in tech.plain.items() for p in ps
    }
    out |= {
        f"{signal.value} {key} {p.source.split(chr(92) + ';')[0]}"
        for signal, keyed in tech.keyed.items()
        for key, p in keyed
    }
    return out


def shared(key_of: dict[str, set[str]]) -> list[list[str]]:
    """Groups of technologies that share one of their keys."""
    owners: dict[str, set[str]] = defaultdict(set)
    for name, keys in key_of.items():
        for key in keys:
            owners[key].add(name)
    return sorted(sorted(names) for names in owners.values() if len(names) > 1)


def test_no_name_or_alias_belongs_to_two_technologies() -> None:
    names = {t.name: {plain_name(n) for n in (t.name, *t.aliases)} for t in MATCHER.technologies.values()}
    assert shared(names) == []


def test_technologies_sharing_a_website_are_reviewed_as_distinct_products() -> None:
    sites = {t.name: {website_address(t.website)} for t in MATCHER.technologies.values() if t.website}
    pairs = shared(sites)
    assert [p for p in pairs if frozenset(p) not in DISTINCT] == []
    assert sorted(sorted(p) for p in DISTINCT) == pairs, "a reviewed pair no longer shares a website"


def test_no_pattern_is_written_in_two_technologies() -> None:
    # One product, one owner: a platform a product runs on is reached through `implies`.
    assert shared({t.name: patterns(t) for t in MATCHER.technologies.values()}) == []


def test_the_finder_finds_a_same_product_pair() -> None:
    specs = {
        "Turbo": {"cats": [4], "website": "https://turbo.hotwired.dev", "html": ["<turbo-frame\\s"]},
        "Hotwire Turbo": {"cats": [5], "website": "https://turbo.hotwired.dev/", "html": ["<turbo-frame\\s"]},
    }
    twins = FingerprintMatcher.from_specs(specs).technologies.values()
    assert shared({t.name: {website_address(t.website or "")} for t in twins}) == [["Hotwire Turbo", "Turbo"]]
    assert shared({t.name: patterns(t) for t in twins}) == [["Hotwire Turbo", "Turbo"]]
