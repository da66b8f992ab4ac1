"""0006: assumption sets stored before rule 10 had modes keep `own` (their meaning then) and say so;
new sets default to `shared`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from migrations.config import downgrade, upgrade
from tests.databases import fresh_engine


def test_stored_sets_keep_own_mode_and_say_so(backend: str, tmp_path: Path) -> None:
    with fresh_engine(backend, tmp_path, migrate=False) as engine:
        url = engine.url.render_as_string(hide_password=False)
        upgrade(url, revision="0005")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO footprint (code, name, region, maturity, created_at, updated_at) "
                    "VALUES ('QXX', 'Test', 'London', 'developing', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            footprint_id = connection.execute(
                text("SELECT id FROM footprint WHERE code = 'QXX'")
            ).scalar_one()
            connection.execute(
                text(
                    "INSERT INTO assumption_set (footprint_id, name, description, discount_rate,"
                    " horizon_years, optimism_bias_cost_uplift, optimism_bias_savings_haircut,"
                    " board_acceptability,"
                    " board_tolerance_pence, function_assumptions, yearly_limits, created_at, updated_at)"
                    " VALUES (:f, 'old', '', 0.035, 5, 0, 0, :on, 0, '{}', '{}', CURRENT_TIMESTAMP,"
                    " CURRENT_TIMESTAMP)"
                ),
                {"f": footprint_id, "on": True},
            )
        upgrade(url)
        with engine.connect() as connection:
            mode, note = connection.execute(
                text("SELECT board_mode, board_mode_note FROM assumption_set WHERE name = 'old'")
            ).one()
        assert mode == "own"
        assert note is not None and "own" in note and "shared" in note
        downgrade(url, revision="0005")
        upgrade(url)
