"""The OpenAPI paths and schemas of the analyst's workflow (merged into api/openapi.py's document)."""

from __future__ import annotations

from typing import Any

from techscaniq.api.validation import MAX_PER_PAGE
from techscaniq.theses import list_theses

JSON = "application/json"
ID_SCHEMA = {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,100}$"}
QUERY_TEXT = {"type": "string", "maxLength": 200, "pattern": "^[^\\x00-\\x1f\\x7f]*$"}
NULLABLE_INT = {"anyOf": [{"type": "integer"}, {"type": "null"}]}
NULLABLE_NUMBER = {"anyOf": [{"type": "number"}, {"type": "null"}]}
NULLABLE_STRING = {"anyOf": [{"type": "string"}, {"type": "null"}]}
TIMESTAMP = {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}
PAGE = {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000}}
PER_PAGE = {
    "name": "per_page",
    "in": "query",
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _pair(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": ["from", "to"], "properties": {"from": schema, "to": schema}}


SIDES = {
    "type": "object",
    "description": "Evidence ids on the earlier (from) and the later (to) side",
    "required": ["from", "to"],
    "properties": {
        "from": {"type": "array", "items": {"type": "string"}},
        "to": {"type": "array", "items": {"type": "string"}},
    },
}
CITED_LIST = {
    "type": "array",
    "items": {"type": "object", "required": ["evidence_ids"], "properties": {"evidence_ids": SIDES}},
}

SCHEMAS: dict[str, Any] = {
    "Company": {
        "type": "object",
        "required": [
            "id",
            "name",
            "domain",
            "scans_count",
            "latest_scan_id",
            "latest_completed_at",
            "latest_score",
            "latest_grade",
        ],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "domain": {"type": "string", "description": "Registrable domain of the scanned website"},
            "scans_count": {"type": "integer"},
            "latest_scan_id": NULLABLE_STRING,
            "latest_completed_at": TIMESTAMP,
            "latest_score": NULLABLE_INT,
            "latest_grade": NULLABLE_STRING,
        },
    },
    "CompanyPage": {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": _ref("Company")},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    },
    "CompanyDetail": {
        "allOf": [
            _ref("Company"),
            {
                "type": "object",
                "required": ["scans", "score_history"],
                "properties": {
                    "scans": {"type": "array", "items": {"type": "object"}, "description": "Newest first"},
                    "score_history": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["thesis", "points"],
                            "properties": {
                                "thesis": {"type": "string"},
                                "points": {"type": "array", "items": {"type": "object"}},
                            },
                        },
                    },
                },
            },
        ]
    },
    "ScanDiff": {
        "type": "object",
        "required": [
            "scan_id",
            "against_scan_id",
            "technologies",
            "findings",
            "risks",
            "scores",
            "security",
            "coverage",
            "summary",
        ],
        "properties": {
            "scan_id": {"type": "string"},
            "against_scan_id": {"type": "string"},
            "technologies": {
                "type": "object",
                "required": ["added", "removed", "version_changed"],
                "properties": {"added": CITED_LIST, "removed": CITED_LIST, "version_changed": CITED_LIST},
            },
            "findings": {
                "type": "object",
                "required": ["new", "resolved"],
                "properties": {"new": CITED_LIST, "resolved": CITED_LIST},
            },
            "risks": {
                "type": "object",
                "required": ["new", "resolved"],
                "properties": {"new": CITED_LIST, "resolved": CITED_LIST},
            },
            "scores": {
                "type": "object",
                "required": ["total", "criteria"],
                "properties": {"total": _pair(NULLABLE_INT), "criteria": CITED_LIST},
            },
            "security": {
                "type": "object",
                "required": ["grade", "changed_headers"],
                "properties": {"grade": _pair(NULLABLE_STRING), "changed_headers": CITED_LIST},
            },
            "coverage": _pair(NULLABLE_NUMBER),
            "summary": {"type": "object", "properties": {"changed": {"type": "boolean"}}},
        },
    },
    "Comparison": {
        "type": "object",
        "required": [
            "scans",
            "same_thesis",
            "note",
            "categories",
            "criteria",
            "criteria_not_compared",
            "technologies",
        ],
        "properties": {
            "scans": {"type": "array", "minItems": 2, "maxItems": 6, "items": {"type": "object"}},
            "same_thesis": {"type": "boolean"},
            "note": NULLABLE_STRING,
            "categories": {"type": "array", "items": {"type": "object"}},
            "criteria": {
                "type": "array",
                "items": {"type": "object"},
                "description": "Criteria of the same basis in every thesis",
            },
            "criteria_not_compared": {"type": "array", "items": {"type": "object"}},
            "technologies": {
                "type": "array",
                "items": {"type": "object"},
                "description": "Rows by category; one cell per scan",
            },
        },
    },
}

