"""The deploy files agree with each other and with the platforms' formats: Procfile, Dockerfile, Compose, Railway, Render."""

from __future__ import annotations

import copy
import json
import os
import re
import shlex
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from techscaniq.config import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
SOFT_SHUTDOWN_SECONDS = Settings().worker_soft_shutdown_seconds  # celeryconfig.worker_soft_shutdown_timeout
EVENT_STREAM_SECONDS = Settings().sse_stream_seconds  # the longest SSE response
ROLES = ("web", "worker_evidence", "worker_report", "flower", "beat")
COMPOSE_SERVICES = {
    "migrate": "release",
    "web": "web",
    "worker-evidence": "worker_evidence",
    "worker-report": "worker_report",
    "flower": "flower",
    "beat": "beat",
}
RAILWAY_FILES = {
    "web": "web",
    "worker-evidence": "worker_evidence",
    "worker-report": "worker_report",
    "flower": "flower",
    "beat": "beat",
}
# Fields of Railway's config-as-code schema (railway.schema.json) this project uses or may use.
RAILWAY_BUILD_FIELDS = {"builder", "dockerfilePath", "watchPatterns", "buildCommand"}
RAILWAY_DEPLOY_FIELDS = {
    "startCommand", "preDeployCommand", "healthcheckPath", "healthcheckTimeout", "restartPolicyType",
    "restartPolicyMaxRetries", "drainingSeconds", "overlapSeconds", "numReplicas", "sleepApplication",
}  # fmt: skip


def procfile() -> dict[str, str]:
    commands = {}
    for line in (REPO_ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        commands[name.strip()] = command.strip()
    return commands


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text()))


def compose_schema() -> dict[str, Any]:
    """The Compose specification's JSON schema as shipped by the check-jsonschema package (no network)."""
    source = resources.files("check_jsonschema") / "builtin_schemas" / "vendor" / "compose-spec.json"
    return dict(json.loads(source.read_text()))


def test_procfile_has_every_role_with_the_documented_commands() -> None:
    commands = procfile()
    assert list(commands) == ["release", *ROLES]
    assert commands["release"] == "techscaniq migrate"
    web = shlex.split(commands["web"])
    assert web[:3] == ["exec", "gunicorn", "techscaniq.app:create_app()"]
    # gunicorn's own lines as JSON, like the app's (tests/integration/test_ops_logs.py runs this line).
    assert web[web.index("--config") + 1] == "python:techscaniq.gunicorn_config"
    assert web[web.index("-k") + 1] == "gthread" and int(web[web.index("--threads") + 1]) >= 8
    assert int(web[web.index("--timeout") + 1]) > EVENT_STREAM_SECONDS
    assert "${PORT:-8000}" in commands["web"]
    for role, queue, variable in (
        ("worker_evidence", "evidence", "TECHSCANIQ_EVIDENCE_CONCURRENCY"),
        ("worker_report", "reports", "TECHSCANIQ_REPORT_CONCURRENCY"),
    ):
        words = shlex.split(commands[role])
        # SIGTERM starts Celery's cold shutdown with its soft-shutdown window, then hands running tasks back; a
        # plain SIGTERM would wait for them without limit until the platform's SIGKILL.
        assert words[:3] == ["exec", "env", "REMAP_SIGTERM=SIGQUIT"]
        words = words[3:]
        # --quiet: no start-up banner, so what a worker writes is JSON log lines.
        assert words[:5] == ["celery", "-A", "techscaniq", "--quiet", "worker"]
        assert words[words.index("-Q") + 1] == queue
        assert f"${{{variable}:-" in words[words.index("-c") + 1]
        assert words[words.index("-n") + 1].endswith("@%h")
    flower = shlex.split(commands["flower"])
    assert flower[:5] == ["exec", "celery", "-A", "techscaniq", "flower"] and "--url_prefix=flower" in flower
    beat = shlex.split(commands["beat"])
    assert beat[:5] == ["exec", "celery", "-A", "techscaniq", "--quiet"] and beat[5] == "beat"
    # Beat keeps its schedule state in a file: somewhere the non-root image can write.
    assert beat[beat.index("--schedule") + 1].startswith("/tmp/")
    # Platform files wrap each line in sh -c '...'.
    assert all("'" not in command for command in commands.values())


