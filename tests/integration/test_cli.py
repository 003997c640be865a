"""The `techscaniq` command as a user runs it: migrate, keys, an in-process scan, and clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.sites import LoopbackSite

pytestmark = pytest.mark.integration


def _run(
    tmp_path: Path, *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL"}}
    env.update({"TECHSCANIQ_DATA_DIR": str(tmp_path / "data"), **(extra_env or {})})
    return subprocess.run(
        [sys.executable, "-m", "techscaniq.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_migrate_is_idempotent_and_keys_print_alone_on_the_last_line(tmp_path: Path) -> None:
    first, second = _run(tmp_path, "migrate"), _run(tmp_path, "migrate")
    assert first.returncode == second.returncode == 0
    assert first.stdout.split()[:4] == second.stdout.split()[:4] == ["database", "at", "revision", "0005"]
    created = _run(tmp_path, "keys", "create", "--org", "Test PE Firm", "--admin", "--label", "Jane Analyst")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("tsq_") and " " not in key
    listed = _run(tmp_path, "keys", "list")
    assert "Test PE Firm" in listed.stdout and "Jane Analyst" in listed.stdout and key not in listed.stdout
    revoked = _run(tmp_path, "keys", "revoke", key[:12])
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert "revoked" in _run(tmp_path, "keys", "list").stdout
    assert _run(tmp_path, "keys", "create", "--org", "  ").returncode != 0


def test_scan_runs_in_process_and_writes_the_report(tmp_path: Path) -> None:
    with LoopbackSite() as site:
        result = _run(
            tmp_path, "scan", site.url, "--company", "Acme Analytics", "--criteria", "margin-expansion",
            "--output", str(tmp_path / "out"),
        )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "[evidence]" in result.stdout and "%" in result.stdout  # progress on the terminal
    written = [line.split(": ", 1)[1] for line in result.stdout.splitlines() if line.startswith("report: ")]
    suffixes = {Path(path).suffix for path in written}
    assert {".json", ".md", ".html"} <= suffixes
    report = json.loads(Path(next(p for p in written if p.endswith(".json"))).read_text())
    assert report["header"]["thesis"]["slug"] == "margin-expansion"
    assert "Acme Analytics" in Path(next(p for p in written if p.endswith(".html"))).read_text()


def test_scan_refuses_bad_input_with_a_clear_message(tmp_path: Path) -> None:
    refused = _run(tmp_path, "scan", "http://127.0.0.1:9/", extra_env={"TECHSCANIQ_ALLOW_NETWORKS": ""})
    assert refused.returncode != 0 and "ssrf_blocked_address" in refused.stderr
    unknown = _run(tmp_path, "scan", "https://acme-analytics.com/", "--criteria", "get-rich-quick")
    assert unknown.returncode != 0 and "primary_criteria" in unknown.stderr


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        (("http://127.0.0.1:9/", "--criteria", "get-rich-quick"), "primary_criteria"),
        (("ftp://127.0.0.1:9/",), "website_url"),
        (("http://127.0.0.1:9/", "--org", "bad\x01org"), "organization_name"),
    ],
)
def test_the_cli_and_the_api_refuse_a_submission_with_the_same_error(
    tmp_path: Path, arguments: tuple[str, ...], field: str
) -> None:
    from techscaniq.app import create_app
    from techscaniq.config import Settings
    from techscaniq.storage.db import migrate

    settings = Settings.from_env(
        {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'api.db'}", "TECHSCANIQ_AUTH": "off"}
    ).with_overrides(data_dir=tmp_path / "api-data")
    migrate(settings)
    options = dict(zip(arguments[1::2], arguments[2::2], strict=True))
    body: dict[str, object] = {"company_name": "unnamed", "website_url": arguments[0]}
    if "--criteria" in options:
        body["primary_criteria"] = options["--criteria"]
    if "--org" in options:
        body["organization_name"] = options["--org"]
    answer = create_app(settings).test_client().post("/api/scans", json=body)
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert set(error["fields"]) == {field}

    refused = _run(tmp_path, "scan", *arguments)
    assert refused.returncode != 0
    assert error["code"] in refused.stderr
    assert error["fields"][field] in refused.stderr
