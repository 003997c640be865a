"""Pure DNS and e-mail security checks: SPF, DMARC, DKIM, MTA-STS, TLS-RPT, BIMI, CAA, tokens, providers.

Nothing here sends a query: the SPF walk takes a lookup function, everything else parses record text.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

SPF_MAX_DNS_LOOKUPS = 10
SPF_MAX_VOID_LOOKUPS = 2
# Stop walking include trees well past the limit: enough to report the overrun, bounded against loops.
SPF_WALK_HARD_STOP = 30
DMARC_WALK_MAX_LABELS = 7  # DMARCbis: longer names jump straight to their last seven labels
RECORD_EXCERPT_CHARS = 500

DKIM_SELECTORS = (
    "google",
    "selector1",
    "selector2",
    "k1",
    "k2",
    "k3",
    "s1",
    "s2",
    "default",
    "dkim",
    "mail",
    "smtp",
    "mandrill",
    "zendesk1",
    "zendesk2",
    "sig1",
    "protonmail",
    "fm1",
    "fm2",
    "fm3",
)


class LookupStatus(StrEnum):
    """How one DNS question ended."""

    OK = "ok"
    NXDOMAIN = "nxdomain"
    NO_ANSWER = "no_answer"
    TIMEOUT = "timeout"
    ERROR = "error"
    SKIPPED = "skipped"  # not asked: the resolver had already stopped answering


@dataclass(frozen=True)
class TxtLookup:
    """The TXT strings at one name (each record's strings joined), or why there are none."""

    status: LookupStatus
    records: tuple[str, ...] = ()

    @property
    def is_void(self) -> bool:
        """RFC 7208 §4.6.4: an answer with no records, or NXDOMAIN."""
        return self.status in (LookupStatus.NXDOMAIN, LookupStatus.NO_ANSWER) or (
            self.status is LookupStatus.OK and not self.records
        )


def parse_tags(record: str) -> dict[str, str]:
    """A `k=v; k=v` tag list (DMARC, DKIM, MTA-STS, TLS-RPT, BIMI); names lower-cased, the first one wins."""
    tags: dict[str, str] = {}
    for part in record.split(";"):
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if sep and name and name not in tags:
            tags[name] = value.strip()
    return tags


def excerpt(text: str) -> str:
    """The raw text a citation quotes, at most 500 characters."""
    return text[:RECORD_EXCERPT_CHARS]


# ---------------------------------------------------------------------------------------------------------------
# SPF (RFC 7208)


class SpfAll(StrEnum):
    """The qualifier of the final `all`, best first."""

    FAIL = "-all"
    SOFTFAIL = "~all"
    NEUTRAL = "?all"
    PASS = "+all"
    MISSING = "none"  # no `all` and no redirect: the result defaults to neutral


ALL_RANK = {SpfAll.FAIL: 3, SpfAll.SOFTFAIL: 2, SpfAll.NEUTRAL: 1, SpfAll.MISSING: 1, SpfAll.PASS: 0}
LOOKUP_MECHANISMS = frozenset({"include", "a", "mx", "ptr", "exists"})
KNOWN_SPF_SENDERS = (
    ("_spf.google.com", "Google Workspace"),
    ("spf.protection.outlook.com", "Microsoft 365"),
    ("amazonses.com", "Amazon SES"),
    ("sendgrid.net", "SendGrid"),
    ("mailgun.org", "Mailgun"),
    ("spf.mandrillapp.com", "Mailchimp Transactional (Mandrill)"),
    ("servers.mcsv.net", "Mailchimp"),
    ("_spf.salesforce.com", "Salesforce"),
    ("mail.zendesk.com", "Zendesk"),
    ("hubspotemail.net", "HubSpot"),
    ("sparkpostmail.com", "SparkPost"),
    ("mailjet.com", "Mailjet"),
)


@dataclass(frozen=True)
class SpfTerm:
    """One directive or modifier of an SPF record."""

    qualifier: str
    name: str
    value: str


def spf_records(txt_records: Iterable[str]) -> list[str]:
    """The TXT records that are SPF records (`v=spf1` followed by a space or the end)."""
    return [
        r for r in txt_records if r.strip().lower() == "v=spf1" or r.strip().lower().startswith("v=spf1 ")
    ]


def parse_spf(record: str) -> list[SpfTerm]:
    """The terms of an SPF record after `v=spf1`, in order."""
    terms: list[SpfTerm] = []
    for token in record.split()[1:]:
        qualifier = token[0] if token[0] in "+-~?" else "+"
        body = token[1:] if token[0] in "+-~?" else token
        match = re.match(r"^([A-Za-z][A-Za-z0-9_.-]*)([:=/]?)(.*)$", body)
        if match is None:
            terms.append(SpfTerm(qualifier, body.lower(), ""))
            continue
        name, sep, rest = match.groups()
        if sep == "=":
            terms.append(SpfTerm("", name.lower(), rest))
        else:
            terms.append(
                SpfTerm(qualifier, name.lower(), rest if sep == ":" else (sep + rest if sep else ""))
            )
    return terms


@dataclass
class SpfResult:
    """The evaluation of a domain's SPF policy across its includes."""

    record: str | None
    records_found: int
    valid: bool
    all_qualifier: SpfAll | None
    dns_lookups: int
    void_lookups: int
    includes: list[str] = field(default_factory=list)
    senders: list[str] = field(default_factory=list)
    uses_ptr: bool = False
    problems: list[str] = field(default_factory=list)
    lookup_status: LookupStatus = LookupStatus.OK

    @property
    def lookup_limit_exceeded(self) -> bool:
        """More than 10 DNS-querying terms: receivers answer permerror."""
        return self.dns_lookups > SPF_MAX_DNS_LOOKUPS

    @property
    def all_rank(self) -> int:
        """3 for -all, 2 for ~all, 1 for ?all or none, 0 for +all (open to anyone)."""
        return ALL_RANK[self.all_qualifier] if self.all_qualifier else 0


def _all_of(terms: Sequence[SpfTerm]) -> SpfAll | None:
    for term in terms:
        if term.name == "all":
            return SpfAll(f"{term.qualifier}all")
    return None


def evaluate_spf(domain: str, lookup_txt: Callable[[str], TxtLookup]) -> SpfResult:
    """Find the domain's SPF record and walk include/redirect, counting DNS-querying terms and void lookups."""
    top = lookup_txt(domain)
    found = spf_records(top.records) if top.status is LookupStatus.OK else []
    if top.status in (LookupStatus.TIMEOUT, LookupStatus.ERROR, LookupStatus.SKIPPED):
        return SpfResult(None, 0, False, None, 0, 0, lookup_status=top.status, problems=["lookup failed"])
    if not found:
        return SpfResult(None, 0, False, None, 0, 0, lookup_status=top.status)
    result = SpfResult(found[0], len(found), True, None, 0, 0)
    if len(found) > 1:
        result.valid = False
        result.problems.append(f"{len(found)} SPF records at {domain} (permerror)")
    terms = parse_spf(found[0])
    result.all_qualifier = _all_of(terms)
    _walk_spf(terms, result, lookup_txt, seen={domain.lower()}, top=True)
    if result.all_qualifier is None:
        result.all_qualifier = SpfAll.MISSING
    if result.lookup_limit_exceeded:
        result.valid = False
        result.problems.append(f"{result.dns_lookups} DNS-querying terms, over the limit of 10 (permerror)")
    if result.void_lookups > SPF_MAX_VOID_LOOKUPS:
        result.valid = False
        result.problems.append(f"{result.void_lookups} void lookups, over the limit of 2 (permerror)")
    if result.uses_ptr:
        result.problems.append("uses the ptr mechanism, which RFC 7208 says not to use")
    if result.all_qualifier is SpfAll.PASS:
        result.problems.append("+all lets any server send as the domain")
    return result


def _walk_spf(
    terms: Sequence[SpfTerm],
    result: SpfResult,
    lookup_txt: Callable[[str], TxtLookup],
    seen: set[str],
    top: bool,
) -> None:
    redirect = None
    for term in terms:
        if term.name in LOOKUP_MECHANISMS:
            result.dns_lookups += 1
        if term.name == "ptr":
            result.uses_ptr = True
        if term.name == "redirect":
            redirect = term.value
        if term.name != "include" or not term.value:
            continue
        target = term.value.lower().rstrip(".")
        if top:
            result.includes.append(target)
        _follow_spf_target(target, result, lookup_txt, seen, top=False, redirected=False)
    if redirect and _all_of(terms) is None:
        result.dns_lookups += 1
        target = redirect.lower().rstrip(".")
        if top:
            result.includes.append(target)
        _follow_spf_target(target, result, lookup_txt, seen, top=top, redirected=True)


def _follow_spf_target(
    target: str,
    result: SpfResult,
    lookup_txt: Callable[[str], TxtLookup],
    seen: set[str],
    top: bool,
    redirected: bool,
) -> None:
    for suffix, vendor in KNOWN_SPF_SENDERS:
        if (target == suffix or target.endswith("." + suffix)) and vendor not in result.senders:
            result.senders.append(vendor)
    if target in seen:
        result.problems.append(f"{target} is included more than once (loop)")
        return
    if result.dns_lookups > SPF_WALK_HARD_STOP or "%{" in target:
        return
    seen.add(target)
    answer = lookup_txt(target)
    if answer.is_void:
        result.void_lookups += 1
    records = spf_records(answer.records)
    if not records:
        if answer.status in (LookupStatus.TIMEOUT, LookupStatus.ERROR):
            result.problems.append(f"the SPF record of {target} could not be read ({answer.status})")
        else:
            result.problems.append(f"{target} has no SPF record (permerror)")
        return
    terms = parse_spf(records[0])
    if redirected and top:
        result.all_qualifier = _all_of(terms)
    _walk_spf(terms, result, lookup_txt, seen, top=False)


# ---------------------------------------------------------------------------------------------------------------
# DMARC


@dataclass(frozen=True)
class DmarcRecord:
    """The tags of a DMARC record, with defaults applied."""

    valid: bool
    p: str | None
    sp: str | None
    pct: int
    rua: tuple[str, ...]
    ruf: tuple[str, ...]
    adkim: str
    aspf: str
    fo: str
    problems: tuple[str, ...]

    @property
    def enforcing(self) -> bool:
        """quarantine or reject on every message (pct 100)."""
        return self.p in ("quarantine", "reject") and self.pct == 100

    @property
    def monitoring_only(self) -> bool:
        """p=none collects reports and protects nothing."""
        return self.p == "none"


DMARC_POLICIES = frozenset({"none", "quarantine", "reject"})


def _mailto_list(value: str) -> tuple[str, ...]:
    addresses = []
    for uri in value.split(","):
        uri = uri.strip()
        if uri.lower().startswith("mailto:"):
            addresses.append(uri[7:].split("!", 1)[0].strip())
        elif uri:
            addresses.append(uri)
    return tuple(addresses)


def dmarc_records(txt_records: Iterable[str]) -> list[str]:
    """The TXT records that start with `v=DMARC1`."""
    return [r for r in txt_records if re.match(r"^\s*v\s*=\s*DMARC1\s*(;|$)", r, re.IGNORECASE)]


def parse_dmarc(record: str) -> DmarcRecord:
    """Parse a DMARC record (RFC 7489 tags; p missing with rua present reads as p=none)."""
    tags = parse_tags(record)
    problems = []
    p = tags.get("p", "").lower() or None
    if p is not None and p not in DMARC_POLICIES:
        problems.append(f"unknown policy p={p}")
        p = None
    if p is None and "rua" in tags:
        p = "none"
    if p is None:
        problems.append("no valid p= tag")
    sp = tags.get("sp", "").lower() or None
    if sp is not None and sp not in DMARC_POLICIES:
        problems.append(f"unknown subdomain policy sp={sp}")
        sp = None
    pct_text = tags.get("pct", "100")
    pct = int(pct_text) if pct_text.isdigit() and int(pct_text) <= 100 else 100
    if pct_text != "100" and not (pct_text.isdigit() and int(pct_text) <= 100):
        problems.append(f"invalid pct={pct_text}")
    return DmarcRecord(
        valid=p is not None,
        p=p,
        sp=sp,
        pct=pct,
        rua=_mailto_list(tags.get("rua", "")),
        ruf=_mailto_list(tags.get("ruf", "")),
        adkim=tags.get("adkim", "r").lower() or "r",
        aspf=tags.get("aspf", "r").lower() or "r",
        fo=tags.get("fo", "0") or "0",
        problems=tuple(problems),
    )


def dmarc_walk_names(domain: str) -> list[str]:
    """The names a DMARCbis DNS tree walk queries for `domain`, in order (never the top-level domain)."""
    labels = [label for label in domain.lower().rstrip(".").split(".") if label]
    names = [".".join(labels)]
    if len(labels) > DMARC_WALK_MAX_LABELS + 1:
        labels = labels[-DMARC_WALK_MAX_LABELS:]
        names.append(".".join(labels))
    while len(labels) > 2:
        labels = labels[1:]
        names.append(".".join(labels))
    return list(dict.fromkeys(names))


def report_authorization_name(domain: str, destination: str) -> str:
    """Where an external report destination must authorise `domain` (RFC 7489 §7.1)."""
    return f"{domain.lower().rstrip('.')}._report._dmarc.{destination.lower().rstrip('.')}"


# ---------------------------------------------------------------------------------------------------------------
# DKIM


@dataclass(frozen=True)
class DkimKey:
    """A parsed DKIM key record."""

    valid: bool
    key_type: str
    bits: int | None
    revoked: bool
    testing: bool
    problems: tuple[str, ...]


def parse_dkim(record: str) -> DkimKey:
    """Parse a DKIM key record: key type, size (read with cryptography), `t=y`, and an empty `p=` (revoked)."""
    tags = parse_tags(record)
    key_type = (tags.get("k") or "rsa").lower()
    testing = "y" in [flag.strip().lower() for flag in tags.get("t", "").split(":")]
    if "p" not in tags:
        return DkimKey(False, key_type, None, False, testing, ("no p= tag",))
    material = re.sub(r"\s+", "", tags["p"])
    if not material:
        return DkimKey(True, key_type, None, True, testing, ())
    try:
        der = base64.b64decode(material, validate=True)
    except (binascii.Error, ValueError):
        return DkimKey(False, key_type, None, False, testing, ("p= is not base64",))
    if key_type == "ed25519" and len(der) == 32:
        return DkimKey(True, key_type, 256, False, testing, ())
    try:
        key = load_der_public_key(der)
    except (ValueError, TypeError) as exc:
        return DkimKey(False, key_type, None, False, testing, (f"p= is not a public key: {exc}",))
    parsed_type, bits = public_key_facts(key)
    problems = () if parsed_type == key_type else (f"k={key_type} but the key is {parsed_type}",)
    return DkimKey(not problems, parsed_type, bits, False, testing, problems)


def public_key_facts(key: object) -> tuple[str, int | None]:
    """The type name and size in bits of a cryptography public key."""
    if isinstance(key, rsa.RSAPublicKey):
        return "rsa", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ec", key.curve.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "ed448", 456
    if isinstance(key, dsa.DSAPublicKey):
        return "dsa", key.key_size
    return type(key).__name__.lower(), None


# ---------------------------------------------------------------------------------------------------------------
# MTA-STS, TLS-RPT, BIMI


@dataclass(frozen=True)
class MtaStsPolicy:
    """An MTA-STS policy file (RFC 8461 §3.2)."""

    version: str | None
    mode: str | None
    max_age: int | None
    mx: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def valid(self) -> bool:
        """True when version, mode and max_age are present and sensible."""
        return not self.problems


def parse_mta_sts_policy(text: str) -> MtaStsPolicy:
    """Parse the `key: value` lines of an MTA-STS policy file."""
    values: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            values.setdefault(key.strip().lower(), []).append(value.strip())
    version = values["version"][0] if values.get("version") else None
    mode = ((values.get("mode") or [""])[0] or "").lower() or None
    max_age_text = (values.get("max_age") or [""])[0] or ""
    max_age = int(max_age_text) if max_age_text.isdigit() else None
    problems = []
    if version != "STSv1":
        problems.append("version is not STSv1")
    if mode not in ("enforce", "testing", "none"):
        problems.append("mode is not enforce, testing or none")
    if max_age is None:
        problems.append("no numeric max_age")
    if mode in ("enforce", "testing") and not values.get("mx"):
        problems.append("no mx lines")
    return MtaStsPolicy(version, mode, max_age, tuple(values.get("mx", [])), tuple(problems))


def is_mta_sts_record(record: str) -> bool:
    """True for a `v=STSv1` TXT record."""
    return parse_tags(record).get("v", "").upper() == "STSV1"


def is_tls_rpt_record(record: str) -> bool:
    """True for a `v=TLSRPTv1` TXT record."""
    return parse_tags(record).get("v", "").upper() == "TLSRPTV1"


def is_bimi_record(record: str) -> bool:
    """True for a `v=BIMI1` TXT record."""
    return parse_tags(record).get("v", "").upper() == "BIMI1"


def split_uris(value: str) -> list[str]:
    """A comma-separated URI list (TLS-RPT rua)."""
    return [part.strip() for part in value.split(",") if part.strip()]


# ---------------------------------------------------------------------------------------------------------------
# CAA


@dataclass(frozen=True)
class CaaSummary:
    """Which CAs may issue, for wildcards too, and where violations are reported."""

    issue: tuple[str, ...]
    issuewild: tuple[str, ...]
    iodef: tuple[str, ...]
    wildcard_forbidden: bool
    issue_forbidden: bool


def parse_caa_record(text: str) -> tuple[int, str, str] | None:
    """A CAA record in presentation format (`0 issue "ca.example"`) as (flags, tag, value)."""
    match = re.match(r'^\s*(\d+)\s+([A-Za-z0-9]+)\s+"?(.*?)"?\s*$', text)
    if match is None:
        return None
    return int(match[1]), match[2].lower(), match[3]


def summarize_caa(records: Iterable[tuple[int, str, str]]) -> CaaSummary:
    """Summarise (flags, tag, value) CAA records; an issuer of `;` forbids issuance."""
    issue: list[str] = []
    issuewild: list[str] = []
    iodef: list[str] = []
    for _flags, tag, value in records:
        issuer = value.split(";", 1)[0].strip()
        if tag == "issue":
            issue.append(issuer)
        elif tag == "issuewild":
            issuewild.append(issuer)
        elif tag == "iodef":
            iodef.append(value.strip())
    # DNS answers come in any order; evidence must not (reports are byte-identical for the same facts).
    return CaaSummary(
        issue=tuple(sorted(i for i in issue if i)),
        issuewild=tuple(sorted(i for i in issuewild if i)),
        iodef=tuple(sorted(iodef)),
        wildcard_forbidden=bool(issuewild) and not any(issuewild),
        issue_forbidden=bool(issue) and not any(issue),
    )


# ---------------------------------------------------------------------------------------------------------------
# SaaS verification tokens and provider attribution

VERIFICATION_PREFIXES = (
    ("google-site-verification=", "Google"),
    ("ms=ms", "Microsoft 365"),
    ("atlassian-domain-verification=", "Atlassian"),
    ("docusign=", "DocuSign"),
    ("facebook-domain-verification=", "Meta (Facebook)"),
    ("apple-domain-verification=", "Apple"),
    ("adobe-idp-site-verification=", "Adobe"),
    ("stripe-verification=", "Stripe"),
    ("hubspot-developer-verification=", "HubSpot"),
    ("onetrust-domain-verification=", "OneTrust"),
    ("status-page-domain-verification=", "Atlassian Statuspage"),
    ("segment-site-verification=", "Segment"),
    ("mixpanel-domain-verify=", "Mixpanel"),
    ("heroku-domain-verification=", "Heroku"),
    ("dropbox-domain-verification=", "Dropbox"),
    ("bugcrowd-verification=", "Bugcrowd"),
    ("detectify-verification=", "Detectify"),
    ("knowbe4-site-verification=", "KnowBe4"),
    ("zoom_verify_", "Zoom"),
    ("protonmail-verification=", "Proton Mail"),
)


@dataclass(frozen=True)
class VerificationToken:
    """A TXT record proving domain ownership to a SaaS vendor."""

    vendor: str
    prefix: str
    record: str


def verification_tokens(txt_records: Iterable[str]) -> list[VerificationToken]:
    """The SaaS verification tokens among TXT records, one per record, in record order."""
    found = []
    for record in txt_records:
        lower = record.strip().lower()
        for prefix, vendor in VERIFICATION_PREFIXES:
            if lower.startswith(prefix):
                found.append(VerificationToken(vendor, prefix, record.strip()))
                break
    return found


DNS_PROVIDERS = (
    ("awsdns-", "Amazon Route 53"),
    ("ns.cloudflare.com", "Cloudflare"),
    ("azure-dns.", "Azure DNS"),
    ("googledomains.com", "Google Cloud DNS"),
    ("ns-cloud-", "Google Cloud DNS"),
    ("domaincontrol.com", "GoDaddy"),
    ("nsone.net", "NS1"),
    ("akam.net", "Akamai"),
    ("dnsimple.com", "DNSimple"),
    ("ultradns.", "UltraDNS"),
)
MAIL_PROVIDERS = (
    ("aspmx.l.google.com", "Google Workspace"),
    ("googlemail.com", "Google Workspace"),
    ("mail.protection.outlook.com", "Microsoft 365"),
    ("pphosted.com", "Proofpoint"),
    ("mimecast.com", "Mimecast"),
    ("iphmx.com", "Cisco Secure Email"),
    ("barracudanetworks.com", "Barracuda"),
    ("messagingengine.com", "Fastmail"),
    ("zoho.com", "Zoho Mail"),
    ("zoho.eu", "Zoho Mail"),
    ("protonmail.ch", "Proton Mail"),
)


def attribute_hosts(hosts: Iterable[str], table: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Provider name -> the hosts that name it (substring rules on lower-case names), in table order."""
    found: dict[str, list[str]] = {}
    for host in hosts:
        name = host.lower().rstrip(".")
        for marker, provider in table:
            if marker in name:
                found.setdefault(provider, []).append(name)
                break
    return {provider: found[provider] for _, provider in table if provider in found}
