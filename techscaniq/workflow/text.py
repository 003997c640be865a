"""Plain-text (Markdown) renderings of a diff and a comparison, for the CLI and the report's exports."""

from __future__ import annotations

from typing import Any


def _arrow(pair: dict[str, Any]) -> str:
    before, after = pair.get("from"), pair.get("to")
    return f"{'—' if before is None else before} → {'—' if after is None else after}"


def _ids(ids: list[str]) -> str:
    return f" [evidence {', '.join(ids)}]" if ids else ""


def _sides(entry: dict[str, Any]) -> dict[str, list[str]]:
    """The evidence ids of both sides (`evidence_ids` in the API, `evidence` in a stored report section)."""
    sides = entry.get("evidence_ids") or entry.get("evidence") or {}
    return {"from": list(sides.get("from") or ()), "to": list(sides.get("to") or ())}


def diff_markdown(diff: dict[str, Any], *, heading: str = "##") -> str:
    """The diff as Markdown: a heading, the headline figures and one line per change with its evidence ids."""
    since = (diff.get("against_completed_at") or "")[:10] or "the previous scan"
    lines = [f"{heading} What changed since {since}", ""]
    lines.append(f"Scan {diff['scan_id']} against scan {diff['against_scan_id']}.")
    lines.append("")
    if not diff["summary"]["changed"]:
        lines.append("Nothing changed.")
        return "\n".join(lines) + "\n"
    lines.append(f"- Total score: {_arrow(diff['scores']['total'])}")
    lines.append(f"- Security grade: {_arrow(diff['security']['grade'])}")
    lines.append(f"- Coverage confidence: {_arrow(diff['coverage'])}")
    tech = diff["technologies"]
    for item in tech["added"]:
        version = f" {item['version']}" if item["version"] else ""
        lines.append(f"- Technology added: {item['name']}{version}{_ids(_sides(item)['to'])}")
    for item in tech["removed"]:
        version = f" {item['version']}" if item["version"] else ""
        lines.append(f"- Technology removed: {item['name']}{version}{_ids(_sides(item)['from'])}")
    for item in tech["version_changed"]:
        lines.append(f"- Version changed: {item['name']} {_arrow(item)}{_ids(_sides(item)['to'])}")
    for header in diff["security"]["changed_headers"]:
        before = header["from"]["presence"] if header["from"] else "not checked"
        after = header["to"]["presence"] if header["to"] else "not checked"
        ids = _sides(header)["to"] or _sides(header)["from"]
        lines.append(f"- Header {header['header']} on {header['host']}: {before} → {after}{_ids(ids)}")
    for kind in ("findings", "risks"):
        label = kind[:-1].capitalize()
        for item in diff[kind]["new"]:
            lines.append(
                f"- New {label.lower()}: {item.get('text') or item.get('title')}{_ids(_sides(item)['to'])}"
            )
        for item in diff[kind]["resolved"]:
            lines.append(
                f"- Resolved {label.lower()}: {item.get('text') or item.get('title')}{_ids(_sides(item)['from'])}"
            )
    for criterion in diff["scores"]["criteria"]:
        lines.append(f"- Criterion {criterion['name']}: {_arrow(criterion)}")
    return "\n".join(lines) + "\n"


def compare_text(body: dict[str, Any]) -> str:
    """The comparison as a Markdown table plus the technology matrix."""
    scans = body["scans"]
    head = (
        "| Measure | "
        + " | ".join(f"{s['company']} ({s['scan_id'][:8]}, {s['thesis']['slug']})" for s in scans)
        + " |"
    )
    rule = "|---|" + "---|" * len(scans)

    def row(label: str, values: list[Any]) -> str:
        return f"| {label} | " + " | ".join("—" if v is None else str(v) for v in values) + " |"

    lines = [head, rule]
    lines.append(row("Total", [s["total"] for s in scans]))
    lines.append(row("Grade", [s["grade"] for s in scans]))
    lines.append(row("Recommendation", [s["recommendation"] for s in scans]))
    lines.append(row("Coverage confidence", [s["coverage"] for s in scans]))
    lines.append(row("Security grade", [s["security_grade"] for s in scans]))
    for category in body["categories"]:
        lines.append(row(category["name"], category["scores"]))
    for criterion in body["criteria"]:
        lines.append(row(f"{criterion['name']} (criterion)", criterion["scores"]))
    out = "\n".join(lines) + "\n"
    if body.get("note"):
        out += f"\n{body['note']}\n"
    if body["technologies"]:
        out += "\n| Category | Technology | " + " | ".join(s["scan_id"][:8] for s in scans) + " |\n"
        out += "|---|---|" + "---|" * len(scans) + "\n"
        for tech in body["technologies"]:
            cells = ["—" if c is None else (c["version"] or "yes") for c in tech["cells"]]
            out += f"| {tech['category']} | {tech['name']} | " + " | ".join(cells) + " |\n"
    return out


def judgement_markdown(judgement: dict[str, Any]) -> str:
    """The published version's notice, and each change beside the machine's original."""
    lines = [f"> **{judgement.get('statement', 'This version contains analyst judgement.')}**", ""]
    changes = judgement.get("changes") or []
    if changes:
        lines += ["| Item | Machine | Published | Reviewer | When | Reason |", "|---|---|---|---|---|---|"]
        for change in changes:
            cells = [
                f"{change.get('kind')} {change.get('name') or change.get('id')}",
                "not scored" if change.get("original") is None else str(change.get("original")),
                "not scored" if change.get("published") is None else str(change.get("published")),
                change.get("by") or "—",
                (change.get("at") or "—")[:16].replace("T", " "),
                change.get("reason") or change.get("verdict") or "",
            ]
            lines.append(
                "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"
