"""Flower in a real Chromium on its own origin: its dashboard lists the workers, and the app's session is no use."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis as redis_client
from playwright.sync_api import Error as PlaywrightError

from techscaniq.api.auth import SESSION_COOKIE_NAME
from techscaniq.config import Settings
from techscaniq.storage import repo
from techscaniq.storage.db import dispose_engines, migrate, session_scope
from tests.e2e.server import LiveServer, ui_app
from tests.support.ops import (
    procfile_commands,
    start_json_worker,
    start_process,
    stop_process,
    wait_for_log,
    with_venv_path,
)
from tests.support.processes import RedisServer, free_port

pytestmark = pytest.mark.integration

FLOWER_USER, FLOWER_PASSWORD = "ops", "flower-e2e-password"
VIEWPORT = {"width": 1400, "height": 900}


@dataclass
class FlowerSite:
    """The app on 127.0.0.1 and Flower's origin ops.localhost, one server, real workers and a real Flower."""

    app_url: str
    ops_url: str
    admin_key: str


@pytest.fixture(scope="module")
def flower_site(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlowerSite]:
    directory = tmp_path_factory.mktemp("flower-origin")
    redis_client.Redis.from_url(redis_server.url).flushall()
    flower_port = free_port()
    env = {
        **with_venv_path(os.environ),
        "DATABASE_URL": f"sqlite:///{directory / 'flower.db'}",
        "REDIS_URL": redis_server.url,
        "TECHSCANIQ_FLOWER_URL": f"http://127.0.0.1:{flower_port}",
        "FLOWER_BASIC_AUTH": f"{FLOWER_USER}:{FLOWER_PASSWORD}",
        "FLOWER_PORT": str(flower_port),
        "FLOWER_ADDRESS": "127.0.0.1",
    }
    settings = Settings.from_env(env)
    migrate(settings)
    with session_scope(settings) as session:
        _, admin_key = repo.create_api_key(session, "Ops Admin", label="e2e", is_admin=True)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(start_json_worker("evidence", "e2e-evidence@%h", env, directory / "evidence.log"))
        flower = start_process(["sh", "-c", procfile_commands()["flower"]], env, directory / "flower.log")
        processes.append(flower)
        wait_for_log(flower, directory / "flower.log", "Visit me at")
        app = ui_app(settings)
        with LiveServer(app) as server:
            # Chromium resolves *.localhost to loopback by itself: a second origin on the same server.
            ops_host = f"ops.localhost:{server.port}"
            app.config["TECHSCANIQ_SETTINGS"] = settings.with_overrides(flower_host=ops_host)
            yield FlowerSite(server.url, f"http://{ops_host}", admin_key)
    finally:
        for process in reversed(processes):
            stop_process(process)
        dispose_engines()


def _context(browser: Any, **options: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport=VIEWPORT, **options)
    page = context.new_page()
    page.set_default_timeout(30_000)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught script error: {error}"))
    page.on(
        "console",
        lambda message: problems.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.on(
        "request",
        lambda request: (
            None
            if re.match(r"^(http://(127\.0\.0\.1|ops\.localhost):\d+/|data:|about:)", request.url)
            else problems.append(f"request outside loopback: {request.url}")
        ),
    )
    return context, page, problems


def test_flower_lists_the_workers_on_its_own_origin_and_cannot_reach_the_app(
    browser: Any, flower_site: FlowerSite
) -> None:
    context, page, problems = _context(
        browser, http_credentials={"username": FLOWER_USER, "password": FLOWER_PASSWORD}
    )
    try:
        page.goto(f"{flower_site.ops_url}/flower/")
        page.wait_for_selector("text=e2e-evidence@")
        assert page.url.startswith(f"{flower_site.ops_url}/flower/")
        # Script in Flower's page: the app's API is another origin (blocked), and its own origin serves only Flower.
        app_api = f"{flower_site.app_url}/api/scans"
        cross_origin = page.evaluate(
            "url => fetch(url, {credentials: 'include'}).then(r => r.status, () => 'blocked')", app_api
        )
        assert cross_origin == "blocked"
        assert page.evaluate("() => fetch('/api/scans').then(r => r.status)") == 404
        assert page.evaluate("() => fetch('/flower/api/workers').then(r => r.status)") == 200
    finally:
        context.close()
    # Flower's policy (connect-src of its own origin only) is what blocked the fetch to the app.
    blocked_by_policy = [problem for problem in problems if app_api in problem]
    assert blocked_by_policy, problems
    problems = [problem for problem in problems if problem not in blocked_by_policy]
    assert not problems, problems


def test_a_signed_in_admin_is_sent_to_the_operations_host_without_the_apps_session(
    browser: Any, flower_site: FlowerSite
) -> None:
    context, page, problems = _context(browser)
    try:
        page.goto(f"{flower_site.app_url}/signin")
        page.fill("#api_key", flower_site.admin_key)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/scans$"))
        # Chromium ends a 401 with a Basic challenge and no credentials as a failed navigation.
        with (
            page.expect_response(f"{flower_site.ops_url}/flower/") as arrived,
            contextlib.suppress(PlaywrightError),
        ):
            page.goto(f"{flower_site.app_url}/flower/")
        response = arrived.value
        assert response.status == 401  # the app's session counts for nothing there ...
        assert SESSION_COOKIE_NAME not in (
            response.request.all_headers().get("cookie") or ""
        )  # ... nor is sent
    finally:
        context.close()
    assert not problems, problems
