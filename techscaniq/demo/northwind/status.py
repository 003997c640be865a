"""The status page status.<domain> and its Statuspage-style JSON."""

from __future__ import annotations

import json

from techscaniq.demo.northwind.builder import SiteBuilder
from techscaniq.demo.northwind.common import esc, seeded_token
from techscaniq.demo.northwind.facts import COMPANY, STATUS_COMPONENTS, TECH_IDS, UPTIME_CLAIM


class StatusHost(SiteBuilder):
    """The status page status.<domain> and its Statuspage-style JSON."""

    def build_status(self) -> None:
        self.signal("atlassian-statuspage", "html", "Powered by Atlassian Statuspage", "status:/")
        jquery = f"https://code.jquery.com/jquery-{TECH_IDS['jquery_version']}.min.js"
        self.signal("jquery", "scriptSrc", jquery, "status:/")
        components = "".join(
            f'<div class="component" data-component-status="operational"><span>{c}</span> Operational</div>'
            for c in STATUS_COMPONENTS
        )
        incidents = self.incidents()
        recent = "".join(
            f'<li><a href="/history#{i["id"]}">{esc(i["name"])}</a> <time datetime="{i["started"]}">'
            f"{i['started'][:10]}</time> ({i['impact']})</li>"
            for i in incidents[:2]
        )
        foot = (
            '<p class="powered-by">Powered by Atlassian Statuspage '
            '<a href="https://www.atlassian.com/software/statuspage">Learn more</a></p>'
        )
        head = f'<script src="{jquery}"></script>'
        main = f"""<h1>{COMPANY} status</h1>
<div class="page-status status-none"><h2>All Systems Operational</h2></div>
<p>Uptime over the last 90 days: {UPTIME_CLAIM}.</p>
<div class="components">{components}</div>
<h2>Recent incidents</h2><ul>{recent}</ul><p><a href="/history">Incident history</a></p>{foot}"""
        self.simple_page("status", "/", f"{COMPANY} Status", main, cls="status", head=head)
        items = "".join(
            f'<li id="{i["id"]}"><h3>{esc(i["name"])}</h3><p>Impact: {i["impact"]}. Started '
            f'<time datetime="{i["started"]}">{i["started"]}</time>, resolved <time datetime="{i["resolved"]}">'
            f"{i['resolved']}</time>.</p></li>"
            for i in incidents
        )
        self.simple_page(
            "status",
            "/history",
            f"Incident history | {COMPANY} Status",
            f'<h1>Incident history</h1><ul>{items}</ul><p><a href="/">Current status</a></p>{foot}',
            cls="status",
            head=head,
        )
        page = {
            "id": seeded_token(self.seed, "statuspage", 12),
            "name": COMPANY,
            "url": self.url("status"),
            "updated_at": f"{self.as_of.isoformat()}T00:00:00Z",
        }
        summary = {
            "page": page,
            "status": {"indicator": "none", "description": "All Systems Operational"},
            "components": [
                {"id": seeded_token(self.seed, c, 12), "name": c, "status": "operational"}
                for c in STATUS_COMPONENTS
            ],
            "incidents": [],
        }
        self.document(
            "status_summary",
            "status",
            "/api/v2/summary.json",
            json.dumps(summary, indent=1).encode(),
            "application/json",
        )
        self.document(
            "status_incidents",
            "status",
            "/api/v2/incidents.json",
            json.dumps({"page": page, "incidents": incidents}, indent=1).encode(),
            "application/json",
        )
