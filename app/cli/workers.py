"""`stpplan worker`: a Celery worker for RUN_EXECUTOR=celery (see docs/deploy.md)."""

from __future__ import annotations

import typer

from app.cli.base import cli


@cli.command("worker")
def worker_command(
    concurrency: int | None = typer.Option(None, help="runs at a time here; default STP_RUN_WORKERS"),
    loglevel: str = typer.Option("INFO", help="DEBUG, INFO, WARNING or ERROR"),
) -> None:
    """A Celery worker (RUN_EXECUTOR=celery): runs from BROKER_URL, results into DATABASE_URL."""
    from app.runs.tasks import start_worker

    start_worker(concurrency=concurrency, loglevel=loglevel)
