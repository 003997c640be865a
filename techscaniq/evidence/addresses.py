"""URL rules and address classes of docs/fetch-safety.md §2, §5-§7: pure checks that never touch the network."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

import idna

from techscaniq.errors import FetchRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORT_BY_SCHEME = {"http": 80, "https": 443}
DEFAULT_ALLOWED_PORTS = (80, 443)
MAX_URL_LENGTH_CHARS = 2048
MAX_HOST_LENGTH_CHARS = 253
MAX_LABEL_LENGTH_CHARS = 63

# Never allowed, not even inside TECHSCANIQ_ALLOW_NETWORKS (§7).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(text)
    for text in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
METADATA_NAMES = frozenset({"metadata.google.internal", "instance-data"})

_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")

SPECIAL_NAMES = frozenset({"localhost", "instance-data"})
SPECIAL_SUFFIXES = (
    "localhost",
    "local",
    "internal",
    "home.arpa",
    "lan",
    "onion",
    "test",
    "invalid",
    "example",
)


def _networks(rows: Iterable[tuple[str, str]]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(cidr), what) for cidr, what in rows)


BLOCKED_IPV4_NETWORKS = _networks(
    [
        ("0.0.0.0/8", "this network"),
        ("10.0.0.0/8", "private"),
        ("172.16.0.0/12", "private"),
        ("192.168.0.0/16", "private"),
        ("100.64.0.0/10", "shared address space (CGNAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.0.2.0/24", "documentation"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("192.88.99.0/24", "deprecated 6to4 relay anycast"),
        ("198.18.0.0/15", "benchmarking"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
        ("255.255.255.255/32", "broadcast"),
    ]
)

BLOCKED_IPV6_NETWORKS = _networks(
    [
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "deprecated IPv4-compatible"),
        ("64:ff9b:1::/48", "local-use NAT64"),
        ("100::/64", "discard-only"),
        ("2001::/32", "Teredo"),
        ("2001::/23", "IETF special purpose"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("fc00::/7", "unique local"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "deprecated site-local"),
        ("ff00::/8", "multicast"),
    ]
)

IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")

_CANONICAL_IPV4 = re.compile(
    r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
)
# The last label decides whether a host is a number (WHATWG URL): getaddrinfo reads these as IPv4.
_NUMERIC_LABEL = re.compile(r"(?:\d+|0x[0-9a-f]*)")
_HOST_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?")


@dataclass(frozen=True)
class CheckedUrl:
    """A URL that passed the static rules; `special_name` and `allow_list_only` ask for a post-DNS check."""

    url: str
    scheme: str
    host: str
    port: int
    is_ip_literal: bool
    special_name: bool = False
    allow_list_only: bool = False

    @property
    def host_for_url(self) -> str:
        """The host as written in a URL or Host header (IPv6 in brackets)."""
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def host_header(self) -> str:
        """The Host header value: the name, with the port when it is not the scheme's default."""
        if self.port == DEFAULT_PORT_BY_SCHEME[self.scheme]:
            return self.host_for_url
        return f"{self.host_for_url}:{self.port}"


def parse_networks(allow_networks: Iterable[str | IPNetwork]) -> tuple[IPNetwork, ...]:
    """Parse CIDR strings (or pass networks through) into ipaddress networks."""
    if isinstance(allow_networks, tuple):
        return _parse_network_tuple(allow_networks)  # the fetcher's setting, checked on every request
    return tuple(_parse_network(net) for net in allow_networks)


@lru_cache(maxsize=64)
def _parse_network_tuple(allow_networks: tuple[str | IPNetwork, ...]) -> tuple[IPNetwork, ...]:
    return tuple(_parse_network(net) for net in allow_networks)


def _parse_network(net: str | IPNetwork) -> IPNetwork:
    return net if not isinstance(net, str) else ipaddress.ip_network(net.strip(), strict=False)


