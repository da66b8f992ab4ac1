"""Settings from the environment (prefix `STP_` optional for everything but DATABASE_URL)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("var")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_DATA_DIR / 'stp-planner.sqlite3'}",
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL; SQLite file by default, postgresql+psycopg://… in production",
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


@lru_cache
def get_settings() -> Settings:
    return Settings()
