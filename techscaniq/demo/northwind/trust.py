"""The trust centre trust.<domain>: frameworks, documents on request, disclaimed certifications."""

from __future__ import annotations

from techscaniq.demo.northwind.builder import SiteBuilder
from techscaniq.demo.northwind.common import esc
from techscaniq.demo.northwind.facts import COMPANY


class TrustHost(SiteBuilder):
    """The trust centre trust.<domain>."""

    def build_trust(self) -> None:
        soc2 = self.claim(
            "SOC 2 Type II",
            f"{COMPANY} maintains a SOC 2 Type II report covering the Security, "
            "Availability and Confidentiality trust services criteria, and current customers can request "
            "it under NDA.",
            "trust",
            "/",
            "trust centre",
        )
        iso = self.claim(
            "ISO/IEC 27001",
            "Our information security management system is certified to ISO/IEC "
            "27001:2022 by an accredited certification body.",
            "trust",
            "/",
            "trust centre",
        )
        hipaa = self.claim(
            "HIPAA",
            "HIPAA: we sign Business Associate Agreements with covered entities and maintain "
            "the administrative, physical and technical safeguards the Security Rule requires.",
            "trust",
            "/",
            "trust centre",
        )
        gdpr = self.claim(
            "GDPR",
            "GDPR: customers in Europe can sign our Data Processing Addendum, and EU customer "
            "data can be kept in the Frankfurt region.",
            "trust",
            "/",
            "trust centre",
        )
        self.disclaimed = [
            {
                "framework": "FedRAMP",
                "url": self.url("trust"),
                "sentence": f"{COMPANY} does not hold a FedRAMP authorization and does not offer a government cloud.",
            }
        ]
        claims = "".join(f"<li>{esc(s)}</li>" for s in (soc2, iso, hipaa, gdpr))
        main = f"""<h1>{COMPANY} Trust Center</h1>
<p>Our security and compliance programme, in one place.</p>
<h2>Compliance</h2><ul class="compliance">{claims}</ul>
<p>{esc(self.disclaimed[0]["sentence"])}</p>
<p>{self.vanta_badge("trust:/")}</p>
<h2>Documents</h2><p>Request the SOC 2 Type II report and the ISO/IEC 27001 certificate by e-mailing
<a href="mailto:trust@{self.domain}">trust@{self.domain}</a>; the penetration test summary is available the same way.</p>
<p>See the <a href="/controls">controls we monitor</a>, our <a href="{self.url("www", "/legal/subprocessors")}">subprocessors</a>
and the <a href="{self.url("www", "/security")}">security overview</a>.</p>"""
        self.simple_page("trust", "/", f"Trust Center | {COMPANY}", main, cls="security")
        areas = {
            "Infrastructure security": [
                "Encryption at rest",
                "Production access through SSO with hardware keys",
                "Network segmentation between environments",
            ],
            "Organisational security": [
                "Security awareness training at hire and yearly",
                "Background checks",
            ],
            "Product security": ["Annual third-party penetration test", "Dependency vulnerability scanning"],
            "Data and privacy": [
                "Data retention policy",
                "Customer data deletion within 90 days of termination",
            ],
        }
        sections = "".join(
            f"<h2>{a}</h2><ul>" + "".join(f"<li>{c}</li>" for c in cs) + "</ul>" for a, cs in areas.items()
        )
        self.simple_page(
            "trust",
            "/controls",
            f"Controls | Trust Center | {COMPANY}",
            f'<h1>Controls</h1>{sections}<p><a href="/">Trust Center home</a></p>',
            cls="security",
        )
