"""A small authoritative DNS server on loopback (dnspython, UDP and TCP) for tests and `techscaniq demo`.

It answers only from its zone and never forwards a query, so nothing it is asked leaves the machine.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Mapping, Sequence
from types import TracebackType

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rrset

Zone = Mapping[str, Mapping[str, Sequence[str]]]

DEFAULT_TTL_SECONDS = 60
MAX_CNAME_HOPS = 8
UDP_PAYLOAD_BYTES = 512
MAX_TXT_STRING_BYTES = 255
POLL_INTERVAL_SECONDS = 0.2
TCP_IDLE_TIMEOUT_SECONDS = 5.0
BIND_ATTEMPTS = 20


def _key(name: str) -> str:
    return name.strip().lower().rstrip(".")


def _txt_rdata(value: str) -> dns.rdata.Rdata:
    raw = value.encode("utf-8")
    chunks = [raw[i : i + MAX_TXT_STRING_BYTES] for i in range(0, len(raw), MAX_TXT_STRING_BYTES)] or [b""]
    return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, chunks)


def _rdata(rtype: str, value: str) -> dns.rdata.Rdata:
    rdtype = dns.rdatatype.from_text(rtype)
    if rdtype == dns.rdatatype.TXT:
        # Zone files quote TXT strings (and split long ones); a bare value is one string to serve as is.
        if value.lstrip().startswith('"'):
            return dns.rdata.from_text(dns.rdataclass.IN, rdtype, value)
        return _txt_rdata(value)
    return dns.rdata.from_text(dns.rdataclass.IN, rdtype, value, origin=dns.name.root, relativize=False)


class LoopbackDNSServer:
    """An authoritative DNS server for a zone dict; NXDOMAIN for unknown names, no forwarding."""

    def __init__(
        self,
        zone: Zone | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.ttl_seconds = ttl_seconds
        self._lock = threading.Lock()
        self._records: dict[str, dict[str, list[str]]] = {}
        self._sequences: dict[tuple[str, str], list[list[str]]] = {}
        self._sequence_positions: dict[tuple[str, str], int] = {}
        self._queries: list[tuple[str, str]] = []
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        for name, records in (zone or {}).items():
            for rtype, values in records.items():
                self.set_records(name, rtype, values)

    # -- zone ---------------------------------------------------------------------------------------------

    def set_records(self, name: str, rtype: str, values: Sequence[str]) -> None:
        """Replace the records of one type at a name (an empty list removes them)."""
        key, rtype = _key(name), rtype.upper()
        for value in values:
            _rdata(rtype, value)  # refuse bad record text now, not at query time
        with self._lock:
            records = self._records.setdefault(key, {})
            if values:
                records[rtype] = list(values)
            else:
                records.pop(rtype, None)
            if not records:
                del self._records[key]

    def set_sequence(self, name: str, rtype: str, answers: Sequence[Sequence[str]]) -> None:
        """Answer successive queries with successive answer lists; the last one repeats (DNS rebinding)."""
        key, rtype = _key(name), rtype.upper()
        for values in answers:
            for value in values:
                _rdata(rtype, value)
        with self._lock:
            self._sequences[(key, rtype)] = [list(values) for values in answers]
            self._sequence_positions[(key, rtype)] = 0

    def remove_name(self, name: str) -> None:
        """Forget every record and sequence at a name."""
        key = _key(name)
        with self._lock:
            self._records.pop(key, None)
            for seq_key in [k for k in self._sequences if k[0] == key]:
                del self._sequences[seq_key]
                del self._sequence_positions[seq_key]

    @property
    def queries(self) -> list[tuple[str, str]]:
        """The (name, type) of every query received, oldest first."""
        with self._lock:
            return list(self._queries)

    def clear_queries(self) -> None:
        """Forget the query log."""
        with self._lock:
            self._queries.clear()

    # -- lifecycle ----------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port both UDP and TCP listen on (known once started)."""
        if self._udp is None:
            raise RuntimeError("the DNS server is not started")
        return int(self._udp.getsockname()[1])

    @property
    def address(self) -> str:
        """The server as a dns_servers setting entry: "127.0.0.1:PORT"."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def start(self) -> LoopbackDNSServer:
        """Bind UDP and TCP on the same port and serve in background threads."""
        if self._udp is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        for _ in range(BIND_ATTEMPTS):
            udp = socket.socket(family, socket.SOCK_DGRAM)
            udp.bind((self.host, self._requested_port))
            port = udp.getsockname()[1]
            tcp = socket.socket(family, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind((self.host, port))
            except OSError:
                udp.close()
                tcp.close()
                if self._requested_port:
                    raise
                continue  # the TCP twin of a random UDP port was taken: pick another
            break
        else:
            raise OSError("could not bind UDP and TCP on one port")
        tcp.listen(16)
        udp.settimeout(POLL_INTERVAL_SECONDS)
        tcp.settimeout(POLL_INTERVAL_SECONDS)
        self._udp, self._tcp = udp, tcp
        self._stopping.clear()
        self._threads = [
            threading.Thread(target=self._serve_udp, name="dns-udp", daemon=True),
            threading.Thread(target=self._serve_tcp, name="dns-tcp", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the sockets."""
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._threads = []
        for sock in (self._udp, self._tcp):
            if sock is not None:
                sock.close()
        self._udp = self._tcp = None

    def __enter__(self) -> LoopbackDNSServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- serving ------------------------------------------------------------------------------------------

    def _serve_udp(self) -> None:
        assert self._udp is not None
        udp = self._udp
        while not self._stopping.is_set():
            try:
                wire, peer = udp.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            reply = self._reply_wire(wire, max_size=UDP_PAYLOAD_BYTES)
            if reply is not None:
                with contextlib.suppress(OSError):
                    udp.sendto(reply, peer)

    def _serve_tcp(self) -> None:
        assert self._tcp is not None
        tcp = self._tcp
        while not self._stopping.is_set():
            try:
                conn, _ = tcp.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve_tcp_connection, args=(conn,), daemon=True).start()

    def _serve_tcp_connection(self, conn: socket.socket) -> None:
        conn.settimeout(TCP_IDLE_TIMEOUT_SECONDS)
        with conn:
            while not self._stopping.is_set():
                try:
                    header = self._recv_exactly(conn, 2)
                    if header is None:
                        return
                    wire = self._recv_exactly(conn, struct.unpack("!H", header)[0])
                    if wire is None:
                        return
                    reply = self._reply_wire(wire, max_size=65535)
                    if reply is not None:
                        conn.sendall(struct.pack("!H", len(reply)) + reply)
                except OSError:
                    return

    @staticmethod
    def _recv_exactly(conn: socket.socket, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _reply_wire(self, wire: bytes, max_size: int) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        try:
            response = self._answer(query)
        except (dns.exception.DNSException, ValueError):  # a bad entry must not kill the server thread
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.SERVFAIL)
        if query.edns >= 0:
            max_size = max(max_size, query.payload)
        try:
            return response.to_wire(max_size=max_size)
        except dns.exception.TooBig:
            truncated = dns.message.make_response(query)
            truncated.flags |= dns.flags.AA | dns.flags.TC
            return truncated.to_wire()

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if query.opcode() != dns.opcode.QUERY or not query.question:
            response.set_rcode(dns.rcode.NOTIMP if query.question else dns.rcode.FORMERR)
            return response
        question = query.question[0]
        name = _key(question.name.to_text())
        rtype = dns.rdatatype.to_text(question.rdtype)
        with self._lock:
            self._queries.append((name, rtype))
            if not self._name_exists(name):
                response.set_rcode(dns.rcode.NXDOMAIN)
                return response
            for _ in range(MAX_CNAME_HOPS):
                values = self._values(name, rtype)
                if values:
                    response.answer.append(self._rrset(name, rtype, values))
                    break
                cname = self._values(name, "CNAME") if rtype != "CNAME" else []
                if not cname:
                    break
                response.answer.append(self._rrset(name, "CNAME", cname))
                name = _key(cname[0])
                if not self._name_exists(name):
                    break
        return response

    def _name_exists(self, name: str) -> bool:
        if name in self._records or any(key[0] == name for key in self._sequences):
            return True
        # An empty non-terminal (a parent of a known name) exists but has no records.
        return any(known.endswith("." + name) for known in self._records)

    def _values(self, name: str, rtype: str) -> list[str]:
        sequence = self._sequences.get((name, rtype))
        if sequence:
            position = self._sequence_positions[(name, rtype)]
            self._sequence_positions[(name, rtype)] = position + 1
            return sequence[min(position, len(sequence) - 1)]
        return self._records.get(name, {}).get(rtype, [])

    def _rrset(self, name: str, rtype: str, values: Sequence[str]) -> dns.rrset.RRset:
        rdatas = [_rdata(rtype, value) for value in values]
        return dns.rrset.from_rdata_list(dns.name.from_text(name), self.ttl_seconds, rdatas)