def is_in_networks(ip: str | IPAddress, allow_networks: Iterable[str | IPNetwork]) -> bool:
    """True when the address (or the IPv4 inside an IPv4-mapped address) lies in one of the networks."""
    address = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    candidates: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        candidates.append(address.ipv4_mapped)
    networks = parse_networks(allow_networks)
    return any(
        candidate in net for candidate in candidates for net in networks if candidate.version == net.version
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address in IPV4_MAPPED:
        return address.ipv4_mapped
    if address in NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in SIX_TO_FOUR:
        return address.sixtofour
    return None


def _ipv4_refusal(address: ipaddress.IPv4Address) -> str | None:
    for net, what in BLOCKED_IPV4_NETWORKS:
        if address in net:
            return f"{address} is {what} ({net})"
    if not address.is_global:
        return f"{address} is not globally routable"
    return None


def _ipv6_refusal(address: ipaddress.IPv6Address) -> str | None:
    for net, what in BLOCKED_IPV6_NETWORKS:
        if address in net:
            return f"{address} is {what} ({net})"
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        # The wrapper itself is only a transport; the embedded IPv4 decides (§5).
        reason = _ipv4_refusal(embedded)
        return None if reason is None else f"{address} embeds {reason}"
    if not address.is_global:
        return f"{address} is not globally routable"
    return None


def classify_address(ip: str, allow_networks: Sequence[str] = ()) -> str | None:
    """Return None when the address may be fetched, else the reason it is refused (§5-§7)."""
    try:
        address = ipaddress.ip_address(ip.strip().strip("[]"))
    except ValueError:
        return f"{ip!r} is not an IP address"
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        return f"{ip} carries a zone id"
    embedded = _embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
    if address in METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    if embedded in METADATA_ADDRESSES:
        return f"{address} embeds the cloud metadata address {embedded}"
    if allow_networks and is_in_networks(address, allow_networks):
        return None
    if isinstance(address, ipaddress.IPv4Address):
        return _ipv4_refusal(address)
    return _ipv6_refusal(address)


def is_special_name(host: str) -> bool:
    """True for special-use names (localhost, *.local, *.internal, *.test ...) that DNS must not decide."""
    return host in SPECIAL_NAMES or any(
        host == suffix or host.endswith("." + suffix) for suffix in SPECIAL_SUFFIXES
    )


def _invalid(message: str) -> FetchRefused:
    return FetchRefused(message, code="invalid_url")


def _split_authority(netloc: str) -> tuple[str, str | None, bool]:
    """Split host and port text; the flag says the host was written in brackets."""
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise _invalid("unclosed '[' in the URL host")
        rest = netloc[end + 1 :]
        if rest and not rest.startswith(":"):
            raise _invalid("unexpected text after the bracketed host")
        return netloc[1:end], (rest[1:] if rest else None), True
    host, colon, port_text = netloc.rpartition(":")
    if not colon:
        return netloc, None, False
    if ":" in host:
        raise _invalid("an IPv6 address must be written in brackets")
    return host, port_text, False


def _parse_port(port_text: str | None, scheme: str) -> int:
    if port_text is None or port_text == "":
        return DEFAULT_PORT_BY_SCHEME[scheme]
    if not (port_text.isascii() and port_text.isdigit()) or len(port_text) > 5:
        raise _invalid(f"invalid port {port_text!r}")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise _invalid(f"port {port} is out of range")
    return port


def _encode_name(host: str) -> str:
    """IDNA-encode, lower-case and strip one trailing dot; refuse malformed names."""
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True, transitional=False).decode("ascii")
        except idna.IDNAError as exc:
            raise _invalid(f"host is not a valid internationalised name: {exc}") from exc
    host = host.lower()
    if host.endswith("."):
        host = host[:-1]
    if not host:
        raise _invalid("the URL has an empty host")
    if len(host) > MAX_HOST_LENGTH_CHARS:
        raise _invalid(f"host is longer than {MAX_HOST_LENGTH_CHARS} characters")
    return host


def _check_name_labels(host: str) -> None:
    for label in host.split("."):
        if not label or len(label) > MAX_LABEL_LENGTH_CHARS or not _HOST_LABEL.fullmatch(label):
            raise _invalid(f"host {host!r} is not a valid name")


