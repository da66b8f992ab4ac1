from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Function


def list_functions(session: Session) -> Sequence[Function]:
    return session.scalars(select(Function).order_by(Function.sort_order, Function.key)).all()


def function_keys(session: Session) -> set[str]:
    return set(session.scalars(select(Function.key)))
