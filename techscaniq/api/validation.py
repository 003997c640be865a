"""Parsing of HTTP input (body, headers, paging); the scan submission rules are in scans/submission.py."""

from __future__ import annotations

import json
from typing import Any

from flask import Request

from techscaniq.errors import ValidationError

MAX_BODY_BYTES = 64 * 1024
MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 50
MAX_IDEMPOTENCY_KEY_CHARS = 255


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; ValidationError for anything else."""
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise ValidationError(
            f"the request body is larger than {MAX_BODY_BYTES // 1024} KiB",
            code="payload_too_large",
            http_status=413,
        )
    if not raw.strip():
        raise ValidationError("send a JSON object as the request body", code="invalid_json")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(f"the request body is not valid JSON: {exc}", code="invalid_json") from exc
    if not isinstance(body, dict):
        raise ValidationError("the request body must be a JSON object", code="invalid_json")
    return body


def idempotency_key(request: Request) -> str | None:
    """The Idempotency-Key header (1-255 printable ASCII characters), or None when absent."""
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY_CHARS or not all(0x20 < ord(c) < 0x7F for c in key):
        raise ValidationError(
            f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} printable ASCII characters without spaces",
            code="invalid_idempotency_key",
            fields={"Idempotency-Key": "invalid"},
        )
    return key


def pagination(request: Request) -> tuple[int, int]:
    """page and per_page from the query string (per_page at most 500)."""
    errors: dict[str, str] = {}
    values = {}
    for name, default, low, high in (
        ("page", 1, 1, 1_000_000),
        ("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE),
    ):
        raw = request.args.get(name)
        if raw is None or raw == "":
            values[name] = default
            continue
        try:
            number = int(raw)
        except ValueError:
            errors[name] = f"{name} must be a whole number"
            continue
        if not low <= number <= high:
            errors[name] = f"{name} must be between {low} and {high}"
            continue
        values[name] = number
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    return values["page"], values["per_page"]
