"""`stpplan worker`: a Celery worker for RUN_EXECUTOR=celery (see docs/operators/deploy.md)."""

from __future__ import annotations

import typer

from app.cli.base import cli


@cli.command("worker")
def worker_command(
    concurrency: int | None = typer.Option(None, help="runs at a time here; default STP_RUN_WORKERS"),
    loglevel: str = typer.Option("INFO", help="DEBUG, INFO, WARNING or ERROR"),
    ping: bool = typer.Option(False, "--ping", help="health check: exit 0 if this machine's worker answers"),
) -> None:
    """A Celery worker (RUN_EXECUTOR=celery): runs from BROKER_URL, results into DATABASE_URL."""
    if ping:
        from app.runs.tasks import ping_local_worker

        if not ping_local_worker():
            typer.echo("no worker on this machine answered", err=True)
            raise typer.Exit(code=1)
        typer.echo("worker answered")
        return
    from app.runs.tasks import start_worker

    start_worker(concurrency=concurrency, loglevel=loglevel)
