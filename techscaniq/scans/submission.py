"""What a scan submission may contain: one validator for the API, the UI and the CLI."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from techscaniq import theses
from techscaniq.errors import FetchRefused, ValidationError
from techscaniq.evidence.addresses import normalize_and_check_url

TEXT_LIMITS = {
    "company_name": 300,
    "requestor_name": 300,
    "organization_name": 300,
    "company_description": 5000,
}
MAX_METADATA_BYTES = 16 * 1024
MAX_METADATA_DEPTH = 8
# Characters that make a name read differently from what it is: bidi overrides, isolates and marks, zero-width.
DECEPTIVE_CHARACTERS = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
SCAN_REQUEST_FIELDS = (
    "company_name",
    "website_url",
    "primary_criteria",
    "investment_thesis_data",
    "thesis_tags",
    "requestor_name",
    "organization_name",
    "company_description",
    "metadata",
    "callback_url",
)


@dataclass(frozen=True)
class ScanRequest:
    """A validated scan submission."""

    company_name: str
    website_url: str
    thesis: theses.ResolvedThesis
    thesis_tags: list[str]
    requestor_name: str | None
    organization_name: str | None
    company_description: str | None
    metadata: dict[str, Any]
    callback_url: str | None = None


def _depth(value: Any) -> int:
    """How many levels of objects and arrays a JSON value nests (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _text(body: dict[str, Any], name: str, errors: dict[str, str], *, required: bool) -> str | None:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[name] = f"{name} is required"
        return None
    if not isinstance(value, str):
        errors[name] = f"{name} must be a string"
        return None
    value = value.strip()
    if any((ord(char) < 0x20 and char not in "\t\n\r") or ord(char) == 0x7F for char in value):
        errors[name] = f"{name} must not contain control characters"
        return None
    if name.endswith("_name") and DECEPTIVE_CHARACTERS.search(value):
        errors[name] = f"{name} must not contain bidirectional-override or zero-width characters"
        return None
    limit = TEXT_LIMITS[name]
    if len(value) > limit:
        errors[name] = f"{name} must be at most {limit} characters"
        return None
    return value


def validate_scan_request(body: dict[str, Any], allow_networks: tuple[str, ...]) -> ScanRequest:
    """Check a scan submission; raises one ValidationError listing every bad field."""
    errors: dict[str, str] = {}
    code = "validation_error"
    for unknown in sorted(set(body) - set(SCAN_REQUEST_FIELDS))[:10]:
        errors[unknown] = f"unknown field; the fields are: {', '.join(SCAN_REQUEST_FIELDS)}"
    company_name = _text(body, "company_name", errors, required=True)
    requestor_name = _text(body, "requestor_name", errors, required=False)
    organization_name = _text(body, "organization_name", errors, required=False)
    company_description = _text(body, "company_description", errors, required=False)

    website_url, url_code = _checked_url(body, "website_url", errors, allow_networks, required=True)
    callback_url, callback_code = _checked_url(body, "callback_url", errors, allow_networks, required=False)
    code = url_code or callback_code or code

    metadata = body.get("metadata", {})
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        errors["metadata"] = "metadata must be a JSON object"
        metadata = {}
    elif _depth(metadata) > MAX_METADATA_DEPTH:
        errors["metadata"] = f"metadata must not nest more than {MAX_METADATA_DEPTH} levels"
    elif len(json.dumps(metadata)) > MAX_METADATA_BYTES:
        errors["metadata"] = f"metadata must be at most {MAX_METADATA_BYTES // 1024} KiB"

    resolved: theses.ResolvedThesis | None = None
    try:
        resolved = theses.resolve_thesis(
            body.get("primary_criteria"), body.get("investment_thesis_data"), body.get("thesis_tags")
        )
    except ValidationError as invalid:
        errors.update(invalid.fields or {"primary_criteria": invalid.message})

    if errors or resolved is None:
        first = next(iter(errors.values()), "invalid input")
        message = first if len(errors) == 1 else f"{len(errors)} fields are invalid"
        raise ValidationError(message, code=code if len(errors) == 1 else "validation_error", fields=errors)
    return ScanRequest(
        company_name=company_name or "",
        website_url=website_url,
        thesis=resolved,
        thesis_tags=list(resolved.focus_areas),
        requestor_name=requestor_name,
        organization_name=organization_name,
        company_description=company_description,
        metadata=metadata,
        callback_url=callback_url or None,
    )


def _checked_url(
    body: dict[str, Any],
    name: str,
    errors: dict[str, str],
    allow_networks: tuple[str, ...],
    *,
    required: bool,
) -> tuple[str, str | None]:
    """The URL field normalised under the static SSRF rules, and the refusal code if one applied."""
    raw = body.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            errors[name] = f"{name} is required"
        return "", None
    if not isinstance(raw, str):
        errors[name] = f"{name} must be a string"
        return "", None
    try:
        return normalize_and_check_url(raw.strip(), allow_networks).url, None
    except FetchRefused as refused:
        errors[name] = refused.message
        return "", refused.code
