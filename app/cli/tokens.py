"""`stpplan token create|revoke|list|bootstrap`: API tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from app.cli.base import cli

if TYPE_CHECKING:
    from models import ApiToken

token_cli = typer.Typer(help="API tokens (who may do what: docs/analysts/access.md)", no_args_is_help=True)
cli.add_typer(token_cli, name="token")


def _token_line(token: ApiToken) -> str:
    state = "revoked" if token.revoked_at else f"expires {token.expires_at:%Y-%m-%d %H:%M}Z"
    where = "all footprints" if token.role.sees_every_footprint else ", ".join(token.footprint_codes)
    return f"{token.id:>5}  {token.name}  [{token.role.value}: {where}]  {state}"


@token_cli.command("create")
def token_create(
    role: str = typer.Option(..., help="finance_director, planner, analyst or admin"),
    name: str = typer.Option(..., help="who holds it; the audit trail shows this name"),
    footprint: list[str] = typer.Option([], help="a footprint it may touch (repeat for several)"),
    expires_in_days: int = typer.Option(90, min=1, help="days until it stops working"),
) -> None:
    """Create a token and print it: it is shown this once and cannot be recovered later."""
    from datetime import timedelta

    from app.auth.rules import command_line_caller
    from app.auth.service import issue_token, record_token_change
    from app.core.errors import ProblemError
    from models import Role
    from models.base import utcnow
    from models.session import session_scope

    try:
        parsed_role = Role(role)
    except ValueError:
        raise typer.BadParameter(f"role is one of {', '.join(r.value for r in Role)}") from None
    caller = command_line_caller()
    try:
        with session_scope() as session:
            issued = issue_token(
                session,
                caller,
                name=name,
                role=parsed_role,
                footprints=footprint,
                expires_at=utcnow() + timedelta(days=expires_in_days),
            )
            token = issued.token
            record_token_change(session, caller, "create_token", token)
            line = _token_line(token)
    except ProblemError as exc:
        typer.echo(f"refused: {exc.detail}", err=True)
        for error in exc.errors:
            typer.echo(f"  {error['message']}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(line)
    typer.echo(issued.secret)


@token_cli.command("revoke")
def token_revoke(
    key: str = typer.Argument(..., help="the token's id, or its name when only one has it"),
) -> None:
    """Revoke a token: it stops working at once."""
    from app.auth.rules import command_line_caller
    from app.auth.service import find_tokens, record_token_change, revoke_token
    from app.core.errors import ProblemError
    from models.session import session_scope

    caller = command_line_caller()
    try:
        with session_scope() as session:
            tokens = find_tokens(session, key)
            if len(tokens) != 1:
                found = "; ".join(_token_line(t) for t in tokens) or "none"
                typer.echo(f"{key!r} must name exactly one token (found: {found}); give the id", err=True)
                raise typer.Exit(code=1)
            token = revoke_token(session, tokens[0])
            record_token_change(session, caller, "revoke_token", token)
            line = _token_line(token)
    except ProblemError as exc:
        typer.echo(f"refused: {exc.detail}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(line)


@token_cli.command("list")
def token_list() -> None:
    """Every token (never the secrets: only their hashes are stored)."""
    from app.auth.service import list_tokens
    from models.session import session_scope

    with session_scope() as session:
        for token in list_tokens(session):
            typer.echo(_token_line(token))


@token_cli.command("bootstrap")
def token_bootstrap() -> None:
    """Create the admin token `demo-admin` and print it, unless a live admin token exists already."""
    from app.auth.rules import command_line_caller
    from app.auth.service import bootstrap_admin
    from app.settings import get_settings
    from models.session import session_scope

    with session_scope() as session:
        issued = bootstrap_admin(session, command_line_caller())
        secret = issued.secret if issued else None
    if secret is None:
        typer.echo(
            "An admin token exists already (stpplan token list); a new one: stpplan token create --role admin"
        )
        return
    settings = get_settings()
    typer.echo("")
    typer.echo(f"  Admin token (shown once; keep it): {secret}")
    typer.echo(
        f"  In http://{settings.host}:{settings.port}/docs press Authorize and paste it as the bearer value;"
    )
    typer.echo(f"  with curl: -H 'Authorization: Bearer {secret}'")
    typer.echo("")
