"""Errors as data: every failure carries a stable code, an HTTP status and whether a retry may help."""

from __future__ import annotations

from typing import Any


class TechScanError(Exception):
    """Base error: a stable `code`, an HTTP status and a retryable flag."""

    code = "internal_error"
    http_status = 500
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        http_status: int | None = None,
        retryable: bool | None = None,
        fields: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status
        if retryable is not None:
            self.retryable = retryable
        self.fields = fields or {}

    def to_dict(self) -> dict[str, Any]:
        """The JSON error body shared by the API and the UI."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        return {"success": False, "error": error}


class ValidationError(TechScanError):
    """Bad input from a client: 400 with per-field messages."""

    code = "validation_error"
    http_status = 400


class AuthError(TechScanError):
    """Missing or wrong API key."""

    code = "unauthorized"
    http_status = 401


class ForbiddenError(TechScanError):
    """The key is valid but may not do this."""

    code = "forbidden"
    http_status = 403


class NotFoundError(TechScanError):
    """Unknown id, or an id that belongs to another organisation."""

    code = "not_found"
    http_status = 404


class ConflictError(TechScanError):
    """The request conflicts with the current state of the resource."""

    code = "conflict"
    http_status = 409


class BrokerUnavailable(TechScanError):
    """The message broker cannot be reached; nothing was enqueued."""

    code = "broker_unavailable"
    http_status = 503
    retryable = True


class StorageUnavailable(TechScanError):
    """The database cannot be reached right now."""

    code = "database_unavailable"
    http_status = 503
    retryable = True


class FetchError(TechScanError):
    """A fetch on behalf of a scanned site failed (network, size, time)."""

    code = "fetch_failed"
    http_status = 502
    retryable = True


class FetchRefused(TechScanError):
    """The guarded fetch refused a URL (SSRF rules); never retryable."""

    code = "ssrf_refused"
    http_status = 400
    retryable = False


class ScanCancelled(TechScanError):
    """The scan's cancel flag was seen at a checkpoint."""

    code = "cancelled"
    http_status = 409
    retryable = False


class ReportUnreadable(TechScanError):
    """A stored report whose content this version's report model refuses (written by another version)."""

    code = "report_unreadable"
    http_status = 409
    retryable = False


class StepLeaseTaken(TechScanError):
    """Another delivery holds this step's lease; this copy exits without work."""

    code = "lease_taken"
    http_status = 409
    retryable = False
