"""DNS and e-mail security evidence (docs/evidence.md §6): records, providers, SPF, DMARC, DKIM, MTA-STS and more.

Queries go only to the configured resolver; the MTA-STS policy file is the one HTTP fetch, through the guard.
"""

from __future__ import annotations

import hashlib
import ipaddress
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import dns.exception
import dns.flags
import dns.name
import dns.rdatatype
import dns.resolver

from techscaniq.domain import EvidenceCategory, EvidenceDraft, EvidenceType
from techscaniq.evidence.bot_protection import challenge_facts, check_response, not_seen_reason
from techscaniq.evidence.collectors.base import BaseCollector, CollectContext, CrawledPage, register
from techscaniq.evidence.dns_checks import (
    DKIM_SELECTORS,
    DNS_PROVIDERS,
    MAIL_PROVIDERS,
    LookupStatus,
    TxtLookup,
    attribute_hosts,
    dmarc_records,
    dmarc_walk_names,
    evaluate_spf,
    excerpt,
    is_bimi_record,
    is_mta_sts_record,
    is_tls_rpt_record,
    parse_caa_record,
    parse_dkim,
    parse_dmarc,
    parse_mta_sts_policy,
    parse_tags,
    report_authorization_name,
    split_uris,
    summarize_caa,
    verification_tokens,
)
from techscaniq.evidence.fetch import ResourceKind, build_resolver
from techscaniq.evidence.urls import registrable_domain

NAME = "dns_email"
DNS_TIMEOUT_SECONDS = 3.0
PREFETCH_THREADS = 8
MAX_CONSECUTIVE_TIMEOUTS = 2  # after this many, the resolver is taken as gone and later questions are skipped
MAX_HOSTS = 20
PROBED_SUBDOMAINS = ("www", "status", "docs", "trust", "api", "app")
APEX_TYPES = ("A", "AAAA", "NS", "SOA", "MX", "TXT", "CAA")
EDNS_PAYLOAD_BYTES = 1232
DNS_CONFIDENCE = 0.95
MISS_CONFIDENCE = 0.9


@dataclass(frozen=True)
class DnsAnswer:
    """One question's answer: values in presentation form (TXT strings joined), CNAMEs followed, or why none."""

    name: str
    rtype: str
    status: LookupStatus
    values: tuple[str, ...] = ()
    cname_chain: tuple[str, ...] = ()
    authenticated: bool = False
    error: str | None = None
    redacted: int = 0

    @property
    def ok(self) -> bool:
        """The name has records of this type."""
        return self.status is LookupStatus.OK and bool(self.values)

    @property
    def failed(self) -> bool:
        """The question went unanswered (timeout, server failure, or skipped)."""
        return self.status in (LookupStatus.TIMEOUT, LookupStatus.ERROR, LookupStatus.SKIPPED)


REDACTED_ADDRESS = "non-public address (redacted)"


def redact_addresses(values: Iterable[str], disclosable: Iterable[str] = ()) -> tuple[tuple[str, ...], int]:
    """Addresses with every non-global one replaced (a split-horizon resolver may answer with internal ones),
    unless it lies in a network the operator allowed; and how many were replaced."""
    networks = [ipaddress.ip_network(cidr, strict=False) for cidr in disclosable]
    kept: list[str] = []
    redacted = 0
    for value in values:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            kept.append(value)
            continue
        if address.is_global or any(address in network for network in networks):
            kept.append(value)
        else:
            redacted += 1
    return tuple(kept) + (REDACTED_ADDRESS,) * redacted, redacted


def _redaction_note(*answers: DnsAnswer) -> str:
    count = sum(answer.redacted for answer in answers)
    return f" {count} non-public address(es) in the answer are redacted." if count else ""


def _presentation(rdata: Any) -> str:
    if rdata.rdtype == dns.rdatatype.TXT:
        return b"".join(rdata.strings).decode("utf-8", errors="replace")
    return str(rdata.to_text())


