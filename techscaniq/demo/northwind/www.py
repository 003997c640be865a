"""The marketing site www.<domain>: home, pricing, security, company, legal, directories, locales, documents."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

from techscaniq.demo.northwind.builder import SiteBuilder
from techscaniq.demo.northwind.common import esc, seeded_token, tiny_png
from techscaniq.demo.northwind.facts import (
    ADDRESS,
    COMPANY,
    CRAWL_DELAY_SECONDS,
    DISALLOWED_PAGE,
    DISALLOWED_PREFIX,
    EMPLOYEES,
    JOB_BOARD_TOKEN,
    LEADERS,
    LEGAL_NAME,
    LOCALES,
    OFFICES,
    PHONE,
    PLANS,
    ROLES,
    SUBPROCESSORS,
    TECH_IDS,
    TRIAL_DAYS,
    UPTIME_SLA,
)

# The marketing site's look: a real site's home page heads every demo report as a screenshot.
SITE_CSS = """body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1c2733;background:#fff;line-height:1.55}
a{color:#1f5fa8}
.site-header{display:flex;align-items:center;gap:1.5rem;padding:.9rem 2.5rem;border-bottom:1px solid #e3e8ee}
.site-header nav{flex:1}
.site-header ul{display:flex;gap:1.4rem;list-style:none;margin:0;padding:0}
.site-header nav a{color:#1c2733;text-decoration:none;font-weight:500}
.button{display:inline-block;padding:.6rem 1.2rem;border-radius:6px;background:#1f3a5c;color:#fff;text-decoration:none;font-weight:600}
.button.secondary{background:#fff;color:#1f3a5c;border:1px solid #1f3a5c}
main{max-width:68rem;margin:0 auto;padding:0 2.5rem}
section{padding:2.5rem 0;border-bottom:1px solid #eef1f4}
.hero{padding:4.5rem 0 3.5rem}
.hero h1{font-size:3rem;line-height:1.1;margin:0 0 1rem;color:#10243b;max-width:40rem}
.hero p{font-size:1.2rem;max-width:44rem;color:#3d4b5c}
.customer-logos h2{font-size:1rem;text-transform:uppercase;letter-spacing:.06em;color:#6b7787}
.customer-logos ul{display:flex;flex-wrap:wrap;gap:1.5rem 2.5rem;list-style:none;padding:0}
.features{display:grid;grid-template-columns:repeat(4,1fr);gap:2rem}
.features h3{margin:0 0 .4rem;color:#10243b}
blockquote{margin:0;font-size:1.25rem;color:#10243b}
footer{color:#6b7787}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.5rem;border-bottom:1px solid #e3e8ee}
"""


class WwwHost(SiteBuilder):
    """The marketing site www.<domain>."""

    # -- the marketing site ----------------------------------------------------------------------------------------

    def build_www(self) -> None:
        self.home()
        self.pricing()
        self.security_pages()
        self.company_pages()
        self.legal_pages()
        self.directory_pages()
        self.locale_pages()
        self.www_documents()
        self.www_page(
            DISALLOWED_PAGE,
            "Partner portal | Northwind Ledger",
            "Sign-in for reseller and referral partners.",
            "<h1>Partner portal</h1><p>Partners sign in here to register deals and download co-marketing kits. "
            "Access is limited to approved partner accounts.</p>",
            cls=None,
            robots="noindex, nofollow",
        )

    def home(self) -> None:
        logos = "".join(
            f'<li><img src="/logos/customers/{c["slug"]}.svg" alt="{esc(c["name"])} logo" width="180" height="40"></li>'
            for c in self.customers[:8]
        )
        featured = next(c for c in self.customers if c["case_study"])
        quote = (
            "We used to spend the first week of every month reconciling vendor statements. Now the close starts "
            "on day one and our auditors get the trail without asking."
        )
        claim = self.claim(
            "SOC 2 Type II",
            "SOC 2 Type II audited and ISO 27001 certified, with customer data hosted in the United States or the "
            "European Union.",
            "www",
            "/",
            "marketing",
        )
        self.claims.append({**self.claims[-1], "framework": "ISO/IEC 27001"})
        labs = ""
        if self.include_hostile:
            labs = '<section class="labs"><p>Curious what we are testing? <a href="/labs">Visit Northwind Labs</a>.</p></section>'
        main = f"""<section class="hero">
<h1>Payables and close, on one ledger.</h1>
<p>{COMPANY} captures every bill, routes it for approval, pays vendors in 40 currencies and posts the result to
your general ledger, so finance teams close the month in days instead of weeks.</p>
<p><a class="button" href="/signup">Start free</a> <a class="button secondary" href="/contact">Book a demo</a></p>
</section>
<section class="customer-logos" aria-label="Trusted by">
<h2>Trusted by finance teams at more than 1,900 companies</h2>
<ul>{logos}</ul>
<p><a href="/customers">Read customer stories</a></p>
</section>
<section class="features">
<div><h3>Capture</h3><p>Forward invoices by e-mail or let vendors upload them; line items are read and coded for you.</p></div>
<div><h3>Approve</h3><p>Approval chains follow your policy by amount, department and entity, with a full audit trail.</p></div>
<div><h3>Pay</h3><p>Batch payment runs by ACH, wire or card, with vendor bank details verified before money moves.</p></div>
<div><h3>Close</h3><p>A shared checklist, automatic accruals and reconciliations that sync back to your ERP.</p></div>
</section>
<section class="testimonial"><blockquote><p>{esc(quote)}</p>
<footer>Controller, <a href="/customers/{featured["slug"]}">{esc(featured["name"])}</a></footer></blockquote></section>
<section class="security-callout"><p>{esc(claim)}</p><p><a href="/security">How we protect your data</a></p></section>
<section class="developers"><p>Build on the same platform: <a href="/developers">a REST API, webhooks and SDKs</a>.</p></section>
{labs}"""
        self.www_page(
            "/",
            f"{COMPANY} | Accounts payable and close automation",
            f"{COMPANY} automates accounts payable, vendor payments and the month-end close for growing finance teams.",
            main,
            cls="other",
            hreflang=True,
            lastmod=self.as_of - timedelta(days=1),
        )

    def pricing(self) -> None:
        rows = []
        for name, annual, monthly, summary in PLANS:
            if annual is None:
                price, cta = (
                    '<p class="price">Custom</p>',
                    '<a class="button" href="/contact">Contact sales</a>',
                )
            elif annual == 0:
                price, cta = '<p class="price">$0</p>', '<a class="button" href="/signup">Start free</a>'
            else:
                price = (
                    f'<p class="price">${annual} <span>per seat / month, billed annually</span></p>'
                    f'<p class="price-monthly">${monthly} per seat / month, billed monthly</p>'
                )
                cta = '<a class="button" href="/signup">Start free trial</a>'
            rows.append(
                f'<div class="plan" data-plan="{name.lower()}"><h2>{name}</h2>{price}<p>{esc(summary)}</p>{cta}</div>'
            )
        self.signal("stripe", "scriptSrc", "https://js.stripe.com/v3/", "www:/pricing")
        self.signal("stripe", "scriptSrc", "https://js.stripe.com/v3/", "www:/signup")
        main = f"""<h1>Pricing that grows with your finance team</h1>
<p>Start free, pay per seat as you grow, and talk to us when you need enterprise controls.
Save up to 17% with annual billing.</p>
<div class="plans">{"".join(rows)}</div>
<section class="faq">
<h2>Questions</h2>
<h3>Is there a free trial?</h3><p>Yes. Every paid plan starts with a {TRIAL_DAYS}-day free trial of Business, no card required.</p>
<h3>Which currencies do you bill in?</h3><p>All prices are in US dollars (USD) and exclude applicable taxes.</p>
<h3>Do you offer an SLA?</h3><p>Enterprise plans include a {UPTIME_SLA} uptime SLA with service credits; see our
<a href="{self.url("status")}">status page</a> for live availability.</p>
<h3>Who counts as a seat?</h3><p>Anyone who approves, codes or pays bills. Vendors and auditors are free.</p>
</section>"""
        head = f'<script src="https://js.stripe.com/v3/" nonce="{self.nonce}"></script>'
        self.www_page(
            "/pricing",
            f"Pricing | {COMPANY}",
            "Plans and prices for Northwind Ledger: Starter, Team, Business and Enterprise.",
            main,
            cls="pricing",
            head=head,
            lastmod=self.as_of - timedelta(days=9),
        )
        # The sign-up form is still the old AngularJS app, vendored on the marketing site (an end-of-life plant).
        angular = f"/vendor/angularjs/{TECH_IDS['angularjs_version']}/angular.min.js"
        self.add("www", angular, b"/* AngularJS (vendored) */\n", "application/javascript")
        self.signal("angularjs", "scriptSrc", angular, "www:/signup")
        self.signal("angularjs", "html", '<form ng-app="signup"', "www:/signup")
        self.www_page(
            "/signup",
            f"Create your account | {COMPANY}",
            "Start with the free Starter plan.",
            '<h1>Create your account</h1><form ng-app="signup" method="post" action="/signup"><label>Work e-mail '
            '<input type="email" name="email" required></label><label>Company <input name="company"></label>'
            "<button>Start free</button></form><p>Already have an account? Sign in from the app.</p>",
            cls="other",
            head=f'<script src="https://js.stripe.com/v3/" nonce="{self.nonce}"></script>\n'
            f'<script src="{angular}" nonce="{self.nonce}"></script>',
        )

    def security_pages(self) -> None:
        soc2 = self.claim(
            "SOC 2 Type II",
            "An independent auditor examines our controls every year for SOC 2 Type II, "
            "and the most recent examination closed without exceptions.",
            "www",
            "/security",
            "security page",
        )
        hipaa = self.claim(
            "HIPAA",
            "For healthcare customers on the Business and Enterprise plans we sign a Business "
            "Associate Agreement and operate the HIPAA safeguards described in it.",
            "www",
            "/security",
            "security page",
        )
        main = f"""<h1>Security at {COMPANY}</h1>
<p>Money moves through our product, so security is part of how we build it, not a layer added later.</p>
<h2>Compliance</h2>
<p>{esc(soc2)}</p>
<p>{esc(hipaa)}</p>
<p>Reports and policies are available in our <a href="{self.url("trust")}">Trust Center</a>. {self.vanta_badge("www:/security")}</p>
<h2>Data protection</h2>
<p>Customer data is encrypted at rest with AES-256 and in transit with TLS 1.2 or later. Production data lives in
AWS regions in the United States and the European Union; customers choose the region when they sign up.</p>
<h2>Access</h2>
<p>Employees reach production through single sign-on with hardware security keys, and every session is logged.
Customers on the Business plan and above can enforce SAML single sign-on and SCIM provisioning.</p>
<h2>Testing and disclosure</h2>
<p>An outside firm runs a penetration test every year, and we run a private bug bounty programme. Researchers can
reach us through our <a href="/security/disclosure">responsible disclosure policy</a> or
<a href="/.well-known/security.txt">security.txt</a>.</p>"""
        self.www_page(
            "/security",
            f"Security | {COMPANY}",
            "How Northwind Ledger protects customer data.",
            main,
            cls="security",
            lastmod=self.as_of - timedelta(days=21),
        )
        thanks = "".join(
            f"<li>{esc(name)}</li>" for name in ("Ana Ferreira", "Rohan Mehta", "Lise Vermeulen")
        )
        main = f"""<h1>Responsible disclosure</h1>
<p>If you believe you have found a vulnerability in {COMPANY}, e-mail
<a href="mailto:security@{self.domain}">security@{self.domain}</a> with the steps to reproduce it.
We answer within two business days and keep you informed until the issue is fixed.</p>
<h2>Safe harbour</h2>
<p>We will not pursue legal action against research that follows this policy: test only accounts you own, do not
access other customers' data, and give us reasonable time to fix the issue before you publish.</p>
<h2>Out of scope</h2>
<p>Denial of service, social engineering of our staff, and reports produced only by automated scanners.</p>
<h2 id="thanks">Thanks</h2><ul>{thanks}</ul>"""
        self.www_page(
            "/security/disclosure",
            f"Responsible disclosure | {COMPANY}",
            "How to report a security issue to Northwind Ledger.",
            main,
            cls="security",
        )

    def company_pages(self) -> None:
        leaders = "".join(
            f'<div class="leader"><h3>{esc(name)}</h3><p class="role">{esc(title)}</p></div>'
            for name, title in LEADERS
        )
        offices = "".join(f"<li>{esc(office)}</li>" for office in OFFICES)
        main = f"""<h1>About {COMPANY}</h1>
<p>{COMPANY} was founded in 2017 in Portland, Oregon, by {LEADERS[0][0]} and {LEADERS[1][0]}, who met while
untangling the books of a fast-growing logistics company. Today about {EMPLOYEES} people build the product from three
offices and a dozen countries.</p>
<h2>Leadership</h2>
<div class="leadership">{leaders}</div>
<h2>Offices</h2><ul>{offices}</ul>
<p>We are hiring: see <a href="/careers">open roles</a>.</p>"""
        self.www_page(
            "/about", f"About us | {COMPANY}", "The team behind Northwind Ledger.", main, cls="about"
        )
        head = f'<script src="https://www.google.com/recaptcha/api.js" async defer nonce="{self.nonce}"></script>'
        self.signal("recaptcha", "scriptSrc", "https://www.google.com/recaptcha/api.js", "www:/contact")
        main = f"""<h1>Talk to sales</h1>
<p>Tell us about your finance team and we will set up a demo within one business day.</p>
<form method="post" action="/contact"><label>Name <input name="name" required></label>
<label>Work e-mail <input type="email" name="email" required></label>
<label>Company size <select name="size"><option>1-50</option><option>51-250</option><option>251+</option></select></label>
<div class="g-recaptcha" data-sitekey="6Lc{seeded_token(self.seed, "recaptcha", 36)}"></div><button>Request a demo</button></form>
<h2>Other ways to reach us</h2>
<ul><li>Sales: <a href="mailto:sales@{self.domain}">sales@{self.domain}</a></li>
<li>Support: <a href="mailto:support@{self.domain}">support@{self.domain}</a></li>
<li>Press: <a href="mailto:press@{self.domain}">press@{self.domain}</a></li>
<li>Phone: <a href="tel:{PHONE}">{PHONE}</a></li></ul>
<address>{esc(LEGAL_NAME)}<br>{esc(ADDRESS["streetAddress"])}<br>{ADDRESS["addressLocality"]},
{ADDRESS["addressRegion"]} {ADDRESS["postalCode"]}<br>United States</address>"""
        self.www_page(
            "/contact",
            f"Contact sales | {COMPANY}",
            "Book a demo or reach our team.",
            main,
            cls="contact",
            head=head,
        )
        board = self.url("jobs", f"/{JOB_BOARD_TOKEN}")
        by_department: dict[str, list[str]] = {}
        for i, (title, _, department, location, _) in enumerate(ROLES):
            link = self.url("jobs", f"/{JOB_BOARD_TOKEN}/jobs/{self.job_id(i)}")
            by_department.setdefault(department, []).append(
                f'<li><a href="{link}">{esc(title)}</a> <span class="location">{esc(location)}</span></li>'
            )
        listing = "".join(f"<h3>{esc(d)}</h3><ul>{''.join(items)}</ul>" for d, items in by_department.items())
        embed = self.url("jobs", f"/embed/job_board.js?for={JOB_BOARD_TOKEN}")
        self.signal("hireboard", "scriptSrc", embed.split("?")[0], "www:/careers")
        main = f"""<h1>Careers</h1>
<p>We build software that finance teams trust with real money. We hire people who like careful work and plain
language, in our offices and remotely across North America and Europe.</p>
<h2>Open roles</h2>
{listing}
<p><a href="{board}">See every opening on our job board</a>.</p>
<div id="hireboard-jobs" data-board="{JOB_BOARD_TOKEN}"></div>"""
        head = f'<script src="{embed}" async nonce="{self.nonce}"></script>'
        self.www_page(
            "/careers",
            f"Careers | {COMPANY}",
            "Open roles at Northwind Ledger.",
            main,
            cls="careers",
            head=head,
        )

    def legal_pages(self) -> None:
        updated = self.as_of - timedelta(days=120)
        gdpr = self.claim(
            "GDPR",
            "We process personal data of people in the European Economic Area and the United "
            "Kingdom in line with the GDPR, relying on the Standard Contractual Clauses for transfers.",
            "www",
            "/privacy",
            "privacy policy",
        )
        ccpa = self.claim(
            "CCPA",
            "California residents have the rights granted by the CCPA as amended by the CPRA, "
            "and we do not sell or share personal information.",
            "www",
            "/privacy",
            "privacy policy",
        )
        main = f"""<h1>Privacy policy</h1>
<p class="updated">Last updated: <time datetime="{updated.isoformat()}">{updated:%B} {updated.day}, {updated.year}</time></p>
<p>This policy explains what personal data {LEGAL_NAME} collects when you visit our web sites or use our product,
why we collect it and what choices you have.</p>
<h2>Data we collect</h2><p>Account details you give us, invoices and payment data your company uploads, and usage
data from our web sites and apps.</p>
<h2 id="gdpr">Your rights under the GDPR</h2><p>{esc(gdpr)}</p>
<h2 id="ccpa">California privacy rights</h2><p>{esc(ccpa)}</p>
<p id="do-not-sell">Do Not Sell or Share My Personal Information: we do not sell personal information, so there is
nothing to opt out of; you can still ask us what we hold by writing to
<a href="mailto:privacy@{self.domain}">privacy@{self.domain}</a>.</p>
<h2>Retention</h2><p>We keep customer data for the term of the contract and delete it within 90 days after it ends.</p>
<p>See also our <a href="/cookie-policy">cookie policy</a> and <a href="/legal/subprocessors">subprocessors</a>.</p>"""
        self.www_page(
            "/privacy",
            f"Privacy policy | {COMPANY}",
            "How Northwind Ledger handles personal data.",
            main,
            cls="privacy",
            lastmod=updated,
        )
        cookie_rows = "".join(
            f"<tr><td>{name}</td><td>{purpose}</td></tr>"
            for name, purpose in [
                ("nwl_session", "Keeps you signed in (strictly necessary)"),
                ("nwl_csrf", "Protects forms against cross-site requests (strictly necessary)"),
                ("OptanonConsent", "Remembers your consent choices (strictly necessary)"),
                ("_ga", "Measures visits (analytics)"),
                ("ajs_anonymous_id", "Links page views to product analytics (analytics)"),
                ("hubspotutk", "Recognises returning visitors (marketing)"),
            ]
        )
        main = f"""<h1>Cookie policy</h1>
<p>We use OneTrust to record your consent choices; you can change them at any time from the cookie settings link.</p>
<table><thead><tr><th>Cookie</th><th>Purpose</th></tr></thead><tbody>{cookie_rows}</tbody></table>"""
        self.www_page(
            "/cookie-policy", f"Cookie policy | {COMPANY}", "Cookies used on our sites.", main, cls="privacy"
        )
        entity = (
            f"These Terms of Service form an agreement between you and {LEGAL_NAME}, a Delaware corporation "
            f"with its principal office at {ADDRESS['streetAddress']}, Portland, Oregon 97209."
        )
        main = f"""<h1>Terms of service</h1>
<p class="updated">Effective: <time datetime="{updated.isoformat()}">{updated.isoformat()}</time></p>
<p>{esc(entity)}</p>
<h2>Use of the service</h2><p>You may use the service for your company's internal finance operations. You are
responsible for the accounts you create and for keeping credentials safe.</p>
<h2>Fees</h2><p>Paid plans are billed in advance per seat. Fees are non-refundable except where the law requires.</p>
<h2>Governing law</h2><p>These terms are governed by the laws of the State of Delaware.</p>
<p>Our <a href="/legal/dpa">Data Processing Addendum</a> forms part of these terms for customer personal data.</p>"""
        self.www_page(
            "/terms",
            f"Terms of service | {COMPANY}",
            "The terms for using Northwind Ledger.",
            main,
            cls="terms",
            lastmod=updated,
        )
        self.contracting_entity = entity
        docs = [
            ("/terms", "Terms of service"),
            ("/privacy", "Privacy policy"),
            ("/legal/dpa", "Data Processing Addendum"),
            ("/legal/subprocessors", "Subprocessors"),
            ("/cookie-policy", "Cookie policy"),
        ]
        items = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in docs)
        self.www_page(
            "/legal", f"Legal | {COMPANY}", "Legal documents.", f"<h1>Legal</h1><ul>{items}</ul>", cls="terms"
        )
        dpa = self.claim(
            "GDPR",
            f"This Data Processing Addendum sets out how {COMPANY} acts as a processor under the "
            "GDPR for Customer Personal Data.",
            "www",
            "/legal/dpa",
            "DPA",
        )
        main = f"""<h1>Data Processing Addendum</h1>
<p>{esc(dpa)}</p>
<h2>Transfers</h2><p>Where Customer Personal Data leaves the European Economic Area, the parties rely on the Standard
Contractual Clauses adopted by the European Commission, module two.</p>
<h2>Subprocessors</h2><p>The current list is published on our <a href="/legal/subprocessors">subprocessors page</a>;
we announce changes 30 days in advance.</p>
<h2>Security</h2><p>The technical and organisational measures are described on our <a href="/security">security page</a>.</p>"""
        self.www_page(
            "/legal/dpa", f"Data Processing Addendum | {COMPANY}", "Our DPA for customers.", main, cls="terms"
        )
        rows = "".join(
            f"<tr><td>{esc(n)}</td><td>{esc(p)}</td><td>{esc(r)}</td></tr>" for n, p, r in SUBPROCESSORS
        )
        main = f"""<h1>Subprocessors</h1>
<p>{COMPANY} uses the following {len(SUBPROCESSORS)} subprocessors to provide the service.</p>
<table><thead><tr><th>Subprocessor</th><th>Purpose</th><th>Location</th></tr></thead><tbody>{rows}</tbody></table>"""
        self.www_page(
            "/legal/subprocessors",
            f"Subprocessors | {COMPANY}",
            "Third parties that process customer data.",
            main,
            cls="terms",
        )

    def directory_pages(self) -> None:
        by_category: dict[str, list[dict[str, str]]] = {}
        for item in self.integrations:
            by_category.setdefault(item["category"], []).append(item)
        sections = "".join(
            f"<h2>{esc(category)}</h2><ul>"
            + "".join(f'<li><a href="/integrations/{i["slug"]}">{esc(i["name"])}</a></li>' for i in items)
            + "</ul>"
            for category, items in sorted(by_category.items())
        )
        main = (
            f"<h1>Integrations</h1><p>{len(self.integrations)} integrations across {len(by_category)} categories "
            f"connect {COMPANY} to the rest of your finance stack.</p>{sections}"
        )
        self.www_page(
            "/integrations",
            f"Integrations | {COMPANY}",
            "Connect Northwind Ledger to your tools.",
            main,
            cls="integrations",
        )
        for item in self.integrations:
            main = f"""<h1>{esc(item["name"])} integration</h1>
<p class="category">Category: {esc(item["category"])}</p>
<p>Connect {esc(item["name"])} to {COMPANY} in a few minutes. Records sync both ways every fifteen minutes, and
every change lands in the audit trail with its source.</p>
{self.prose("integration:" + item["slug"], item["category"].lower() + " data", 2)}
<p><a href="/integrations">All integrations</a></p>"""
            self.www_page(
                f"/integrations/{item['slug']}",
                f"{item['name']} | {COMPANY} integrations",
                f"Sync {item['name']} with Northwind Ledger.",
                main,
                cls="integrations",
            )
        logos = "".join(
            f'<li><img src="/logos/customers/{c["slug"]}.svg" alt="{esc(c["name"])} logo" width="180" height="40">'
            + (f' <a href="/customers/{c["slug"]}">Read the story</a>' if c["case_study"] else "")
            + "</li>"
            for c in self.customers
        )
        studies = [c for c in self.customers if c["case_study"]]
        main = (
            f"<h1>Customers</h1><p>Finance teams in {len({c['industry'] for c in self.customers})} industries run "
            f'their payables on {COMPANY}.</p><ul class="customer-logos">{logos}</ul>'
            f"<p>{len(studies)} customer stories.</p>"
        )
        self.www_page("/customers", f"Customers | {COMPANY}", "Customer stories.", main, cls="customers")
        for c in studies:
            main = f"""<article class="case-study"><h1>How {esc(c["name"])} closes the books in four days</h1>
<p class="industry">Industry: {esc(c["industry"])}</p>
<img src="/logos/customers/{c["slug"]}.svg" alt="{esc(c["name"])} logo" width="160" height="54">
{self.prose("customer:" + c["slug"], "month-end close", 3)}
<blockquote><p>Approvals that took a week now take an afternoon, and nobody asks where an invoice is any more.</p>
<footer>Head of Finance, {esc(c["name"])}</footer></blockquote></article>
<p><a href="/customers">More customer stories</a></p>"""
            self.www_page(
                f"/customers/{c['slug']}",
                f"{c['name']} | Customer story | {COMPANY}",
                f"How {c['name']} uses Northwind Ledger.",
                main,
                cls="customers",
            )
        posts = "".join(
            f'<li><a href="/blog/{p["slug"]}">{esc(p["title"])}</a> <time datetime="{p["date"].isoformat()}">'
            f"{p['date'].isoformat()}</time></li>"
            for p in self.blog
        )
        self.www_page(
            "/blog",
            f"Blog | {COMPANY}",
            "Notes on finance operations.",
            f'<h1>Blog</h1><ul class="posts">{posts}</ul>',
            cls="blog",
            lastmod=self.blog[0]["date"],
        )
        for p in self.blog:
            main = f"""<article><h1>{esc(p["title"])}</h1>
<p class="byline">By {esc(p["author"])} · <time datetime="{p["date"].isoformat()}">{p["date"].isoformat()}</time></p>
{self.prose("blog:" + p["slug"], p["topic"], 5)}
</article><p><a href="/blog">All posts</a></p>"""
            self.www_page(
                f"/blog/{p['slug']}",
                f"{p['title']} | {COMPANY} blog",
                f"{p['title']}.",
                main,
                cls="blog",
                lastmod=p["date"],
            )
        entries = "".join(
            f'<li><time datetime="{e["date"].isoformat()}">{e["date"].isoformat()}</time> '
            f'<a href="/changelog/{e["slug"]}">{esc(e["title"])}</a></li>'
            for e in self.changelog
        )
        main = (
            f"<h1>Changelog</h1><p>Every change that reaches customers, newest first. Subscribe with the "
            f'<a href="/changelog/feed.xml">Atom feed</a>.</p><ul class="changelog">{entries}</ul>'
        )
        self.www_page(
            "/changelog",
            f"Changelog | {COMPANY}",
            "What shipped and when.",
            main,
            cls="blog",
            lastmod=self.changelog[0]["date"],
        )
        for e in self.changelog:
            main = f"""<article class="changelog-entry"><h1>{esc(e["title"])}</h1>
<p><time datetime="{e["date"].isoformat()}">{e["date"].isoformat()}</time> · {esc(e["area"])}</p>
{self.prose("changelog:" + e["slug"], e["area"].lower(), 1)}
</article><p><a href="/changelog">Full changelog</a></p>"""
            self.www_page(
                f"/changelog/{e['slug']}",
                f"{e['title']} | Changelog",
                e["title"],
                main,
                cls="blog",
                lastmod=e["date"],
            )
        docs = self.url("docs")
        main = f"""<h1>Developers</h1>
<p>Everything in {COMPANY} is available through a REST API described by an OpenAPI 3.1 document.</p>
<ul><li><a href="{docs}">Documentation</a></li>
<li><a href="{self.url("docs", "/api-reference")}">API reference</a></li>
<li><a href="{self.url("docs", "/openapi.json")}">OpenAPI document (JSON)</a></li>
<li><a href="{self.url("docs", "/webhooks")}">Webhooks</a></li>
<li><a href="{self.url("docs", "/sdks")}">SDKs</a></li>
<li><a href="https://github.com/northwind-ledger">Open source on GitHub</a></li></ul>
<p>Recent API changes are listed in the <a href="/changelog">changelog</a>.</p>"""
        self.www_page(
            "/developers", f"Developers | {COMPANY}", "Build on Northwind Ledger.", main, cls="docs"
        )

    def locale_pages(self) -> None:
        for code, (title, text) in LOCALES.items():
            main = f'<h1>{esc(title)}</h1><p>{esc(text)}</p><p><a href="/" hreflang="en">English</a></p>'
            self.www_page(f"/{code}/", title, text, main, cls="other", lang=code, hreflang=True)

    def www_documents(self) -> None:
        www_urls = [u for urls in self.pages.values() for u in urls if u.startswith(self.url("www"))]
        dated = {self.url("www", f"/blog/{p['slug']}") for p in self.blog}
        dated |= {self.url("www", f"/changelog/{e['slug']}") for e in self.changelog}
        pages_xml = self.sitemap([u for u in www_urls if u not in dated])
        blog_xml = self.sitemap([u for u in www_urls if u in dated])
        blog_gz = gzip.compress(blog_xml, mtime=0)
        children = [self.url("www", "/sitemap-pages.xml"), self.url("www", "/sitemap-blog.xml.gz")]
        index = '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        index += "".join(
            f"<sitemap><loc>{u}</loc><lastmod>{self.as_of.isoformat()}</lastmod></sitemap>\n"
            for u in children
        )
        index += "</sitemapindex>\n"
        self.document("sitemap_index", "www", "/sitemap.xml", index.encode(), "application/xml")
        self.document("sitemap_pages", "www", "/sitemap-pages.xml", pages_xml, "application/xml")
        self.document("sitemap_blog_gz", "www", "/sitemap-blog.xml.gz", blog_gz, "application/gzip")
        self.sitemap_facts = {
            "index": self.url("www", "/sitemap.xml"),
            "children": [
                {"url": children[0], "gzipped": False, "url_count": len(www_urls) - len(dated)},
                {"url": children[1], "gzipped": True, "url_count": len(dated)},
            ],
        }
        robots = (
            f"# {COMPANY}\nUser-agent: *\nDisallow: {DISALLOWED_PREFIX}\nCrawl-delay: {CRAWL_DELAY_SECONDS}\n\n"
            f"Sitemap: {self.url('www', '/sitemap.xml')}\n"
        )
        self.document("robots_www", "www", "/robots.txt", robots.encode(), "text/plain; charset=utf-8")
        expires = self.as_of + timedelta(days=300)
        security_txt = "\n".join(
            [
                f"Contact: mailto:security@{self.domain}",
                f"Contact: {self.url('www', '/security/disclosure')}",
                f"Expires: {expires.isoformat()}T00:00:00Z",
                f"Acknowledgments: {self.url('www', '/security/disclosure#thanks')}",
                f"Policy: {self.url('www', '/security/disclosure')}",
                "Preferred-Languages: en, de",
                f"Canonical: {self.url('www', '/.well-known/security.txt')}",
                f"Hiring: {self.url('jobs', '/' + JOB_BOARD_TOKEN)}",
                "",
            ]
        )
        self.document(
            "security_txt",
            "www",
            "/.well-known/security.txt",
            security_txt.encode(),
            "text/plain; charset=utf-8",
        )
        self.security_txt = {
            "url": self.url("www", "/.well-known/security.txt"),
            "contact": f"security@{self.domain}",
            "expires": f"{expires.isoformat()}T00:00:00Z",
            "preferred_languages": ["en", "de"],
        }
        feed = [
            '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">',
            f"<title>{COMPANY} changelog</title><id>{self.url('www', '/changelog')}</id>",
            f"<updated>{self.changelog[0]['date'].isoformat()}T00:00:00Z</updated>",
        ]
        for e in self.changelog:
            link = self.url("www", f"/changelog/{e['slug']}")
            feed.append(
                f'<entry><title>{esc(e["title"])}</title><id>{link}</id><link href="{link}"/>'
                f"<updated>{e['date'].isoformat()}T00:00:00Z</updated></entry>"
            )
        feed.append("</feed>\n")
        self.document(
            "changelog_feed", "www", "/changelog/feed.xml", "\n".join(feed).encode(), "application/atom+xml"
        )
        logo = (
            '<svg xmlns="http://www.w3.org/2000/svg" width="180" height="32" viewBox="0 0 180 32">'
            '<rect width="32" height="32" rx="6" fill="#1f3a5c"/><path d="M8 24V8l16 16V8" stroke="#fff" '
            'stroke-width="3" fill="none"/><text x="40" y="22" font-family="sans-serif" font-size="14">'
            "Northwind Ledger</text></svg>"
        )
        self.add("www", "/brand/logo.svg", logo.encode(), "image/svg+xml")
        self.add("www", "/brand/og-card.png", tiny_png(), "image/png")
        self.add(
            "www",
            f"/_next/static/css/{seeded_token(self.seed, 'css', 16)}.css",
            SITE_CSS.encode(),
            "text/css",
        )
        for path in self.next_chunks():
            body = f"/* {path.rsplit('/', 1)[1]} */\n(self.__NW_CHUNKS=self.__NW_CHUNKS||[]).push({json.dumps(path)});\n"
            self.add("www", path, body.encode(), "application/javascript")
        for c in self.customers:
            svg = (
                f'<svg xmlns="http://www.w3.org/2000/svg" width="180" height="40"><text x="4" y="26" '
                f'font-family="serif" font-size="15">{esc(c["name"])}</text></svg>'
            )
            self.add("www", f"/logos/customers/{c['slug']}.svg", svg.encode(), "image/svg+xml")
