"""Gunicorn settings of the web role (`gunicorn -c python:techscaniq.gunicorn_config`): every line it writes is JSON.

The Procfile keeps the flags an operator tunes (bind, worker class, threads, timeouts); this module only makes
gunicorn's own error and access lines the same JSON objects the app writes (techscaniq.logs.JsonFormatter).
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

from techscaniq.config import Settings
from techscaniq.logs import JsonFormatter

COMPONENT = "web"
# The de facto request id header (set by Heroku's router and many proxies); absent, the field is null.
REQUEST_ID_ENVIRON_KEY = "HTTP_X_REQUEST_ID"
_SCAN_IN_PATH = re.compile(
    r"/scans/(?P<scan_id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:/|$)"
)


def _status_code(status: Any) -> int | None:
    # gunicorn hands over "200 OK" or an int, depending on the worker.
    text = str(status).split(None, 1)[0] if status is not None else ""
    return int(text) if text.isdigit() else None


class JsonLogger(Logger):
    """Gunicorn's logger, writing error lines and one structured access line per request as JSON."""

    def setup(self, cfg: Any) -> None:
        """Install gunicorn's handlers as usual, then give each the JSON formatter."""
        super().setup(cfg)
        formatter = JsonFormatter(COMPONENT)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)
        # Python warnings become JSON error lines instead of raw text on stderr (the master has no root handler).
        logging.captureWarnings(True)
        warnings_log = logging.getLogger("py.warnings")
        warnings_log.handlers[:] = list(self.error_log.handlers)
        warnings_log.propagate = False

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        """One access line: method, path, status, duration, bytes, client and request id as fields."""
        if not self.access_log_enabled:
            return
        method = str(environ.get("REQUEST_METHOD", "-"))
        path = str(environ.get("PATH_INFO", "") or "/")
        status = _status_code(getattr(resp, "status", None))
        scan = _SCAN_IN_PATH.search(path)
        fields = {
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "bytes": getattr(resp, "sent", None),
            "remote_addr": environ.get("REMOTE_ADDR"),
            "request_id": environ.get(REQUEST_ID_ENVIRON_KEY),
        }
        try:
            self.access_log.info(
                "%s %s %s",
                method,
                path,
                status,
                extra={"fields": fields, "scan_id": scan.group("scan_id") if scan else None},
            )
        except Exception:  # noqa: BLE001 - a log line must never fail a request
            self.error_log.exception("could not write the access line")


logger_class = JsonLogger
# Access lines on stdout, error lines on stderr, as gunicorn's defaults place them; both JSON.
accesslog = "-"
errorlog = "-"
loglevel = Settings.from_env().log_level.lower()
# Nothing here drives gunicorn through its control socket, and two web processes on one host (a Procfile run
# beside another) would otherwise contend for the one default path in $HOME.
control_socket_disable = True
