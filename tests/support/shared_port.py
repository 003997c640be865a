"""One loopback port for plain http and TLS: each connection is relayed to the server its first byte asks for.

A site on the default ports answers http on 80 and https on 443 under one host name, so `http://host/x`
redirects to `https://host/x`. Tests cannot bind those ports, so one free port stands in for both.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from types import TracebackType

# Every TLS connection opens with a handshake record (content type 22); no HTTP request starts with that byte.
TLS_HANDSHAKE_RECORD_TYPE = 0x16
RELAY_CHUNK_BYTES = 64 * 1024
POLL_SECONDS = 0.1
FIRST_BYTE_TIMEOUT_SECONDS = 10.0


class SharedPortRelay:
    """Listens on host:port; a TLS ClientHello is relayed to `tls_port`, anything else to `plain_port`."""

    def __init__(self, plain_port: int, tls_port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.plain_port = plain_port
        self.tls_port = tls_port
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self._listener.listen(64)
        self._listener.settimeout(POLL_SECONDS)
        self._stopping = threading.Event()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name="shared-port-relay", daemon=True)

    @property
    def port(self) -> int:
        """The port that serves both schemes."""
        return int(self._listener.getsockname()[1])

    def start(self) -> SharedPortRelay:
        """Start accepting connections."""
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop accepting and cut every relayed connection."""
        self._stopping.set()
        self._thread.join(timeout=5)
        self._listener.close()
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def __enter__(self) -> SharedPortRelay:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), name="shared-port-conn", daemon=True).start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)

    def _forget(self, *sockets: socket.socket) -> None:
        for sock in sockets:
            with self._lock:
                self._open.discard(sock)
            with contextlib.suppress(OSError):
                sock.close()

    def _relay(self, client: socket.socket) -> None:
        self._track(client)
        upstream: socket.socket | None = None
        try:
            client.settimeout(FIRST_BYTE_TIMEOUT_SECONDS)
            first = client.recv(1, socket.MSG_PEEK)
            if not first:
                return
            port = self.tls_port if first[0] == TLS_HANDSHAKE_RECORD_TYPE else self.plain_port
            upstream = socket.create_connection((self.host, port))
            self._track(upstream)
            client.settimeout(None)
            self._pump(client, upstream)
        except (OSError, ValueError):
            return  # a peer hung up, or close() cut the sockets under select()
        finally:
            self._forget(client, *([upstream] if upstream is not None else []))

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        while not self._stopping.is_set():
            readable, _, _ = select.select(list(peers), [], [], POLL_SECONDS)
            for sock in readable:
                data = sock.recv(RELAY_CHUNK_BYTES)
                if not data:
                    return  # HTTP needs no half-open connections: one side's end ends both
                peers[sock].sendall(data)
