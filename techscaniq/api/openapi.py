"""The OpenAPI 3 document of the JSON API, served at /api/openapi.json (schemathesis tests the API against it)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from techscaniq import __version__
from techscaniq.api import workflow_openapi
from techscaniq.api.validation import MAX_IDEMPOTENCY_KEY_CHARS, MAX_PER_PAGE
from techscaniq.domain import ScanStatus, StepStatus
from techscaniq.evidence.addresses import MAX_URL_LENGTH_CHARS
from techscaniq.scans.submission import TEXT_LIMITS
from techscaniq.theses import THESES

openapi_api = Blueprint("openapi_api", __name__, url_prefix="/api")

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _json(schema: dict[str, Any], description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {JSON: {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


STRING = {"type": "string"}
TIMESTAMP = _nullable({"type": "string", "format": "date-time"})
ERROR_DETAIL = _nullable(_ref("ErrorDetail"))
HTTP_URL = {
    "type": "string",
    "format": "uri",
    "pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/@\\]+(/\S*)?$",
    "maxLength": MAX_URL_LENGTH_CHARS,
}

SCHEMAS: dict[str, Any] = {
    "ErrorDetail": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "description": "Stable machine-readable code, e.g. validation_error"},
            "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "Error": {
        "type": "object",
        "required": ["success", "error"],
        "properties": {"success": {"const": False}, "error": _ref("ErrorDetail")},
    },
    "ScanSubmission": {
        "type": "object",
        "additionalProperties": False,
        "required": ["company_name", "website_url"],
        "properties": {
            "company_name": {"type": "string", "minLength": 1, "maxLength": TEXT_LIMITS["company_name"]},
            "website_url": {
                **HTTP_URL,
                "description": "http(s) URL on a default port; private and reserved addresses are refused",
            },
            "callback_url": _nullable(
                {**HTTP_URL, "description": "Told when the scan finishes; the same address rules apply"}
            ),
            "primary_criteria": {"type": "string", "enum": sorted(THESES)},
            "investment_thesis_data": _nullable({"type": "object"}),
            "thesis_tags": _nullable({"type": "array", "items": {"type": "string"}}),
            "requestor_name": _nullable({"type": "string", "maxLength": TEXT_LIMITS["requestor_name"]}),
            "organization_name": _nullable({"type": "string", "maxLength": TEXT_LIMITS["organization_name"]}),
            "company_description": _nullable(
                {"type": "string", "maxLength": TEXT_LIMITS["company_description"]}
            ),
            "metadata": _nullable({"type": "object"}),
        },
    },
    "Jobs": {
        "type": "object",
        "required": ["evidenceJobId", "reportJobId"],
        "properties": {"evidenceJobId": _nullable(STRING), "reportJobId": _nullable(STRING)},
    },
    "Submitted": {
        "type": "object",
        "required": ["success", "scanRequestId", "jobs"],
        "properties": {"success": {"const": True}, "scanRequestId": STRING, "jobs": _ref("Jobs")},
    },
    "Step": {
        "type": "object",
        "required": ["status", "progress", "taskId", "attempt", "stalled"],
        "properties": {
            "status": {"type": "string", "enum": [str(s) for s in StepStatus]},
            "progress": {"type": "integer", "minimum": 0, "maximum": 100},
            "phase": _nullable(STRING),
            "taskId": STRING,
            "attempt": {"type": "integer"},
            "startedAt": TIMESTAMP,
            "finishedAt": TIMESTAMP,
            "stalled": {"type": "boolean"},
            "error": _ref("ErrorDetail"),
            "itemsCollected": {"type": "integer"},
            "reportId": _nullable(STRING),
        },
    },
    "ScanSummary": {
        "type": "object",
        "required": ["id", "company", "website_url", "thesis", "status", "createdAt"],
        "properties": {
            "id": STRING,
            "company": STRING,
            "website_url": STRING,
            "thesis": STRING,
            "thesis_name": _nullable(STRING),
            "status": {"type": "string", "enum": [str(s) for s in ScanStatus]},
            "createdAt": TIMESTAMP,
            "finishedAt": TIMESTAMP,
            "score": _nullable({"type": "number"}),
            "grade": _nullable(STRING),
            "reportId": _nullable(STRING),
            "error": ERROR_DETAIL,
        },
    },
    "ScanDetail": {
        "allOf": [
            _ref("ScanSummary"),
            {
                "type": "object",
                "required": ["steps", "itemsCollected"],
                "properties": {
                    "organization_name": _nullable(STRING),
                    "requestor_name": _nullable(STRING),
                    "company_description": _nullable(STRING),
                    "thesis_tags": {"type": "array", "items": STRING},
                    "thesis_snapshot": {"type": "object"},
                    "metadata": {"type": "object"},
                    "callback_url": _nullable(STRING),
                    "cancelRequestedAt": TIMESTAMP,
                    "itemsCollected": {"type": "integer"},
                    "steps": {"type": "object", "additionalProperties": _ref("Step")},
                },
            },
        ]
    },
    "ScanPage": {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": _ref("ScanSummary")},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    },
    "ScanStatus": {
        "type": "object",
        "required": ["scanRequest", "progress", "live"],
        "properties": {
            "live": {
                "type": "boolean",
                "description": "false when the running step's live progress could not be read from Redis within "
                "0.5 s: the answer then comes from the database alone (progress as last stored)",
            },
            "scanRequest": {
                "type": "object",
                "required": ["id", "company", "status", "createdAt"],
                "properties": {
                    "id": STRING,
                    "company": STRING,
                    "status": {"type": "string", "enum": [str(s) for s in ScanStatus]},
                    "createdAt": TIMESTAMP,
                    "error": _ref("ErrorDetail"),
                },
            },
            "progress": {
                "type": "object",
                "required": ["evidenceCollection", "reportGeneration"],
                "properties": {"evidenceCollection": _ref("Step"), "reportGeneration": _ref("Step")},
            },
        },
    },
    "Evidence": {
        "type": "object",
        "required": ["id", "type", "category", "title", "summary", "data", "source_url", "confidence"],
        "properties": {
            "id": STRING,
            "type": STRING,
            "category": STRING,
            "title": STRING,
            "summary": STRING,
            "data": {"type": "object"},
            "source_url": STRING,
            "collector": STRING,
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "collected_at": {"type": "string", "format": "date-time"},
        },
    },
    "EvidencePage": {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": _ref("Evidence")},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    },
    "Report": {
        "type": "object",
        "required": ["id", "scan_id", "version", "content", "citations"],
        "properties": {
            "id": STRING,
            "scan_id": STRING,
            "version": {"type": "integer", "minimum": 1},
            "writer": STRING,
            "score": _nullable({"type": "number"}),
            "grade": _nullable(STRING),
            "createdAt": TIMESTAMP,
            "content": {"type": "object"},
            "citations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["number", "evidence_id"],
                    "properties": {
                        "number": {"type": "integer"},
                        "claim": STRING,
                        "section": STRING,
                        "evidence_id": STRING,
                    },
                },
            },
        },
    },
    "Accepted": {
        "type": "object",
        "required": ["success", "scanRequestId"],
        "properties": {
            "success": {"const": True},
            "scanRequestId": STRING,
            "status": STRING,
            "jobType": STRING,
            "jobs": _ref("Jobs"),
        },
    },
    "AuditPage": {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "at", "action"],
                    "properties": {
                        "id": {"type": "integer"},
                        "at": TIMESTAMP,
                        "action": STRING,
                        "keyId": _nullable(STRING),
                        "orgId": _nullable(STRING),
                        "scanId": _nullable(STRING),
                        "reportId": _nullable(STRING),
                        "detail": {"type": "object"},
                    },
                },
            }
        },
    },
    "WebhookSecret": {
        "type": "object",
        "required": ["secret", "created_at"],
        "properties": {
            "secret": {"type": "string", "pattern": "^whsec_[0-9a-f]+$"},
            "created_at": {"type": "string", "format": "date-time"},
            "previous_valid_until": {
                "type": "string",
                "format": "date-time",
                "description": "After a rotation: until when deliveries also carry a signature by the old secret",
            },
        },
    },
    "Health": {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
    "Readiness": {
        "type": "object",
        "required": ["status", "checks"],
        "properties": {
            "status": {"type": "string", "enum": ["ready", "not_ready"]},
            "checks": {"type": "object", "additionalProperties": STRING},
            "warnings": {"type": "array", "items": STRING},
            "success": {"type": "boolean"},
            "error": _ref("ErrorDetail"),
        },
    },
}

ID_SCHEMA = {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,100}$"}
QUERY_TEXT = {"type": "string", "maxLength": 200, "pattern": "^[^\\x00-\\x1f\\x7f]*$"}
SCAN_ID = {"name": "scan_id", "in": "path", "required": True, "schema": ID_SCHEMA}
REPORT_ID = {"name": "report_id", "in": "path", "required": True, "schema": ID_SCHEMA}
PAGE = {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000}}
PER_PAGE = {
    "name": "per_page",
    "in": "query",
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
}
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds until the window resets", "schema": {"type": "string"}}
}

AUTH_ERRORS = {"401": _error("Missing, unknown or revoked API key")}
NOT_FOUND = {"404": _error("Unknown id, or another organisation's")}
BAD_INPUT = {"400": _error("Invalid input; error.fields names each bad field")}
DOWN = {"503": _error("The database or the broker cannot be reached")}

PATHS: dict[str, Any] = {
    "/api/scans": {
        "post": {
            "operationId": "submitScan",
            "summary": "Submit a scan: commit it, then queue evidence collection and the report",
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "Repeats with the same key and body within 24 h replay the first answer",
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY_CHARS},
                }
            ],
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref("ScanSubmission")}}},
            "responses": {
                "201": _json(
                    _ref("Submitted"),
                    "Created (or replayed for a repeated Idempotency-Key)",
                    {"Location": {"schema": STRING}},
                ),
                **BAD_INPUT,
                **AUTH_ERRORS,
                "409": _error("Idempotency-Key reused with another body, or its first request still running"),
                "413": _error("Body larger than 64 KiB"),
                "415": _error("Not JSON"),
                "429": _json(_ref("Error"), "Submission rate limit reached", RETRY_AFTER),
                **DOWN,
            },
        },
        "get": {
            "operationId": "listScans",
            "summary": "A page of the caller's scans, newest first (admins: every organisation's)",
            "parameters": [
                PAGE,
                PER_PAGE,
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"type": "string", "enum": [str(s) for s in ScanStatus]},
                },
                {
                    "name": "q",
                    "in": "query",
                    "schema": QUERY_TEXT,
                },
            ],
            "responses": {"200": _json(_ref("ScanPage"), "A page of scans"), **BAD_INPUT, **AUTH_ERRORS},
        },
    },
    "/api/scans/{scan_id}": {
        "parameters": [SCAN_ID],
        "get": {
            "operationId": "getScan",
            "summary": "The scan with its steps and errors",
            "responses": {"200": _json(_ref("ScanDetail"), "The scan"), **AUTH_ERRORS, **NOT_FOUND},
        },
        "delete": {
            "operationId": "deleteScan",
            "summary": "Delete a finished scan with its evidence, reports and events",
            "responses": {
                "204": {"description": "Deleted"},
                **AUTH_ERRORS,
                **NOT_FOUND,
                "409": _error("The scan is still running: cancel it first"),
            },
        },
    },
    "/api/scans/{scan_id}/status": {
        "parameters": [SCAN_ID],
        "get": {
            "operationId": "getScanStatus",
            "summary": "Durable status of both steps, with live progress of a running step",
            "responses": {"200": _json(_ref("ScanStatus"), "Status"), **AUTH_ERRORS, **NOT_FOUND},
        },
    },
    "/api/scans/{scan_id}/evidence": {
        "parameters": [SCAN_ID],
        "get": {
            "operationId": "listEvidence",
            "summary": "A page of the scan's evidence items",
            "parameters": [PAGE, PER_PAGE, {"name": "category", "in": "query", "schema": QUERY_TEXT}],
            "responses": {
                "200": _json(_ref("EvidencePage"), "Evidence"),
                **BAD_INPUT,
                **AUTH_ERRORS,
                **NOT_FOUND,
            },
        },
    },
    "/api/scans/{scan_id}/cancel": {
        "parameters": [SCAN_ID],
        "post": {
            "operationId": "cancelScan",
            "summary": "Ask a running scan to stop at its next checkpoint",
            "responses": {
                "202": _json(_ref("Accepted"), "Cancel requested"),
                **AUTH_ERRORS,
                **NOT_FOUND,
                "409": _error("The scan has already finished"),
            },
        },
    },
    "/api/scans/{scan_id}/retry": {
        "parameters": [SCAN_ID],
        "post": {
            "operationId": "retryScan",
            "summary": "Re-run steps of a finished scan (new evidence is always followed by a new report)",
            "requestBody": {
                "required": True,
                "content": {
                    JSON: {
                        "schema": {
                            "type": "object",
                            "required": ["jobType"],
                            "properties": {
                                "jobType": {"type": "string", "enum": ["evidence", "report", "both"]}
                            },
                        }
                    }
                },
            },
            "responses": {
                "202": _json(_ref("Accepted"), "Retry queued"),
                **BAD_INPUT,
                **AUTH_ERRORS,
                **NOT_FOUND,
                "409": _error("The scan is still running, or its evidence is not complete"),
                "413": _error("Body larger than 64 KiB"),
                **DOWN,
            },
        },
    },
    "/api/scans/{scan_id}/report": {
        "parameters": [SCAN_ID],
        "get": {
            "operationId": "getLatestReport",
            "summary": "The newest report version of a scan (recorded in the audit log)",
            "responses": {
                "200": _json(_ref("Report"), "The report"),
                **AUTH_ERRORS,
                "404": _error("Unknown scan, another organisation's, or no report yet (report_not_ready)"),
            },
        },
    },
    "/api/reports/{report_id}": {
        "parameters": [REPORT_ID],
        "get": {
            "operationId": "getReport",
            "summary": "A report version; every statement cites evidence ids (recorded in the audit log)",
            "responses": {"200": _json(_ref("Report"), "The report"), **AUTH_ERRORS, **NOT_FOUND},
        },
    },
    **{
        f"/api/reports/{{report_id}}.{suffix}": {
            "parameters": [REPORT_ID],
            "get": {
                "operationId": f"exportReport{suffix.capitalize()}",
                "summary": f"The report rendered as {label} (recorded in the audit log)",
                "responses": {
                    "200": {"description": label, "content": {media_type: {"schema": schema}}},
                    **AUTH_ERRORS,
                    **NOT_FOUND,
                },
            },
        }
        for suffix, label, media_type, schema in (
            ("md", "Markdown", "text/markdown", {"type": "string"}),
            ("html", "a self-contained HTML page", "text/html", {"type": "string"}),
            ("pdf", "PDF", "application/pdf", {"type": "string", "format": "binary"}),
        )
    },
    "/api/scans/{scan_id}/events": {
        "parameters": [SCAN_ID],
        "get": {
            "operationId": "streamScanEvents",
            "summary": "Server-sent events of a scan (progress, step, evidence, warning, done); resumable",
            "parameters": [
                {
                    "name": "Last-Event-ID",
                    "in": "header",
                    "description": "Replay events after this sequence number",
                    "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
                }
            ],
            "responses": {
                "200": {
                    "description": "An event stream",
                    "content": {"text/event-stream": {"schema": STRING}},
                },
                "400": _error("Last-Event-ID is not a sequence number"),
                **AUTH_ERRORS,
                **NOT_FOUND,
            },
        },
    },
    "/api/audit": {
        "get": {
            "operationId": "listAudit",
            "summary": "Who viewed, exported or deleted which report or scan (own organisation; admins: all)",
            "parameters": [
                PER_PAGE,
                {"name": "scan_id", "in": "query", "schema": QUERY_TEXT},
                {"name": "report_id", "in": "query", "schema": QUERY_TEXT},
            ],
            "responses": {
                "200": _json(_ref("AuditPage"), "Entries, newest first"),
                **BAD_INPUT,
                **AUTH_ERRORS,
            },
        },
    },
    "/api/webhooks/secret": {
        "get": {
            "operationId": "getWebhookSecret",
            "summary": "The caller's organisation's webhook signing secret (created on first use; audited)",
            "responses": {"200": _json(_ref("WebhookSecret"), "The current secret"), **AUTH_ERRORS},
        },
    },
    "/api/webhooks/secret/rotate": {
        "post": {
            "operationId": "rotateWebhookSecret",
            "summary": "A new signing secret; for 24 hours deliveries carry signatures by both (audited)",
            "responses": {
                "200": _json(_ref("WebhookSecret"), "The new secret and when the old one stops signing"),
                **AUTH_ERRORS,
                "403": _error("A signed-in browser session without a valid CSRF token"),
            },
        },
    },
    "/api/health": {
        "get": {
            "operationId": "health",
            "summary": "The process is alive",
            "security": [],
            "responses": {"200": _json(_ref("Health"), "Alive")},
        },
    },
    "/api/ready": {
        "get": {
            "operationId": "ready",
            "summary": "The database and the broker are reachable",
            "security": [],
            "responses": {
                "200": _json(_ref("Readiness"), "Ready"),
                "503": _json(_ref("Readiness"), "Not ready: names what is down"),
            },
        },
    },
    "/api/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "security": [],
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1 document",
                    "content": {JSON: {"schema": {"type": "object"}}},
                }
            },
        },
    },
}

# The analyst's workflow documents its own routes.
PATHS.update(workflow_openapi.PATHS)
SCHEMAS.update(workflow_openapi.SCHEMAS)


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "techscaniq API",
            "version": __version__,
            "description": "Technology due-diligence scans: submit, follow, read evidence and reports. "
            "Every error is JSON {success: false, error: {code, message, fields?}}.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "An API key"}
            },
        },
    }


@openapi_api.get("/openapi.json")
def openapi_json() -> ResponseReturnValue:
    """Serve the OpenAPI document."""
    return jsonify(openapi_document())
