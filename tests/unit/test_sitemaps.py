"""The sitemap parser: urlsets, indexes, gzip, caps, broken XML, and no entity or DTD ever resolved."""

from __future__ import annotations

import gzip
from pathlib import Path

from techscaniq.evidence.sitemaps import SitemapEntry, gunzip_capped, parse_sitemap

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
URL = "https://example.com/sitemap.xml"


def urlset(*entries: tuple[str, str | None]) -> bytes:
    rows = "".join(
        f"<url><loc>{loc}</loc>" + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</url>"
        for loc, lastmod in entries
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS}>{rows}</urlset>'.encode()


def test_urlset_with_lastmod() -> None:
    body = urlset(("https://example.com/", "2025-10-01"), ("https://example.com/pricing", None))
    parsed = parse_sitemap(body, URL)
    assert parsed.kind == "urlset"
    assert parsed.entries == [
        SitemapEntry("https://example.com/", "2025-10-01"),
        SitemapEntry("https://example.com/pricing", None),
    ]
    assert parsed.errors == []


def test_whitespace_and_no_namespace() -> None:
    body = b"<urlset>\n <url>\n  <loc>\n   https://example.com/a\n  </loc>\n </url>\n <url><loc></loc></url></urlset>"
    assert parse_sitemap(body, URL).entries == [SitemapEntry("https://example.com/a")]


def test_index_lists_children() -> None:
    body = (
        f"<sitemapindex {NS}><sitemap><loc>https://example.com/s1.xml</loc><lastmod>2025-11-03</lastmod></sitemap>"
        "<sitemap><loc>https://example.com/s2.xml.gz</loc></sitemap></sitemapindex>"
    ).encode()
    parsed = parse_sitemap(body, URL)
    assert parsed.kind == "sitemapindex"
    assert parsed.entries == []
    assert parsed.children == [
        SitemapEntry("https://example.com/s1.xml", "2025-11-03"),
        SitemapEntry("https://example.com/s2.xml.gz", None),
    ]


def test_gzip_is_inflated() -> None:
    body = gzip.compress(urlset(("https://example.com/blog/a", "2025-09-09")))
    assert parse_sitemap(body, URL).entries == [SitemapEntry("https://example.com/blog/a", "2025-09-09")]


def test_gzip_bomb_stops_at_the_cap() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * (8 * 1024 * 1024))
    inflated, over_cap, complete = gunzip_capped(bomb, max_bytes=1024 * 1024)
    assert over_cap and not complete and len(inflated) == 1024 * 1024
    parsed = parse_sitemap(bomb, URL, max_bytes=1024 * 1024)
    assert "sitemap_too_large" in {e.code for e in parsed.errors}


def test_corrupt_gzip_is_an_error_not_an_exception() -> None:
    parsed = parse_sitemap(b"\x1f\x8b\x08\x00garbage", URL)
    assert parsed.kind == "unknown"
    assert [e.code for e in parsed.errors] == ["sitemap_bad_gzip"]


def test_a_cut_gzip_stream_keeps_what_inflated() -> None:
    whole = gzip.compress(urlset(*((f"https://example.com/p{i}", None) for i in range(200))))
    parsed = parse_sitemap(whole[: len(whole) // 2], URL)
    assert "sitemap_bad_gzip" in {e.code for e in parsed.errors}
    assert 0 < len(parsed.entries) < 200


def test_url_cap() -> None:
    body = urlset(*((f"https://example.com/p{i}", None) for i in range(30)))
    parsed = parse_sitemap(body, URL, max_urls=10)
    assert len(parsed.entries) == 10
    assert "sitemap_too_many_urls" in {e.code for e in parsed.errors}


def test_plain_body_over_the_byte_cap_is_cut_and_reported() -> None:
    body = urlset(*((f"https://example.com/p{i}", None) for i in range(200)))
    parsed = parse_sitemap(body, URL, max_bytes=2000)
    assert "sitemap_too_large" in {e.code for e in parsed.errors}
    assert 0 < len(parsed.entries) < 200


def test_broken_xml_is_reported_and_what_can_be_read_is_kept() -> None:
    body = f"<urlset {NS}><url><loc>https://example.com/a</loc></url><url><loc>https://example.com/b</loc>".encode()
    parsed = parse_sitemap(body, URL)
    assert "sitemap_invalid_xml" in {e.code for e in parsed.errors}
    assert SitemapEntry("https://example.com/a") in parsed.entries


def test_not_xml_at_all() -> None:
    parsed = parse_sitemap(b"<!DOCTYPE html><html><body>Not found</body></html>", URL)
    assert parsed.entries == []
    assert parsed.errors


def test_billion_laughs_is_not_expanded() -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    body = (
        f'<?xml version="1.0"?><!DOCTYPE urlset [{entities}]>'
        f"<urlset {NS}><url><loc>https://example.com/&lol9;</loc></url></urlset>"
    ).encode()
    parsed = parse_sitemap(body, URL)
    assert all("lollol" not in entry.url for entry in parsed.entries)
    assert sum(len(entry.url) for entry in parsed.entries) < 1000


def test_external_entities_are_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    for target in (secret.as_uri(), "file:///etc/passwd"):
        body = (
            f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "{target}">]>'
            f"<urlset {NS}><url><loc>https://example.com/&xxe;</loc><lastmod>&xxe;</lastmod></url></urlset>"
        ).encode()
        parsed = parse_sitemap(body, URL)
        text = repr(parsed)
        assert "TOP-SECRET-MARKER" not in text
        assert "root:" not in text


def test_external_dtd_is_not_loaded(tmp_path: Path) -> None:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY leak "DTD-WAS-LOADED">')
    body = (
        f'<?xml version="1.0"?><!DOCTYPE urlset SYSTEM "{dtd.as_uri()}">'
        f"<urlset {NS}><url><loc>https://example.com/&leak;</loc></url></urlset>"
    ).encode()
    assert "DTD-WAS-LOADED" not in repr(parse_sitemap(body, URL))


def test_unknown_root_element() -> None:
    parsed = parse_sitemap(b"<rss><channel/></rss>", URL)
    assert parsed.kind == "unknown"
    assert [e.code for e in parsed.errors] == ["sitemap_unknown_root"]