SCHEMAS["ReviewRequest"] = {
    "type": "object",
    "required": ["target", "verdict"],
    "additionalProperties": False,
    "properties": {
        "target": {
            "oneOf": [
                {
                    "type": "object",
                    "required": ["finding_id"],
                    "additionalProperties": False,
                    "properties": {"finding_id": {"type": "string", "minLength": 1, "maxLength": 200}},
                },
                {
                    "type": "object",
                    "required": ["criterion_id"],
                    "additionalProperties": False,
                    "properties": {"criterion_id": {"type": "string", "minLength": 1, "maxLength": 200}},
                },
            ]
        },
        "verdict": {"type": "string", "enum": ["confirmed", "disputed", "note"]},
        "comment": {
            "type": "string",
            "maxLength": 2000,
            "description": "Required for disputed, note and a score",
        },
        "score": {
            "type": "integer",
            "minimum": 0,
            "maximum": 100,
            "description": "Criterion only: an override",
        },
    },
}
SCHEMAS["Review"] = {
    "type": "object",
    "required": ["id", "report_id", "target", "verdict", "comment", "score", "reviewer", "createdAt"],
    "properties": {
        "id": {"type": "string"},
        "report_id": {"type": "string"},
        "target": {"type": "object"},
        "verdict": {"type": "string"},
        "comment": NULLABLE_STRING,
        "score": NULLABLE_INT,
        "reviewer": NULLABLE_STRING,
        "key_id": NULLABLE_STRING,
        "createdAt": TIMESTAMP,
    },
}
SCHEMAS["ReviewList"] = {
    "type": "object",
    "required": ["items"],
    "properties": {"items": {"type": "array", "items": _ref("Review")}},
}
SCHEMAS["Publication"] = {
    "type": "object",
    "required": ["id", "scan_id", "version", "published_from", "score", "grade", "original", "changes"],
    "properties": {
        "id": {"type": "string"},
        "scan_id": {"type": "string"},
        "version": {"type": "integer"},
        "published_from": {"type": "string"},
        "score": NULLABLE_INT,
        "grade": NULLABLE_STRING,
        "original": {"type": "object"},
        "changes": {"type": "array", "items": {"type": "object"}},
        "createdAt": TIMESTAMP,
    },
}

AUTH = {"401": _error("Missing, unknown or revoked API key")}
NOT_FOUND = {"404": _error("Unknown id, or another organisation's")}
BAD_INPUT = {"400": _error("Invalid input; error.fields names each bad field")}

