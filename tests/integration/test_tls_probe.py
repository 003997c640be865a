"""TLS probe and collector against loopback TLS servers with trustme certificates, names from the fixture DNS."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from techscaniq.config import Settings
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.domain import EvidenceType
from techscaniq.evidence.collectors.base import CollectContext, CrawledPage, PageClass
from techscaniq.evidence.collectors.tls import TlsCollector
from techscaniq.evidence.fetch import FetchResult, GuardedFetcher
from techscaniq.evidence.tls_probe import TlsVersion, VerifyFailure, probe_tls
from tests.support.collectors import make_scan

pytestmark = pytest.mark.integration

TEST_ALLOW_NETWORKS = ("127.0.0.0/24",)


def make_context(fetcher: GuardedFetcher, settings: Settings, root_url: str) -> CollectContext:
    """A collect context for one scan of root_url."""
    scan = make_scan(root_url, scan_id="scan-tls")
    host = urlsplit(root_url).hostname or ""
    return CollectContext(scan, settings, fetcher, root_url, ".".join(host.split(".")[-2:]))


def crawled_page(url: str, headers: tuple[tuple[str, str], ...], html: str) -> CrawledPage:
    """A home page as the crawler would hand it over."""
    result = FetchResult(requested_url=url, final_url=url, status=200, headers=list(headers))
    host = urlsplit(url).hostname or ""
    return CrawledPage(url, url, host, PageClass.HOME, 0, result, html, "seed")


class TlsServer:
    """Accepts connections on 127.0.0.1, completes (or fails) the handshake, answers one tiny HTTP response."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(3)
        with contextlib.suppress(OSError), self.context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(1)

    def __enter__(self) -> TlsServer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        self.thread.join(timeout=2)
        self.listener.close()


def server_context(
    cert_pem: bytes, key_pem: bytes, tmp_path: Path, *, max_tls12: bool = False
) -> ssl.SSLContext:
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert_pem)
    key_file.write_bytes(key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert_file), str(key_file))
    context.set_alpn_protocols(["h2", "http/1.1"])
    if max_tls12:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context


def leaf_context(leaf: trustme.LeafCert, tmp_path: Path, *, max_tls12: bool = False) -> ssl.SSLContext:
    chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
    return server_context(chain, leaf.private_key_pem.bytes(), tmp_path, max_tls12=max_tls12)


def self_signed(name: str) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA(organization_name="Loopback Test CA")


