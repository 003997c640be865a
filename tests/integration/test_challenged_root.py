"""Site-level checks of a root that answers with a bot-protection challenge: no grade from the vendor's page.

Real challenge responses (tests/support/challenge_samples.py) served on loopback; the security collector must say
"not seen" instead of grading them, and grade the browser's document when a browser passed the challenge.
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trustme

from techscaniq.config import Settings
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.domain import Evidence, EvidenceDraft, EvidenceType
from techscaniq.evidence.bot_protection import check_response
from techscaniq.evidence.collect import rendered_as_crawled
from techscaniq.evidence.collectors.base import CollectContext, CrawledPage, PageClass
from techscaniq.evidence.collectors.dns_email import DnsEmailCollector
from techscaniq.evidence.collectors.security import SecurityCollector
from techscaniq.evidence.fetch import GuardedFetcher
from techscaniq.evidence.render.browser import RenderedPage
from techscaniq.report.coverage_facts import unseen_checks
from techscaniq.report.rules import apply_rules, load_rules
from tests.support.challenge_samples import (
    AKAMAI_ACCESS_DENIED,
    AWS_WAF_CHALLENGE,
    CLOUDFLARE_LEGACY_IUAM,
    CLOUDFLARE_MANAGED_CHALLENGE,
    DATADOME_BLOCK,
)
from tests.support.collectors import TEST_ALLOW_NETWORKS, make_dns_context, make_scan
from tests.support.http_servers import LoopbackHTTPServer, respond

pytestmark = pytest.mark.integration

Sample = tuple[int, list[tuple[str, str]], str]
OBSERVATORY_RULES = {"SEC-01", "SEC-02", "SEC-03"}


@pytest.fixture
def server() -> Iterator[LoopbackHTTPServer]:
    with LoopbackHTTPServer() as running:
        yield running


def _serve_everywhere(server: LoopbackHTTPServer, sample: Sample) -> None:
    status, headers, body = sample
    has_type = any(name.lower() == "content-type" for name, _ in headers)
    answer = respond(status, body.encode(), None if has_type else "text/html", headers)
    for path in ("/", "/.well-known/security.txt", "/security.txt"):
        server.route(path, answer)


def _finish(server: LoopbackHTTPServer, pages: Sequence[CrawledPage] = ()) -> list[EvidenceDraft]:
    settings = Settings().with_overrides(allow_networks=TEST_ALLOW_NETWORKS)
    root = server.url("/")
    with GuardedFetcher(settings, deadline_seconds=5.0) as fetcher:
        context = CollectContext(make_scan(root), settings, fetcher, root, "127.0.0.1")
        collector = SecurityCollector(http_port=server.port)
        for page in pages:
            list(collector.on_page(page, context))
        return list(collector.finish(context))


def _stored(drafts: Sequence[EvidenceDraft]) -> list[Evidence]:
    now = datetime(2026, 12, 6, tzinfo=UTC)
    return [
        Evidence(
            f"ev-{n}",
            "scan-1",
            d.type,
            d.category,
            d.title,
            d.summary,
            d.data,
            d.source_url,
            d.collector,
            d.confidence,
            d.dedup_key,
            now,
        )
        for n, d in enumerate(drafts)
    ]


@pytest.mark.parametrize(
    ("sample", "reason"),
    [
        (CLOUDFLARE_MANAGED_CHALLENGE, "the root answered with a Cloudflare challenge"),
        (CLOUDFLARE_LEGACY_IUAM, "the root answered with a Cloudflare challenge"),
        (AKAMAI_ACCESS_DENIED, "the root answered with an Akamai block page"),
        (DATADOME_BLOCK, "the root answered with a DataDome challenge"),
        (AWS_WAF_CHALLENGE, "the root answered with an AWS WAF challenge"),
    ],
)
def test_a_challenged_root_gets_no_grade_but_a_not_seen_data_gap(
    server: LoopbackHTTPServer, sample: Sample, reason: str
) -> None:
    _serve_everywhere(server, sample)
    items = _finish(server)
    [score] = [i for i in items if i.type == EvidenceType.OBSERVATORY_SCORE]
    assert score.data["score"] is None and score.data["grade"] is None
    assert score.data["status"] == "not_observed" and score.data["not_seen"] == reason
    assert score.data["challenge"]["signals"], score.data
    # No Observatory test, no header row and no CORS verdict from the vendor's answer.
    kinds = {i.type for i in items}
    assert not {EvidenceType.OBSERVATORY_TEST, EvidenceType.SECURITY_HEADER, EvidenceType.CORS} & kinds
    [security_txt] = [i for i in items if i.type == EvidenceType.SECURITY_TXT]
    assert security_txt.data["present"] is None and security_txt.data["not_seen"].startswith(
        "the site answered"
    )

    stored = _stored(items)
    assert not {f.rule_id for f in apply_rules(load_rules(), stored)} & OBSERVATORY_RULES
    checks = unseen_checks(stored)
    assert {c.check for c in checks} == {"HTTP Observatory grade and security headers", "security.txt"}
    assert all(reason.split(" answered ")[1] in c.sentence() for c in checks)


def test_a_served_root_is_graded_as_before(server: LoopbackHTTPServer) -> None:
    server.route("/", respond(200, b"<html><head><title>Acme</title></head><body>Acme</body></html>"))
    items = _finish(server)
    [score] = [i for i in items if i.type == EvidenceType.OBSERVATORY_SCORE]
    assert score.data["grade"] and "not_seen" not in score.data and "seen_in" not in score.data
    assert unseen_checks(_stored(items)) == []


def test_a_challenge_the_browser_passed_is_graded_from_the_browsers_document(
    server: LoopbackHTTPServer,
) -> None:
    _serve_everywhere(server, CLOUDFLARE_MANAGED_CHALLENGE)
    root = server.url("/")
    passed_headers = [
        ("content-type", "text/html; charset=utf-8"),
        ("content-security-policy", "default-src 'self'; frame-ancestors 'none'; object-src 'none'"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
    ]
    dom = "<html><head><title>Acme</title></head><body><h1>Acme</h1></body></html>"
    rendered = RenderedPage(root, root, 200, dom, "Acme", [], {}, [], [], {}, 1.0, headers=passed_headers)
    assert not check_response(rendered.status, rendered.headers, rendered.dom).challenged
    items = _finish(server, [rendered_as_crawled(rendered, PageClass.HOME, 0)])
    [score] = [i for i in items if i.type == EvidenceType.OBSERVATORY_SCORE]
    assert score.data["grade"] is not None and score.data["seen_in"] == "rendered"
    tests = {i.data["test"]: i.data for i in items if i.type == EvidenceType.OBSERVATORY_TEST}
    assert tests["x-frame-options"]["passed"] and tests["content-security-policy"]["passed"]
    assert all(t.get("seen_in") == "rendered" for t in tests.values())
    headers = {i.data["header"]: i.data for i in items if i.type == EvidenceType.SECURITY_HEADER}
    assert headers["X-Frame-Options"]["presence"] == "present", headers.get("X-Frame-Options")
    # The static CORS probe met the challenge again: not seen rather than "allows no cross-origin reads".
    [cors] = [i for i in items if i.type == EvidenceType.CORS]
    assert cors.data["not_seen"] == "the root answered with a Cloudflare challenge"


def test_an_mta_sts_policy_behind_a_challenge_is_not_seen_rather_than_invalid(
    fixture_dns: LoopbackDNSServer, tmp_path: Path
) -> None:
    apex = f"gate-{uuid.uuid4().hex[:8]}.test"
    ca = trustme.CA()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(f"mta-sts.{apex}", f"www.{apex}").configure_cert(tls)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    fixture_dns.set_records(f"_mta-sts.{apex}", "TXT", ['"v=STSv1; id=20261206"'])
    for name in (f"mta-sts.{apex}", f"www.{apex}"):
        fixture_dns.set_records(name, "A", ["127.0.0.1"])
    settings = Settings().with_overrides(
        allow_networks=TEST_ALLOW_NETWORKS, dns_servers=(fixture_dns.address,)
    )
    with LoopbackHTTPServer(tls_context=tls) as server:
        status, headers, body = CLOUDFLARE_MANAGED_CHALLENGE
        server.route("/.well-known/mta-sts.txt", respond(status, body.encode(), None, headers))
        with GuardedFetcher(settings, ca_bundle=str(bundle)) as fetcher:
            context = make_dns_context(fetcher, settings, server.url("/", f"www.{apex}"), apex)
            items = list(DnsEmailCollector().finish(context))
        assert server.seen("/.well-known/mta-sts.txt")
    [mta] = [i.data for i in items if i.type == EvidenceType.MTA_STS]
    assert (
        mta["policy_valid"] is None and mta["problems"] == [] and mta["challenge"]["vendor"] == "Cloudflare"
    )
    assert mta["not_seen"].endswith("answered with a Cloudflare challenge")