class DnsClient:
    """Asks the configured resolver; a resolver that stops answering is given up on after a few timeouts."""

    def __init__(
        self,
        dns_servers: Iterable[str],
        timeout_seconds: float = DNS_TIMEOUT_SECONDS,
        max_consecutive_timeouts: int = MAX_CONSECUTIVE_TIMEOUTS,
        disclosable_networks: Iterable[str] = (),
    ) -> None:
        servers = tuple(dns_servers)
        self.disclosable_networks = tuple(disclosable_networks)
        self._resolver = build_resolver(servers)
        self._dnssec_resolver = build_resolver(servers)
        if self._dnssec_resolver is self._resolver:  # the process default: do not change its flags
            self._dnssec_resolver = dns.resolver.Resolver(configure=True)
        self._dnssec_resolver.use_edns(0, dns.flags.DO, EDNS_PAYLOAD_BYTES)
        self.timeout_seconds = timeout_seconds
        self.max_consecutive_timeouts = max_consecutive_timeouts
        self._consecutive_timeouts = 0
        self._cache: dict[tuple[str, str, bool], DnsAnswer] = {}
        self._count_lock = threading.Lock()
        self.questions = 0

    @property
    def gave_up(self) -> bool:
        """True once the resolver timed out too often in a row."""
        return self._consecutive_timeouts >= self.max_consecutive_timeouts

    def query(self, name: str, rtype: str, *, dnssec: bool = False) -> DnsAnswer:
        """The answer to one question (cached per collector run)."""
        name = name.lower().rstrip(".")
        key = (name, rtype, dnssec)
        if key not in self._cache:
            self._cache[key] = self._ask(name, rtype, dnssec)
        return self._cache[key]

    def prefetch(self, questions: Iterable[tuple[str, str]]) -> None:
        """Ask many questions side by side; the steps that follow then read the answers from the cache."""
        wanted = [
            (name, rtype)
            for name, rtype in dict.fromkeys((name.lower().rstrip("."), rtype) for name, rtype in questions)
            if (name, rtype, False) not in self._cache
        ]
        if not wanted:
            return
        # One question first: a resolver that does not answer it is not sent a burst of others.
        first, *wanted = wanted
        if self.query(*first).status is LookupStatus.TIMEOUT or not wanted:
            return
        with ThreadPoolExecutor(
            max_workers=min(PREFETCH_THREADS, len(wanted)), thread_name_prefix="dns"
        ) as pool:
            answers = list(pool.map(lambda q: self._ask(q[0], q[1], False), wanted))
        for (name, rtype), answer in zip(wanted, answers, strict=True):
            self._cache[(name, rtype, False)] = answer

    def txt(self, name: str) -> TxtLookup:
        """TXT records at a name, in the shape the SPF walk takes."""
        answer = self.query(name, "TXT")
        return TxtLookup(answer.status, answer.values)

    def _ask(self, name: str, rtype: str, dnssec: bool) -> DnsAnswer:
        if self.gave_up:
            return DnsAnswer(name, rtype, LookupStatus.SKIPPED, error="the resolver stopped answering")
        resolver = self._dnssec_resolver if dnssec else self._resolver
        with self._count_lock:
            self.questions += 1
        try:
            answer = resolver.resolve(
                dns.name.from_text(name),
                rtype,
                lifetime=self.timeout_seconds,
                search=False,
                raise_on_no_answer=False,
            )
        except dns.resolver.NXDOMAIN:
            self._consecutive_timeouts = 0
            return DnsAnswer(name, rtype, LookupStatus.NXDOMAIN)
        except dns.exception.Timeout as exc:
            with self._count_lock:  # prefetch asks from several threads
                self._consecutive_timeouts += 1
            return DnsAnswer(name, rtype, LookupStatus.TIMEOUT, error=str(exc)[:300])
        except (dns.exception.DNSException, ValueError, OSError) as exc:
            return DnsAnswer(name, rtype, LookupStatus.ERROR, error=f"{type(exc).__name__}: {exc}"[:300])
        self._consecutive_timeouts = 0
        chain = tuple(
            _presentation(rdata).rstrip(".").lower()
            for rrset in answer.response.answer
            if rrset.rdtype == dns.rdatatype.CNAME and rtype != "CNAME"
            for rdata in rrset
        )
        # An RRset has no order; sorting keeps the evidence (and so the report) the same for the same records.
        values = (
            tuple(sorted(_presentation(rdata) for rdata in answer.rrset)) if answer.rrset is not None else ()
        )
        authenticated = bool(answer.response.flags & dns.flags.AD)
        status = LookupStatus.OK if values else LookupStatus.NO_ANSWER
        redacted = 0
        if rtype in ("A", "AAAA"):
            values, redacted = redact_addresses(values, self.disclosable_networks)
        return DnsAnswer(name, rtype, status, values, chain, authenticated, redacted=redacted)


def _status_of(answer: DnsAnswer) -> str:
    return "error" if answer.failed else "not_observed"


def _error_data(answer: DnsAnswer) -> dict[str, Any]:
    return {"lookup": answer.status.value, "error_code": f"dns_{answer.status.value}", "error": answer.error}


def site_port_url(root_url: str, host: str, path: str) -> str:
    """An https URL on a sibling host, on the root's port when the root is https on a non-default port."""
    parts = urlsplit(root_url)
    port = parts.port if parts.scheme == "https" and parts.port not in (None, 443) else None
    return f"https://{host}{f':{port}' if port else ''}{path}"


