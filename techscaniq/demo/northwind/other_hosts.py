"""The job board, the API host, the MTA-STS policy host and the not-found page of every host."""

from __future__ import annotations

import json
from datetime import timedelta

from techscaniq.demo.northwind.builder import SiteBuilder
from techscaniq.demo.northwind.common import esc
from techscaniq.demo.northwind.facts import COMPANY, JOB_BOARD_TOKEN, ROLES
from techscaniq.demo.site_model import SiteResponse


class OtherHosts(SiteBuilder):
    """The job board, the API host, the MTA-STS policy host and the not-found page of every host."""

    def build_jobs(self) -> None:
        board = f"/{JOB_BOARD_TOKEN}"
        jobs_json = []
        rows = []
        for i, (title, _, department, location, stack) in enumerate(ROLES):
            job_path = f"{board}/jobs/{self.job_id(i)}"
            url = self.url("jobs", job_path)
            updated = (self.as_of - timedelta(days=3 + 5 * i)).isoformat()
            jobs_json.append(
                {
                    "id": self.job_id(i),
                    "title": title,
                    "absolute_url": url,
                    "location": {"name": location},
                    "departments": [{"name": department}],
                    "updated_at": f"{updated}T09:00:00Z",
                }
            )
            rows.append(
                f'<tr><td><a href="{job_path}">{esc(title)}</a></td><td>{department}</td>'
                f"<td>{esc(location)}</td></tr>"
            )
            stack_text = ""
            if stack:
                stack_text = f"<p>Our stack for this team: {', '.join(stack)}.</p>"
            main = f"""<article class="job"><h1>{esc(title)}</h1>
<p class="meta"><span class="department">{department}</span> · <span class="location">{esc(location)}</span> ·
Full-time</p>
<p>{COMPANY} is looking for a colleague to join the {department} team as {esc(title)}.</p>
{stack_text}
<h2>What you will do</h2><p>Own meaningful work from the first month, write things down, and help customers close
their books with less stress.</p>
<a class="apply" href="#apply">Apply for this job</a><form id="apply" method="post" action="{job_path}/apply">
<input type="email" name="email"><button>Submit application</button></form></article>
<p><a href="{board}">All jobs at {COMPANY}</a></p>"""
            self.jobs_page(job_path, f"{title} at {COMPANY}", main)
        main = (
            f'<h1>Jobs at {COMPANY}</h1><p>{len(ROLES)} open positions.</p><table class="jobs"><thead><tr><th>Role'
            f"</th><th>Department</th><th>Location</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f'<p><a href="{self.url("www", "/careers")}">About working at {COMPANY}</a></p>'
        )
        self.jobs_page(board, f"Jobs at {COMPANY}", main)
        api = f"/api/v1/boards/{JOB_BOARD_TOKEN}/jobs"
        body = json.dumps({"jobs": jobs_json, "meta": {"total": len(jobs_json)}}, indent=1).encode()
        self.document("jobs_json", "jobs", api, body, "application/json")
        self.add(
            "jobs",
            "/embed/job_board.js",
            f"/* HireBoard embed for {JOB_BOARD_TOKEN} */\n".encode(),
            "application/javascript",
        )
        self.signal("hireboard", "html", '<meta name="generator" content="HireBoard">', f"jobs:{board}")

    def jobs_page(self, path: str, title: str, main: str) -> None:
        head = '<meta name="generator" content="HireBoard">\n<link rel="stylesheet" href="/assets/board.css">'
        self.simple_page("jobs", path, f"{title} | HireBoard", main, cls="careers", head=head)

    def build_misc_hosts(self) -> None:
        api_index = {
            "name": f"{COMPANY} API",
            "documentation": self.url("docs", "/api-reference"),
            "openapi": self.url("docs", "/openapi.json"),
        }
        self.document("api_index", "api", "/", json.dumps(api_index, indent=1).encode(), "application/json")
        self.add("jobs", "/assets/board.css", b"table.jobs{width:100%}\n", "text/css")
        policy = "version: STSv1\nmode: enforce\nmx: aspmx.l.google.com\nmx: *.aspmx.l.google.com\nmax_age: 604800\n"
        self.document("mta_sts_policy", "mta-sts", "/.well-known/mta-sts.txt", policy.encode(), "text/plain")
        for label in ("www", "docs", "status", "trust", "jobs", "api", "mta-sts"):
            body = (
                f"<!DOCTYPE html><html><head><title>Page not found</title></head><body><h1>Page not found</h1>"
                f'<p>Try the <a href="{self.url(label, "/")}">home page</a>.</p></body></html>'
            )
            headers = (*self.host_headers(label, False), ("Content-Type", "text/html; charset=utf-8"))
            self.not_found[self.hosts[label]] = SiteResponse(404, headers, body.encode())
