"""The one guarded door to the network (docs/fetch-safety.md §1-§4, §8).

Every request made on behalf of a scanned site goes through `GuardedFetcher.fetch`: the URL rules, one DNS
lookup through the configured resolver, a connection to the address that was checked, redirects followed
here hop by hop, decoded-byte caps, a total deadline, bounded retries and a per-host circuit breaker.
Problems with the network, sizes, time or SSRF rules come back as data on `FetchResult`, never as exceptions.
Its parts: `fetch_pinning` (connections pinned to the checked address, the resolver) and `fetch_watchdog` (the
thread that cuts requests still waiting for headers at their deadline); callers use `GuardedFetcher` only.
"""

from __future__ import annotations

import email.utils
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from http.client import HTTPException, LineTooLong
from types import TracebackType
from typing import Any
from urllib.parse import urljoin

import dns.exception
import dns.name
import dns.nameserver
import dns.resolver
import requests
import requests.adapters
import urllib3
import urllib3.connection
from requests.cookies import RequestsCookieJar, extract_cookies_to_jar
from requests.utils import DEFAULT_CA_BUNDLE_PATH

from techscaniq.config import Settings
from techscaniq.errors import FetchError, FetchRefused
from techscaniq.evidence.addresses import (
    DEFAULT_ALLOWED_PORTS,
    CheckedUrl,
    check_resolved_addresses,
    classify_address,
    normalize_and_check_url,
)
from techscaniq.evidence.fetch_pinning import (
    GuardedConnectionMixin,
    PinnedAddressAdapter,
    PinnedRequest,
    build_resolver,
)
from techscaniq.evidence.fetch_watchdog import request_deadline
from techscaniq.evidence.urls import registrable_domain

KIB = 1024
MIB = 1024 * KIB

DNS_TIMEOUT_SECONDS = 3.0
CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 10.0
MAX_DNS_CACHE_SECONDS = 300.0
MAX_REDIRECTS = 5
MAX_RETRIES_PER_URL = 2
# An optional probe (plain http, https of an http site, an MTA-STS policy) is retried once, and not at all when
# the connection is refused: its absence is itself a finding, and a closed port should not cost back-off time.
PROBE_RETRIES = 1
MAX_RETRY_AFTER_SECONDS = 60.0
CIRCUIT_FAILURE_THRESHOLD = 5
READ_CHUNK_BYTES = 64 * KIB
CALLBACK_DEADLINE_SECONDS = 15.0
CALLBACK_RESPONSE_MAX_BYTES = 16 * KIB

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRYABLE_STATUSES = frozenset({408, 429})
ALLOWED_METHODS = frozenset({"GET", "HEAD"})
# Headers the guard owns: callers may not add credentials or re-target the request.
FORBIDDEN_EXTRA_HEADERS = frozenset(
    {"host", "cookie", "authorization", "proxy-authorization", "accept-encoding"}
)
# Failures that say something about the host's health; SSRF refusals and 4xx do not.
HOST_FAILURE_CODES = frozenset(
    {
        "dns_timeout",
        "connect_failed",
        "connect_timeout",
        "read_timeout",
        "connection_error",
        "deadline_exceeded",
    }
)


def _accept_encoding() -> str:
    """Only encodings urllib3 can decode here, and Brotli only from a version with bounded decoding."""
    available = set(urllib3.util.request.ACCEPT_ENCODING.split(","))
    encodings = ["gzip", "deflate"]
    if "br" in available:
        try:
            import brotli

            version = tuple(int(part) for part in brotli.__version__.split(".")[:2])
            if version >= (1, 2):
                encodings.append("br")
        except (ImportError, AttributeError, ValueError):
            pass
    if "zstd" in available:
        encodings.append("zstd")
    return ", ".join(encodings)


ACCEPT_ENCODING = _accept_encoding()