@pytest.mark.parametrize("role", ROLES)
def test_the_role_replaces_its_shell_so_sigterm_reaches_it(role: str, tmp_path: Path) -> None:
    # Platforms signal the container's first process; a shell left in between would swallow SIGTERM.
    for program in ("celery", "gunicorn"):
        fake = tmp_path / program
        fake.write_text('#!/bin/sh\necho "pid=$$"\n')
        fake.chmod(0o755)
    env = {"PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}", "FLOWER_BASIC_AUTH": "ops:pw"}
    shell = subprocess.Popen(["sh", "-c", procfile()[role]], env=env, stdout=subprocess.PIPE, text=True)
    output, _ = shell.communicate(timeout=10)
    assert output.strip() == f"pid={shell.pid}"


def test_flower_refuses_to_start_without_basic_auth() -> None:
    line = procfile()["flower"].replace("exec celery ", "echo ", 1)  # the shell's expansion, without Celery
    env = {key: value for key, value in os.environ.items() if key != "FLOWER_BASIC_AUTH"}
    refused = subprocess.run(["sh", "-c", line], env=env, capture_output=True, text=True, timeout=10)
    assert refused.returncode != 0 and "FLOWER_BASIC_AUTH" in refused.stderr
    allowed = subprocess.run(
        ["sh", "-c", line], env={**env, "FLOWER_BASIC_AUTH": "ops:pw", "FLOWER_PORT": "6555"},
        capture_output=True, text=True, timeout=10,
    )  # fmt: skip
    assert allowed.returncode == 0
    assert "--basic_auth=ops:pw" in allowed.stdout and "--port=6555" in allowed.stdout


def test_compose_file_follows_the_compose_specification() -> None:
    schema = compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    document = compose()
    assert [error.message for error in validator.iter_errors(document)] == []
    broken = copy.deepcopy(document)
    broken["services"]["web"]["stop_grace_periods"] = "35s"
    assert list(validator.iter_errors(broken)), "the schema must catch an unknown service key"


def test_compose_runs_the_procfile_commands() -> None:
    services = compose()["services"]
    commands = procfile()
    for service, role in COMPOSE_SERVICES.items():
        shell, flag, command = services[service]["command"]
        assert (shell, flag) == ("sh", "-c")
        # Compose turns $$ into $; the container's shell then sees the Procfile's line.
        assert command.replace("$$", "$") == commands[role], service


def test_compose_services_are_durable_and_checked() -> None:
    document = compose()
    services = document["services"]
    redis_args = services["redis"]["command"]
    assert redis_args[redis_args.index("--appendonly") + 1] == "yes"
    assert redis_args[redis_args.index("--maxmemory-policy") + 1] == "noeviction"
    assert any(volume.endswith(":/data") for volume in services["redis"]["volumes"])
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in services["postgres"]["volumes"])
    assert set(document["volumes"]) == {"redis-data", "postgres-data"}
    for name in ("redis", "postgres", "web", "worker-evidence", "worker-report", "flower", "beat"):
        assert services[name]["healthcheck"]["test"], name
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker-evidence", "worker-report"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    for name in ("worker-evidence", "worker-report"):
        assert _seconds(services[name]["stop_grace_period"]) > SOFT_SHUTDOWN_SECONDS
    assert _seconds(services["web"]["stop_grace_period"]) > EVENT_STREAM_SECONDS
    assert services["web"]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    assert services["web"]["environment"]["TECHSCANIQ_FLOWER_URL"] == "http://flower:5555"
    assert (
        services["web"]["environment"]["TECHSCANIQ_FLOWER_HOST"]
        == "${TECHSCANIQ_FLOWER_HOST:-ops.localhost:8000}"
    )


def _seconds(duration: str) -> int:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match, duration
    return int(match.group(1))


