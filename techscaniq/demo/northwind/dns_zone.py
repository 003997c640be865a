"""The DNS zone of every host: mail, SPF, DMARC, DKIM, MTA-STS, TLS-RPT, BIMI, CAA, CNAMEs, verification tokens."""

from __future__ import annotations

from techscaniq.demo.northwind.builder import SiteBuilder
from techscaniq.demo.northwind.common import seeded_token, txt_rdata
from techscaniq.demo.northwind.facts import DKIM_GOOGLE_2048, DKIM_S1_1024, JOB_BOARD_HOST


class DnsZone(SiteBuilder):
    """The DNS zone of every host."""

    # -- DNS -----------------------------------------------------------------------------------------------------------

    def build_zone(self) -> None:
        d = self.domain
        tokens = {
            "Google": f"google-site-verification={seeded_token(self.seed, 'google-verify', 43)}",
            "Atlassian": f"atlassian-domain-verification={seeded_token(self.seed, 'atlassian', 40)}",
            "Stripe": f"stripe-verification={seeded_token(self.seed, 'stripe', 64)}",
            "HubSpot": f"hubspot-developer-verification={seeded_token(self.seed, 'hubspot', 48)}",
            "OneTrust": f"onetrust-domain-verification={seeded_token(self.seed, 'onetrust-dns', 32)}",
            "DocuSign": f"docusign={seeded_token(self.seed, 'docusign', 8)}-{seeded_token(self.seed, 'docusign2', 4)}",
            "Segment": f"segment-site-verification={seeded_token(self.seed, 'segment-dns', 32)}",
            "Atlassian Statuspage": f"status-page-domain-verification={seeded_token(self.seed, 'statuspage', 12)}",
            "Zoom": f"ZOOM_verify_{seeded_token(self.seed, 'zoom', 22)}",
        }
        spf = "v=spf1 include:_spf.google.com include:sendgrid.net include:hubspotemail.net -all"
        dmarc = (
            f"v=DMARC1; p=quarantine; pct=100; rua=mailto:dmarc@{d},mailto:nwl@reports.dmarcwatch.test; "
            f"ruf=mailto:dmarc-forensics@{d}; adkim=s; aspf=r; fo=1"
        )
        mta_sts_id = "20250601T000000"
        tls_rpt = f"v=TLSRPTv1; rua=mailto:tls-reports@{d}"
        bimi = f"v=BIMI1; l={self.url('www', '/brand/bimi-logo.svg')}"
        mx = [
            (1, "aspmx.l.google.com"),
            (5, "alt1.aspmx.l.google.com"),
            (5, "alt2.aspmx.l.google.com"),
            (10, "alt3.aspmx.l.google.com"),
            (10, "alt4.aspmx.l.google.com"),
        ]
        ns = [
            "ns-1321.awsdns-37.org",
            "ns-412.awsdns-51.com",
            "ns-1950.awsdns-51.co.uk",
            "ns-781.awsdns-33.net",
        ]
        caa = [
            '0 issue "letsencrypt.org"',
            '0 issue "amazon.com"',
            '0 issuewild ";"',
            f'0 iodef "mailto:security@{d}"',
        ]
        cnames = {
            f"www.{d}": ("d3nwl7k2q9x8ab.cloudfront.net", "Amazon CloudFront"),
            f"docs.{d}": (f"docs.{d}.cdn.cloudflare.net", "Cloudflare"),
            f"status.{d}": (
                f"{seeded_token(self.seed, 'stspg', 12)}.stspg-customer.com",
                "Atlassian Statuspage",
            ),
            f"api.{d}": ("nwl-api-prod-1820733415.us-east-1.elb.amazonaws.com", "AWS Elastic Load Balancing"),
        }
        zone: dict[str, dict[str, list[str]]] = {
            d: {
                "A": ["{ip}"],
                "NS": [f"{n}." for n in ns],
                "SOA": [f"{ns[0]}. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"],
                "MX": [f"{pref} {host}." for pref, host in mx],
                "TXT": [txt_rdata(spf), *(txt_rdata(t) for t in tokens.values())],
                "CAA": caa,
            },
            f"_dmarc.{d}": {"TXT": [txt_rdata(dmarc)]},
            f"google._domainkey.{d}": {"TXT": [txt_rdata(f"v=DKIM1; k=rsa; p={DKIM_GOOGLE_2048}")]},
            f"s1._domainkey.{d}": {"TXT": [txt_rdata(f"v=DKIM1; k=rsa; p={DKIM_S1_1024}")]},
            f"_mta-sts.{d}": {"TXT": [txt_rdata(f"v=STSv1; id={mta_sts_id}")]},
            f"_smtp._tls.{d}": {"TXT": [txt_rdata(tls_rpt)]},
            f"default._bimi.{d}": {"TXT": [txt_rdata(bimi)]},
            f"trust.{d}": {"A": ["{ip}"]},
            f"mta-sts.{d}": {"A": ["{ip}"]},
            JOB_BOARD_HOST: {"A": ["{ip}"]},
            f"{d}._report._dmarc.reports.dmarcwatch.test": {"TXT": [txt_rdata("v=DMARC1")]},
            "_spf.google.com": {"TXT": [txt_rdata("v=spf1 include:_netblocks.google.com ~all")]},
            "_netblocks.google.com": {"TXT": [txt_rdata("v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 ~all")]},
            "sendgrid.net": {"TXT": [txt_rdata("v=spf1 ip4:203.0.113.0/25 ~all")]},
            "hubspotemail.net": {"TXT": [txt_rdata("v=spf1 ip4:203.0.113.128/25 ~all")]},
        }
        for name, (target, _) in cnames.items():
            zone[name] = {"CNAME": [f"{target}."]}
            zone[target] = {"A": ["{ip}"]}
        for _, host in mx:
            zone[host] = {"A": ["{ip}"]}
        self.zone = zone
        for slug, kind, value in [
            ("google-workspace", "dns", "MX aspmx.l.google.com"),
            ("amazon-route-53", "dns", "NS awsdns"),
            ("sendgrid", "dns", "TXT include:sendgrid.net"),
            ("amazon-cloudfront", "dns", "CNAME cloudfront.net"),
            ("cloudflare", "dns", "CNAME cdn.cloudflare.net"),
            ("atlassian-statuspage", "dns", "CNAME stspg-customer.com"),
            ("amazon-web-services", "dns", "CNAME elb.amazonaws.com"),
        ]:
            self.signal(slug, kind, value, "dns")
        self.dns_facts = {
            "nameservers": ns,
            "dns_provider": "Amazon Route 53",
            "mx": [{"preference": p, "host": h} for p, h in mx],
            "mail_provider": "Google Workspace",
            "spf": {
                "record": spf,
                "includes": ["_spf.google.com", "sendgrid.net", "hubspotemail.net"],
                "dns_lookups": 4,
                "all": "-all",
            },
            "dmarc": {
                "record": dmarc,
                "p": "quarantine",
                "pct": 100,
                "rua": [f"dmarc@{d}", "nwl@reports.dmarcwatch.test"],
                "external_rua_authorised": True,
            },
            "dkim": [
                {"selector": "google", "key_type": "rsa", "bits": 2048},
                {"selector": "s1", "key_type": "rsa", "bits": 1024},
            ],
            "caa": caa,
            "mta_sts": {
                "record": f"v=STSv1; id={mta_sts_id}",
                "policy_url": self.url("mta-sts", "/.well-known/mta-sts.txt"),
                "mode": "enforce",
                "max_age": 604800,
                "mx": ["aspmx.l.google.com", "*.aspmx.l.google.com"],
            },
            "tls_rpt": tls_rpt,
            "bimi": {"record": bimi, "logo_served": False},
            "dnssec": False,
            "verification_tokens": [{"vendor": v, "record": t} for v, t in tokens.items()],
            "cnames": {
                name: {"target": target, "attribution": who} for name, (target, who) in cnames.items()
            },
        }
