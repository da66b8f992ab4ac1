from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from app.footprints.schemas import FootprintCreate
from app.footprints.service import create_footprint
from app.runs.execution import queued_run_ids, reap_stale_runs
from models import Run, RunStatus
from models.base import utcnow


def test_stale_runs_are_requeued_once_then_failed_and_live_ones_left_alone(db_session: Session) -> None:
    footprint = create_footprint(db_session, FootprintCreate(code="E54000007", name="Test"))
    now = utcnow()
    long_ago = now - timedelta(minutes=5)

    def run(status: RunStatus, attempts: int, heartbeat: object) -> Run:
        made = Run(
            footprint_id=footprint.id, status=status, attempts=attempts, heartbeat_at=heartbeat, snapshot={}
        )
        db_session.add(made)
        db_session.flush()
        return made

    first_death = run(RunStatus.RUNNING, 1, long_ago)
    second_death = run(RunStatus.RUNNING, 2, long_ago)
    alive = run(RunStatus.RUNNING, 1, now - timedelta(seconds=5))
    finished = run(RunStatus.OPTIMAL, 1, long_ago)
    waiting = run(RunStatus.QUEUED, 0, None)

    requeued, failed = reap_stale_runs(db_session, timedelta(seconds=60), now=now)

    assert requeued == [first_death.id] and failed == [second_death.id]
    for r in (first_death, second_death, alive, finished):
        db_session.refresh(r)
    assert first_death.status is RunStatus.QUEUED and "re-queued" in first_death.error_message
    assert second_death.status is RunStatus.ERROR and second_death.finished_at is not None
    assert alive.status is RunStatus.RUNNING and finished.status is RunStatus.OPTIMAL
    assert queued_run_ids(db_session) == [first_death.id, waiting.id]
    # a second pass finds nothing more to do
    assert reap_stale_runs(db_session, timedelta(seconds=60), now=now) == ([], [])
