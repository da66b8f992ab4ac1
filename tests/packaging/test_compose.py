"""The production packaging, checked without a Docker daemon: compose.yaml loaded as YAML and its
services, commands, health checks and environment held against what the app really reads and runs;
the Dockerfile's shape (tests/docs/test_operator_settings.py checks every setting is documented)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from app.cli import cli
from app.main import create_app
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "api", "worker")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return document


def setting_names() -> set[str]:
    return {str(field.validation_alias) for field in Settings.model_fields.values()}


def test_the_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "api", "worker"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    for name in APP_SERVICES:
        # One image for the API and the worker.
        assert services[name]["image"] == "stp-planner:latest" and services[name]["build"] == "."
    # Scalable: nothing that would clash between replicas of the worker.
    worker = services["worker"]
    assert "container_name" not in worker and "ports" not in worker and "hostname" not in worker
    assert set(compose["volumes"]) == {"postgres-data", "redis-data"}


def test_the_commands_are_real_commands(compose: dict[str, Any]) -> None:
    commands = {name: compose["services"][name]["command"] for name in APP_SERVICES}
    assert commands == {
        "migrate": ["stpplan", "db", "upgrade"],
        "api": ["stpplan", "serve"],
        "worker": ["stpplan", "worker"],
    }
    runner = CliRunner()
    for command in [*commands.values(), ["stpplan", "worker", "--ping"]]:
        shown = runner.invoke(cli, [*command[1:], "--help"])
        assert shown.exit_code == 0, (command, shown.output)
    assert "--ping" in runner.invoke(cli, ["worker", "--help"]).output


def test_migrations_run_once_before_the_api_and_the_workers(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ("api", "worker"):
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"},
            "redis": {"condition": "service_healthy"},
        }
        assert "upgrade" not in " ".join(services[name]["command"])


def test_health_checks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert services["worker"]["healthcheck"]["test"] == ["CMD", "stpplan", "worker", "--ping"]
    api_check = " ".join(services["api"]["healthcheck"]["test"])
    port = services["api"]["environment"]["STP_PORT"]
    match = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", api_check)
    assert match and match.group(1) == port and f"{port}:{port}" in services["api"]["ports"]
    # The path checked is the app's public health route.
    routes = {getattr(r, "path", None) for r in create_app().routes}
    assert match.group(2) == "/health" and "/health" in routes


def test_the_environment_is_what_the_app_reads(compose: dict[str, Any]) -> None:
    services = compose["services"]
    names = setting_names()
    postgres = services["postgres"]["environment"]
    for name in APP_SERVICES:
        environment = {k: str(v) for k, v in services[name]["environment"].items()}
        unknown = set(environment) - names
        assert not unknown, f"{name} sets variables the app never reads: {unknown}"
        settings = Settings(_env_file=None, **environment)  # type: ignore[call-arg]
        assert settings.run_executor == "celery"
        url = make_url(settings.database_url)
        assert url.drivername == "postgresql+psycopg" and url.host == "postgres"
        assert (url.username, url.database) == (postgres["POSTGRES_USER"], postgres["POSTGRES_DB"])
        assert url.password == postgres["POSTGRES_PASSWORD"]  # the same ${POSTGRES_PASSWORD} expression
        broker = make_url(settings.broker_url)
        assert (broker.drivername, broker.host, broker.port) == ("redis", "redis", 6379)
        assert settings.celery_visibility_timeout_seconds >= 1.5 * settings.run_max_solve_seconds
    api = Settings(_env_file=None, **{k: str(v) for k, v in services["api"]["environment"].items()})  # type: ignore[call-arg]
    assert api.host == "0.0.0.0"
    # The API and the workers agree on everything they share.
    worker_env = services["worker"]["environment"]
    assert {k: v for k, v in services["api"]["environment"].items() if k in worker_env} == worker_env


def test_the_dockerfile() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM (\S+)", text, flags=re.MULTILINE)
    assert stages and all(s.startswith("python:3.11-slim") for s in stages)
    final = text[text.rindex("\nFROM ") :]
    user = re.search(r"^USER (\S+)", final, flags=re.MULTILINE)
    assert user and user.group(1) not in ("root", "0")
    assert "HEALTHCHECK" in final and "/health" in final
    assert "COPY requirements.lock" in text and "pip install -r requirements.lock" in text
    # On its own the image migrates then serves; compose.yaml migrates once, in its migrate service.
    assert re.search(r'^CMD \["sh", "-c", "stpplan db upgrade && stpplan serve"\]', final, flags=re.MULTILINE)
    for directory in ("app", "models", "solver", "migrations", "fixtures"):
        assert f"COPY {directory} ./{directory}" in text
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".venv" in ignored and ".git" in ignored
