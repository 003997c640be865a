"""TLS evidence per https host: protocols offered, the negotiated handshake, the certificate and HSTS."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import hstspreload

from techscaniq.domain import EvidenceCategory, EvidenceDraft, EvidenceType
from techscaniq.evidence.collectors.base import BaseCollector, CollectContext, CrawledPage, register
from techscaniq.evidence.security_headers import header_values, parse_hsts, truncate
from techscaniq.evidence.tls_probe import (
    HANDSHAKE_TIMEOUT_SECONDS,
    TlsReport,
    TlsVersion,
    expiry_severity,
    probe_tls,
)

NAME = "tls"
MAX_TLS_HOSTS = 5  # the root host gets the full version probe; the others one handshake pair each
DIRECT_CONFIDENCE = 1.0


def ca_bundle_of(context: CollectContext) -> str | None:
    """The CA bundle the guarded fetcher verifies with (its own trust store), if it names a file."""
    bundle = getattr(context.fetcher, "ca_bundle", None) or getattr(context.fetcher.session, "verify", None)
    return bundle if isinstance(bundle, str) else None


def is_preloaded(host: str) -> bool:
    """The host, or a parent with include_subdomains, is on the offline HSTS preload list."""
    try:
        return bool(hstspreload.in_hsts_preload(host))
    except (ValueError, UnicodeError):
        return False


@register(NAME)
class TlsCollector(BaseCollector):
    """Handshake facts for the site's https hosts (raw TLS only through the guarded connection)."""

    name = NAME

    def __init__(self, timeout_seconds: float = HANDSHAKE_TIMEOUT_SECONDS) -> None:
        self.timeout_seconds = timeout_seconds
        self._hosts: dict[str, dict[str, Any]] = {}

    def on_page(self, page: CrawledPage, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Remember each https host, its port and the HSTS header of its first page."""
        parts = urlsplit(page.url)
        host = (parts.hostname or "").lower()
        if parts.scheme != "https" or not host or host in self._hosts or len(self._hosts) >= MAX_TLS_HOSTS:
            return ()
        values = [truncate(value) for value in header_values(page.headers, "Strict-Transport-Security")]
        self._hosts[host] = {"port": parts.port or 443, "url": page.url, "hsts": values}
        return ()

    def state(self) -> dict[str, Any]:
        """The https hosts seen and their HSTS header values."""
        return {"hosts": self._hosts}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Load the https hosts seen."""
        self._hosts = {str(host): dict(entry) for host, entry in dict(state.get("hosts", {})).items()}

    def finish(self, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Probe the root host fully and every other https host once; share certificate facts in extras."""
        root = urlsplit(context.root_url)
        root_host = (root.hostname or "").lower()
        hosts = dict(self._hosts)
        if root_host and root_host not in hosts:
            port = root.port if root.scheme == "https" and root.port else 443
            hosts = {root_host: {"port": port, "url": f"https://{root_host}/", "hsts": None}, **hosts}
        ordered = sorted(hosts, key=lambda host: host != root_host)
        bundle = ca_bundle_of(context)
        items: list[EvidenceDraft] = []
        shared = context.extras.setdefault("tls", {})
        for host in ordered:
            context.checkpoint()
            entry = hosts[host]
            port = int(entry["port"])
            report = probe_tls(
                functools.partial(context.fetcher.open_checked_connection, host, port, self.timeout_seconds),
                host,
                port,
                ca_bundle=bundle,
                timeout=self.timeout_seconds,
                versions=tuple(TlsVersion) if host == root_host else (),
            )
            items += _report_items(context, report, entry["url"])
            if entry.get("hsts") is not None:
                items.append(_hsts_item(context, host, entry["url"], list(entry["hsts"])))
            shared[host] = _shared_facts(report)
        return items


def _report_items(context: CollectContext, report: TlsReport, url: str) -> list[EvidenceDraft]:
    host = report.host
    key = host if report.port == 443 else f"{host}:{report.port}"
    if report.error_code:
        error = {
            "status": "error",
            "error_code": report.error_code,
            "error": report.error_message,
            "host": host,
        }
        return [
            context.observed(
                NAME,
                EvidenceCategory.TLS,
                EvidenceType.TLS_HANDSHAKE,
                key=key,
                title=f"TLS handshake with {host} failed",
                summary=f"No TLS handshake with {host} port {report.port} completed: {report.error_code}.",
                source_url=url,
                data=dict(error),
                confidence=DIRECT_CONFIDENCE,
            ),
            context.observed(
                NAME,
                EvidenceCategory.TLS,
                EvidenceType.TLS_CERTIFICATE,
                key=key,
                title=f"No certificate read from {host}",
                summary=f"The certificate of {host} could not be read because the handshake failed ({report.error_code}).",
                source_url=url,
                data=dict(error),
                confidence=DIRECT_CONFIDENCE,
            ),
        ]
    items = [_handshake_item(context, report, key, url), _certificate_item(context, report, key, url)]
    if report.protocols:
        items.append(_protocols_item(context, report, key, url))
    return items


def _handshake_item(context: CollectContext, report: TlsReport, key: str, url: str) -> EvidenceDraft:
    alpn = f"ALPN {report.alpn}" if report.alpn else "no ALPN"
    http2 = " (HTTP/2)" if report.http2 else ""
    return context.observed(
        NAME,
        EvidenceCategory.TLS,
        EvidenceType.TLS_HANDSHAKE,
        key=key,
        title=f"{report.host} negotiates {report.version} with {report.cipher}, {alpn}{http2}",
        summary=f"A handshake with {report.host} offering h2 and http/1.1 settled on {report.version}, "
        f"{report.cipher} ({report.cipher_bits}-bit) and {alpn}.",
        source_url=url,
        data={
            "host": report.host,
            "port": report.port,
            "version": report.version,
            "cipher": report.cipher,
            "cipher_bits": report.cipher_bits,
            "alpn": report.alpn,
            "http2": report.http2,
        },
        confidence=DIRECT_CONFIDENCE,
    )


def _certificate_item(context: CollectContext, report: TlsReport, key: str, url: str) -> EvidenceDraft:
    cert, check = report.certificate, report.verification
    verified = bool(check and check.verified)
    reason = None if verified or check is None else (check.failure.value if check.failure else check.message)
    if cert is None:
        return context.observed(
            NAME,
            EvidenceCategory.TLS,
            EvidenceType.TLS_CERTIFICATE,
            key=key,
            title=f"{report.host} sent no certificate",
            summary=f"The handshake with {report.host} completed without a certificate.",
            source_url=url,
            data={"host": report.host, "verified": verified, "status": "not_observed"},
            confidence=DIRECT_CONFIDENCE,
        )
    issuer = cert.issuer_organization or cert.issuer_common_name or cert.issuer
    verdict = "verifies" if verified else f"does not verify ({reason})"
    return context.observed(
        NAME,
        EvidenceCategory.TLS,
        EvidenceType.TLS_CERTIFICATE,
        key=key,
        title=f"Certificate of {report.host} from {issuer} {verdict}, expires in {cert.days_to_expiry} days"[
            :500
        ],
        summary=f"The certificate for {', '.join(cert.sans[:5]) or cert.subject} was issued by {issuer}, is valid until "
        f"{cert.not_after[:10]}, uses a {cert.key_type.upper()} {cert.key_bits}-bit key signed with "
        f"{cert.signature_algorithm}, and {verdict}."[:1000],
        source_url=url,
        data={
            "host": report.host,
            "port": report.port,
            "subject": cert.subject,
            "common_name": cert.common_name,
            "sans": list(cert.sans),
            "issuer": cert.issuer,
            "issuer_organization": cert.issuer_organization,
            "issuer_common_name": cert.issuer_common_name,
            "serial": cert.serial,
            "not_before": cert.not_before,
            "not_after": cert.not_after,
            "days_to_expiry": cert.days_to_expiry,
            "expired": cert.expired,
            "expiry_severity": expiry_severity(cert.days_to_expiry),
            "key_type": cert.key_type,
            "key_bits": cert.key_bits,
            "signature_algorithm": cert.signature_algorithm,
            "self_signed": cert.self_signed,
            "sha256": cert.sha256,
            "verified": verified,
            "verify_failure": check.failure.value if check and check.failure else None,
            "verify_code": check.code if check else None,
            "verify_message": check.message if check else None,
            "trust_store": check.trust_store if check else None,
            "chain": "leaf only",
            "excerpt": f"subject {cert.subject}; issuer {cert.issuer}; not after {cert.not_after}"[:500],
        },
        confidence=DIRECT_CONFIDENCE,
    )


def _protocols_item(context: CollectContext, report: TlsReport, key: str, url: str) -> EvidenceDraft:
    offered = [p.version.value for p in report.protocols if p.offered is True]
    refused = [p.version.value for p in report.protocols if p.offered is False]
    untested = [p.version.value for p in report.protocols if p.offered is None]
    legacy = [v for v in offered if v in (TlsVersion.TLS1_0.value, TlsVersion.TLS1_1.value)]
    summary = f"{report.host} accepted {', '.join(offered) or 'none'}; refused {', '.join(refused) or 'none'}"
    if untested:
        summary += f"; could not test {', '.join(untested)} from here"
    return context.observed(
        NAME,
        EvidenceCategory.TLS,
        EvidenceType.TLS_PROTOCOLS,
        key=key,
        title=f"{report.host} offers {', '.join(offered) or 'no probed TLS version'}",
        summary=summary + ".",
        source_url=url,
        data={
            "host": report.host,
            "offered": offered,
            "not_offered": refused,
            "not_tested": untested,
            "legacy_offered": legacy,
            "tls13": TlsVersion.TLS1_3.value in offered,
            "probes": [
                {"version": p.version.value, "offered": p.offered, "note": p.note} for p in report.protocols
            ],
        },
        confidence=DIRECT_CONFIDENCE,
    )


def _hsts_item(context: CollectContext, host: str, url: str, values: list[str]) -> EvidenceDraft:
    preloaded = is_preloaded(host)
    hsts = parse_hsts(values)
    if hsts is None:
        return context.observed(
            NAME,
            EvidenceCategory.TLS,
            EvidenceType.HSTS,
            key=host,
            title=f"{host} sends no HSTS header" + (" (but is preloaded)" if preloaded else ""),
            summary=f"The first https response of {host} carries no Strict-Transport-Security header.",
            source_url=url,
            data={"host": host, "present": False, "preloaded": preloaded, "status": "not_observed"},
            confidence=DIRECT_CONFIDENCE,
        )
    flags = [
        name for name, on in (("includeSubDomains", hsts.include_subdomains), ("preload", hsts.preload)) if on
    ]
    validity = "" if hsts.valid else f" (invalid: {hsts.problem})"
    return context.observed(
        NAME,
        EvidenceCategory.TLS,
        EvidenceType.HSTS,
        key=host,
        title=f"{host} sends HSTS max-age {hsts.max_age}{' with ' + ', '.join(flags) if flags else ''}{validity}",
        summary=f"Strict-Transport-Security: {truncate(', '.join(values), 300)}; "
        f"{'on' if preloaded else 'not on'} the HSTS preload list.",
        source_url=url,
        data={
            "host": host,
            "present": True,
            "value": truncate(", ".join(values)),
            "valid": hsts.valid,
            "problem": hsts.problem,
            "max_age": hsts.max_age,
            "include_subdomains": hsts.include_subdomains,
            "preload_directive": hsts.preload,
            "preloaded": preloaded,
            "excerpt": truncate(", ".join(values), 500),
        },
        confidence=DIRECT_CONFIDENCE,
    )


def _shared_facts(report: TlsReport) -> dict[str, Any]:
    cert, check = report.certificate, report.verification
    return {
        "port": report.port,
        "error_code": report.error_code,
        "version": report.version,
        "alpn": report.alpn,
        "issuer": cert.issuer if cert else None,
        "issuer_organization": cert.issuer_organization if cert else None,
        "verified": bool(check and check.verified),
        "verify_failure": check.failure.value if check and check.failure else None,
    }
