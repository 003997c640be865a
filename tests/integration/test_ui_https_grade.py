"""The UI served over https by the Procfile's gunicorn, graded by the security collector's Observatory: A or better.

The app runs as the Procfile's `web` process twice with TECHSCANIQ_FORCE_HTTPS on: once with a trustme certificate
(`--certfile`/`--keyfile`), once on plain http. One loopback port carries both schemes (tests/support/shared_port.py),
the fixture DNS server names it, and the guarded fetch reaches it by that name, as a scan of a company's site would.
"""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import trustme

from techscaniq.config import Settings
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.domain import EvidenceDraft, EvidenceType
from techscaniq.evidence.collectors.base import CollectContext, CrawledPage, PageClass
from techscaniq.evidence.collectors.security import SecurityCollector
from techscaniq.evidence.fetch import FetchResult, GuardedFetcher, ResourceKind
from techscaniq.evidence.observatory import Expectation, RedirectStep, ResponseFacts, score_observatory
from techscaniq.evidence.observatory import TestName as ObservatoryTest
from techscaniq.storage.db import dispose_engines, migrate
from tests.support.collectors import make_scan
from tests.support.ops import (
    procfile_commands,
    read_log,
    start_process,
    stop_process,
    wait_for_http,
    wait_for_log,
    with_venv_path,
)
from tests.support.processes import READY_TIMEOUT_SECONDS, free_port
from tests.support.shared_port import SharedPortRelay

pytestmark = pytest.mark.integration

UI_HOST = "ui.techscaniq.test"
PASSING_GRADES = frozenset({"A", "A+"})
# (path a visitor opens, path of the page they land on) for each TECHSCANIQ_AUTH mode.
VISITOR_PAGES = {
    "required": [("/", "/signin"), ("/signin", "/signin"), ("/scans/new", "/signin"), ("/method", "/signin")],
    "off": [("/", "/scans"), ("/scans/new", "/scans/new"), ("/method", "/method")],
}


@dataclass
class ServedUi:
    """The app behind one port for both schemes, and a guarded fetcher that trusts its certificate."""

    auth_mode: str
    port: int
    settings: Settings
    fetcher: GuardedFetcher
    logs: dict[str, Path]

    def url(self, scheme: str, path: str) -> str:
        """The URL of `path` on the UI's host under `scheme`."""
        return f"{scheme}://{UI_HOST}:{self.port}{path}"

    def server_logs(self) -> str:
        """The tail of each gunicorn log, for failure messages."""
        return "\n".join(f"--- {name} ---\n{read_log(path)[-2000:]}" for name, path in self.logs.items())


