"""The UI app served over real HTTP by a threaded werkzeug server in this process (for browsers and SSE), and what
the browser tests know about it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from techscaniq.app import create_app
from techscaniq.config import Settings
from techscaniq.web.views import init_ui
from tests.support.stack import Stack


def ui_app(settings: Settings, **config: Any) -> Flask:
    """create_app() with the UI wired in (a no-op once app.py calls init_ui itself)."""
    app = create_app(settings)
    if "events_api" not in app.blueprints:
        init_ui(app, settings)
    app.config.update(config)
    return app


class LiveServer:
    """A threaded HTTP server on 127.0.0.1 running the app, like gunicorn's threaded workers."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.server.daemon_threads = True  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.server.serve_forever, name="ui-server", daemon=True)

    @property
    def port(self) -> int:
        """The listening port."""
        return int(self.server.server_port)

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@dataclass
class Live:
    """The UI on a real port, with the key the browser signs in with."""

    url: str
    admin_key: str
    stack: Stack
    screenshots: Path
