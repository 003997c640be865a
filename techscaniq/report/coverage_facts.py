"""How much of the site the scan really saw, from the bot-protection items: statements, a data gap, a penalty.

Kept apart from content.py on purpose: it reads only evidence items and returns plain facts the report shows
in its coverage section and data gaps, and the points coverage confidence loses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from techscaniq.domain import Evidence, EvidenceType, with_article

# Coverage confidence loses up to this many points, in proportion to the share of answers that were challenges.
MAX_BLOCKED_CONFIDENCE_PENALTY = 50


@dataclass(frozen=True)
class HostCoverage:
    """One host's answers: how many were challenge or block pages, and from which vendor."""

    host: str
    vendor: str
    answered: int
    blocked: int
    kind: str  # "challenge" or "block page"
    evidence_id: str


@dataclass(frozen=True)
class SiteCoverage:
    """The site's answers across hosts; built only when some answer was a challenge or block page."""

    answered: int
    blocked: int
    hosts: tuple[HostCoverage, ...]
    rendered: int = 0  # pages a browser rendered past the challenge
    not_rendered: int = 0  # pages found behind the passed challenge that the render limit left unseen

    @property
    def seen(self) -> int:
        """Pages the findings rest on: answers that were the site's own pages, and pages rendered past it."""
        return max(0, self.answered - self.blocked) + self.rendered

    @property
    def evidence_ids(self) -> list[str]:
        """The bot-protection items behind these facts."""
        return [host.evidence_id for host in self.hosts]

    @property
    def vendors(self) -> list[str]:
        """The vendors that challenged, most blocking first."""
        order = sorted(self.hosts, key=lambda h: (-h.blocked, h.host))
        return list(dict.fromkeys(h.vendor for h in order))

    @property
    def confidence_penalty(self) -> int:
        """Points coverage confidence loses: the blocked share of the maximum penalty."""
        if not self.answered:
            return MAX_BLOCKED_CONFIDENCE_PENALTY
        # A page rendered past the challenge was seen after all; one found behind it but not rendered was not.
        unseen = max(0, self.blocked - self.rendered) + self.not_rendered
        return round(MAX_BLOCKED_CONFIDENCE_PENALTY * unseen / (self.answered + self.not_rendered))

    def sentence(self) -> str:
        """The plain statement: how many answers were challenges, and how many pages the findings rest on."""
        vendors = self.vendors
        kinds = {h.kind for h in self.hosts}
        kind = (
            "challenge"
            if kinds == {"challenge"}
            else "block page"
            if kinds == {"block page"}
            else "challenge"
        )
        who = (
            f"a {vendors[0]} {kind}"
            if len(vendors) == 1
            else f"a bot-protection {kind} ({', '.join(vendors)})"
        )
        pages = f"{self.seen} page" + ("" if self.seen == 1 else "s")
        passed = ""
        if self.rendered:
            passed = f"the browser passed it and rendered {self.rendered} page" + "s" * (self.rendered != 1)
            if self.not_rendered:
                one = self.not_rendered == 1
                passed += (
                    f", but {self.not_rendered} more {'page' if one else 'pages'} found behind it "
                    f"{'was' if one else 'were'} not rendered (the render page limit was reached)"
                )
            passed += "; "
        return (
            f"The site answered {self.blocked} of {self.answered} requests with {who}; "
            f"{passed}these findings rest on {pages}."
        )

    def host_sentences(self) -> list[str]:
        """One sentence per host that challenged."""
        return [
            f"{h.host} answered {h.blocked} of {h.answered} requests with {with_article(h.vendor)} {h.kind}."
            for h in sorted(self.hosts, key=lambda h: h.host)
        ]

    def data_gap(self) -> dict[str, str]:
        """The data-room question this leaves."""
        return {
            "topic": "Site seen only in part (bot protection)",
            "question": f"{self.sentence()} "
            + (
                f"Behind the {', '.join(self.vendors)} challenge only the pages the browser rendered were analysed; "
                if self.rendered
                else f"Pages behind the {', '.join(self.vendors)} challenge were not analysed; "
            )
            + "ask the company for the content of those pages or an allow-listed scan.",
        }


