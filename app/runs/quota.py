"""How much optimisation one token and one footprint may have waiting (docs/operators/limits.md).

Runs wait in one queue for a few workers, so one token queueing hundreds of runs a minute would hold up
every footprint's work. A new run is refused (429, with Retry-After) while its token already has
`STP_RUN_MAX_QUEUED_PER_TOKEN` runs waiting, or its footprint `STP_RUN_MAX_QUEUED_PER_FOOTPRINT`; a
sweep (up to 1,000 scenarios in one request) while its token already has `STP_SWEEP_MAX_WAITING_PER_TOKEN`
sweeps with scenarios waiting, or its footprint `STP_SWEEP_MAX_WAITING_PER_FOOTPRINT`. Runs started at
the command line count for their footprint only. Refusals change nothing, so they can simply be sent again.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from app.core.errors import ProblemError
from app.footprints.service import lock_for_write
from app.settings import get_settings
from models import Footprint, Run, RunStatus

# Seconds a refused client is asked to wait: about what a small run takes to start and finish.
RETRY_AFTER_SECONDS = 30


def _too_many(detail: str) -> ProblemError:
    return ProblemError(
        429,
        detail + f" Try again in {RETRY_AFTER_SECONDS} seconds, or cancel runs you no longer need.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        kind="too-many-requests",
    )


def _waiting(session: Session, *conditions: ColumnElement[bool]) -> int:
    query = select(func.count()).select_from(Run).where(Run.status == RunStatus.QUEUED, *conditions)
    return int(session.scalar(query) or 0)


def _waiting_sweeps(session: Session, *conditions: ColumnElement[bool]) -> int:
    query = select(func.count(func.distinct(Run.sweep_id))).where(
        Run.status == RunStatus.QUEUED, Run.sweep_id.is_not(None), *conditions
    )
    return int(session.scalar(query) or 0)


def check_run(session: Session, footprint: Footprint, token_id: int | None) -> None:
    settings = get_settings()
    # Counted under the footprint's write lock, so concurrent requests for one footprint count in turn.
    lock_for_write(session, footprint)
    standalone = Run.sweep_id.is_(None)
    if token_id is not None:
        mine = _waiting(session, standalone, Run.created_by_token_id == token_id)
        if mine >= settings.run_max_queued_per_token:
            raise _too_many(
                f"This token already has {mine} runs waiting to start, the most one token may have "
                f"(STP_RUN_MAX_QUEUED_PER_TOKEN={settings.run_max_queued_per_token})."
            )
    here = _waiting(session, standalone, Run.footprint_id == footprint.id)
    if here >= settings.run_max_queued_per_footprint:
        raise _too_many(
            f"Footprint {footprint.code} already has {here} runs waiting to start, the most one footprint "
            f"may have (STP_RUN_MAX_QUEUED_PER_FOOTPRINT={settings.run_max_queued_per_footprint})."
        )


def check_sweep(session: Session, footprint: Footprint, token_id: int | None) -> None:
    settings = get_settings()
    lock_for_write(session, footprint)
    if token_id is not None:
        mine = _waiting_sweeps(session, Run.created_by_token_id == token_id)
        if mine >= settings.sweep_max_waiting_per_token:
            raise _too_many(
                f"This token already has {mine} sweeps with scenarios waiting to start, the most one token "
                f"may have (STP_SWEEP_MAX_WAITING_PER_TOKEN={settings.sweep_max_waiting_per_token})."
            )
    here = _waiting_sweeps(session, Run.footprint_id == footprint.id)
    if here >= settings.sweep_max_waiting_per_footprint:
        raise _too_many(
            f"Footprint {footprint.code} already has {here} sweeps with scenarios waiting to start, the most "
            f"one footprint may have (STP_SWEEP_MAX_WAITING_PER_FOOTPRINT="
            f"{settings.sweep_max_waiting_per_footprint})."
        )


def mark_runs(session: Session, run_ids: list[int], token_id: int | None) -> None:
    """Record the token behind new runs (what `check_run` and `check_sweep` count)."""
    if token_id is not None and run_ids:
        session.execute(
            update(Run)
            .where(Run.id.in_(run_ids))
            .values(created_by_token_id=token_id)
            .execution_options(synchronize_session=False)
        )
