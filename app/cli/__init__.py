"""`stpplan`: the command line for the same jobs as the API (migrate, serve, demo, import, run, export).

One module per command group; each registers its commands on `cli` (app/cli/base.py) when imported.
"""

from __future__ import annotations

from app.cli import data, db, runs, server, tokens, workers
from app.cli.base import cli

__all__ = ["cli", "main", "data", "db", "runs", "server", "tokens", "workers"]


def main() -> None:
    cli()
