"""Pytest plugin: every resolver points at a loopback DNS server, and a tripwire catches forbidden connections.

Register from the root conftest: `pytest_plugins = ["tests.support.dns_fixtures"]`.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator

import dns.nameserver
import dns.resolver
import pytest

from techscaniq.demo.dns_server import LoopbackDNSServer

DNS_SERVERS_ENV = "TECHSCANIQ_DNS_SERVERS"
# Loopback, but outside the test allow-list 127.0.0.0/24: the "forbidden" address of SSRF tests
# (docs/fetch-safety.md §7).
TRIPWIRE_HOST = "127.0.1.1"


@pytest.fixture(scope="session")
def fixture_dns() -> Iterator[LoopbackDNSServer]:
    """The session's loopback DNS server (empty zone; tests add their own names)."""
    server = LoopbackDNSServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session", autouse=True)
def resolvers_use_fixture_dns(fixture_dns: LoopbackDNSServer) -> Iterator[None]:
    """Point the env setting (inherited by worker subprocesses) and dnspython's default resolver at the fixture."""
    previous_env = os.environ.get(DNS_SERVERS_ENV)
    previous_resolver = dns.resolver.default_resolver
    os.environ[DNS_SERVERS_ENV] = fixture_dns.address
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver(fixture_dns.host, fixture_dns.port)]
    dns.resolver.default_resolver = resolver
    try:
        yield
    finally:
        dns.resolver.default_resolver = previous_resolver
        if previous_env is None:
            os.environ.pop(DNS_SERVERS_ENV, None)
        else:
            os.environ[DNS_SERVERS_ENV] = previous_env


class Tripwire:
    """A TCP listener on a forbidden loopback address that records every connection made to it."""

    def __init__(self, host: str = TRIPWIRE_HOST, port: int = 0) -> None:
        self.host = host
        self.connections: list[tuple[str, int]] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, port))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="tripwire", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        """The port the tripwire listens on."""
        return int(self._listener.getsockname()[1])

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, peer = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append((peer[0], peer[1]))
            conn.close()

    def assert_untouched(self) -> None:
        """Fail when anything connected to the tripwire."""
        assert not self.connections, (
            f"connections reached the forbidden address {self.host}: {self.connections}"
        )

    def close(self) -> None:
        """Stop listening."""
        self._stopping.set()
        self._thread.join(timeout=2)
        self._listener.close()


@pytest.fixture
def tripwire() -> Iterator[Tripwire]:
    """A tripwire on 127.0.1.1; the test fails at teardown if anything connected to it."""
    wire = Tripwire()
    try:
        yield wire
    finally:
        wire.close()
    wire.assert_untouched()