class ResourceKind(StrEnum):
    """What is being fetched; decides the decoded-byte cap, the total deadline and the Accept header."""

    HTML = "html"
    ROBOTS = "robots"
    SITEMAP = "sitemap"
    JSON = "json"
    SECURITY_TXT = "security_txt"
    OTHER = "other"

    @property
    def max_decoded_bytes(self) -> int:
        """The cap on the decoded body (docs/fetch-safety.md §4)."""
        return _LIMITS[self][0]

    @property
    def deadline_seconds(self) -> float:
        """The total deadline of one fetch of this kind, redirects and retries included."""
        return _LIMITS[self][1]

    @property
    def accept(self) -> str:
        """The Accept header sent for this kind."""
        return _ACCEPT[self]


_LIMITS: dict[ResourceKind, tuple[int, float]] = {
    ResourceKind.HTML: (5 * MIB, 20.0),
    ResourceKind.ROBOTS: (512 * KIB, 10.0),
    ResourceKind.SITEMAP: (50 * MIB, 60.0),
    ResourceKind.JSON: (10 * MIB, 20.0),
    ResourceKind.SECURITY_TXT: (64 * KIB, 10.0),
    ResourceKind.OTHER: (5 * MIB, 20.0),
}

_ACCEPT: dict[ResourceKind, str] = {
    ResourceKind.HTML: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
    ResourceKind.ROBOTS: "text/plain,*/*;q=0.5",
    ResourceKind.SITEMAP: "application/xml,text/xml;q=0.9,*/*;q=0.5",
    ResourceKind.JSON: "application/json,*/*;q=0.5",
    ResourceKind.SECURITY_TXT: "text/plain,*/*;q=0.5",
    ResourceKind.OTHER: "*/*",
}


@dataclass(frozen=True)
class RedirectHop:
    """One redirect response: the URL that answered, its status and the address it came from."""

    url: str
    status: int
    ip: str | None


