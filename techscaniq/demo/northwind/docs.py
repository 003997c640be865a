"""The developer portal docs.<domain>: guides, the API reference and the OpenAPI document."""

from __future__ import annotations

import json
from typing import Any

from techscaniq.demo.northwind.builder import SiteBuilder
from techscaniq.demo.northwind.common import esc, seeded_token
from techscaniq.demo.northwind.facts import COMPANY, SDKS, TECH_IDS


class DocsHost(SiteBuilder):
    """The developer portal docs.<domain>."""

    # -- docs, status, trust, job board, API and MTA-STS hosts -------------------------------------------------------

    def docs_page(self, path: str, title: str, main: str, *, head: str = "") -> None:
        nav_items = [
            ("/", "Overview"),
            ("/guides", "Guides"),
            ("/api-reference", "API reference"),
            ("/authentication", "Authentication"),
            ("/webhooks", "Webhooks"),
            ("/sdks", "SDKs"),
        ]
        nav = '<nav class="docs-nav">' + "".join(f'<a href="{h}">{t}</a> ' for h, t in nav_items) + "</nav>"
        version = TECH_IDS["docusaurus_version"]
        self.signal("docusaurus", "meta", f"generator: Docusaurus v{version}", "docs:*")
        head = (
            f'<meta name="generator" content="Docusaurus v{version}">\n'
            f'<script src="/assets/js/main.{seeded_token(self.seed, "docsjs", 8)}.js" defer></script>\n{head}'
        )
        self.simple_page(
            "docs",
            path,
            f"{title} | {COMPANY} Docs",
            f'<div id="__docusaurus">{main}</div>',
            cls="docs",
            head=head,
            nav=nav,
        )

    def build_docs(self) -> None:
        self.openapi_document()
        self.docs_page(
            "/",
            "Overview",
            f"""<h1>{COMPANY} documentation</h1>
<p>Guides for finance admins and a reference for developers building on the {COMPANY} API.</p>
<ul><li><a href="/guides">Guides</a> ({len(self.guides)} articles)</li><li><a href="/api-reference">API reference</a></li>
<li><a href="/webhooks">Webhooks</a></li><li><a href="/sdks">SDKs</a></li></ul>""",
        )
        redoc = f"https://cdn.redoc.ly/redoc/v{TECH_IDS['redoc_version']}/bundles/redoc.standalone.js"
        self.signal("redoc", "scriptSrc", redoc, "docs:/api-reference")
        self.signal("redoc", "html", '<redoc spec-url="/openapi.json">', "docs:/api-reference")
        facts = self.openapi_facts
        self.docs_page(
            "/api-reference",
            "API reference",
            f"""<h1>API reference</h1>
<p>The API has {facts["paths"]} paths and {facts["operations"]} operations. Download the
<a href="/openapi.json">OpenAPI document</a> to generate a client.</p>
<redoc spec-url="/openapi.json"></redoc>""",
            head=f'<script src="{redoc}" defer></script>',
        )
        self.docs_page(
            "/authentication",
            "Authentication",
            """<h1>Authentication</h1>
<p>Send an API key as a bearer token in the Authorization header, or use the OAuth 2.0 client credentials flow for
server-to-server integrations. Keys are scoped to one entity and can be rotated without downtime.</p>
<h2>Rate limits</h2><p>Each key may make 600 requests per minute; responses carry the remaining budget in the
RateLimit-Remaining header, and a 429 answer carries Retry-After.</p>""",
        )
        events = "".join(f"<li><code>{e}</code></li>" for e in self.webhook_events)
        self.docs_page(
            "/webhooks",
            "Webhooks",
            f"""<h1>Webhooks</h1>
<p>{COMPANY} sends {len(self.webhook_events)} event types to the HTTPS endpoints you register.</p><ul>{events}</ul>
<h2>Signatures</h2><p>Every delivery carries a <code>Northwind-Signature</code> header: an HMAC-SHA256 of the body
with your endpoint secret. Reject deliveries whose signature does not match.</p>
<h2>Retries</h2><p>Failed deliveries are retried up to 8 times over 24 hours with exponential backoff.</p>""",
        )
        sdks = "".join(
            f"<li>{lang}: <code>{package}</code> on {registry}</li>" for lang, registry, package in SDKS
        )
        self.docs_page(
            "/sdks",
            "SDKs",
            f"""<h1>SDKs</h1><ul>{sdks}</ul>
<p>Source code and issue trackers live in our <a href="https://github.com/northwind-ledger">GitHub organisation</a>.</p>""",
        )
        items = "".join(f'<li><a href="/guides/{g["slug"]}">{esc(g["title"])}</a></li>' for g in self.guides)
        self.docs_page("/guides", "Guides", f"<h1>Guides</h1><ul>{items}</ul>")
        for g in self.guides:
            self.docs_page(
                f"/guides/{g['slug']}",
                g["title"],
                f"""<article><h1>{esc(g["title"])}</h1>
{self.prose("guide:" + g["slug"], g["topic"], 3)}
<p>Related: <a href="/api-reference">API reference</a> · <a href="/guides">all guides</a></p></article>""",
            )
        docs_urls = self.pages["docs"]
        docs_sitemap = self.sitemap([u for u in docs_urls if u.startswith(self.url("docs"))])
        self.document("sitemap_docs", "docs", "/sitemap.xml", docs_sitemap, "application/xml")
        robots = f"User-agent: *\nAllow: /\n\nSitemap: {self.url('docs', '/sitemap.xml')}\n"
        self.document("robots_docs", "docs", "/robots.txt", robots.encode(), "text/plain; charset=utf-8")
        self.add(
            "docs",
            f"/assets/js/main.{seeded_token(self.seed, 'docsjs', 8)}.js",
            b"/* docs bundle */\n",
            "application/javascript",
        )

    def openapi_document(self) -> None:
        resources = [
            ("invoices", "Invoices", True),
            ("bills", "Bills", True),
            ("vendors", "Vendors", True),
            ("customers", "Customers", True),
            ("payments", "Payments", False),
            ("journal-entries", "Journal entries", False),
            ("accounts", "Accounts", False),
            ("approvals", "Approvals", True),
            ("webhook-endpoints", "Webhook endpoints", True),
        ]
        ok = {
            "200": {
                "description": "OK",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Object"}}},
            }
        }
        paths: dict[str, dict[str, Any]] = {}
        for slug, tag, deletable in resources:
            noun = tag.lower()
            paths[f"/v1/{slug}"] = {
                "get": {
                    "operationId": f"list_{slug.replace('-', '_')}",
                    "summary": f"List {noun}",
                    "tags": [tag],
                    "responses": ok,
                },
                "post": {
                    "operationId": f"create_{slug.replace('-', '_')}",
                    "summary": f"Create one of the {noun}",
                    "tags": [tag],
                    "responses": ok,
                },
            }
            item: dict[str, Any] = {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "get": {
                    "operationId": f"get_{slug.replace('-', '_')}",
                    "summary": f"Retrieve one of the {noun}",
                    "tags": [tag],
                    "responses": ok,
                },
                "patch": {
                    "operationId": f"update_{slug.replace('-', '_')}",
                    "summary": f"Update one of the {noun}",
                    "tags": [tag],
                    "responses": ok,
                },
            }
            if deletable:
                item["delete"] = {
                    "operationId": f"delete_{slug.replace('-', '_')}",
                    "summary": f"Delete one of the {noun}",
                    "tags": [tag],
                    "responses": {"204": {"description": "Deleted"}},
                }
            paths[f"/v1/{slug}/{{id}}"] = item
        paths["/v1/invoices/{id}/send"] = {
            "post": {"operationId": "send_invoice", "tags": ["Invoices"], "responses": ok}
        }
        paths["/v1/payments/{id}/cancel"] = {
            "post": {"operationId": "cancel_payment", "tags": ["Payments"], "responses": ok}
        }
        paths["/v1/reports/trial-balance"] = {
            "get": {"operationId": "trial_balance", "tags": ["Reports"], "responses": ok}
        }
        paths["/v1/reports/aging"] = {
            "get": {"operationId": "aging_report", "tags": ["Reports"], "responses": ok}
        }
        paths["/v1/bank-feeds"] = {
            "get": {
                "operationId": "list_bank_feeds",
                "tags": ["Bank feeds"],
                "deprecated": True,
                "description": "Use /v1/accounts instead.",
                "responses": ok,
            }
        }
        paths["/v1/me"] = {"get": {"operationId": "get_me", "tags": ["Identity"], "responses": ok}}
        paths["/v1/vendors/{id}"]["delete"]["deprecated"] = True
        self.webhook_events = [
            "invoice.created",
            "invoice.paid",
            "invoice.voided",
            "bill.received",
            "bill.approved",
            "bill.rejected",
            "payment.sent",
            "payment.failed",
            "vendor.created",
            "vendor.bank_details_changed",
            "approval.requested",
            "close.completed",
        ]
        webhook_names = ["invoice.paid", "bill.approved", "payment.failed"]
        tags = sorted(
            {
                t
                for ops in paths.values()
                for op in ops.values()
                if isinstance(op, dict)
                for t in op.get("tags", [])
            }
        )
        doc: dict[str, Any] = {
            "openapi": "3.1.0",
            "info": {
                "title": f"{COMPANY} API",
                "version": "2025-09-01",
                "description": "Accounts payable, payments and close automation.",
            },
            "servers": [{"url": self.url("api", "/")[:-1]}],
            "tags": [{"name": t} for t in tags],
            "paths": paths,
            "webhooks": {
                name: {
                    "post": {
                        "operationId": f"on_{name.replace('.', '_')}",
                        "responses": {"200": {"description": "Acknowledged"}},
                    }
                }
                for name in webhook_names
            },
            "components": {
                "schemas": {"Object": {"type": "object", "properties": {"id": {"type": "string"}}}},
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                    "oauth2": {
                        "type": "oauth2",
                        "flows": {
                            "clientCredentials": {
                                "tokenUrl": self.url("api", "/oauth/token"),
                                "scopes": {"read": "Read", "write": "Write"},
                            }
                        },
                    },
                },
            },
            "security": [{"bearerAuth": []}, {"oauth2": ["read"]}],
        }
        methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
        operations = [op for ops in paths.values() for m, op in ops.items() if m in methods]
        self.openapi_facts = {
            "url": self.url("docs", "/openapi.json"),
            "version": "3.1.0",
            "title": doc["info"]["title"],
            "paths": len(paths),
            "operations": len(operations),
            "deprecated_operations": sum(1 for op in operations if op.get("deprecated")),
            "tags": tags,
            "security_schemes": ["bearerAuth", "oauth2"],
            "webhooks": len(webhook_names),
        }
        self.document(
            "openapi", "docs", "/openapi.json", json.dumps(doc, indent=2).encode(), "application/json"
        )
