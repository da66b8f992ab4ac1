"""Settings from the environment (prefix `STP_` optional for everything but DATABASE_URL)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The repository (or, in the container, the install directory: the package is installed editable). The
# default database and `.env` are found here, so `stpplan` uses the same database from any directory.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=PROJECT_ROOT / ".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/stp-planner.sqlite3",
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL; a relative SQLite path is taken from the project directory, whatever "
        "the working directory; postgresql+psycopg://… in production",
    )
    host: str = Field(default="127.0.0.1", validation_alias="STP_HOST")
    port: int = Field(default=8000, validation_alias="STP_PORT")
    page_size_default: int = Field(default=100, validation_alias="STP_PAGE_SIZE_DEFAULT")
    page_size_max: int = Field(default=1000, validation_alias="STP_PAGE_SIZE_MAX")
    bulk_max_rows: int = Field(default=200_000, validation_alias="STP_BULK_MAX_ROWS")
    upload_max_bytes: int = Field(default=25 * 1024 * 1024, validation_alias="STP_UPLOAD_MAX_BYTES")
    sql_echo: bool = Field(default=False, validation_alias="STP_SQL_ECHO")

    # Spreadsheet uploads (docs/finance-directors/excel.md): zip-bomb guards, checked from the zip directory
    # before parsing. Every setting is documented in docs/operators/index.md (a test compares the two).
    upload_max_uncompressed_bytes: int = Field(
        default=500 * 1024 * 1024, validation_alias="STP_UPLOAD_MAX_UNCOMPRESSED_BYTES"
    )
    upload_max_compression_ratio: int = Field(
        default=200, validation_alias="STP_UPLOAD_MAX_COMPRESSION_RATIO"
    )
    upload_max_zip_entries: int = Field(default=10_000, validation_alias="STP_UPLOAD_MAX_ZIP_ENTRIES")
    upload_max_reported_problems: int = Field(
        default=1000, validation_alias="STP_UPLOAD_MAX_REPORTED_PROBLEMS"
    )

    # Optimisation runs (docs/planners/runs.md): local worker processes, heartbeat and reaper timings (s).
    run_workers: int = Field(default=2, ge=1, validation_alias="STP_RUN_WORKERS")
    run_heartbeat_seconds: float = Field(default=5.0, gt=0, validation_alias="STP_RUN_HEARTBEAT_SECONDS")
    run_stale_after_seconds: float = Field(default=60.0, gt=0, validation_alias="STP_RUN_STALE_AFTER_SECONDS")
    run_reap_every_seconds: float = Field(default=15.0, gt=0, validation_alias="STP_RUN_REAP_EVERY_SECONDS")

    # Web pages (docs/pages.md): the session cookie is signed with this secret. Empty: a random secret per
    # process, so sessions end when the server restarts (set it when several processes serve the pages).
    session_secret: str = Field(default="", validation_alias="STP_SESSION_SECRET")
    session_max_age_seconds: int = Field(
        default=8 * 3600, gt=0, validation_alias="STP_SESSION_MAX_AGE_SECONDS"
    )
    # Browsers keep Secure cookies over plain http only for localhost; behind TLS this stays true.
    session_cookie_secure: bool = Field(default=True, validation_alias="STP_SESSION_COOKIE_SECURE")

    # Where runs execute (docs/operators/deploy.md): `local` worker processes of the API's machine, or
    # `celery` workers (`stpplan worker`, on any number of machines sharing the database) fed through Redis.
    run_executor: Literal["local", "celery"] = Field(default="local", validation_alias="RUN_EXECUTOR")
    broker_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias="BROKER_URL",
        description="Celery broker (Redis) for RUN_EXECUTOR=celery",
    )
    celery_queue: str = Field(
        default="stpplan-runs",
        pattern=r"^[A-Za-z0-9_.-]{1,100}$",
        validation_alias="STP_CELERY_QUEUE",
        description="queue name; also prefixes every key the broker keeps, so deployments can share a Redis",
    )
    # A worker stops a run's solver at this many seconds whatever the run asked for (RunOptions allow
    # up to 3600), so the broker's visibility timeout below can be set safely above the longest solve.
    run_max_solve_seconds: float = Field(default=3600.0, gt=0, validation_alias="STP_RUN_MAX_SOLVE_SECONDS")
    celery_visibility_timeout_seconds: float = Field(
        default=7200.0, gt=0, validation_alias="STP_CELERY_VISIBILITY_TIMEOUT_SECONDS"
    )
    celery_connect_timeout_seconds: float = Field(
        default=4.0, gt=0, validation_alias="STP_CELERY_CONNECT_TIMEOUT_SECONDS"
    )

    @model_validator(mode="after")
    def _visibility_outlasts_a_solve(self) -> Settings:
        # The broker hands an unacknowledged task to another worker after the visibility timeout: were
        # it shorter than a solve (plus the solver's model building and the result's commit), a live
        # worker's run would be delivered twice. Half a solve again is the margin for building and storing.
        least = 1.5 * self.run_max_solve_seconds + self.run_stale_after_seconds
        if self.celery_visibility_timeout_seconds < least:
            raise ValueError(
                f"STP_CELERY_VISIBILITY_TIMEOUT_SECONDS ({self.celery_visibility_timeout_seconds:g}) must "
                f"be at least 1.5 x STP_RUN_MAX_SOLVE_SECONDS + STP_RUN_STALE_AFTER_SECONDS ({least:g})"
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _sqlite_path_from_the_project(cls, url: str) -> str:
        """`sqlite:///var/x.sqlite3` means the project's var/, not the working directory's: `stpplan`
        run from anywhere uses the same database."""
        prefix = "sqlite:///"
        if not url.startswith(prefix):
            return url
        path, question, query = url[len(prefix) :].partition("?")
        if not path or path == ":memory:" or path.startswith("file:") or Path(path).is_absolute():
            return url
        return f"{prefix}{PROJECT_ROOT / path}{question}{query}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
