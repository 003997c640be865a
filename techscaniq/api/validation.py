"""Parsing of HTTP input (body, headers, paging); the scan submission rules are in scans/submission.py."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Flask, Request

from techscaniq.errors import NotFoundError, ValidationError
from techscaniq.scans.submission import MAX_METADATA_DEPTH

MAX_BODY_BYTES = 64 * 1024
MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 50
MAX_IDEMPOTENCY_KEY_CHARS = 255
# Any field of a body but metadata; a custom thesis nests about four levels.
MAX_FIELD_DEPTH = 16
# Ids are UUIDs and task-style ids; anything else is unknown without asking the database (PostgreSQL refuses
# NUL bytes in text with an error, not a miss).
ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class _NonFinite:
    """Stands in for NaN, Infinity and -Infinity while parsing, so the field holding one can be named."""

    def __init__(self, literal: str) -> None:
        self.literal = literal


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; ValidationError for anything else (too deep, non-finite numbers included)."""
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise ValidationError(
            f"the request body is larger than {MAX_BODY_BYTES // 1024} KiB",
            code="payload_too_large",
            http_status=413,
        )
    if not raw.strip():
        raise ValidationError("send a JSON object as the request body", code="invalid_json")
    too_deep = _too_deep(raw.decode("utf-8", errors="replace"))
    if too_deep:
        field, limit = too_deep
        message = f"{field} must not nest more than {limit} levels"
        raise ValidationError(message, fields={field: message})
    try:
        body = json.loads(raw, parse_constant=_NonFinite)
    except RecursionError as exc:
        raise ValidationError(
            "the request body is nested too deeply",
            fields={"body": f"nested more than {MAX_FIELD_DEPTH} levels"},
        ) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(f"the request body is not valid JSON: {exc}", code="invalid_json") from exc
    if not isinstance(body, dict):
        raise ValidationError("the request body must be a JSON object", code="invalid_json")
    errors: dict[str, str] = {}
    for name, value in body.items():
        limit = MAX_METADATA_DEPTH if name == "metadata" else MAX_FIELD_DEPTH
        problem = _shape_problem(value, limit)
        if problem:
            errors[str(name)[:100]] = f"{str(name)[:100]} {problem}"
    if errors:
        first = next(iter(errors.values()))
        raise ValidationError(
            first if len(errors) == 1 else f"{len(errors)} fields are invalid", fields=errors
        )
    return body


def _field_depth_limit(field: str | None) -> int:
    return MAX_METADATA_DEPTH if field == "metadata" else MAX_FIELD_DEPTH


def _too_deep(text: str) -> tuple[str, int] | None:
    """(field, limit) when a top-level field nests deeper than its limit; checked before parsing, because the
    parser itself recurses and gives up at a depth that depends on the caller's stack."""
    depth = 0
    in_string = escaped = False
    last_string: list[str] = []
    string_start = 0
    field: str | None = None
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
                last_string = [text[string_start:index]]
            continue
        if char == '"':
            in_string, string_start = True, index + 1
        elif char == ":" and depth == 1 and last_string:
            field = last_string[0][:100]
        elif char in "[{":
            depth += 1
            name = field if depth > 1 else None
            limit = _field_depth_limit(name) + 1
            if depth > limit:
                return (name or "body"), limit - 1
        elif char in "]}":
            depth -= 1
    return None


def _shape_problem(value: Any, max_depth: int) -> str | None:
    """Why a parsed JSON value is refused: nested deeper than max_depth, or a non-finite number; else None."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, _NonFinite) or (isinstance(item, float) and not math.isfinite(item)):
            literal = item.literal if isinstance(item, _NonFinite) else "an out-of-range number"
            return f"must hold only finite numbers, not {literal}"
        if isinstance(item, dict | list):
            if depth > max_depth:
                return f"must not nest more than {max_depth} levels"
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


def check_route_ids(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Every id in a URL (any `*_id` variable) must look like one; otherwise it is unknown (404)."""
    for name, value in (values or {}).items():
        if name.endswith("_id") and isinstance(value, str) and not ID_PATTERN.match(value):
            raise NotFoundError(f"{name.removesuffix('_id')} {value[:100]!r} not found")


def install_id_check(app: Flask) -> None:
    """Run check_route_ids before every route of every blueprint (API, event stream and web pages)."""
    app.url_value_preprocessor(check_route_ids)


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