def _wait_until_served(fetcher: GuardedFetcher, url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        result = fetcher.fetch(url, ResourceKind.HTML)
        if result.status == 200 or time.monotonic() > deadline:
            assert result.status == 200, (url, result.error_code, result.error_message)
            return
        time.sleep(0.2)


@pytest.fixture(scope="module", params=sorted(VISITOR_PAGES))
def served_ui(
    request: pytest.FixtureRequest, fixture_dns: LoopbackDNSServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedUi]:
    """The Procfile's web process over https (trustme) and over http, both forcing https, on one port."""
    auth_mode = str(request.param)
    directory = tmp_path_factory.mktemp(f"ui-https-auth-{auth_mode}")
    ca = trustme.CA()
    leaf = ca.issue_cert(UI_HOST)
    certfile, keyfile, ca_file = directory / "cert.pem", directory / "key.pem", directory / "ca.pem"
    for number, pem in enumerate(leaf.cert_chain_pems):
        pem.write_to_path(str(certfile), append=number > 0)
    leaf.private_key_pem.write_to_path(str(keyfile))
    ca.cert_pem.write_to_path(str(ca_file))

    env = {
        **with_venv_path(os.environ),
        "DATABASE_URL": f"sqlite:///{directory / 'ui.db'}",
        "TECHSCANIQ_DATA_DIR": str(directory / "data"),
        "TECHSCANIQ_AUTH": auth_mode,
        "TECHSCANIQ_LAPTOP_HOSTS": UI_HOST,
        "TECHSCANIQ_FORCE_HTTPS": "true",
        "TECHSCANIQ_WEB_HOST": "127.0.0.1",
    }
    migrate(Settings.from_env(env))
    dispose_engines()
    web = procfile_commands()["web"]
    tls_options = f" --certfile {shlex.quote(str(certfile))} --keyfile {shlex.quote(str(keyfile))}"
    https_port, http_port = free_port(), free_port()
    logs = {"https": directory / "gunicorn-https.log", "http": directory / "gunicorn-http.log"}
    https_server = start_process(
        ["sh", "-c", web + tls_options], {**env, "PORT": str(https_port)}, logs["https"]
    )
    http_server = start_process(["sh", "-c", web], {**env, "PORT": str(http_port)}, logs["http"])
    settings = Settings.from_env().with_overrides(dns_servers=(fixture_dns.address,))
    try:
        # The health probe is exempt from the redirect, so plain http answers it directly.
        wait_for_http(f"http://127.0.0.1:{http_port}/api/health", http_server, logs["http"])
        wait_for_log(https_server, logs["https"], "Listening at: https://")
        with SharedPortRelay(http_port, https_port) as relay:
            fixture_dns.set_records(UI_HOST, "A", ["127.0.0.1"])
            with GuardedFetcher(settings, ca_bundle=str(ca_file), allowed_ports=(relay.port,)) as fetcher:
                served = ServedUi(auth_mode, relay.port, settings, fetcher, logs)
                _wait_until_served(fetcher, served.url("https", "/api/health"))
                yield served
    finally:
        fixture_dns.remove_name(UI_HOST)
        stop_process(https_server)
        stop_process(http_server)


# -- grading ------------------------------------------------------------------------------------------------------


@dataclass
class PageGrade:
    """What the security collector concluded about one page, and the page's own http route."""

    url: str
    landed_on: str
    score: int | None
    grade: str | None
    tests: list[dict[str, Any]]
    route: tuple[RedirectStep, ...]
    route_result: Expectation

    @property
    def passes(self) -> bool:
        """A or better, and the page's own http address goes straight to https."""
        return self.grade in PASSING_GRADES and self.route_result is Expectation.REDIRECTION_TO_HTTPS

    def describe(self) -> str:
        """One line for the page, then each test that failed or cost points."""
        route = " -> ".join(f"{step.url} ({step.status})" for step in self.route)
        lines = [
            f"{self.url} (landed on {self.landed_on}): grade {self.grade}, score {self.score}; "
            f"own http route {self.route_result.value}: {route}"
        ]
        for test in self.tests:
            if not test["passed"] or test["score_modifier"] < 0:
                lines.append(
                    f"    FAIL {test['test']}: {test['result']} ({test['score_modifier']:+d}) "
                    f"{test['description']}; details {test['details']}"
                )
        return "\n".join(lines)


def _collector_items(ui: ServedUi, fetched: FetchResult, requested_url: str) -> list[EvidenceDraft]:
    """Run the security collector with this page as the site's home page, as a scan of the UI would."""
    html = fetched.text if (fetched.content_type or "").endswith("html") else ""
    page = CrawledPage(fetched.final_url, requested_url, UI_HOST, PageClass.HOME, 0, fetched, html, "seed")
    scan = make_scan(fetched.final_url, scan_id=f"ui-https-{ui.auth_mode}", company="TechScanIQ")
    context = CollectContext(scan, ui.settings, ui.fetcher, fetched.final_url, UI_HOST)
    collector = SecurityCollector(http_port=ui.port)
    assert list(collector.on_page(page, context)) == []
    return list(collector.finish(context))


def _own_route(ui: ServedUi, path: str) -> tuple[tuple[RedirectStep, ...], Expectation]:
    """The http:// route of this very page and the Observatory's redirection verdict on it."""
    fetched = ui.fetcher.fetch(ui.url("http", path), ResourceKind.HTML)
    steps = [RedirectStep(hop.url, hop.status) for hop in fetched.redirects]
    if fetched.status is not None:
        steps.append(RedirectStep(fetched.final_url, fetched.status))
    facts = ResponseFacts(
        url=fetched.final_url,
        status=fetched.status or 0,
        headers=tuple(fetched.headers),
        html=fetched.text,
        redirect_chain=tuple(steps),
    )
    verdict = next(
        test for test in score_observatory(facts).tests if test.name is ObservatoryTest.REDIRECTION
    )
    return tuple(steps), verdict.result


def grade(ui: ServedUi, path: str) -> PageGrade:
    """Fetch the page over https and grade it with the collector; also follow the page's own http route."""
    url = ui.url("https", path)
    fetched = ui.fetcher.fetch(url, ResourceKind.HTML)
    assert fetched.ok, (url, fetched.status, fetched.error_code, fetched.error_message, ui.server_logs())
    items = _collector_items(ui, fetched, url)
    scores = [item for item in items if item.type is EvidenceType.OBSERVATORY_SCORE]
    assert len(scores) == 1, [item.title for item in items]
    tests = [item.data for item in items if item.type is EvidenceType.OBSERVATORY_TEST]
    assert len(tests) == len(ObservatoryTest), [item.title for item in items]
    route, route_result = _own_route(ui, path)
    return PageGrade(
        url,
        urlsplit(fetched.final_url).path,
        scores[0].data["score"],
        scores[0].data["grade"],
        tests,
        route,
        route_result,
    )


# -- tests --------------------------------------------------------------------------------------------------------


def test_every_page_a_visitor_reaches_grades_a_or_better(served_ui: ServedUi) -> None:
    graded = {path: grade(served_ui, path) for path, _ in VISITOR_PAGES[served_ui.auth_mode]}
    report = "\n".join(page.describe() for page in graded.values())
    print(f"\nHTTP Observatory over https, TECHSCANIQ_AUTH={served_ui.auth_mode}:\n{report}")
    # The pages are the ones meant: a visitor without a session is sent to sign in, one with a session is not.
    landed = {path: page.landed_on for path, page in graded.items()}
    assert landed == dict(VISITOR_PAGES[served_ui.auth_mode]), landed
    failing = [page for page in graded.values() if not page.passes]
    assert not failing, "pages below grade A or not redirected to https:\n" + "\n".join(
        page.describe() for page in failing
    )


def test_http_goes_straight_to_the_same_address_on_https(served_ui: ServedUi) -> None:
    for path in ("/method?tab=theses", "/scans/new", "/static/does-not-exist.css"):
        fetched = served_ui.fetcher.fetch(served_ui.url("http", path), ResourceKind.HTML)
        assert fetched.redirects, (path, fetched.status, fetched.error_code)
        first = fetched.redirects[0]
        target = fetched.redirects[1].url if len(fetched.redirects) > 1 else fetched.final_url
        assert (first.url, first.status, target) == (
            served_ui.url("http", path),
            308,
            served_ui.url("https", path),
        )
        assert fetched.final_url.startswith(f"https://{UI_HOST}:{served_ui.port}/")


def test_https_responses_carry_hsts_and_the_probes_answer_over_http(served_ui: ServedUi) -> None:
    fetched = served_ui.fetcher.fetch(served_ui.url("https", "/api/health"), ResourceKind.HTML)
    assert fetched.status == 200
    assert fetched.header("Strict-Transport-Security") == "max-age=63072000; includeSubDomains"
    for path in ("/api/health", "/api/ready"):
        probe = served_ui.fetcher.fetch(served_ui.url("http", path), ResourceKind.HTML)
        assert probe.redirects == [] and probe.status is not None, (path, probe.error_code)
        # HSTS means nothing over http and is not sent there.
        assert probe.header("Strict-Transport-Security") is None


def test_behind_a_tls_proxy_the_forwarded_scheme_decides(tmp_path: Path) -> None:
    from techscaniq.app import create_app

    app = create_app(Settings().with_overrides(force_https=True, data_dir=tmp_path))
    client = app.test_client()
    plain = client.get("/no-such-page?x=1", base_url="http://ui.example")
    assert (plain.status_code, plain.headers["Location"]) == (308, "https://ui.example/no-such-page?x=1")
    assert "Strict-Transport-Security" not in plain.headers
    # The proxy terminated TLS: the visitor used https, so no redirect (no loop) and HSTS is sent.
    proxied = client.get(
        "/no-such-page", base_url="http://ui.example", headers={"X-Forwarded-Proto": "https"}
    )
    assert proxied.status_code == 404
    assert proxied.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    off = create_app(Settings().with_overrides(data_dir=tmp_path)).test_client().get("/no-such-page")
    assert off.status_code == 404 and "Strict-Transport-Security" not in off.headers