@register(NAME)
class DnsEmailCollector(BaseCollector):
    """Site-level DNS and e-mail security facts from the configured resolver."""

    name = NAME

    def __init__(
        self,
        dns_timeout_seconds: float = DNS_TIMEOUT_SECONDS,
        dkim_selectors: tuple[str, ...] = DKIM_SELECTORS,
    ) -> None:
        self.dns_timeout_seconds = dns_timeout_seconds
        self.dkim_selectors = dkim_selectors
        self._hosts: list[str] = []
        self._client: DnsClient | None = None

    def begin(self, context: CollectContext) -> None:
        """Ask the questions that need no crawled page while the crawl runs."""
        client = DnsClient(
            context.settings.dns_servers,
            self.dns_timeout_seconds,
            disclosable_networks=context.settings.allow_networks,
        )
        apex = context.registrable_domain.lower().rstrip(".")
        client.prefetch(
            _questions_for(apex, [f"{label}.{apex}" for label in PROBED_SUBDOMAINS], self.dkim_selectors)
        )
        self._client = client

    def on_page(self, page: CrawledPage, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Remember each crawled host for the A/AAAA/CNAME questions."""
        host = (page.host or urlsplit(page.url).hostname or "").lower()
        if host and host not in self._hosts and len(self._hosts) < MAX_HOSTS:
            self._hosts.append(host)
        return ()

    def state(self) -> dict[str, Any]:
        """The crawled hosts."""
        return {"hosts": list(self._hosts)}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Load the crawled hosts."""
        self._hosts = [str(host) for host in state.get("hosts", [])][:MAX_HOSTS]

    def finish(self, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Ask every question of docs/evidence.md §6 and turn the answers into items."""
        client = self._client or DnsClient(
            context.settings.dns_servers,
            self.dns_timeout_seconds,
            disclosable_networks=context.settings.allow_networks,
        )
        self._client = None  # answers are not kept past one finish
        return _Run(self, context, client).collect()


def _questions_for(apex: str, hosts: Iterable[str], dkim_selectors: Iterable[str]) -> list[tuple[str, str]]:
    """The questions every run asks: the apex's records, each host's addresses and the mail policy records."""
    return [
        *((apex, rtype) for rtype in (*APEX_TYPES, "DS")),
        *((name, rtype) for name in hosts for rtype in ("A", "AAAA")),
        *((f"{selector}._domainkey.{apex}", "TXT") for selector in dkim_selectors),
        *((f"{label}.{apex}", "TXT") for label in ("_dmarc", "_mta-sts", "_smtp._tls", "default._bimi")),
    ]


@dataclass
class _Run:
    """One finish(): the questions, the items and the raw answers shared with the technology collector."""

    collector: DnsEmailCollector
    context: CollectContext
    client: DnsClient
    items: list[EvidenceDraft] = field(default_factory=list)
    records: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    cnames: dict[str, list[str]] = field(default_factory=dict)

    @property
    def apex(self) -> str:
        return self.context.registrable_domain.lower().rstrip(".")

    def add(
        self,
        type_: EvidenceType,
        key: str,
        title: str,
        summary: str,
        data: dict[str, Any],
        source: str,
        confidence: float = DNS_CONFIDENCE,
    ) -> None:
        data.setdefault("status", "observed")
        self.items.append(
            self.context.draft(
                NAME,
                type_,
                EvidenceCategory.DNS_EMAIL,
                key=key,
                title=title,
                summary=summary,
                source_url=f"dns:{source}",
                data=data,
                confidence=confidence,
            )
        )

    def remember(self, answer: DnsAnswer) -> None:
        if answer.ok:
            self.records.setdefault(answer.name, {})[answer.rtype] = list(answer.values)

    def collect(self) -> list[EvidenceDraft]:
        started = time.monotonic()
        steps = (
            self.apex_records,
            self.host_records,
            self.dns_provider,
            self.mail_provider,
            self.spf,
            self.dmarc,
            self.dkim,
            self.mta_sts,
            self.tls_rpt,
            self.bimi,
            self.caa,
            self.dnssec,
            self.saas_verification,
        )
        # The questions every run asks are asked at once: one after another they were most of its time.
        self.client.prefetch(_questions_for(self.apex, self.host_names(), self.collector.dkim_selectors))
        for step in steps:
            self.context.checkpoint()
            step()
        self.context.extras["dns"] = self.shared_answers()
        self.context.extras["dns_questions"] = {
            "asked": self.client.questions,
            "seconds": round(time.monotonic() - started, 3),
            "resolver_gave_up": self.client.gave_up,
        }
        return self.items

    def shared_answers(self) -> dict[str, Any]:
        """Raw answers for the technology collector (fingerprint `dns` patterns and hosting attribution)."""
        apex = self.records.get(self.apex, {})
        cnames = dict(self.cnames)
        return {
            "apex": self.apex,
            "records": self.records,
            "TXT": apex.get("TXT", []),
            "MX": apex.get("MX", []),
            "NS": apex.get("NS", []),
            "SOA": apex.get("SOA", []),
            "CAA": apex.get("CAA", []),
            "CNAME": [target for chain in cnames.values() for target in chain],
            "cnames": cnames,
        }

    # -- records and providers ---------------------------------------------------------------------------------

    def apex_records(self) -> None:
        answers = {rtype: self.client.query(self.apex, rtype) for rtype in APEX_TYPES}
        for answer in answers.values():
            self.remember(answer)
        found = {rtype: list(a.values) for rtype, a in answers.items() if a.ok}
        lookups = {rtype: a.status.value for rtype, a in answers.items()}
        if all(a.failed for a in answers.values()):
            first = next(iter(answers.values()))
            self.add(
                EvidenceType.DNS_RECORDS,
                self.apex,
                f"DNS questions about {self.apex} went unanswered",
                f"The resolver gave no answer for {self.apex} ({first.status.value}).",
                {
                    "name": self.apex,
                    "records": {},
                    "lookups": lookups,
                    "status": "error",
                    **_error_data(first),
                },
                self.apex,
            )
            return
        types = ", ".join(f"{len(values)} {rtype}" for rtype, values in found.items()) or "no records"
        redacted = sum(a.redacted for a in answers.values())
        self.add(
            EvidenceType.DNS_RECORDS,
            self.apex,
            f"DNS records of {self.apex}: {types}",
            f"{self.apex} answers with {types}.{_redaction_note(*answers.values())}",
            {
                "name": self.apex,
                "records": found,
                "lookups": lookups,
                "redacted_non_public_addresses": redacted,
                "excerpt": excerpt("; ".join(f"{t} {v}" for t, vs in found.items() for v in vs)),
            },
            self.apex,
        )

    def host_names(self) -> list[str]:
        names = [f"{label}.{self.apex}" for label in PROBED_SUBDOMAINS]
        in_scope = [h for h in self.collector._hosts if h == self.apex or h.endswith("." + self.apex)]
        ordered = list(dict.fromkeys([*in_scope, *names]))
        return [name for name in ordered if name != self.apex][:MAX_HOSTS]

    def host_records(self) -> None:
        crawled = set(self.collector._hosts)
        for name in self.host_names():
            a, aaaa = self.client.query(name, "A"), self.client.query(name, "AAAA")
            self.remember(a)
            self.remember(aaaa)
            if a.status is LookupStatus.NXDOMAIN and name not in crawled:
                continue  # a probed subdomain that does not exist is no fact worth an item
            chain = list(a.cname_chain or aaaa.cname_chain)
            if chain:
                self.records.setdefault(name, {})["CNAME"] = chain
                self.cnames[name] = chain
            data: dict[str, Any] = {
                "name": name,
                "a": list(a.values),
                "aaaa": list(aaaa.values),
                "cname_chain": chain,
                "crawled": name in crawled,
                "lookups": {"A": a.status.value, "AAAA": aaaa.status.value},
                "redacted_non_public_addresses": a.redacted + aaaa.redacted,
            }
            if a.failed and aaaa.failed:
                data.update(status="error", **_error_data(a))
                title, summary = f"DNS questions about {name} went unanswered", f"No answer for {name}."
            elif not a.values and not aaaa.values:
                data["status"] = "not_observed"
                title = f"{name} has no address records"
                summary = f"{name} answered {a.status.value} for A and {aaaa.status.value} for AAAA."
            else:
                via = f" via CNAME {' -> '.join(chain)}" if chain else ""
                addresses = [*a.values, *aaaa.values]
                title = f"{name} resolves to {len(addresses)} address(es){via}"[:500]
                summary = f"{name}{via} resolves to {', '.join(addresses[:6])}.{_redaction_note(a, aaaa)}"
                data["excerpt"] = excerpt(" ".join([*chain, *addresses]))
            self.add(EvidenceType.DNS_RECORDS, name, title, summary, data, name)

    def dns_provider(self) -> None:
        ns = self.client.query(self.apex, "NS")
        soa = self.client.query(self.apex, "SOA")
        if not ns.ok:
            self.add(
                EvidenceType.DNS_PROVIDER,
                self.apex,
                f"No NS records seen for {self.apex}",
                f"The NS question for {self.apex} answered {ns.status.value}.",
                {"nameservers": [], "providers": [], "status": _status_of(ns), **_error_data(ns)},
                self.apex,
                MISS_CONFIDENCE,
            )
            return
        nameservers = sorted(value.rstrip(".").lower() for value in ns.values)
        soa_names = [value.split()[0].rstrip(".").lower() for value in soa.values if value.split()]
        providers = attribute_hosts([*nameservers, *soa_names], DNS_PROVIDERS)
        names = list(providers) or ["unattributed"]
        title = (
            f"DNS for {self.apex} is hosted by {', '.join(providers)}"
            if providers
            else f"DNS for {self.apex} is served by {nameservers[0]} (provider not recognised)"
        )
        self.add(
            EvidenceType.DNS_PROVIDER,
            self.apex,
            title,
            f"{self.apex} delegates to {', '.join(nameservers)}.",
            {
                "nameservers": nameservers,
                "soa": list(soa.values),
                "providers": names if providers else [],
                "evidence": providers,
                "excerpt": excerpt(" ".join(nameservers)),
            },
            self.apex,
        )

    def mail_provider(self) -> None:
        mx = self.client.query(self.apex, "MX")
        if not mx.ok:
            self.add(
                EvidenceType.MAIL_PROVIDER,
                self.apex,
                f"No MX records seen for {self.apex}",
                f"The MX question for {self.apex} answered {mx.status.value}; mail would go to the A record.",
                {"mx": [], "providers": [], "status": _status_of(mx), **_error_data(mx)},
                self.apex,
                MISS_CONFIDENCE,
            )
            return
        hosts: list[dict[str, Any]] = []
        for value in mx.values:
            preference, _, host = value.partition(" ")
            hosts.append(
                {
                    "preference": int(preference) if preference.isdigit() else None,
                    "host": host.rstrip(".").lower(),
                }
            )
        hosts.sort(key=lambda entry: (entry["preference"] is None, entry["preference"] or 0, entry["host"]))
        null_mx = len(hosts) == 1 and hosts[0]["host"] in ("", ".")
        providers = attribute_hosts([h["host"] for h in hosts], MAIL_PROVIDERS)
        if null_mx:
            title = f"{self.apex} publishes a null MX: it accepts no mail"
        elif providers:
            title = f"Mail for {self.apex} is handled by {', '.join(providers)}"
        else:
            title = f"Mail for {self.apex} goes to {hosts[0]['host']} (provider not recognised)"
        self.add(
            EvidenceType.MAIL_PROVIDER,
            self.apex,
            title,
            f"{self.apex} lists {len(hosts)} MX host(s): "
            + ", ".join(f"{h['host']} ({h['preference']})" for h in hosts[:5])
            + ".",
            {
                "mx": hosts,
                "providers": list(providers),
                "evidence": providers,
                "null_mx": null_mx,
                "excerpt": excerpt("; ".join(mx.values)),
            },
            self.apex,
        )

    # -- SPF and DMARC -----------------------------------------------------------------------------------------

    def spf(self) -> None:
        result = evaluate_spf(self.apex, self.client.txt)
        for name in result.includes:
            self.remember(self.client.query(name, "TXT"))
        if result.record is None:
            failed = result.lookup_status in (LookupStatus.TIMEOUT, LookupStatus.ERROR, LookupStatus.SKIPPED)
            self.add(
                EvidenceType.SPF,
                self.apex,
                f"No SPF record seen for {self.apex}"
                if not failed
                else f"SPF of {self.apex} could not be read",
                f"No TXT record of {self.apex} starts with v=spf1."
                if not failed
                else f"The TXT question for {self.apex} answered {result.lookup_status.value}.",
                {
                    "record": None,
                    "status": "error" if failed else "not_observed",
                    "lookup": result.lookup_status.value,
                    **({"error_code": f"dns_{result.lookup_status.value}"} if failed else {}),
                },
                self.apex,
                MISS_CONFIDENCE,
            )
            return
        qualifier = result.all_qualifier.value if result.all_qualifier else None
        verdict = "valid" if result.valid else "invalid"
        self.add(
            EvidenceType.SPF,
            self.apex,
            f"SPF for {self.apex} ends in {qualifier} with {result.dns_lookups} DNS lookups ({verdict})",
            f"{self.apex} publishes {result.record!r}"[:400]
            + (f"; senders named: {', '.join(result.senders)}." if result.senders else "."),
            {
                "record": result.record,
                "records_found": result.records_found,
                "valid": result.valid,
                "all": qualifier,
                "all_rank": result.all_rank,
                "dns_lookups": result.dns_lookups,
                "lookup_limit": 10,
                "lookup_limit_exceeded": result.lookup_limit_exceeded,
                "void_lookups": result.void_lookups,
                "includes": result.includes,
                "senders": result.senders,
                "uses_ptr": result.uses_ptr,
                "problems": result.problems,
                "excerpt": excerpt(result.record),
            },
            self.apex,
        )

    def dmarc(self) -> None:
        found_at = record = None
        last = None
        for name in dmarc_walk_names(self.apex):
            last = self.client.query(f"_dmarc.{name}", "TXT")
            records = dmarc_records(last.values)
            if records:
                found_at, record = name, records[0]
                self.remember(last)
                break
            if last.failed:
                break
        if record is None or found_at is None:
            failed = last is not None and last.failed
            self.add(
                EvidenceType.DMARC,
                self.apex,
                f"No DMARC record seen for {self.apex}"
                if not failed
                else f"DMARC of {self.apex} could not be read",
                f"No v=DMARC1 record at _dmarc.{self.apex} or its parents."
                if not failed
                else f"The question for _dmarc.{self.apex} answered {last.status.value if last else 'nothing'}.",
                {
                    "record": None,
                    "status": "error" if failed else "not_observed",
                    **(_error_data(last) if failed and last else {}),
                },
                f"_dmarc.{self.apex}",
                MISS_CONFIDENCE,
            )
            return
        parsed = parse_dmarc(record)
        policy = parsed.sp if found_at != self.apex and parsed.sp else parsed.p
        authorisations = self.external_report_authorisations(parsed.rua)
        if parsed.enforcing:
            stance = "enforcing"
        elif parsed.monitoring_only:
            stance = "monitoring only"
        else:
            stance = f"applied to {parsed.pct}% of mail"
        self.add(
            EvidenceType.DMARC,
            self.apex,
            f"DMARC for {self.apex}: p={policy} ({stance})",
            f"_dmarc.{found_at} publishes {record!r}"[:500],
            {
                "record": record,
                "found_at": f"_dmarc.{found_at}",
                "inherited": found_at != self.apex,
                "valid": parsed.valid,
                "p": parsed.p,
                "sp": parsed.sp,
                "effective_policy": policy,
                "pct": parsed.pct,
                "rua": list(parsed.rua),
                "ruf": list(parsed.ruf),
                "adkim": parsed.adkim,
                "aspf": parsed.aspf,
                "fo": parsed.fo,
                "enforcing": parsed.enforcing,
                "monitoring_only": parsed.monitoring_only,
                "external_rua": authorisations,
                "external_rua_authorised": all(entry["authorised"] for entry in authorisations),
                "problems": list(parsed.problems),
                "excerpt": excerpt(record),
            },
            f"_dmarc.{found_at}",
        )

    def external_report_authorisations(self, addresses: Iterable[str]) -> list[dict[str, Any]]:
        entries = []
        for address in addresses:
            if "@" not in address:
                continue
            destination = address.rsplit("@", 1)[1].lower().rstrip(".")
            if registrable_domain(destination) == registrable_domain(self.apex):
                continue
            name = report_authorization_name(self.apex, destination)
            answer = self.client.query(name, "TXT")
            authorised = any(value.strip().lower().startswith("v=dmarc1") for value in answer.values)
            entries.append(
                {
                    "address": address,
                    "record_name": name,
                    "authorised": authorised,
                    "lookup": answer.status.value,
                }
            )
        return entries

    # -- DKIM, MTA-STS, TLS-RPT, BIMI --------------------------------------------------------------------------

    def dkim(self) -> None:
        found = 0
        unanswered = []
        for selector in self.collector.dkim_selectors:
            name = f"{selector}._domainkey.{self.apex}"
            answer = self.client.query(name, "TXT")
            if answer.failed:
                unanswered.append(selector)
                continue
            records = [
                v
                for v in answer.values
                if "p=" in v.replace(" ", "").lower() or v.lower().startswith("v=dkim1")
            ]
            if not records:
                continue
            found += 1
            self.remember(answer)
            key = parse_dkim(records[0])
            size = f"{key.key_type.upper()} {key.bits}-bit" if key.bits else key.key_type.upper()
            state = "revoked (empty p=)" if key.revoked else size
            self.add(
                EvidenceType.DKIM,
                f"{selector}._domainkey.{self.apex}",
                f"DKIM selector {selector} for {self.apex}: {state}",
                f"{name} publishes a DKIM key: {state}{', testing mode' if key.testing else ''}.",
                {
                    "selector": selector,
                    "name": name,
                    "valid": key.valid,
                    "key_type": key.key_type,
                    "bits": key.bits,
                    "revoked": key.revoked,
                    "testing": key.testing,
                    "problems": list(key.problems),
                    "excerpt": excerpt(records[0]),
                },
                name,
            )
        if found:
            return
        probed = list(self.collector.dkim_selectors)
        failed = len(unanswered) == len(probed) and probed
        self.add(
            EvidenceType.DKIM,
            f"probe._domainkey.{self.apex}",
            f"No DKIM key found under {len(probed)} common selectors of {self.apex}"
            if not failed
            else f"DKIM selectors of {self.apex} could not be probed",
            "DKIM selectors cannot be listed; none of the common ones answered. Keys may exist under other selectors."
            if not failed
            else "The resolver did not answer the DKIM questions.",
            {
                "selectors_probed": probed,
                "unanswered": unanswered,
                "status": "error" if failed else "not_observed",
                **({"error_code": "dns_timeout"} if failed else {}),
            },
            f"_domainkey.{self.apex}",
            0.6,
        )

    def txt_item(
        self, type_: EvidenceType, name: str, label: str, matches: Any
    ) -> tuple[str | None, DnsAnswer]:
        answer = self.client.query(name, "TXT")
        records = [value for value in answer.values if matches(value)]
        if records:
            self.remember(answer)
            return records[0], answer
        self.add(
            type_,
            self.apex,
            f"No {label} record seen for {self.apex}"
            if not answer.failed
            else f"{label} of {self.apex} could not be read",
            f"No {label} record at {name} ({answer.status.value}).",
            {"record": None, "name": name, "status": _status_of(answer), **_error_data(answer)},
            name,
            MISS_CONFIDENCE,
        )
        return None, answer

    def mta_sts(self) -> None:
        name = f"_mta-sts.{self.apex}"
        record, _ = self.txt_item(EvidenceType.MTA_STS, name, "MTA-STS", is_mta_sts_record)
        if record is None:
            return
        tags = parse_tags(record)
        url = site_port_url(self.context.root_url, f"mta-sts.{self.apex}", "/.well-known/mta-sts.txt")
        fetched = self.context.fetcher.fetch(url, ResourceKind.SECURITY_TXT, probe=True)
        data: dict[str, Any] = {
            "record": record,
            "id": tags.get("id"),
            "policy_url": url,
            "policy_status": fetched.status,
            "policy_error": fetched.error_code,
            "excerpt": excerpt(record),
        }
        if fetched.ok and fetched.body:
            policy = parse_mta_sts_policy(fetched.text)
            data.update(
                mode=policy.mode,
                max_age=policy.max_age,
                mx=list(policy.mx),
                policy_valid=policy.valid,
                problems=list(policy.problems),
            )
            title = f"MTA-STS for {self.apex}: mode {policy.mode}, max_age {policy.max_age}"
            summary = f"{name} publishes {record!r}; the policy at {url} sets mode {policy.mode}."
        elif (check := check_response(fetched.status, tuple(fetched.headers), fetched.text)).challenged:
            # The vendor's edge answered: whether the policy is valid was not seen, which is not "invalid".
            reason = not_seen_reason(check, url)
            data.update(
                mode=None, policy_valid=None, problems=[], check="MTA-STS policy file", not_seen=reason
            )
            data["challenge"] = challenge_facts(check, url)
            title = (
                f"MTA-STS record for {self.apex}; its policy file not seen ({check.vendor} {check.outcome})"
            )
            summary = f"{name} publishes {record!r}; {reason}."
        else:
            data.update(mode=None, policy_valid=False, problems=["the policy file could not be fetched"])
            title = f"MTA-STS record for {self.apex}, but no policy file"
            summary = f"{name} publishes {record!r}; {url} answered {fetched.status or fetched.error_code}."
        self.add(EvidenceType.MTA_STS, self.apex, title, summary[:500], data, name)

    def tls_rpt(self) -> None:
        name = f"_smtp._tls.{self.apex}"
        record, _ = self.txt_item(EvidenceType.TLS_RPT, name, "TLS-RPT", is_tls_rpt_record)
        if record is None:
            return
        rua = split_uris(parse_tags(record).get("rua", ""))
        self.add(
            EvidenceType.TLS_RPT,
            self.apex,
            f"TLS-RPT for {self.apex} reports to {', '.join(rua) or 'nobody'}"[:500],
            f"{name} publishes {record!r}."[:500],
            {"record": record, "rua": rua, "excerpt": excerpt(record)},
            name,
        )

    def bimi(self) -> None:
        name = f"default._bimi.{self.apex}"
        record, _ = self.txt_item(EvidenceType.BIMI, name, "BIMI", is_bimi_record)
        if record is None:
            return
        tags = parse_tags(record)
        # Never fetched: the URLs come from DNS the site controls (docs/fetch-safety.md §9).
        self.add(
            EvidenceType.BIMI,
            self.apex,
            f"BIMI record for {self.apex}" + (" with a VMC certificate" if tags.get("a") else ""),
            f"{name} publishes {record!r}."[:500],
            {
                "record": record,
                "logo_url": tags.get("l") or None,
                "authority_url": tags.get("a") or None,
                "fetched": False,
                "excerpt": excerpt(record),
            },
            name,
        )

    # -- CAA, DNSSEC, verification tokens ----------------------------------------------------------------------

    def caa(self) -> None:
        root_host = (urlsplit(self.context.root_url).hostname or self.apex).lower()
        names = [root_host] if root_host.endswith("." + self.apex) else []
        labels = root_host.split(".")
        names += [
            ".".join(labels[i:]) for i in range(1, len(labels)) if ".".join(labels[i:]).endswith(self.apex)
        ]
        names = list(dict.fromkeys([*names, self.apex]))
        answer = None
        for name in names:
            answer = self.client.query(name, "CAA")
            if answer.ok or answer.failed:
                break
        if answer is None or not answer.ok:
            failed = answer is not None and answer.failed
            self.add(
                EvidenceType.CAA,
                self.apex,
                f"No CAA records for {self.apex}: any CA may issue"
                if not failed
                else f"CAA of {self.apex} could not be read",
                f"No CAA record at {', '.join(names)}."
                if not failed
                else "The CAA question went unanswered.",
                {
                    "names_checked": names,
                    "status": "error" if failed else "not_observed",
                    **(_error_data(answer) if failed and answer else {}),
                },
                self.apex,
                MISS_CONFIDENCE,
            )
            return
        self.remember(answer)
        parsed = [p for p in (parse_caa_record(v) for v in answer.values) if p is not None]
        summary = summarize_caa(parsed)
        issuers = ", ".join(summary.issue) or ("nobody" if summary.issue_forbidden else "any CA")
        self.add(
            EvidenceType.CAA,
            self.apex,
            f"CAA for {answer.name} allows {issuers} to issue"[:500],
            f"{answer.name} publishes {len(answer.values)} CAA record(s)"
            + (f"; violations are reported to {', '.join(summary.iodef)}." if summary.iodef else "."),
            {
                "name": answer.name,
                "names_checked": names[: names.index(answer.name) + 1],
                "records": list(answer.values),
                "issue": list(summary.issue),
                "issuewild": list(summary.issuewild),
                "wildcard_forbidden": summary.wildcard_forbidden,
                "issue_forbidden": summary.issue_forbidden,
                "iodef": list(summary.iodef),
                "excerpt": excerpt("; ".join(answer.values)),
            },
            answer.name,
        )

    def dnssec(self) -> None:
        ds = self.client.query(self.apex, "DS")
        dnskey = self.client.query(self.apex, "DNSKEY", dnssec=True)
        soa = self.client.query(self.apex, "SOA", dnssec=True)
        if ds.failed and dnskey.failed:
            self.add(
                EvidenceType.DNSSEC,
                self.apex,
                f"DNSSEC of {self.apex} could not be checked",
                "The DS and DNSKEY questions went unanswered.",
                {"signed": None, "status": "error", **_error_data(ds)},
                self.apex,
            )
            return
        algorithms = sorted({value.split()[2] for value in dnskey.values if len(value.split()) > 2})
        ds_algorithms = sorted({value.split()[1] for value in ds.values if len(value.split()) > 1})
        signed = ds.ok or dnskey.ok
        validated = soa.authenticated or dnskey.authenticated
        if signed:
            title = f"{self.apex} is DNSSEC-signed" + (" and validated by the resolver" if validated else "")
        else:
            title = f"{self.apex} is not DNSSEC-signed"
        self.add(
            EvidenceType.DNSSEC,
            self.apex,
            title,
            f"DS at the parent: {ds.status.value}; DNSKEY: {dnskey.status.value}; AD flag: {validated}.",
            {
                "signed": signed,
                "ds_present": ds.ok,
                "dnskey_present": dnskey.ok,
                "ad_flag": validated,
                "algorithms": algorithms or ds_algorithms,
                "status": "observed" if signed else "not_observed",
            },
            self.apex,
            DNS_CONFIDENCE if signed else MISS_CONFIDENCE,
        )

    def saas_verification(self) -> None:
        txt = self.client.query(self.apex, "TXT")
        for token in verification_tokens(txt.values):
            digest = hashlib.sha256(token.record.encode()).hexdigest()[:12]
            self.add(
                EvidenceType.SAAS_VERIFICATION,
                f"{token.vendor.lower()} {digest}",
                f"{self.apex} verifies domain ownership with {token.vendor}",
                f"A TXT record of {self.apex} starting {token.prefix!r} proves the domain to {token.vendor}.",
                {
                    "vendor": token.vendor,
                    "prefix": token.prefix,
                    "record": token.record,
                    "excerpt": excerpt(token.record),
                },
                self.apex,
            )
