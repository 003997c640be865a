"""Connections pinned to a checked address, and the resolver the guard asks.

`GuardedFetcher` resolves a host itself, checks every answer, and hands the chosen address to
`PinnedAddressAdapter` on the request; the name stays in the Host header, SNI and the certificate check, and the
client never resolves it again (docs/fetch-safety.md §3).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import dns.nameserver
import dns.resolver
import requests
import requests.adapters
import urllib3
import urllib3.connection

from techscaniq.errors import FetchRefused
from techscaniq.evidence.fetch_watchdog import request_deadline, watchdog

# Idle connections kept per host: as many as a crawl with politeness lifted has in flight, so none is
# dropped and reopened (a polite crawl uses two; the pool only keeps what was opened).
POOL_MAXSIZE = 16


class GuardedConnectionMixin:
    """Times connect() and cuts a response whose headers arrive after the fetch's total deadline."""

    sock: socket.socket | None
    last_connect_seconds: float | None = None

    def connect(self) -> None:
        started = time.monotonic()
        super().connect()  # type: ignore[misc]
        self.last_connect_seconds = time.monotonic() - started

    def getresponse(self) -> Any:
        deadline = getattr(request_deadline, "monotonic", None)
        if deadline is None:
            return super().getresponse()  # type: ignore[misc]
        # A server trickling header bytes never trips the per-read timeout: the watchdog shuts the socket.
        watch = watchdog().watch(deadline, self._cut)
        try:
            response = super().getresponse()  # type: ignore[misc]
        finally:
            in_time = watch.cancel()
        if not in_time:
            # A cut socket reads as the end of the headers; what arrived is not a whole response.
            response.close()
            raise TimeoutError("the fetch deadline passed while waiting for the response headers")
        return response

    def _cut(self) -> None:
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _GuardedHTTPConnection(GuardedConnectionMixin, urllib3.connection.HTTPConnection):
    pass


class _GuardedHTTPSConnection(GuardedConnectionMixin, urllib3.connection.HTTPSConnection):
    pass


class _PinnedHTTPConnectionPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _PinnedHTTPSConnectionPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class PinnedRequest(requests.PreparedRequest):
    """A prepared request that carries the checked address it must be sent to."""

    pinned_ip: str = ""


class PinnedAddressAdapter(requests.adapters.HTTPAdapter):
    """Connects to the request's checked IP; the Host header, SNI and certificate check keep the name."""

    def __init__(self, ca_certs: str, pool_maxsize: int = POOL_MAXSIZE) -> None:
        super().__init__(pool_maxsize=pool_maxsize, max_retries=0)
        self._ca_certs = ca_certs
        self._pool_maxsize = pool_maxsize
        self._pools: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = {}
        self._pools_lock = threading.Lock()

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: bool | str | None,
        proxies: Mapping[str, str] | None = None,
        cert: Any = None,
    ) -> urllib3.HTTPConnectionPool:
        """The pool for (scheme, name, port, checked IP); refuses a request without a checked IP."""
        ip = getattr(request, "pinned_ip", "")
        if not ip:
            raise FetchRefused("request without a checked address", code="ssrf_unpinned")
        parts = urlsplit(request.url or "")
        scheme, name = parts.scheme, parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        key = (scheme, name, port, ip)
        with self._pools_lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = self._new_pool(scheme, name, port, ip)
                self._pools[key] = pool
            return pool

    def _new_pool(self, scheme: str, name: str, port: int, ip: str) -> urllib3.HTTPConnectionPool:
        if scheme == "https":
            return _PinnedHTTPSConnectionPool(
                host=ip,
                port=port,
                maxsize=self._pool_maxsize,
                block=False,
                cert_reqs="CERT_REQUIRED",
                ca_certs=self._ca_certs,
                server_hostname=name,
                assert_hostname=name,
            )
        return _PinnedHTTPConnectionPool(host=ip, port=port, maxsize=self._pool_maxsize, block=False)

    def close(self) -> None:
        """Close every pinned pool."""
        with self._pools_lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()
        super().close()


def parse_dns_server(entry: str) -> tuple[str, int]:
    """Split a dns_servers entry: "ip", "ip:port", "[v6]:port" or a bare IPv6 address."""
    entry = entry.strip()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") else 53
    elif entry.count(":") == 1:
        host, _, port_text = entry.partition(":")
        port = int(port_text)
    else:
        host, port = entry, 53
    ipaddress.ip_address(host)
    return host, port


def build_resolver(dns_servers: Sequence[str]) -> dns.resolver.Resolver:
    """A dnspython resolver for the configured servers, else the process default resolver."""
    if not dns_servers:
        return dns.resolver.get_default_resolver()
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver(*parse_dns_server(entry)) for entry in dns_servers]
    return resolver