PATHS: dict[str, Any] = {
    "/api/companies": {
        "get": {
            "operationId": "listCompanies",
            "summary": "A page of the caller's companies (registrable domains scanned), by name",
            "parameters": [PAGE, PER_PAGE, {"name": "q", "in": "query", "schema": QUERY_TEXT}],
            "responses": {"200": _json(_ref("CompanyPage"), "A page of companies"), **BAD_INPUT, **AUTH},
        }
    },
    "/api/companies/{company_id}": {
        "parameters": [{"name": "company_id", "in": "path", "required": True, "schema": ID_SCHEMA}],
        "get": {
            "operationId": "getCompany",
            "summary": "A company with its scans (newest first) and the score history of each thesis",
            "responses": {"200": _json(_ref("CompanyDetail"), "The company"), **AUTH, **NOT_FOUND},
        },
    },
    "/api/scans/{scan_id}/diff": {
        "parameters": [{"name": "scan_id", "in": "path", "required": True, "schema": ID_SCHEMA}],
        "get": {
            "operationId": "getScanDiff",
            "summary": "What changed since the company's previous completed scan (or ?against=)",
            "parameters": [{"name": "against", "in": "query", "schema": ID_SCHEMA}],
            "responses": {
                "200": _json(_ref("ScanDiff"), "The differences, each citing evidence ids on each side"),
                **BAD_INPUT,
                **AUTH,
                **NOT_FOUND,
                "409": _error("no_previous_scan, or a scan that is not completed"),
            },
        },
    },
    "/api/compare": {
        "get": {
            "operationId": "compareScans",
            "summary": "2 to 6 completed scans of the caller's organisation side by side",
            "parameters": [
                {
                    "name": "scans",
                    "in": "query",
                    "required": True,
                    "description": "Comma-separated scan ids",
                    "schema": {
                        "type": "string",
                        "pattern": "^[A-Za-z0-9._-]{1,100}(,[A-Za-z0-9._-]{1,100}){1,5}$",
                    },
                }
            ],
            "responses": {"200": _json(_ref("Comparison"), "The comparison"), **BAD_INPUT, **AUTH},
        }
    },
}
REPORT_ID = {"name": "report_id", "in": "path", "required": True, "schema": ID_SCHEMA}
PATHS["/api/reports/{report_id}/reviews"] = {
    "parameters": [REPORT_ID],
    "post": {
        "operationId": "addReview",
        "summary": "Confirm, dispute or note a finding or a criterion (a criterion's score may be overridden)",
        "requestBody": {"required": True, "content": {JSON: {"schema": _ref("ReviewRequest")}}},
        "responses": {
            "201": _json(_ref("Review"), "The review"),
            **BAD_INPUT,
            **AUTH,
            **NOT_FOUND,
            "413": _error("Body larger than 64 KiB"),
        },
    },
    "get": {
        "operationId": "listReviews",
        "summary": "The reviews of a report version, oldest first",
        "responses": {"200": _json(_ref("ReviewList"), "Reviews"), **AUTH, **NOT_FOUND},
    },
}
PATHS["/api/reports/{report_id}/publish"] = {
    "parameters": [REPORT_ID],
    "post": {
        "operationId": "publishReport",
        "summary": "A new report version with the reviews applied; the reviewed version stays readable",
        "responses": {
            "201": _json(_ref("Publication"), "The new version"),
            **AUTH,
            **NOT_FOUND,
            "409": _error("no_reviews: the version has no reviews to publish"),
        },
    },
}

SCHEMAS["ScheduleRequest"] = {
    "type": "object",
    "required": ["every_days"],
    "additionalProperties": False,
    "properties": {
        "every_days": {"type": "integer", "minimum": 1, "maximum": 365},
        "thesis": {
            "type": "string",
            "enum": [t.slug for t in list_theses()],
            "description": "A stock thesis slug (default: the newest scan's)",
        },
    },
}
SCHEMAS["Schedule"] = {
    "type": "object",
    "required": ["company_id", "schedule"],
    "properties": {
        "company_id": {"type": "string"},
        "schedule": {
            "type": "object",
            "required": ["every_days", "thesis", "next_due_at"],
            "properties": {
                "every_days": {"type": "integer"},
                "thesis": NULLABLE_STRING,
                "next_due_at": TIMESTAMP,
                "last_scan_id": NULLABLE_STRING,
                "last_error": NULLABLE_STRING,
            },
        },
    },
}
PATHS["/api/companies/{company_id}/schedule"] = {
    "parameters": [{"name": "company_id", "in": "path", "required": True, "schema": ID_SCHEMA}],
    "put": {
        "operationId": "putSchedule",
        "summary": "Re-scan the company every N days on Celery beat (submitted as the calling key)",
        "requestBody": {"required": True, "content": {JSON: {"schema": _ref("ScheduleRequest")}}},
        "responses": {
            "200": _json(_ref("Schedule"), "The schedule"),
            **BAD_INPUT,
            **AUTH,
            **NOT_FOUND,
            "413": _error("Body larger than 64 KiB"),
        },
    },
    "delete": {
        "operationId": "deleteSchedule",
        "summary": "Stop re-scanning the company",
        "responses": {"204": {"description": "Stopped"}, **AUTH, **NOT_FOUND},
    },
}