@pytest.fixture
def ca_bundle(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def settings(fixture_dns: LoopbackDNSServer) -> Settings:
    return Settings().with_overrides(allow_networks=TEST_ALLOW_NETWORKS, dns_servers=(fixture_dns.address,))


def probe(settings: Settings, name: str, port: int, ca_bundle: str | None):  # type: ignore[no-untyped-def]
    with GuardedFetcher(settings, ca_bundle=ca_bundle) as fetcher:
        return probe_tls(
            lambda: fetcher.open_checked_connection(name, port, 3.0), name, port, ca_bundle=ca_bundle
        )


def offered(report) -> dict[str, bool | None]:  # type: ignore[no-untyped-def]
    return {p.version.value: p.offered for p in report.protocols}


def test_valid_certificate_verifies_with_the_configured_bundle(
    ca: trustme.CA, ca_bundle: str, tmp_path: Path, settings: Settings, fixture_dns: LoopbackDNSServer
) -> None:
    name = "valid.tlsprobe.test"
    fixture_dns.set_records(name, "A", ["127.0.0.1"])
    leaf = ca.issue_cert(name, "alt.tlsprobe.test", key_type=trustme.KeyType.RSA)
    with TlsServer(leaf_context(leaf, tmp_path)) as server:
        report = probe(settings, name, server.port, ca_bundle)
    assert report.error_code is None
    assert report.verification is not None and report.verification.verified
    cert = report.certificate
    assert cert is not None
    assert cert.sans == (name, "alt.tlsprobe.test")
    assert cert.issuer_organization == "Loopback Test CA"
    assert cert.key_type == "rsa" and cert.key_bits == 2048
    assert cert.signature_algorithm == "ecdsa-with-SHA256"  # signed by the CA's EC key
    assert not cert.expired and not cert.self_signed and cert.days_to_expiry > 300
    assert report.version == "TLSv1.3" and report.alpn == "h2" and report.http2
    protocols = offered(report)
    assert protocols["TLSv1.2"] is True and protocols["TLSv1.3"] is True
    # The server's OpenSSL refuses the legacy versions; our side may or may not be able to ask.
    assert protocols["TLSv1.0"] in (False, None) and protocols["TLSv1.1"] in (False, None)


def test_default_trust_store_does_not_know_the_test_ca(
    ca: trustme.CA, tmp_path: Path, settings: Settings, fixture_dns: LoopbackDNSServer
) -> None:
    name = "unknown-ca.tlsprobe.test"
    fixture_dns.set_records(name, "A", ["127.0.0.1"])
    with TlsServer(leaf_context(ca.issue_cert(name), tmp_path)) as server:
        report = probe(settings, name, server.port, None)
    assert report.verification is not None
    assert report.verification.failure is VerifyFailure.UNKNOWN_ISSUER
    assert report.certificate is not None and report.certificate.key_type == "ec"


def test_expired_certificate(
    ca: trustme.CA, ca_bundle: str, tmp_path: Path, settings: Settings, fixture_dns: LoopbackDNSServer
) -> None:
    name = "expired.tlsprobe.test"
    fixture_dns.set_records(name, "A", ["127.0.0.1"])
    now = datetime.now(UTC)
    leaf = ca.issue_cert(name, not_before=now - timedelta(days=100), not_after=now - timedelta(days=3))
    with TlsServer(leaf_context(leaf, tmp_path)) as server:
        report = probe(settings, name, server.port, ca_bundle)
    assert report.verification is not None and report.verification.failure is VerifyFailure.EXPIRED
    assert report.certificate is not None and report.certificate.expired
    assert report.certificate.days_to_expiry <= -3


def test_wrong_name(
    ca: trustme.CA, ca_bundle: str, tmp_path: Path, settings: Settings, fixture_dns: LoopbackDNSServer
) -> None:
    name = "wrong-name.tlsprobe.test"
    fixture_dns.set_records(name, "A", ["127.0.0.1"])
    with TlsServer(leaf_context(ca.issue_cert("someone-else.tlsprobe.test"), tmp_path)) as server:
        report = probe(settings, name, server.port, ca_bundle)
    assert report.verification is not None
    assert report.verification.failure is VerifyFailure.HOSTNAME_MISMATCH
    assert report.certificate is not None and report.certificate.sans == ("someone-else.tlsprobe.test",)


def test_self_signed(tmp_path: Path, settings: Settings, fixture_dns: LoopbackDNSServer) -> None:
    name = "self-signed.tlsprobe.test"
    fixture_dns.set_records(name, "A", ["127.0.0.1"])
    cert_pem, key_pem = self_signed(name)
    with TlsServer(server_context(cert_pem, key_pem, tmp_path)) as server:
        report = probe(settings, name, server.port, None)
    assert report.verification is not None and report.verification.failure is VerifyFailure.SELF_SIGNED
    assert report.certificate is not None and report.certificate.self_signed


def test_tls12_only_server(
    ca: trustme.CA, ca_bundle: str, tmp_path: Path, settings: Settings, fixture_dns: LoopbackDNSServer
) -> None:
    name = "old.tlsprobe.test"
    fixture_dns.set_records(name, "A", ["127.0.0.1"])
    with TlsServer(leaf_context(ca.issue_cert(name), tmp_path, max_tls12=True)) as server:
        report = probe(settings, name, server.port, ca_bundle)
    assert report.version == "TLSv1.2"
    assert report.cipher and report.cipher_bits and report.cipher_bits >= 128
    protocols = offered(report)
    assert protocols["TLSv1.2"] is True and protocols["TLSv1.3"] is False
    assert report.verification is not None and report.verification.verified


def test_handshake_failure_is_data_and_the_collector_still_completes(
    settings: Settings, fixture_dns: LoopbackDNSServer
) -> None:
    name = "plaintext.tlsprobe.test"
    fixture_dns.set_records(name, "A", ["127.0.0.1"])
    # A plain TCP server that answers with an HTTP line: no TLS handshake can succeed.
    listener = socket.create_server(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with GuardedFetcher(settings) as fetcher:
            report = probe_tls(
                lambda: fetcher.open_checked_connection(name, port, 3.0), name, port, versions=()
            )
            assert report.error_code == "tls_handshake_failed" and report.certificate is None
            context = make_context(fetcher, settings, f"https://{name}:{port}/")
            collector = TlsCollector()
            page = crawled_page(f"https://{name}:{port}/", headers=(), html="<html></html>")
            list(collector.on_page(page, context))
            items = list(collector.finish(context))
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()
    by_type = {item.type: item for item in items}
    assert by_type[EvidenceType.TLS_HANDSHAKE].data["status"] == "error"
    assert by_type[EvidenceType.TLS_HANDSHAKE].data["error_code"] == "tls_handshake_failed"
    assert by_type[EvidenceType.TLS_CERTIFICATE].data["status"] == "error"


def test_collector_items_for_a_valid_host(
    ca: trustme.CA, ca_bundle: str, tmp_path: Path, settings: Settings, fixture_dns: LoopbackDNSServer
) -> None:
    name = "collector.tlsprobe.test"
    fixture_dns.set_records(name, "A", ["127.0.0.1"])
    with TlsServer(leaf_context(ca.issue_cert(name), tmp_path)) as server:
        url = f"https://{name}:{server.port}/"
        with GuardedFetcher(settings, ca_bundle=ca_bundle) as fetcher:
            context = make_context(fetcher, settings, url)
            collector = TlsCollector()
            hsts = (("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),)
            page = crawled_page(url, headers=hsts, html="<html></html>")
            list(collector.on_page(page, context))
            restored = TlsCollector()
            restored.restore(collector.state())
            items = list(restored.finish(context))
    by_type = {item.type: item for item in items}
    assert set(by_type) == {
        EvidenceType.TLS_PROTOCOLS,
        EvidenceType.TLS_HANDSHAKE,
        EvidenceType.TLS_CERTIFICATE,
        EvidenceType.HSTS,
    }
    cert = by_type[EvidenceType.TLS_CERTIFICATE]
    assert cert.data["verified"] is True and cert.data["issuer_organization"] == "Loopback Test CA"
    assert cert.confidence >= 0.9 and name in cert.title
    assert by_type[EvidenceType.TLS_HANDSHAKE].data["http2"] is True
    assert TlsVersion.TLS1_3.value in by_type[EvidenceType.TLS_PROTOCOLS].data["offered"]
    hsts_item = by_type[EvidenceType.HSTS]
    assert hsts_item.data["max_age"] == 31536000 and hsts_item.data["include_subdomains"] is True
    assert hsts_item.data["preloaded"] is False
    assert context.extras["tls"][name]["issuer_organization"] == "Loopback Test CA"
