"""The `techscaniq` command: serve, scan, migrate, keys, status."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from techscaniq.cli_webhooks import add_webhooks_commands
from techscaniq.config import Settings
from techscaniq.domain import Evidence
from techscaniq.errors import TechScanError


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as error:
        raise SystemExit(f"techscaniq: bad setting: {error}") from error


def cmd_migrate(_: argparse.Namespace) -> int:
    """Bring the database to the latest schema."""
    from techscaniq.storage.db import migrate

    settings = _settings()
    revision = migrate(settings)
    print(f"database at revision {revision} ({_safe_url(settings.database_url)})")
    return 0


def _safe_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def cmd_keys_create(args: argparse.Namespace) -> int:
    """Create an API key and print it alone on the last line."""
    from techscaniq.storage import repo
    from techscaniq.storage.db import migrate, session_scope

    org = args.org.strip()
    if not org:
        raise SystemExit("techscaniq: --org must not be empty")
    settings = _settings()
    migrate(settings)
    with session_scope(settings) as session:
        key, secret = repo.create_api_key(session, org, label=args.label, is_admin=args.admin)
    kind = "admin key" if key.is_admin else "key"
    print(f"created {kind} {key.prefix}… for organisation '{key.org_name}' (id {key.id})", file=sys.stderr)
    print(secret)
    return 0


def cmd_keys_list(_: argparse.Namespace) -> int:
    """List API keys (never their secrets)."""
    from techscaniq.storage import repo
    from techscaniq.storage.db import migrate, session_scope

    settings = _settings()
    migrate(settings)
    with session_scope(settings, write=False) as session:
        keys = repo.list_api_keys(session)
    for key in keys:
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        role = "admin" if key.is_admin else "member"
        print(f"{key.id}  {key.prefix}…  {role:6}  {state:18}  {key.org_name}  {key.label or ''}")
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    """Revoke an API key by id or prefix."""
    from techscaniq.storage import repo
    from techscaniq.storage.db import session_scope

    settings = _settings()
    with session_scope(settings) as session:
        key = repo.revoke_api_key(session, args.key)
    print(f"revoked {key.prefix}… of '{key.org_name}'")
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    """Scan one company in-process (no broker), showing progress, and print where the report is."""
    return run_scan_in_process(
        _settings(), args.url, company=args.company, criteria=args.criteria, org=args.org, output=args.output
    )


def run_scan_in_process(
    settings: Settings,
    url: str,
    *,
    company: str | None,
    criteria: str | None,
    org: str | None,
    output: str | None,
    metadata: dict[str, object] | None = None,
) -> int:
    """Create a scan (validated as the API validates a submission) and run both pipeline steps in this process."""
    from techscaniq import pipeline
    from techscaniq.domain import StepName
    from techscaniq.errors import ValidationError
    from techscaniq.scans import service
    from techscaniq.storage import repo
    from techscaniq.storage.db import migrate, session_scope

    body = {
        # Named after the normalised URL when no company is given (below).
        "company_name": company or "unnamed",
        "website_url": url,
        "primary_criteria": criteria,
        "organization_name": org,
        "metadata": {"source": "cli", **(metadata or {})},
    }
    try:
        service.validate_submission(settings, body)
    except ValidationError as error:
        raise SystemExit(_validation_message(url, error)) from error
    migrate(settings)
    scan_id, submission = service.create_local_scan(settings, body, org_name=org, named_after_url=not company)
    print(
        f"scan {scan_id}: {submission.company_name} ({submission.website_url}) against '{submission.thesis.name}'"
    )
    owner = f"cli:{socket.gethostname()}:{os.getpid()}"
    for step, function in ((StepName.EVIDENCE, pipeline.collect), (StepName.REPORT, pipeline.report)):
        try:
            outcome = function(settings, scan_id, owner=owner, on_console=print)
        except Exception as error:  # noqa: BLE001 - the CLI reports every failure the same way
            pipeline.fail_scan(settings, scan_id, step, error)
            code = error.code if isinstance(error, TechScanError) else "internal_error"
            print(f"scan {scan_id} failed in {step}: {code}: {error}", file=sys.stderr)
            return 1
        if outcome == pipeline.StepOutcome.CANCELLED:
            print(f"scan {scan_id} was cancelled")
            return 1
    with session_scope(settings, write=False) as session:
        stored = repo.latest_report(session, scan_id)
        items = repo.count_evidence(session, scan_id)
    if stored is None:
        print(f"scan {scan_id} produced no report", file=sys.stderr)
        return 1
    out_dir = Path(output or settings.data_dir / "reports")
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in write_report_files(
        stored.content, out_dir / scan_id, service.report_screenshot(settings, stored)
    ):
        print(f"report: {path}")
    print(f"collected {items} evidence items; report {stored.id} (version {stored.version})")
    print(f"API: GET /api/reports/{stored.id}")
    return 0


def _validation_message(url: str, error: TechScanError) -> str:
    """The line the CLI exits with for a refused submission: the same code and field messages as the API's."""
    fields = error.fields or {}
    if error.code != "validation_error" and "website_url" in fields:
        return f"techscaniq: refused {url}: {fields['website_url']} ({error.code})"
    return f"techscaniq: {error.code}: {error.message} {fields or ''}".rstrip()


