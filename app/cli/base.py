"""The `stpplan` application object and what every command group shares.

Every command fails the same way: one line on stderr saying what went wrong and what to do, and exit
code 1 — never a traceback (set `STP_DEBUG=1` to get one).
"""

from __future__ import annotations

import os
from typing import Any

import typer
from typer.core import TyperGroup


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _database() -> str:
    from app.settings import get_settings

    return _safe(get_settings().database_url)


def _first_line(text: object) -> str:
    return next((line.strip() for line in str(text).splitlines() if line.strip()), "")


def describe(exc: BaseException) -> str:
    """One line for an error: what went wrong and, where we know it, what to do."""
    from pydantic import ValidationError
    from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

    from app.core.errors import ProblemError, sentence

    if isinstance(exc, ProblemError):
        details = "; ".join(
            ": ".join(str(e[k]) for k in ("sheet", "cell", "field", "message") if e.get(k) not in (None, ""))
            for e in exc.errors[:3]
        )
        more = f" (and {len(exc.errors) - 3} more)" if len(exc.errors) > 3 else ""
        return sentence(exc.detail) + (f" — {details}{more}" if details else "")
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors()[:3]
        )
    if isinstance(exc, DBAPIError):
        reason = _first_line(exc.orig)
        if isinstance(exc, ProgrammingError | OperationalError) and (
            "no such table" in reason or "does not exist" in reason and "relation" in reason
        ):
            return (
                f"the database {_database()} has no tables yet: run `stpplan db upgrade` "
                "(or set DATABASE_URL to the database you meant)"
            )
        if isinstance(exc, OperationalError):
            return (
                f"cannot use the database {_database()} ({reason}): check DATABASE_URL and that the "
                "database server is running"
            )
        return f"the database {_database()} refused the command: {reason}"
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or exc}: {exc.filename}"
    return (
        f"unexpected {type(exc).__name__}: {_first_line(exc) or 'no message'} "
        "(please report it; STP_DEBUG=1 shows the traceback)"
    )


class OneLineErrors(TyperGroup):
    """Turns any error a command raises into one line on stderr and exit code 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as exc:
            if os.environ.get("STP_DEBUG"):
                raise
            typer.echo(f"error: {describe(exc)}", err=True)
            raise typer.Exit(code=1) from None


cli = typer.Typer(
    cls=OneLineErrors,
    help="STP back-office consolidation planner",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
