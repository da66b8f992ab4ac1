"""Who may do what: the needs a route can declare, what each role holds, and the caller of a request.

Pure rules, no web framework: services receive a `Caller` to record who did something.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from models import AuditEntry, Role


class Need(StrEnum):
    """What a route needs from its caller; every route declares exactly one (see app/auth/access.py)."""

    PUBLIC = "public"
    DATA_READ = "data:read"
    DATA_WRITE = "data:write"
    # A footprint's planning decisions (assumption sets, locks): its planners write them, not only
    # its finance directors, who alone write its cost data (data:write).
    PLANS_WRITE = "plans:write"
    RUNS_READ = "runs:read"
    RUNS_CREATE = "runs:create"
    RUNS_REVIEW = "runs:review"
    FOOTPRINTS_MANAGE = "footprints:manage"
    TOKENS_MANAGE = "tokens:manage"
    AUDIT_READ = "audit:read"

    @property
    def is_write(self) -> bool:
        """Writes are recorded in the audit trail."""
        return self in WRITE_NEEDS


WRITE_NEEDS = frozenset(
    {
        Need.DATA_WRITE,
        Need.PLANS_WRITE,
        Need.RUNS_CREATE,
        Need.RUNS_REVIEW,
        Need.FOOTPRINTS_MANAGE,
        Need.TOKENS_MANAGE,
    }
)

# Which needs each role holds. Which footprints it holds them for is the token's grant
# (every footprint for analysts and admins).
ROLE_NEEDS: dict[Role, frozenset[Need]] = {
    Role.FINANCE_DIRECTOR: frozenset({Need.DATA_READ, Need.DATA_WRITE, Need.PLANS_WRITE, Need.RUNS_READ}),
    Role.PLANNER: frozenset(
        {Need.DATA_READ, Need.PLANS_WRITE, Need.RUNS_READ, Need.RUNS_CREATE, Need.RUNS_REVIEW}
    ),
    Role.ANALYST: frozenset({Need.DATA_READ, Need.RUNS_READ, Need.RUNS_CREATE}),
    Role.ADMIN: frozenset(Need) - {Need.PUBLIC},
}


@dataclass
class Caller:
    """The token behind a request (or the operator at the command line)."""

    name: str
    role: Role
    # None: every footprint, present and future.
    footprints: frozenset[str] | None
    token_id: int | None = None
    # The audit entry of this request, when it is a write; routes may add details to it.
    audit_entry: AuditEntry | None = field(default=None, repr=False)

    def holds(self, need: Need) -> bool:
        return need is Need.PUBLIC or need in ROLE_NEEDS[self.role]

    def may_see(self, footprint_code: str) -> bool:
        return self.footprints is None or footprint_code in self.footprints

    def visible(self, footprint_codes: Sequence[str] | None) -> list[str] | None:
        """Narrow a footprint filter to the granted footprints (None in and out: no filter at all)."""
        if self.footprints is None:
            return None if footprint_codes is None else list(footprint_codes)
        if footprint_codes is None:
            return sorted(self.footprints)
        return [code for code in footprint_codes if code in self.footprints]

    def note(self, footprint: str | None = None, **details: Any) -> None:
        """Add details (and a footprint, when the path has none) to this request's audit entry."""
        if self.audit_entry is not None:
            # a new dict, so the JSON column sees the change
            self.audit_entry.details = {**(self.audit_entry.details or {}), **details}
            if footprint is not None:
                self.audit_entry.footprint_code = footprint


def command_line_caller() -> Caller:
    """The operator running `stpplan`: whoever can reach the database is an admin."""
    import getpass

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Caller(name=f"cli:{user}", role=Role.ADMIN, footprints=None)