def normalize_and_check_url(
    url: str,
    allow_networks: Sequence[str] = (),
    allowed_ports: Sequence[int] = DEFAULT_ALLOWED_PORTS,
) -> CheckedUrl:
    """Apply the static URL rules of docs/fetch-safety.md §2 (no DNS); raise FetchRefused with the rule's code."""
    if not isinstance(url, str):
        raise _invalid("the URL must be text")
    url = url.strip()
    if not url:
        raise _invalid("the URL is empty")
    if len(url) > MAX_URL_LENGTH_CHARS:
        raise _invalid(f"the URL is longer than {MAX_URL_LENGTH_CHARS} characters")
    if _CONTROL_CHARACTER.search(url):
        raise _invalid("the URL contains control characters")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise _invalid(f"the URL cannot be parsed: {exc}") from exc
    scheme = parts.scheme.lower()
    if not scheme:
        raise FetchRefused("the URL must start with http:// or https://", code="ssrf_scheme")
    if scheme not in ALLOWED_SCHEMES:
        raise FetchRefused(f"scheme {scheme!r} is not allowed; use http or https", code="ssrf_scheme")
    netloc = parts.netloc
    if "@" in netloc:
        raise FetchRefused("URLs with user:password@ are refused", code="ssrf_userinfo")
    if "\\" in netloc or " " in netloc:
        raise _invalid("backslash or space in the URL host")
    raw_host, port_text, bracketed = _split_authority(netloc)
    if not raw_host:
        raise _invalid("the URL has an empty host")
    if "%" in raw_host:
        raise _invalid("percent signs and zone ids are not allowed in the host")
    port = _parse_port(port_text, scheme)

    special = False
    if bracketed:
        try:
            ipv6 = ipaddress.IPv6Address(raw_host)
        except ValueError as exc:
            raise _invalid(f"[{raw_host}] is not an IPv6 address") from exc
        host, is_ip_literal = str(ipv6), True
    else:
        host = _encode_name(raw_host)
        is_ip_literal = bool(_CANONICAL_IPV4.fullmatch(host))
        if not is_ip_literal and _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
            raise FetchRefused(
                f"{raw_host!r} is not a canonical dotted-quad address", code="ssrf_blocked_address"
            )
        if not is_ip_literal:
            _check_name_labels(host)

    if is_ip_literal:
        reason = classify_address(host, allow_networks)
        if reason is not None:
            raise FetchRefused(f"address refused: {reason}", code="ssrf_blocked_address")
    elif host in METADATA_NAMES or (is_special_name(host) and not allow_networks):
        raise FetchRefused(f"{host} is a special-use name", code="ssrf_blocked_host")
    elif is_special_name(host):
        special = True  # deferred: every DNS answer must fall inside allow_networks (§7)
    elif "." not in host:
        raise _invalid(f"single-label host {host!r} is refused (search domains would resolve it)")

    allow_list_only = special
    if port not in allowed_ports:
        if is_ip_literal and allow_networks and is_in_networks(host, allow_networks):
            pass
        elif not is_ip_literal and allow_networks:
            allow_list_only = True  # known only after DNS: the fetcher checks every answer
        else:
            raise FetchRefused(f"port {port} is not allowed", code="ssrf_port")

    host_for_url = f"[{host}]" if ":" in host else host
    netloc_out = host_for_url if port == DEFAULT_PORT_BY_SCHEME[scheme] else f"{host_for_url}:{port}"
    path = (parts.path or "/").replace(" ", "%20")
    normalized = urlunsplit((scheme, netloc_out, path, parts.query.replace(" ", "%20"), ""))
    return CheckedUrl(
        url=normalized,
        scheme=scheme,
        host=host,
        port=port,
        is_ip_literal=is_ip_literal,
        special_name=special,
        allow_list_only=allow_list_only,
    )


def check_resolved_addresses(
    checked: CheckedUrl, addresses: Sequence[str], allow_networks: Sequence[str]
) -> None:
    """Refuse a resolved host when ANY answer is blocked, or lies outside the allow-list when it must (§3, §7)."""
    if not addresses:
        raise FetchRefused(f"{checked.host} has no addresses", code="ssrf_blocked_host")
    for address in addresses:
        reason = classify_address(address, allow_networks)
        if reason is not None:
            raise FetchRefused(
                f"{checked.host} resolves to a refused address: {reason}", code="ssrf_blocked_address"
            )
    if checked.allow_list_only:
        outside = [address for address in addresses if not is_in_networks(address, allow_networks)]
        if outside:
            code = "ssrf_blocked_host" if checked.special_name else "ssrf_port"
            raise FetchRefused(
                f"{checked.host} answers {', '.join(outside)} outside the allowed networks", code=code
            )
