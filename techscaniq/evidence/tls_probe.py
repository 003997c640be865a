"""TLS handshake facts (docs/evidence-security.md §5): versions offered, negotiated parameters, certificate,
verification.

Every connection comes from a `connect` callable (the guarded fetcher's `open_checked_connection`), so the probe
never resolves or connects by itself. Failures are data on the returned facts, never exceptions.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtensionOID, NameOID

from techscaniq.errors import FetchError, FetchRefused
from techscaniq.evidence.dns_checks import public_key_facts

HANDSHAKE_TIMEOUT_SECONDS = 5.0
ALPN_PROTOCOLS = ("h2", "http/1.1")
# OpenSSL refuses to send a TLS 1.0/1.1 hello at the default security level; the probe only asks.
LEGACY_CIPHERS = "DEFAULT:@SECLEVEL=0"
EXPIRY_WARNING_DAYS = 30
EXPIRY_HIGH_DAYS = 7
SECONDS_PER_DAY = 86_400

Connect = Callable[[], socket.socket]


class TlsVersion(StrEnum):
    """The protocol versions probed, oldest first."""

    TLS1_0 = "TLSv1.0"
    TLS1_1 = "TLSv1.1"
    TLS1_2 = "TLSv1.2"
    TLS1_3 = "TLSv1.3"


_SSL_VERSIONS = {
    TlsVersion.TLS1_0: ssl.TLSVersion.TLSv1,
    TlsVersion.TLS1_1: ssl.TLSVersion.TLSv1_1,
    TlsVersion.TLS1_2: ssl.TLSVersion.TLSv1_2,
    TlsVersion.TLS1_3: ssl.TLSVersion.TLSv1_3,
}
LEGACY_VERSIONS = frozenset({TlsVersion.TLS1_0, TlsVersion.TLS1_1})
# OpenSSL reasons that mean our side refused to try: the version was not tested, not found missing.
_LOCAL_REFUSALS = ("NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE", "NO_SUITABLE_SIGNATURE_ALGORITHM")


class VerifyFailure(StrEnum):
    """Why a certificate did not verify."""

    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    SELF_SIGNED = "self_signed"
    HOSTNAME_MISMATCH = "hostname_mismatch"
    UNKNOWN_ISSUER = "unknown_issuer"
    REVOKED = "revoked"
    OTHER = "other"


# X509_V_ERR_* codes from OpenSSL's x509_vfy.h.
_VERIFY_CODES = {
    2: VerifyFailure.UNKNOWN_ISSUER,
    9: VerifyFailure.NOT_YET_VALID,
    10: VerifyFailure.EXPIRED,
    18: VerifyFailure.SELF_SIGNED,
    19: VerifyFailure.SELF_SIGNED,
    20: VerifyFailure.UNKNOWN_ISSUER,
    21: VerifyFailure.UNKNOWN_ISSUER,
    23: VerifyFailure.REVOKED,
    62: VerifyFailure.HOSTNAME_MISMATCH,
}


@dataclass(frozen=True)
class ProtocolSupport:
    """Whether one version is offered: True, False ("not offered") or None ("could not test")."""

    version: TlsVersion
    offered: bool | None
    note: str


@dataclass(frozen=True)
class Verification:
    """The result of a verifying handshake against the trust store given."""

    verified: bool
    trust_store: str
    failure: VerifyFailure | None = None
    code: int | None = None
    message: str | None = None


@dataclass(frozen=True)
class CertificateFacts:
    """The leaf certificate, read with cryptography."""

    subject: str
    common_name: str | None
    sans: tuple[str, ...]
    issuer: str
    issuer_organization: str | None
    issuer_common_name: str | None
    serial: str
    not_before: str
    not_after: str
    days_to_expiry: int
    expired: bool
    key_type: str
    key_bits: int | None
    signature_algorithm: str
    self_signed: bool
    sha256: str


@dataclass
class TlsReport:
    """Everything the probe learned about one host:port; `error_code` set when no handshake completed."""

    host: str
    port: int
    version: str | None = None
    cipher: str | None = None
    cipher_bits: int | None = None
    alpn: str | None = None
    verification: Verification | None = None
    certificate: CertificateFacts | None = None
    protocols: list[ProtocolSupport] = field(default_factory=list)
    error_code: str | None = None
    error_message: str | None = None

    @property
    def http2(self) -> bool:
        """ALPN chose h2."""
        return self.alpn == "h2"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe dictionary of the report."""
        data = asdict(self)
        data["http2"] = self.http2
        return data


def probe_tls(
    connect: Connect,
    host: str,
    port: int = 443,
    *,
    ca_bundle: str | None = None,
    timeout: float = HANDSHAKE_TIMEOUT_SECONDS,
    versions: Sequence[TlsVersion] = tuple(TlsVersion),
    now: datetime | None = None,
) -> TlsReport:
    """Handshake with host through `connect`: facts, certificate, verification, then one probe per version."""
    report = TlsReport(host=host, port=port)
    try:
        with _handshake(connect, host, _inspecting_context(), timeout) as tls:
            report.version = tls.version()
            cipher = tls.cipher()
            if cipher:
                report.cipher, _, report.cipher_bits = cipher
            report.alpn = tls.selected_alpn_protocol()
            der = tls.getpeercert(binary_form=True)
    except (FetchError, FetchRefused) as exc:
        report.error_code, report.error_message = exc.code, exc.message
        return report
    except (ssl.SSLError, OSError) as exc:
        report.error_code, report.error_message = "tls_handshake_failed", _describe(exc)
        return report
    if der:
        report.certificate = certificate_facts(der, now)
    report.verification = verify(connect, host, ca_bundle=ca_bundle, timeout=timeout)
    report.protocols = [probe_version(connect, host, version, timeout) for version in versions]
    return report


