"""Extra demo hosts plug into the site through techscaniq.demo.hosts; the Northwind site is unchanged without them."""

from __future__ import annotations

import pytest

from techscaniq.demo import hosts
from techscaniq.demo.northwind.builder import SiteBuilder
from techscaniq.demo.site import build_site

PORT = 8632


@pytest.fixture
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hosts, "_REGISTRY", {})


@pytest.mark.usefixtures("empty_registry")
def test_a_registered_host_is_served_resolved_and_in_the_manifest() -> None:
    @hosts.register_host("fixture")
    def build_fixture(builder: SiteBuilder) -> None:
        builder.add_host("fixture", f"fixture.{builder.domain}")
        builder.add("fixture", "/", b"<html><body>fixture</body></html>", "text/html; charset=utf-8")
        builder.extra_manifest["fixture"] = {"url": builder.url("fixture", "/")}

    site = build_site(port=PORT, pages=30)
    host = f"fixture.{site.domain}"
    response = site.lookup(host, "/")
    assert (
        response is not None and response.status == 200 and response.body.endswith(b"fixture</body></html>")
    )
    assert site.dns_zone("127.0.0.5")[host] == {"A": ["127.0.0.5"]}
    assert site.manifest["extra_hosts"] == {"fixture": {"url": f"http://{host}:{PORT}/"}}
    assert site.url("fixture") == f"http://{host}:{PORT}/"


@pytest.mark.usefixtures("empty_registry")
def test_without_extra_hosts_the_manifest_has_no_extra_section() -> None:
    site = build_site(port=PORT, pages=30)
    assert "extra_hosts" not in site.manifest
    assert hosts.registered_hosts() == []


@pytest.mark.usefixtures("empty_registry")
def test_two_hosts_cannot_share_a_name() -> None:
    hosts.register_host("twice")(lambda builder: None)
    with pytest.raises(ValueError, match="already registered"):
        hosts.register_host("twice")(lambda builder: None)
