"""The `stpplan` application object and what every command group shares."""

from __future__ import annotations

import typer

cli = typer.Typer(help="STP back-office consolidation planner", no_args_is_help=True)


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