def write_report_files(content: dict[str, Any], stem: Path, screenshot: Evidence | None = None) -> list[Path]:
    """Write the report as JSON, Markdown, HTML and (when WeasyPrint can run here) PDF, side by side; the HTML
    and PDF are headed by the home-page screenshot when its item is given."""
    from techscaniq.report import render

    written = [stem.with_suffix(".json"), stem.with_suffix(".md"), stem.with_suffix(".html")]
    written[0].write_text(json.dumps(content, indent=2, sort_keys=True))
    written[1].write_text(render.render_markdown(content), encoding="utf-8")
    written[2].write_text(render.render_html(content, screenshot), encoding="utf-8")
    try:
        stem.with_suffix(".pdf").write_bytes(render.render_pdf(content, screenshot))
        written.append(stem.with_suffix(".pdf"))
    except render.PdfUnavailable as error:
        print(f"PDF skipped: {error.message}", file=sys.stderr)
    return written


def cmd_demo(args: argparse.Namespace) -> int:
    """Scan the bundled fictional company on loopback: no internet and no root needed."""
    from datetime import date

    from techscaniq.demo.dns_server import LoopbackDNSServer
    from techscaniq.demo.server import SiteServer

    settings = _settings()
    with SiteServer.started(pages=args.pages, as_of=date.today()) as server:
        site = server.site
        with LoopbackDNSServer(site.dns_zone()) as dns_server:
            demo_settings = settings.with_overrides(
                allow_networks=tuple(sorted({*settings.allow_networks, "127.0.0.0/24"})),
                dns_servers=(dns_server.address,),
            )
            print(f"demo site: {site.url('www', '/')} (DNS on {dns_server.address})")
            return run_scan_in_process(
                demo_settings,
                site.url("www", "/"),
                company=str(site.manifest["company"]["name"]),
                criteria=args.criteria,
                org=None,
                output=args.output,
            )


