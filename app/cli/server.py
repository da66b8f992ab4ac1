"""`stpplan serve`: the HTTP API."""

from __future__ import annotations

import typer

from app.cli.base import cli


@cli.command("serve")
def serve(
    host: str | None = typer.Option(None, help="default STP_HOST or 127.0.0.1"),
    port: int | None = typer.Option(None, help="default STP_PORT or 8000"),
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from app.settings import get_settings

    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    typer.echo(f"STP consolidation planner on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port)
