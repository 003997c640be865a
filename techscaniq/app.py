"""create_app(): the Flask application with its blueprints, CORS, JSON errors and storage."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, redirect, request
from flask.typing import ResponseReturnValue
from flask_cors import CORS
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from techscaniq.api.companies import companies_api
from techscaniq.api.compare import compare_api
from techscaniq.api.flower import flower_proxy
from techscaniq.api.laptop_mode import install_laptop_guard
from techscaniq.api.metrics import metrics_api
from techscaniq.api.openapi import openapi_api
from techscaniq.api.reports import reports_api
from techscaniq.api.reviews import reviews_api
from techscaniq.api.scans import api
from techscaniq.api.validation import MAX_BODY_BYTES, install_id_check
from techscaniq.api.webhook_secrets import webhook_secrets_api
from techscaniq.broker import celery_init_app
from techscaniq.config import Settings
from techscaniq.errors import TechScanError
from techscaniq.logs import configure_logging, install_flask_logging
from techscaniq.web.views import init_ui, web
from techscaniq.web.workflow_views import workflow_web

log = logging.getLogger(__name__)

HSTS_MAX_AGE_SECONDS = 63_072_000  # two years
# A platform's health checks reach the app over plain http from inside its network; they are not visitors.
PROBE_PATHS = frozenset({"/api/health", "/api/ready"})


def create_app(settings: Settings | None = None) -> Flask:
    """Build the WSGI app; importing and creating it connects to nothing."""
    settings = settings or Settings.from_env()
    configure_logging(settings, "api")
    # The API's producer: where submissions, retries and cancels send their messages.
    celery_init_app(settings)
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config["TECHSCANIQ_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    if settings.cors_origins:
        CORS(app, resources={r"/api/*": {"origins": list(settings.cors_origins)}})
    if settings.allow_networks:
        log.warning(
            "TECHSCANIQ_ALLOW_NETWORKS=%s: scans may reach these networks", ",".join(settings.allow_networks)
        )
    install_id_check(app)
    install_laptop_guard(app, settings)
    app.register_blueprint(api)
    app.register_blueprint(reports_api)
    app.register_blueprint(web)
    init_ui(app, settings)
    app.register_blueprint(flower_proxy)
    app.register_blueprint(metrics_api)
    app.register_blueprint(openapi_api)
    app.register_blueprint(webhook_secrets_api)
    # The analyst's workflow (issue 18).
    app.register_blueprint(companies_api)
    app.register_blueprint(compare_api)
    app.register_blueprint(reviews_api)
    app.register_blueprint(workflow_web)
    install_flask_logging(app)
    if settings.force_https:
        # Behind a TLS-terminating proxy the visitor's scheme arrives in X-Forwarded-Proto; without a proxy
        # the header is absent and the server's own scheme stands.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1)  # type: ignore[method-assign]
        app.config["SESSION_COOKIE_SECURE"] = True

        @app.before_request
        def redirect_to_https() -> ResponseReturnValue | None:
            if request.is_secure or request.path in PROBE_PATHS:
                return None
            return redirect(request.url.replace("http://", "https://", 1), code=308)

    @app.errorhandler(TechScanError)
    def on_techscan_error(error: TechScanError) -> ResponseReturnValue:
        return jsonify(error.to_dict()), error.http_status

    @app.errorhandler(HTTPException)
    def on_http_error(error: HTTPException) -> ResponseReturnValue:
        status = error.code or 500
        if not request.path.startswith("/api/") and status == 404:
            return error
        code = {
            404: "not_found",
            405: "method_not_allowed",
            413: "payload_too_large",
            415: "unsupported_media_type",
        }.get(status, "http_error")
        message = error.description or error.name
        if status == 413:
            message = f"the request body is larger than {MAX_BODY_BYTES // 1024} KiB"
        return jsonify({"success": False, "error": {"code": code, "message": message}}), status

    @app.errorhandler(Exception)
    def on_unexpected(error: Exception) -> ResponseReturnValue:
        log.exception("unhandled error on %s %s", request.method, request.path)
        body = {
            "success": False,
            "error": {"code": "internal_error", "message": "an unexpected error occurred"},
        }
        return jsonify(body), 500

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
            "form-action 'self'",
        )
        if settings.force_https and request.is_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", f"max-age={HSTS_MAX_AGE_SECONDS}; includeSubDomains"
            )
        return response

    return app
