"""Bearer tokens: issue, look up, revoke.

A token is 32 random bytes from `secrets`; only its SHA-256 is stored. A fast unsalted hash is right
here (unlike for passwords): the secret has 256 bits of entropy, so the hash cannot be reversed or
guessed, and a fixed hash lets the token be found by an indexed lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth.rules import Caller
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import Page, keyset_page
from models import ApiToken, Footprint, Role, TokenFootprint
from models.base import utcnow

T = TypeVar("T")

TOKEN_PREFIX = "stp_"
DEFAULT_LIFETIME = timedelta(days=90)
BOOTSTRAP_NAME = "demo-admin"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


def caller_for(token: ApiToken) -> Caller:
    footprints = None if token.role.sees_every_footprint else frozenset(token.footprint_codes)
    return Caller(name=token.name, role=token.role, footprints=footprints, token_id=token.id)


def authenticate(session: Session, secret: str, now: datetime | None = None) -> ApiToken | None:
    """The live token with this secret, or None (unknown, revoked or expired alike)."""
    digest = hash_secret(secret)
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    # The lookup finds the row; the constant-time comparison is what decides, so a match is never
    # accepted on the strength of how the database compared strings.
    if token is None or not hmac.compare_digest(token.token_hash.encode(), digest.encode()):
        return None
    return authenticate_token(token, now)


def authenticate_token(token: ApiToken, now: datetime | None = None) -> ApiToken | None:
    """The token if it is still live (neither revoked nor expired), else None."""
    if token.revoked_at is not None or token.expires_at <= (now or utcnow()):
        return None
    return token


def issue_token(
    session: Session,
    caller: Caller,
    *,
    name: str,
    role: Role,
    footprints: Sequence[str] = (),
    expires_at: datetime | None = None,
) -> IssuedToken:
    name = name.strip()
    errors = []
    if not name:
        errors.append(
            {"loc": ["body", "name"], "message": "a token needs a name (it is what the audit shows)"}
        )
    codes = sorted(set(footprints))
    if role.sees_every_footprint and codes:
        errors.append(
            {
                "loc": ["body", "footprints"],
                "message": f"{role.value} tokens see every footprint; list none",
            }
        )
    if not role.sees_every_footprint and not codes:
        errors.append(
            {"loc": ["body", "footprints"], "message": f"{role.value} tokens need at least one footprint"}
        )
    known = set(session.scalars(select(Footprint.code).where(Footprint.code.in_(codes))))
    for code in codes:
        # A token may only be granted footprints its issuer can see, so an issuer learns nothing new.
        if code not in known or not caller.may_see(code):
            errors.append({"loc": ["body", "footprints"], "value": code, "message": f"no footprint {code}"})
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        errors.append({"loc": ["body", "expires_at"], "message": "expiry is in the past"})
    if errors:
        raise Invalid("The token cannot be issued", errors=errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        token_hash=hash_secret(secret),
        role=role,
        expires_at=expires_at or now + DEFAULT_LIFETIME,
        created_by=caller.name,
        grants=[TokenFootprint(footprint_code=code) for code in codes],
    )
    session.add(token)
    session.flush()
    return IssuedToken(token=token, secret=secret)


def list_tokens(session: Session) -> Sequence[ApiToken]:
    return session.scalars(select(ApiToken).order_by(ApiToken.id)).all()


def token_page(
    session: Session, item: Callable[[ApiToken], T], *, limit: int = 100, cursor: str | None = None
) -> Page[T]:
    """Tokens oldest first, a page at a time."""
    return keyset_page(session, select(ApiToken), ApiToken.id, limit=limit, cursor=cursor, item=item)


def get_token(session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("Token", token_id)
    return token


def find_tokens(session: Session, key: str) -> Sequence[ApiToken]:
    """Tokens by id or by name (names need not be unique)."""
    if key.isdigit():
        token = session.get(ApiToken, int(key))
        return [token] if token is not None else []
    return session.scalars(select(ApiToken).where(ApiToken.name == key).order_by(ApiToken.id)).all()


def revoke_token(session: Session, token: ApiToken) -> ApiToken:
    if token.revoked_at is not None:
        raise Conflict(f"Token {token.id} was already revoked")
    token.revoked_at = utcnow()
    session.flush()
    return token


def bootstrap_admin(session: Session, caller: Caller) -> IssuedToken | None:
    """A first admin token for a fresh installation; None when a live admin token already exists."""
    now = utcnow()
    live_admin = session.scalar(
        select(ApiToken.id).where(
            ApiToken.role == Role.ADMIN, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now
        )
    )
    if live_admin is not None:
        return None
    issued = issue_token(session, caller, name=BOOTSTRAP_NAME, role=Role.ADMIN)
    record_token_change(session, caller, "bootstrap_token", issued.token)
    return issued


def record_token_change(session: Session, caller: Caller, action: str, token: ApiToken) -> None:
    """The audit entry for a token made or revoked outside a request (the API's routes get theirs anyway)."""
    codes = token.footprint_codes
    record(
        session,
        caller,
        action,
        footprint_code=codes[0] if len(codes) == 1 else None,
        details={"token_id": token.id, "name": token.name, "role": token.role.value, "footprints": codes},
    )