def verify(connect: Connect, host: str, *, ca_bundle: str | None, timeout: float) -> Verification:
    """A verifying handshake (hostname and chain) against the CA bundle, else the default trust store."""
    store = ca_bundle or "default"
    context = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else ssl.create_default_context()
    context.set_alpn_protocols(list(ALPN_PROTOCOLS))
    try:
        with _handshake(connect, host, context, timeout):
            return Verification(True, store)
    except ssl.SSLCertVerificationError as exc:
        code = exc.verify_code
        return Verification(
            False, store, _VERIFY_CODES.get(code, VerifyFailure.OTHER), code, exc.verify_message
        )
    except (FetchError, FetchRefused) as exc:
        return Verification(False, store, None, None, f"{exc.code}: {exc.message}")
    except (ssl.SSLError, OSError) as exc:
        return Verification(False, store, None, None, _describe(exc))


def probe_version(connect: Connect, host: str, version: TlsVersion, timeout: float) -> ProtocolSupport:
    """One handshake allowing only `version`: offered, not offered, or could not test (and why)."""
    try:
        context = _inspecting_context()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # asking for TLS 1.0/1.1 is the point
            context.minimum_version = _SSL_VERSIONS[version]
            context.maximum_version = _SSL_VERSIONS[version]
        if version in LEGACY_VERSIONS:
            context.set_ciphers(LEGACY_CIPHERS)
    except (ValueError, ssl.SSLError) as exc:
        return ProtocolSupport(version, None, f"could not test: this OpenSSL cannot offer it ({exc})")
    try:
        with _handshake(connect, host, context, timeout) as tls:
            negotiated = tls.version()
    except (FetchError, FetchRefused) as exc:
        return ProtocolSupport(version, None, f"could not test: {exc.code}")
    except ssl.SSLError as exc:
        reason = exc.reason or ""
        if any(refusal in reason for refusal in _LOCAL_REFUSALS):
            return ProtocolSupport(version, None, f"could not test: refused locally ({reason})")
        return ProtocolSupport(version, False, f"not offered ({reason or _describe(exc)})")
    except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError) as exc:
        return ProtocolSupport(version, False, f"not offered (the server closed the connection: {exc})")
    except OSError as exc:
        return ProtocolSupport(version, None, f"could not test: {_describe(exc)}")
    if negotiated != version.value:
        return ProtocolSupport(version, False, f"not offered (negotiated {negotiated})")
    return ProtocolSupport(version, True, "offered")


def certificate_facts(der: bytes, now: datetime | None = None) -> CertificateFacts:
    """Subject, SANs, issuer, validity, key and signature of a DER certificate."""
    now = now or datetime.now(UTC)
    cert = x509.load_der_x509_certificate(der)
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    key_type, key_bits = public_key_facts(cert.public_key())
    return CertificateFacts(
        subject=cert.subject.rfc4514_string(),
        common_name=_name_attribute(cert.subject, NameOID.COMMON_NAME),
        sans=_sans(cert),
        issuer=cert.issuer.rfc4514_string(),
        issuer_organization=_name_attribute(cert.issuer, NameOID.ORGANIZATION_NAME),
        issuer_common_name=_name_attribute(cert.issuer, NameOID.COMMON_NAME),
        serial=format(cert.serial_number, "x"),
        not_before=not_before.isoformat(),
        not_after=not_after.isoformat(),
        days_to_expiry=int((not_after - now).total_seconds() // SECONDS_PER_DAY),
        expired=not_after <= now,
        key_type=key_type,
        key_bits=key_bits,
        signature_algorithm=_signature_algorithm(cert),
        self_signed=cert.issuer == cert.subject,
        sha256=cert.fingerprint(hashes.SHA256()).hex(),
    )


def _inspecting_context() -> ssl.SSLContext:
    """A context that accepts any certificate, so the facts of a bad one can still be read."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(list(ALPN_PROTOCOLS))
    return context


@contextlib.contextmanager
def _handshake(connect: Connect, host: str, context: ssl.SSLContext, timeout: float) -> Any:
    raw = connect()
    try:
        raw.settimeout(timeout)
        server_name = None if _is_ip(host) else host
        tls = context.wrap_socket(raw, server_hostname=server_name)
    except BaseException:
        raw.close()
        raise
    try:
        yield tls
    finally:
        tls.close()


def _is_ip(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host.strip("[]"))
    except OSError:
        return False
    return True


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _name_attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def _sans(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        extension = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    except x509.ExtensionNotFound:
        return ()
    names = extension.value
    if not isinstance(names, x509.SubjectAlternativeName):
        return ()
    dns_names = [str(value) for value in names.get_values_for_type(x509.DNSName)]
    addresses = [str(value) for value in names.get_values_for_type(x509.IPAddress)]
    return (*dns_names, *addresses)


def _signature_algorithm(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    return str(getattr(oid, "_name", None) or oid.dotted_string)


def expiry_severity(days_to_expiry: int) -> str:
    """info, warning (< 30 days), high (< 7 days) or critical (expired), per docs/evidence-security.md §5."""
    if days_to_expiry < 0:
        return "critical"
    if days_to_expiry < EXPIRY_HIGH_DAYS:
        return "high"
    if days_to_expiry < EXPIRY_WARNING_DAYS:
        return "warning"
    return "info"