def site_coverage(evidence: Sequence[Evidence]) -> SiteCoverage | None:
    """The site's coverage from its bot_protection items, or None when no answer was a challenge."""
    hosts = []
    answered = blocked = rendered = not_rendered = 0
    for item in evidence:
        if item.type == EvidenceType.RENDER_SUMMARY:
            not_rendered = max(not_rendered, int(item.data.get("past_challenge_not_rendered") or 0))
        if item.type != EvidenceType.BOT_PROTECTION:
            continue
        data = item.data
        answered = max(answered, int(data.get("site_pages_answered") or 0))
        blocked = max(blocked, int(data.get("site_pages_blocked") or 0))
        rendered = max(rendered, int(data.get("site_pages_rendered_past_challenge") or 0))
        host_blocked = int(data.get("pages_blocked") or 0)
        if host_blocked <= 0:
            continue
        outcomes = data.get("outcomes") or {}
        hosts.append(
            HostCoverage(
                host=str(data.get("host") or item.dedup_key),
                vendor=str(data.get("vendor") or "bot-protection"),
                answered=int(data.get("pages_answered") or host_blocked),
                blocked=host_blocked,
                kind="challenge" if outcomes.get("challenge") or not outcomes else "block page",
                evidence_id=item.id,
            )
        )
    if not hosts:
        return None
    blocked = max(blocked, sum(h.blocked for h in hosts))
    answered = max(answered, sum(h.answered for h in hosts))
    return SiteCoverage(
        answered=answered, blocked=blocked, hosts=tuple(hosts), rendered=rendered, not_rendered=not_rendered
    )


@dataclass(frozen=True)
class RenderCoverage:
    """What the render phase did: rendered, failed, or not done, with the summary item behind it."""

    status: str
    sentence: str
    evidence_id: str


def render_coverage(evidence: Sequence[Evidence]) -> RenderCoverage | None:
    """A statement when rendering was not done or some pages failed to render; None when all went well."""
    for item in evidence:
        if item.type != EvidenceType.RENDER_SUMMARY:
            continue
        data = item.data
        status = str(data.get("status") or "")
        if status == "not_done":
            sentence = (
                f"Pages were not rendered in a browser ({data.get('reason') or 'rendering was off'}): technologies "
                "that load only when a browser runs the page (tag-manager tags, client-rendered content) were not seen."
            )
        elif status in {"partial", "failed"}:
            failed = int(data.get("pages_failed") or 0)
            done = int(data.get("pages_rendered") or 0)
            codes = sorted({str(f.get("code")) for f in data.get("failures") or []})
            sentence = (
                f"{failed} of {failed + done} pages could not be rendered in a browser ({', '.join(codes)}); "
                "what they load in a browser was not seen."
            )
        else:
            return None
        return RenderCoverage(status, sentence, item.id)
    return None


@dataclass(frozen=True)
class UnseenCheck:
    """A site-level check left ungraded because the response it reads was a bot-protection challenge."""

    check: str
    reason: str
    evidence_id: str

    def sentence(self) -> str:
        """E.g. "HTTP Observatory grade and security headers not seen: the root answered with a Cloudflare
        challenge"."""
        return f"{self.check} not seen: {self.reason}; no grade was given and nothing was scored from it."


def unseen_checks(evidence: Sequence[Evidence]) -> list[UnseenCheck]:
    """The site-level items that say a challenge stood where their response should have been."""
    found = []
    for item in evidence:
        data = item.data
        if data.get("not_seen") and isinstance(data.get("challenge"), dict):
            check = str(data.get("check") or item.type)
            found.append(UnseenCheck(check, str(data["not_seen"]), item.id))
    return sorted(found, key=lambda c: (c.check, c.evidence_id))
