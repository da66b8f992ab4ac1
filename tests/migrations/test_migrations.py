"""Alembic is the only way the schema is made: it must go up and down, and agree with the models."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import models
from migrations.config import alembic_config, downgrade, upgrade
from tests.databases import fresh_engine


def test_one_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"migrations have several heads: {heads}"


def test_upgrade_downgrade_upgrade(backend: str, tmp_path: Path) -> None:
    with fresh_engine(backend, tmp_path, migrate=False) as engine:
        url = engine.url.render_as_string(hide_password=False)
        upgrade(url)
        assert set(models.Base.metadata.tables) <= set(inspect(engine).get_table_names())
        downgrade(url, revision="base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(url)
        assert set(models.Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_models_and_migrations_agree(backend: str, tmp_path: Path) -> None:
    with fresh_engine(backend, tmp_path) as engine, engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, models.Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
