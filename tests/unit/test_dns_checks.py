"""Pure DNS and e-mail checks: SPF walk and limits, DMARC tags and tree walk, DKIM keys, MTA-STS, CAA, tokens."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from techscaniq.evidence.dns_checks import (
    DNS_PROVIDERS,
    MAIL_PROVIDERS,
    LookupStatus,
    SpfAll,
    TxtLookup,
    attribute_hosts,
    dmarc_walk_names,
    evaluate_spf,
    parse_caa_record,
    parse_dkim,
    parse_dmarc,
    parse_mta_sts_policy,
    parse_spf,
    report_authorization_name,
    summarize_caa,
    verification_tokens,
)


def zone_lookup(zone: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    asked: list[str] = []

    def lookup(name: str) -> TxtLookup:
        asked.append(name)
        if name not in zone:
            return TxtLookup(LookupStatus.NXDOMAIN)
        return TxtLookup(LookupStatus.OK, tuple(zone[name]))

    lookup.asked = asked  # type: ignore[attr-defined]
    return lookup


def test_spf_counts_lookups_across_includes_and_names_senders() -> None:
    lookup = zone_lookup(
        {
            "co.test": [
                "v=spf1 include:_spf.google.com include:sendgrid.net mx a:mail.co.test -all",
                "other",
            ],
            "_spf.google.com": ["v=spf1 include:_netblocks.google.com ~all"],
            "_netblocks.google.com": ["v=spf1 ip4:192.0.2.0/24 ~all"],
            "sendgrid.net": ["v=spf1 ip4:203.0.113.0/25 ~all"],
        }
    )
    result = evaluate_spf("co.test", lookup)
    assert result.valid and result.all_qualifier is SpfAll.FAIL and result.all_rank == 3
    assert result.dns_lookups == 5  # 2 includes + mx + a + the nested include
    assert result.includes == ["_spf.google.com", "sendgrid.net"]
    assert result.senders == ["Google Workspace", "SendGrid"]
    assert result.void_lookups == 0 and not result.lookup_limit_exceeded


def test_spf_over_ten_lookups_two_records_voids_ptr_and_open_all() -> None:
    includes = " ".join(f"include:i{n}.test" for n in range(11))
    zone = {"big.test": [f"v=spf1 {includes} ptr +all"]}
    zone.update({f"i{n}.test": ["v=spf1 -all"] for n in range(8)})  # i8..i10 do not exist: void lookups
    result = evaluate_spf("big.test", zone_lookup(zone))
    assert result.dns_lookups == 12 and result.lookup_limit_exceeded and not result.valid
    assert result.void_lookups == 3 and result.uses_ptr and result.all_qualifier is SpfAll.PASS
    assert any("+all" in p for p in result.problems)
    two = evaluate_spf("two.test", zone_lookup({"two.test": ["v=spf1 -all", "v=spf1 ~all"]}))
    assert two.records_found == 2 and not two.valid


def test_spf_redirect_takes_the_target_all_and_a_missing_record_is_none() -> None:
    lookup = zone_lookup(
        {"r.test": ["v=spf1 redirect=_spf.r.test"], "_spf.r.test": ["v=spf1 ip4:192.0.2.1 ~all"]}
    )
    result = evaluate_spf("r.test", lookup)
    assert result.all_qualifier is SpfAll.SOFTFAIL and result.dns_lookups == 1
    missing = evaluate_spf("none.test", zone_lookup({}))
    assert missing.record is None and missing.lookup_status is LookupStatus.NXDOMAIN
    loop = evaluate_spf("l.test", zone_lookup({"l.test": ["v=spf1 include:l.test -all"]}))
    assert any("loop" in p for p in loop.problems)
    timeout = evaluate_spf("t.test", lambda name: TxtLookup(LookupStatus.TIMEOUT))
    assert timeout.record is None and timeout.lookup_status is LookupStatus.TIMEOUT


def test_parse_spf_terms() -> None:
    terms = parse_spf("v=spf1 -ip4:192.0.2.0/24 ~include:x.test mx/24 redirect=y.test ?all")
    assert [(t.qualifier, t.name, t.value) for t in terms] == [
        ("-", "ip4", "192.0.2.0/24"),
        ("~", "include", "x.test"),
        ("+", "mx", "/24"),
        ("", "redirect", "y.test"),
        ("?", "all", ""),
    ]


def test_dmarc_tags_defaults_and_tree_walk() -> None:
    record = parse_dmarc("v=DMARC1; p=quarantine; rua=mailto:a@co.test,mailto:b@ext.test!10m; adkim=s")
    assert record.valid and record.p == "quarantine" and record.pct == 100 and record.enforcing
    assert record.rua == ("a@co.test", "b@ext.test") and record.adkim == "s" and record.aspf == "r"
    partial = parse_dmarc("v=DMARC1; p=reject; pct=25")
    assert not partial.enforcing and partial.pct == 25
    assert parse_dmarc("v=DMARC1; rua=mailto:x@y.test").p == "none"
    broken = parse_dmarc("v=DMARC1; p=maybe")
    assert not broken.valid and broken.problems
    assert dmarc_walk_names("a.b.co.test") == ["a.b.co.test", "b.co.test", "co.test"]
    long = dmarc_walk_names(".".join(f"l{i}" for i in range(10)) + ".test")
    assert long[1].count(".") == 6 and len(long) == 7 and long[-1] == "l9.test"  # full, then 7..2 labels
    assert report_authorization_name("co.test", "ext.test") == "co.test._report._dmarc.ext.test"


def spki(key: object) -> str:
    der = key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def test_dkim_keys_sizes_revocation_and_errors() -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    parsed = parse_dkim(f"v=DKIM1; k=rsa; t=y; p={spki(rsa_key)}")
    assert (parsed.valid, parsed.key_type, parsed.bits, parsed.testing) == (True, "rsa", 1024, True)
    raw_ed = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    assert parse_dkim(f"v=DKIM1; k=ed25519; p={base64.b64encode(raw_ed).decode()}").bits == 256
    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    mismatch = parse_dkim(f"k=rsa; p={spki(ec_key)}")
    assert not mismatch.valid and mismatch.key_type == "ec"
    revoked = parse_dkim("v=DKIM1; k=rsa; p=")
    assert revoked.revoked and revoked.bits is None
    assert not parse_dkim("v=DKIM1; p=!!!").valid
    assert not parse_dkim("v=DKIM1; k=rsa").valid


def test_mta_sts_policy_and_caa() -> None:
    policy = parse_mta_sts_policy(
        "version: STSv1\nmode: enforce\nmx: mx1.co.test\nmx: *.co.test\nmax_age: 86400\n"
    )
    assert policy.valid and policy.mode == "enforce" and policy.mx == ("mx1.co.test", "*.co.test")
    assert not parse_mta_sts_policy("version: STSv1\nmode: enforce\n").valid
    records = [
        parse_caa_record(r)
        for r in ['0 issue "letsencrypt.org"', '0 issuewild ";"', '128 iodef "mailto:s@co.test"']
    ]
    assert records[2] == (128, "iodef", "mailto:s@co.test")
    summary = summarize_caa([r for r in records if r])
    assert (
        summary.issue == ("letsencrypt.org",) and summary.wildcard_forbidden and not summary.issue_forbidden
    )
    assert summary.iodef == ("mailto:s@co.test",)


def test_tokens_and_provider_attribution() -> None:
    tokens = verification_tokens(
        ["v=spf1 -all", "google-site-verification=abc", "MS=ms12345", "ZOOM_verify_xyz", "unrelated=1"]
    )
    assert [t.vendor for t in tokens] == ["Google", "Microsoft 365", "Zoom"]
    assert list(attribute_hosts(["ns-1.awsdns-01.org.", "kim.ns.cloudflare.com"], DNS_PROVIDERS)) == [
        "Amazon Route 53",
        "Cloudflare",
    ]
    mail = attribute_hosts(["co-test.mail.protection.outlook.com", "mx.unknown.test"], MAIL_PROVIDERS)
    assert mail == {"Microsoft 365": ["co-test.mail.protection.outlook.com"]}
