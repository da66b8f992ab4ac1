"""Token administration (admins only). The secret is in the creation response and nowhere else."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from app.auth import service
from app.auth.access import requires
from app.auth.rules import Caller, Need
from app.auth.schemas import TokenCreate, TokenIssued, TokenRead
from app.core.db import request_session
from app.core.pagination import Cursor, Limit, Page
from models import ApiToken

router = APIRouter(prefix="/tokens", tags=["tokens"])


def _read(token: ApiToken) -> TokenRead:
    return TokenRead(
        id=token.id,
        name=token.name,
        role=token.role,
        footprints=None if token.role.sees_every_footprint else token.footprint_codes,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        created_at=token.created_at,
        created_by=token.created_by,
    )


@router.get("", response_model=Page[TokenRead])
def list_tokens(
    limit: Limit = 100,
    cursor: Cursor = None,
    session: Session = request_session,
    caller: Caller = requires(Need.TOKENS_MANAGE),
) -> Page[TokenRead]:
    """Every token (never its secret), oldest first, a page at a time."""
    return service.token_page(session, _read, limit=limit, cursor=cursor)


@router.post("", response_model=TokenIssued, status_code=status.HTTP_201_CREATED)
def create_token(
    data: TokenCreate,
    response: Response,
    session: Session = request_session,
    caller: Caller = requires(Need.TOKENS_MANAGE),
) -> TokenIssued:
    issued = service.issue_token(
        session,
        caller,
        name=data.name,
        role=data.role,
        footprints=data.footprints,
        expires_at=data.expires_at,
    )
    token = issued.token
    codes = token.footprint_codes
    caller.note(
        footprint=codes[0] if len(codes) == 1 else None,
        token_id=token.id,
        name=token.name,
        role=token.role.value,
        footprints=codes,
    )
    response.headers["Location"] = f"/tokens/{token.id}"
    return TokenIssued(**_read(token).model_dump(), token=issued.secret)


@router.get("/{token_id}", response_model=TokenRead)
def get_token(
    token_id: int,
    session: Session = request_session,
    caller: Caller = requires(Need.TOKENS_MANAGE),
) -> TokenRead:
    return _read(service.get_token(session, token_id))


@router.post("/{token_id}/revoke", response_model=TokenRead)
def revoke_token(
    token_id: int,
    session: Session = request_session,
    caller: Caller = requires(Need.TOKENS_MANAGE),
) -> TokenRead:
    token = service.revoke_token(session, service.get_token(session, token_id))
    codes = token.footprint_codes
    caller.note(footprint=codes[0] if len(codes) == 1 else None, token_id=token.id, name=token.name)
    return _read(token)