def cmd_status(_: argparse.Namespace) -> int:
    """Print queue depths, workers and running scans."""
    from techscaniq.ops_status import collect_status, format_status

    print(format_status(collect_status(_settings())))
    return 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_private_redis(data_dir: Path) -> tuple[subprocess.Popen[bytes], str] | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    port = _free_port()
    redis_dir = data_dir / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            binary,
            "--bind", "127.0.0.1", "--port", str(port), "--dir", str(redis_dir),
            "--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction",
            "--save", "", "--protected-mode", "yes",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.1)
    process.terminate()
    return None


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the API (under gunicorn where it can run) and, unless --api-only, a worker for each queue (on an
    embedded broker without Redis)."""
    from techscaniq.broker import EVIDENCE_QUEUE, QUEUES
    from techscaniq.storage import repo
    from techscaniq.storage.db import migrate, session_scope

    settings = _settings()
    children: list[subprocess.Popen[bytes]] = []
    env = dict(os.environ)
    if not args.api_only and not settings.redis_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        private = None if args.sqlite_broker else _start_private_redis(settings.data_dir)
        if private is not None:
            children.append(private[0])
            env["REDIS_URL"] = private[1]
            print(f"broker: private redis-server at {private[1]} (data in {settings.data_dir / 'redis'})")
        else:
            print(
                f"broker: embedded SQLite transport ({settings.broker_url}); install Redis for Flower and scale-out"
            )
        os.environ.update(env)
        settings = Settings.from_env()
    migrate(settings)
    with session_scope(settings) as session:
        if settings.auth_mode == "required" and repo.count_admin_keys(session) == 0:
            _, secret = repo.create_api_key(session, "Admin", label="created on first run", is_admin=True)
            print("first run: created an admin API key (shown once, keep it):")
            print(f"  {secret}")
    if not args.api_only:
        for queue in QUEUES:
            concurrency = (
                settings.evidence_concurrency if queue == EVIDENCE_QUEUE else settings.report_concurrency
            )
            command = [
                sys.executable, "-m", "celery", "-A", "techscaniq", "--quiet", "worker", "-Q", queue,
                "-c", str(concurrency), "-n", f"{queue}@%h", "--loglevel", settings.log_level,
            ]  # fmt: skip
            children.append(subprocess.Popen(command, env=env))
    web = _start_gunicorn(args.host, settings.port, env)
    if web is not None:
        children.append(web)
    print(f"techscaniq API on http://{args.host}:{settings.port}/  (health: /api/health)", flush=True)

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    status = 0
    try:
        if web is not None:
            status = web.wait()
        else:
            from werkzeug.serving import run_simple

            from techscaniq.app import create_app

            run_simple(args.host, settings.port, create_app(settings), threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        for child in reversed(children):
            child.terminate()
        for child in reversed(children):
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()
    return status


# The Procfile's web line, less the bind: one gunicorn worker with threads, JSON logs (gunicorn_config.py).
GUNICORN_FLAGS = ("-k", "gthread", "--threads", "8", "--timeout", "60", "--graceful-timeout", "30")


def _start_gunicorn(host: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes] | None:
    """Run the API under gunicorn as the Procfile does; None where gunicorn cannot run (e.g. Windows)."""
    import importlib.util

    if importlib.util.find_spec("gunicorn") is None or sys.platform == "win32":
        return None
    command = [
        sys.executable, "-m", "gunicorn", "techscaniq.app:create_app()",
        "--config", "python:techscaniq.gunicorn_config", "--bind", f"{host}:{port}", *GUNICORN_FLAGS,
    ]  # fmt: skip
    return subprocess.Popen(command, env=env)


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="techscaniq", description="Outside-in technology due diligence.")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("migrate", help="bring the database to the latest schema").set_defaults(
        func=cmd_migrate
    )

    serve = commands.add_parser("serve", help="run the API and workers for both queues")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--api-only", action="store_true", help="run only the API (workers run elsewhere)")
    serve.add_argument(
        "--sqlite-broker", action="store_true", help="use the SQLite broker even if redis-server exists"
    )
    serve.set_defaults(func=cmd_serve)

    scan = commands.add_parser("scan", help="scan one company in this process and write its report")
    scan.add_argument("url")
    scan.add_argument("--company", default=None)
    scan.add_argument("--criteria", default=None, help="thesis slug (default digital-transformation)")
    scan.add_argument("--org", default=None, help="organisation that owns the scan")
    scan.add_argument("--output", default=None, help="folder for the report files")
    scan.set_defaults(func=cmd_scan)

    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(
        dest="keys_command", required=True
    )
    create = keys.add_parser("create", help="create a key; prints it alone on the last line")
    create.add_argument("--org", required=True)
    create.add_argument("--admin", action="store_true")
    create.add_argument("--label", default=None)
    create.set_defaults(func=cmd_keys_create)
    keys.add_parser("list", help="list keys").set_defaults(func=cmd_keys_list)
    revoke = keys.add_parser("revoke", help="revoke a key by id or prefix")
    revoke.add_argument("key")
    revoke.set_defaults(func=cmd_keys_revoke)

    commands.add_parser("status", help="running scans and queue depths").set_defaults(func=cmd_status)
    add_webhooks_commands(commands)

    demo = commands.add_parser("demo", help="scan the bundled fictional company on loopback (no internet)")
    demo.add_argument("--pages", type=int, default=320, help="size of the demo site")
    demo.add_argument("--criteria", default=None, help="thesis slug (default digital-transformation)")
    demo.add_argument("--output", default=None, help="folder for the report files")
    demo.set_defaults(func=cmd_demo)

    from techscaniq.workflow.cli import add_workflow_commands  # the analyst's workflow: diff, compare

    add_workflow_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `techscaniq` command."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except TechScanError as error:
        print(f"techscaniq: {error.code}: {error.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