@dataclass
class FetchResult:
    """Everything one fetch saw; `error_code` is None when the fetch completed.

    Timings are milliseconds over the whole fetch (redirects and retries included): dns_ms and connect_ms
    (TCP plus TLS of new connections) are sums, first_byte_ms is from the start to the final response's
    headers, total_ms is from the start to the end.
    """

    requested_url: str
    final_url: str
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    content_type: str | None = None
    truncated: bool = False
    encoded_bytes: int = 0
    decoded_bytes: int = 0
    http_version: str | None = None
    ip: str | None = None
    redirects: list[RedirectHop] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    attempts: int = 0
    error_code: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        """True when the fetch completed without error and the status is 2xx."""
        return self.error_code is None and self.status is not None and 200 <= self.status < 300

    @property
    def charset(self) -> str | None:
        """The charset parameter of Content-Type, if any."""
        for param in (self.header("content-type") or "").split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'")
        return None

    @property
    def text(self) -> str:
        """The body decoded with its declared charset, else UTF-8, replacing bad bytes."""
        try:
            return self.body.decode(self.charset or "utf-8", errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")

    def header(self, name: str) -> str | None:
        """The first value of a response header (case-insensitive), or None."""
        values = self.header_values(name)
        return values[0] if values else None

    def header_values(self, name: str) -> list[str]:
        """Every value of a response header, in the order received."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]


class _Deadline:
    """The total time budget of one fetch."""

    def __init__(self, seconds: float) -> None:
        self.started = time.monotonic()
        self.ends = self.started + seconds

    def remaining(self) -> float:
        return self.ends - time.monotonic()

    def allows(self, delay_seconds: float) -> bool:
        return delay_seconds < self.remaining()

    def elapsed_ms(self) -> float:
        return (time.monotonic() - self.started) * 1000.0


class _Failure(Exception):
    """A network failure inside one attempt; `retryable` says whether another attempt may help."""

    def __init__(self, code: str, message: str, retryable: bool, refused: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
        self.refused = refused  # the host answered with a refusal: nothing listens on that port


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _http_version(raw: Any) -> str | None:
    text = getattr(raw, "version_string", None)
    if isinstance(text, str) and text.startswith("HTTP/") and text != "HTTP/?":
        return text
    return {9: "HTTP/0.9", 10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2"}.get(getattr(raw, "version", 0))


def _redirect_location(response: requests.Response) -> str | None:
    """The Location header; http.client decodes it as Latin-1, most servers mean UTF-8 (as requests does)."""
    location = response.headers.get("Location")
    if location is None:
        return None
    try:
        return location.encode("latin1").decode("utf8")
    except UnicodeError:
        return location


def _header_items(raw: Any) -> list[tuple[str, str]]:
    original = getattr(raw, "_original_response", None)
    message = getattr(original, "msg", None)
    if message is not None:
        return [(str(key), str(value)) for key, value in message.items()]
    return [(str(key), str(value)) for key, value in raw.headers.iteritems()]


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return True
        stack.extend([current.__cause__, current.__context__])
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
        stack.append(getattr(current, "reason", None))
    return False


class _HostCircuits:
    """Consecutive host failures; past the threshold the host is not fetched again by this fetcher."""

    def __init__(self, threshold: int) -> None:
        self._threshold = threshold
        self._failures: dict[str, int] = {}
        self._lock = threading.Lock()

    def is_open(self, host: str) -> bool:
        with self._lock:
            return self._failures.get(host, 0) >= self._threshold

    def record(self, host: str, failed: bool) -> None:
        with self._lock:
            self._failures[host] = self._failures.get(host, 0) + 1 if failed else 0


class GuardedFetcher:
    """One per crawl, shared by the crawl's threads: every request for a scanned site goes through it."""

    def __init__(
        self,
        settings: Settings,
        *,
        backoff_base_seconds: float = 0.5,
        max_retries: int = MAX_RETRIES_PER_URL,
        max_retry_after_seconds: float = MAX_RETRY_AFTER_SECONDS,
        dns_timeout_seconds: float = DNS_TIMEOUT_SECONDS,
        connect_timeout_seconds: float = CONNECT_TIMEOUT_SECONDS,
        read_timeout_seconds: float = READ_TIMEOUT_SECONDS,
        deadline_seconds: float | None = None,
        max_body_bytes: int | None = None,
        max_redirects: int = MAX_REDIRECTS,
        allowed_ports: Sequence[int] = DEFAULT_ALLOWED_PORTS,
        ca_bundle: str | None = None,
        circuit_failure_threshold: int = CIRCUIT_FAILURE_THRESHOLD,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.allow_networks = tuple(settings.allow_networks)
        self.backoff_base_seconds = backoff_base_seconds
        self.max_retries = max_retries
        self.max_retry_after_seconds = max_retry_after_seconds
        self.dns_timeout_seconds = dns_timeout_seconds
        self.connect_timeout_seconds = connect_timeout_seconds
        self.read_timeout_seconds = read_timeout_seconds
        self.deadline_seconds = deadline_seconds
        self.max_body_bytes = max_body_bytes
        self.max_redirects = max_redirects
        self.allowed_ports = tuple(allowed_ports)
        self._sleep = sleep
        self._verify = ca_bundle or DEFAULT_CA_BUNDLE_PATH
        self._resolver = build_resolver(settings.dns_servers)
        self._dns_cache: dict[str, tuple[list[str], float]] = {}
        self._dns_lock = threading.Lock()
        self._circuits = _HostCircuits(circuit_failure_threshold)
        self._adapter = PinnedAddressAdapter(self._verify)
        # The Session holds the hygiene settings; requests are sent through the adapter directly because
        # Session.send reads the body of a 3xx even with allow_redirects=False (docs/fetch-safety.md §4).
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.proxies = {}
        self.session.verify = self._verify
        self.session.headers = requests.structures.CaseInsensitiveDict({"User-Agent": settings.user_agent})
        for prefix in ("http://", "https://"):
            self.session.mount(prefix, self._adapter)

    # -- public ---------------------------------------------------------------------------------------------

    @property
    def ca_bundle(self) -> str:
        """The CA bundle this fetcher verifies certificates against."""
        return str(self._verify)

    def fetch(
        self,
        url: str,
        kind: ResourceKind = ResourceKind.HTML,
        *,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        probe: bool = False,
        cookies: Mapping[str, str] | None = None,
    ) -> FetchResult:
        """Fetch a URL under every guard; never raises for network, size, time or SSRF problems.

        `probe` marks an optional request whose absence is itself a finding (see PROBE_RETRIES). `cookies` are
        the site's own cookies a browser holds for this URL (the renderer's); they go to its host only.
        """
        method = method.upper()
        if method not in ALLOWED_METHODS:
            raise ValueError(f"the guarded fetch sends only {sorted(ALLOWED_METHODS)}, not {method}")
        extra = dict(headers or {})
        if any(name.lower() in FORBIDDEN_EXTRA_HEADERS for name in extra):
            raise ValueError(f"these headers are set by the guard only: {sorted(FORBIDDEN_EXTRA_HEADERS)}")
        clock = _Deadline(
            self.deadline_seconds if self.deadline_seconds is not None else kind.deadline_seconds
        )
        result = FetchResult(requested_url=url, final_url=url)
        result.timings.update(dns_ms=0.0, connect_ms=0.0)
        contacted_hosts: list[str] = []
        try:
            self._follow(result, url, kind, method, extra, clock, contacted_hosts, probe, cookies or {})
        except (FetchRefused, FetchError) as exc:
            result.error_code, result.error_message = exc.code, exc.message
        except _Failure as failure:
            result.error_code, result.error_message = failure.code, failure.message
        except (requests.RequestException, urllib3.exceptions.HTTPError, HTTPException, OSError) as exc:
            # A safety net: whatever the network does is data, never an exception for the crawler.
            result.error_code, result.error_message = "fetch_failed", f"{type(exc).__name__}: {exc}"
        result.timings["total_ms"] = clock.elapsed_ms()
        if contacted_hosts and result.error_code != "circuit_open":
            self._circuits.record(contacted_hosts[-1], self._is_host_failure(result))
        return result

    def resolve(self, host: str) -> list[str]:
        """Checked A and AAAA answers for a name (cached ≤ min(TTL, 300 s)); raises FetchError or FetchRefused."""
        name = host.lower().rstrip(".")
        addresses = self._resolve(name, self.dns_timeout_seconds)
        for address in addresses:
            reason = classify_address(address, self.allow_networks)
            if reason is not None:
                raise FetchRefused(
                    f"{name} resolves to a refused address: {reason}", code="ssrf_blocked_address"
                )
        return addresses

    def open_checked_connection(self, host: str, port: int, timeout: float) -> socket.socket:
        """A TCP socket to a checked address of host:port (for raw TLS handshakes); raises FetchRefused/FetchError."""
        host_for_url = f"[{host}]" if ":" in host and not host.startswith("[") else host
        checked = normalize_and_check_url(
            f"https://{host_for_url}:{port}/", self.allow_networks, self.allowed_ports
        )
        ip = self._checked_address(checked, timeout)
        try:
            return socket.create_connection((ip, port), timeout=timeout)
        except OSError as exc:
            raise FetchError(
                f"could not connect to {checked.host} ({ip}) port {port}: {exc}", code="connect_failed"
            ) from exc

    def post_callback(self, url: str, body: bytes, headers: Mapping[str, str] | None = None) -> FetchResult:
        """POST a JSON body to a callback URL once, under the same address rules; never follows a redirect."""
        extra = dict(headers or {})
        owned = FORBIDDEN_EXTRA_HEADERS | {"content-type", "content-length"}
        if any(name.lower() in owned for name in extra):
            raise ValueError(f"these headers are set by the guard only: {sorted(owned)}")
        clock = _Deadline(
            self.deadline_seconds if self.deadline_seconds is not None else CALLBACK_DEADLINE_SECONDS
        )
        result = FetchResult(requested_url=url, final_url=url, attempts=1)
        result.timings.update(dns_ms=0.0, connect_ms=0.0)
        try:
            checked = normalize_and_check_url(url, self.allow_networks, self.allowed_ports)
            result.final_url = checked.url
            ip = self._timed_checked_address(result, checked, clock)
            request = PinnedRequest()
            request.prepare(
                method="POST",
                url=checked.url,
                headers={
                    "User-Agent": self.settings.user_agent,
                    "Accept": "application/json,*/*;q=0.5",
                    "Accept-Encoding": ACCEPT_ENCODING,
                    **extra,
                    "Content-Type": "application/json",
                    "Host": checked.host_header,
                },
                data=body,
            )
            request.pinned_ip = ip
            remaining = clock.remaining()
            timeout = (
                min(self.connect_timeout_seconds, remaining),
                min(self.read_timeout_seconds, remaining),
            )
            request_deadline.monotonic = clock.ends
            try:
                response = self._adapter.send(
                    request, stream=True, timeout=timeout, verify=self._verify, proxies={}
                )
            except requests.RequestException as exc:
                raise self._failure(exc, clock) from exc
            finally:
                request_deadline.monotonic = None
            result.timings["first_byte_ms"] = clock.elapsed_ms()
            result.status, result.ip = response.status_code, ip
            result.headers = _header_items(response.raw)
            result.http_version = _http_version(response.raw)
            content_type = response.headers.get("Content-Type")
            result.content_type = content_type.split(";")[0].strip().lower() if content_type else None
            if response.status_code in REDIRECT_STATUSES:
                # A callback answered with a redirect is a failed delivery: following it could reach anywhere.
                response.close()
                result.error_code = "redirect_not_followed"
                result.error_message = (
                    f"the callback answered {response.status_code}; redirects are not followed"
                )
            else:
                self._read_callback_answer(result, response, clock)
        except (FetchRefused, FetchError) as exc:
            result.error_code, result.error_message = exc.code, exc.message
        except _Failure as failure:
            result.error_code, result.error_message = failure.code, failure.message
        except (requests.RequestException, urllib3.exceptions.HTTPError, HTTPException, OSError) as exc:
            result.error_code, result.error_message = "fetch_failed", f"{type(exc).__name__}: {exc}"
        result.timings["total_ms"] = clock.elapsed_ms()
        return result

    def _read_callback_answer(
        self, result: FetchResult, response: requests.Response, clock: _Deadline
    ) -> None:
        """Keep at most CALLBACK_RESPONSE_MAX_BYTES of the receiver's answer; the rest is never read."""
        body = bytearray()
        try:
            for chunk in self._decoded_chunks(response, clock):
                body += chunk
                if len(body) > CALLBACK_RESPONSE_MAX_BYTES:
                    result.truncated = True
                    break
        except _Failure as failure:
            result.truncated = True
            result.error_code, result.error_message = failure.code, failure.message
        finally:
            response.close()
        result.body = bytes(body[:CALLBACK_RESPONSE_MAX_BYTES])
        result.decoded_bytes = len(result.body)

    def close(self) -> None:
        """Close every pooled connection."""
        self._adapter.close()
        self.session.close()

    def __enter__(self) -> GuardedFetcher:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- redirects ------------------------------------------------------------------------------------------

    def _follow(
        self,
        result: FetchResult,
        url: str,
        kind: ResourceKind,
        method: str,
        extra: dict[str, str],
        clock: _Deadline,
        contacted_hosts: list[str],
        probe: bool,
        browser_cookies: Mapping[str, str],
    ) -> None:
        """Fetch, following redirects here; notes each host tried (for the circuit breaker)."""
        checked = normalize_and_check_url(url, self.allow_networks, self.allowed_ports)
        visited: set[str] = set()
        cookies = RequestsCookieJar()
        # The browser's cookies are scoped to the host: a redirect elsewhere does not carry them.
        for name, value in browser_cookies.items():
            cookies.set(name, value, domain=checked.host, path="/")
        for hop in range(self.max_redirects + 1):
            result.final_url = checked.url
            visited.add(checked.url)
            if self._circuits.is_open(checked.host):
                raise FetchError(f"{checked.host} failed too often; not fetched again", code="circuit_open")
            contacted_hosts.append(checked.host)
            response, ip, gave_up = self._send_with_retries(
                result, checked, method, kind, extra, cookies, clock, probe
            )
            location = _redirect_location(response)
            if response.status_code not in REDIRECT_STATUSES or not location:
                self._record_response(result, response, ip, kind, clock, read_body=method != "HEAD")
                if gave_up:
                    result.error_code = f"http_{response.status_code}_gave_up"
                    result.error_message = gave_up
                return
            result.redirects.append(RedirectHop(checked.url, response.status_code, ip))
            extract_cookies_to_jar(cookies, response.request, response.raw)
            response.close()  # never read a redirect's body
            if hop == self.max_redirects:
                result.status = response.status_code
                raise FetchError(f"more than {self.max_redirects} redirects", code="too_many_redirects")
            target = urljoin(checked.url, location.strip())
            result.final_url = target
            next_checked = normalize_and_check_url(target, self.allow_networks, self.allowed_ports)
            if next_checked.url in visited:
                result.final_url = next_checked.url
                raise FetchError(f"redirect loop back to {next_checked.url}", code="redirect_loop")
            if registrable_domain(next_checked.host) != registrable_domain(checked.host):
                cookies.clear()
            if response.status_code == 303 and method != "HEAD":
                method = "GET"
            checked = next_checked
        raise AssertionError("unreachable: the loop returns or raises")

    # -- one URL, with retries ------------------------------------------------------------------------------

    def _send_with_retries(
        self,
        result: FetchResult,
        checked: CheckedUrl,
        method: str,
        kind: ResourceKind,
        extra: dict[str, str],
        cookies: RequestsCookieJar,
        clock: _Deadline,
        probe: bool,
    ) -> tuple[requests.Response, str, str | None]:
        """The response for one URL after a bounded number of retries; the third item says why we gave up."""
        retries = PROBE_RETRIES if probe else self.max_retries
        for attempt in range(1, retries + 2):
            result.attempts += 1
            ip = self._timed_checked_address(result, checked, clock)
            try:
                response = self._send_once(result, checked, ip, method, kind, extra, cookies, clock)
            except _Failure as failure:
                delay = self._backoff_seconds(attempt)
                refused_probe = probe and failure.refused
                if not failure.retryable or refused_probe or attempt > retries or not clock.allows(delay):
                    raise
                self._sleep(delay)
                continue
            status = response.status_code
            if status not in RETRYABLE_STATUSES and status < 500:
                return response, ip, None
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None and retry_after > self.max_retry_after_seconds:
                return (
                    response,
                    ip,
                    f"Retry-After {retry_after:.0f} s is over {self.max_retry_after_seconds:.0f} s",
                )
            if attempt > retries:
                return response, ip, f"still {status} after {attempt} attempts"
            delay = retry_after if retry_after is not None else self._backoff_seconds(attempt)
            if not clock.allows(delay):
                return response, ip, f"waiting {delay:.1f} s would pass the deadline"
            response.close()
            self._sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _backoff_seconds(self, attempt: int) -> float:
        """Exponential backoff with full jitter."""
        return random.uniform(0.0, self.backoff_base_seconds * 2 ** (attempt - 1))

    def _send_once(
        self,
        result: FetchResult,
        checked: CheckedUrl,
        ip: str,
        method: str,
        kind: ResourceKind,
        extra: dict[str, str],
        cookies: RequestsCookieJar,
        clock: _Deadline,
    ) -> requests.Response:
        remaining = clock.remaining()
        if remaining <= 0:
            raise _Failure("deadline_exceeded", "the fetch deadline passed", retryable=False)
        request = PinnedRequest()
        try:
            request.prepare(
                method=method,
                url=checked.url,
                headers={
                    "User-Agent": self.settings.user_agent,
                    "Accept": kind.accept,
                    "Accept-Encoding": ACCEPT_ENCODING,
                    **extra,
                    "Host": checked.host_header,
                },
                cookies=cookies,
            )
        except (requests.RequestException, urllib3.exceptions.LocationParseError) as exc:
            raise FetchRefused(f"the URL cannot be sent: {exc}", code="invalid_url") from exc
        request.pinned_ip = ip
        timeout = (min(self.connect_timeout_seconds, remaining), min(self.read_timeout_seconds, remaining))
        request_deadline.monotonic = clock.ends
        try:
            response = self._adapter.send(
                request, stream=True, timeout=timeout, verify=self._verify, proxies={}
            )
        except requests.RequestException as exc:
            raise self._failure(exc, clock) from exc
        finally:
            request_deadline.monotonic = None
        result.timings["first_byte_ms"] = clock.elapsed_ms()
        connection = response.raw.connection
        if isinstance(connection, GuardedConnectionMixin) and connection.last_connect_seconds is not None:
            result.timings["connect_ms"] += connection.last_connect_seconds * 1000.0
            connection.last_connect_seconds = None  # a reused connection costs no connect time
        return response

    @staticmethod
    def _failure(exc: BaseException, clock: _Deadline) -> _Failure:
        if clock.remaining() <= 0:
            return _Failure("deadline_exceeded", "the fetch deadline passed", retryable=False)
        if isinstance(exc, requests.exceptions.SSLError):
            return _Failure("tls_error", f"TLS failed: {exc}", retryable=False)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return _Failure("connect_timeout", f"connecting timed out: {exc}", retryable=True)
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return _Failure("read_timeout", f"the server did not answer in time: {exc}", retryable=True)
        if _caused_by(exc, LineTooLong):
            return _Failure("invalid_response", f"response headers over the limit: {exc}", retryable=False)
        if _caused_by(exc, urllib3.exceptions.NewConnectionError):
            refused = _caused_by(exc, ConnectionRefusedError)
            return _Failure("connect_failed", f"could not connect: {exc}", retryable=True, refused=refused)
        if "more than 100 headers" in str(exc):
            return _Failure("invalid_response", "more than 100 response headers", retryable=False)
        return _Failure("connection_error", f"the connection failed: {exc}", retryable=True)

    # -- the response ---------------------------------------------------------------------------------------

    def _record_response(
        self,
        result: FetchResult,
        response: requests.Response,
        ip: str,
        kind: ResourceKind,
        clock: _Deadline,
        read_body: bool,
    ) -> None:
        raw = response.raw
        result.status = response.status_code
        result.ip = ip
        result.headers = _header_items(raw)
        result.http_version = _http_version(raw)
        content_type = response.headers.get("Content-Type")
        result.content_type = content_type.split(";")[0].strip().lower() if content_type else None
        if not read_body:
            response.close()
            return
        cap = self.max_body_bytes if self.max_body_bytes is not None else kind.max_decoded_bytes
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isdigit() and int(declared) > cap:
            response.close()
            result.truncated = True
            result.error_code = "body_too_large"
            result.error_message = f"Content-Length {declared} is over the {cap}-byte cap; not read"
            return
        body = bytearray()
        complete = False
        try:
            for chunk in self._decoded_chunks(response, clock):
                body += chunk
                if len(body) > cap:
                    result.truncated = True
                    result.error_code = "body_too_large"
                    result.error_message = f"the decoded body passed the {cap}-byte cap"
                    break
            else:
                complete = True
        except _Failure as failure:
            result.truncated = True
            result.error_code, result.error_message = failure.code, failure.message
        finally:
            result.encoded_bytes = raw.tell()
            result.decoded_bytes = len(body)
            if complete:
                raw.release_conn()
            else:
                response.close()
        # One copy, not two: slicing the bytearray first would copy a multi-megabyte body once more.
        with memoryview(body) as view:
            result.body = bytes(view[:cap])

    def _decoded_chunks(self, response: requests.Response, clock: _Deadline) -> Iterator[bytes]:
        """Decoded body chunks; each socket read waits at most the read timeout and never past the deadline."""
        raw = response.raw
        while True:
            remaining = clock.remaining()
            if remaining <= 0:
                raise _Failure("deadline_exceeded", "the fetch deadline passed while reading the body", False)
            sock = getattr(raw.connection, "sock", None)
            if sock is not None:
                sock.settimeout(min(self.read_timeout_seconds, remaining))
            try:
                chunk = raw.read1(READ_CHUNK_BYTES, decode_content=True)
            except urllib3.exceptions.DecodeError as exc:
                raise _Failure("decode_error", f"the body could not be decoded: {exc}", False) from exc
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                if clock.remaining() <= 0:
                    raise _Failure(
                        "deadline_exceeded", "the fetch deadline passed while reading the body", False
                    ) from exc
                if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
                    raise _Failure("read_timeout", "the body stopped arriving", False) from exc
                raise _Failure("connection_error", f"the body was cut off: {exc}", False) from exc
            if not chunk:
                return
            yield chunk

    # -- DNS ------------------------------------------------------------------------------------------------

    def _timed_checked_address(self, result: FetchResult, checked: CheckedUrl, clock: _Deadline) -> str:
        started = time.monotonic()
        try:
            return self._checked_address(
                checked, min(self.dns_timeout_seconds, max(clock.remaining(), 0.001))
            )
        finally:
            result.timings["dns_ms"] += (time.monotonic() - started) * 1000.0

    def _checked_address(self, checked: CheckedUrl, timeout: float) -> str:
        """Resolve (unless an IP literal), refuse if ANY answer is refused, and pick the address to connect to."""
        addresses = [checked.host] if checked.is_ip_literal else self._resolve(checked.host, timeout)
        check_resolved_addresses(checked, addresses, self.allow_networks)
        ipv4 = [address for address in addresses if ":" not in address]
        return (ipv4 or addresses)[0]

    def _resolve(self, host: str, timeout: float) -> list[str]:
        now = time.monotonic()
        with self._dns_lock:
            cached = self._dns_cache.get(host)
            if cached is not None and cached[1] > now:
                return list(cached[0])
        addresses: list[str] = []
        ttls: list[float] = []
        name = dns.name.from_text(host)
        for rdtype in ("A", "AAAA"):
            try:
                answer = self._resolver.resolve(
                    name, rdtype, lifetime=timeout, search=False, raise_on_no_answer=False
                )
            except dns.resolver.NXDOMAIN as exc:
                raise FetchError(
                    f"{host} does not exist (NXDOMAIN)", code="dns_nxdomain", retryable=False
                ) from exc
            except dns.exception.Timeout as exc:
                raise FetchError(f"DNS lookup of {host} timed out", code="dns_timeout") from exc
            except dns.exception.DNSException as exc:
                raise FetchError(f"DNS lookup of {host} failed: {exc}", code="dns_failed") from exc
            if answer.rrset is not None:
                addresses.extend(rdata.address for rdata in answer.rrset)
                ttls.append(float(answer.rrset.ttl))
        if not addresses:
            raise FetchError(f"{host} has no A or AAAA records", code="dns_no_address", retryable=False)
        lifetime = min([MAX_DNS_CACHE_SECONDS, *ttls])
        if lifetime > 0:
            with self._dns_lock:
                self._dns_cache[host] = (addresses, time.monotonic() + lifetime)
        return list(addresses)

    def _is_host_failure(self, result: FetchResult) -> bool:
        code = result.error_code or ""
        return code in HOST_FAILURE_CODES or (code.startswith("http_5") and code.endswith("_gave_up"))


def open_checked_connection(host: str, port: int, settings: Settings, timeout: float) -> socket.socket:
    """Resolve host through the guard, check every answer, and connect to the checked IP (for TLS probes)."""
    with GuardedFetcher(settings, dns_timeout_seconds=min(DNS_TIMEOUT_SECONDS, timeout)) as fetcher:
        return fetcher.open_checked_connection(host, port, timeout)