def test_dockerfile_builds_one_non_root_image_whose_default_is_the_web_role() -> None:
    text = (REPO_ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.MULTILINE)
    assert re.search(r"^RUN pip install \.", text, re.MULTILINE)
    users = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    cmd = json.loads(re.findall(r"^CMD (.+)$", text, re.MULTILINE)[-1])
    assert cmd[:2] == ["sh", "-c"] and cmd[2] == procfile()["web"]
    for copied in ("pyproject.toml", "celeryconfig.py", "techscaniq"):
        assert re.search(rf"^COPY .*\b{re.escape(copied)}\b", text, re.MULTILINE), copied


@pytest.mark.parametrize("name", sorted(RAILWAY_FILES))
def test_railway_config_per_role(name: str) -> None:
    config = json.loads((REPO_ROOT / "railway" / f"{name}.json").read_text())
    assert config["$schema"] == "https://railway.com/railway.schema.json"
    assert set(config) == {"$schema", "build", "deploy"}
    assert set(config["build"]) <= RAILWAY_BUILD_FIELDS and config["build"]["builder"] == "DOCKERFILE"
    deploy = config["deploy"]
    assert set(deploy) <= RAILWAY_DEPLOY_FIELDS
    assert deploy["startCommand"] == f"sh -c '{procfile()[RAILWAY_FILES[name]]}'"
    assert deploy["restartPolicyType"] == "ALWAYS"
    assert isinstance(deploy["drainingSeconds"], int)  # Railway refuses a string here
    if name.startswith("worker"):
        assert deploy["drainingSeconds"] > SOFT_SHUTDOWN_SECONDS
    if name == "web":
        assert deploy["preDeployCommand"] == [procfile()["release"]]
        assert deploy["healthcheckPath"] == "/api/health"
        assert deploy["drainingSeconds"] > EVENT_STREAM_SECONDS
    else:
        assert "preDeployCommand" not in deploy and "healthcheckPath" not in deploy


def test_render_blueprint_runs_every_role_with_persistent_redis() -> None:
    blueprint = yaml.safe_load((REPO_ROOT / "render.yaml").read_text())
    services = {service["name"]: service for service in blueprint["services"]}
    roles = {
        "techscaniq-web": ("web", "web"),
        "techscaniq-worker-evidence": ("worker", "worker_evidence"),
        "techscaniq-worker-report": ("worker", "worker_report"),
        "techscaniq-flower": ("pserv", "flower"),
        "techscaniq-beat": ("worker", "beat"),
    }
    for name, (kind, role) in roles.items():
        service = services[name]
        assert service["type"] == kind and service["runtime"] == "docker"
        assert service["dockerCommand"] == f"sh -c '{procfile()[role]}'"
        assert 1 <= service["maxShutdownDelaySeconds"] <= 300
        keys = {var.get("key") for var in service["envVars"]}
        assert "REDIS_URL" in keys and {"fromGroup": "techscaniq-shared"} in service["envVars"]
    for worker in ("techscaniq-worker-evidence", "techscaniq-worker-report"):
        assert services[worker]["maxShutdownDelaySeconds"] > SOFT_SHUTDOWN_SECONDS
    assert services["techscaniq-web"]["maxShutdownDelaySeconds"] > EVENT_STREAM_SECONDS
    assert services["techscaniq-web"]["preDeployCommand"] == procfile()["release"]
    assert {"key": "TECHSCANIQ_FLOWER_HOST", "sync": False} in services["techscaniq-web"]["envVars"]
    key_value = services["techscaniq-redis"]
    assert key_value["type"] == "keyvalue" and key_value["maxmemoryPolicy"] == "noeviction"
    assert key_value["plan"] != "free"  # the free plan keeps nothing across a restart
    assert key_value["ipAllowList"] == []
    assert blueprint["databases"][0]["name"] == "techscaniq-db"
    shared = {var["key"]: var for var in blueprint["envVarGroups"][0]["envVars"]}
    assert shared["FLOWER_BASIC_AUTH"] == {"key": "FLOWER_BASIC_AUTH", "sync": False}
