"""Reviews of a run (four eyes: never by its creator, unless an admin) and the comparison of two runs.

Never commits: the request, or the worker task, owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.rules import Caller
from app.core.errors import Conflict
from app.core.money import to_pounds
from app.runs.results import year_rows
from app.runs.schemas import FunctionDifference, ReviewCreate, RunComparison, YearDifference
from app.runs.service import REVIEWABLE, get_run
from models import Role, RunPlanRow, RunReview


def reviews_own_run(created_by: str, caller: Caller) -> bool:
    """A run's creator may not review it (four eyes on every plan), unless the caller is an admin."""
    return created_by == caller.name and caller.role is not Role.ADMIN


def review_run(session: Session, code: str, run_id: int, data: ReviewCreate, caller: Caller) -> RunReview:
    """Record an approval or rejection by the caller (refused to the run's creator: `reviews_own_run`)."""
    reviewer = caller.name
    run = get_run(session, code, run_id)
    if run.status not in REVIEWABLE:
        raise Conflict(
            f"Run {run_id} is {run.status.value}: only a finished run (optimal, feasible or infeasible) "
            "can be reviewed",
            run_status=run.status.value,
        )
    if reviews_own_run(run.created_by, caller):
        raise Conflict(
            f"Run {run_id} was launched by {reviewer}, who cannot also review it: ask another planner "
            "of the footprint (or an admin) to approve or reject it"
        )
    review = RunReview(run_id=run.id, decision=data.decision, comment=data.comment, reviewer=reviewer)
    session.add(review)
    session.flush()
    return review


def reviews(session: Session, code: str, run_id: int) -> Sequence[RunReview]:
    run = get_run(session, code, run_id)
    return session.scalars(select(RunReview).where(RunReview.run_id == run.id).order_by(RunReview.id)).all()


def _memberships(session: Session, run_id: int) -> dict[str, dict[str, tuple[str, int]]]:
    """function -> member -> (host, year)."""
    result: dict[str, dict[str, tuple[str, int]]] = {}
    for row in session.scalars(select(RunPlanRow).where(RunPlanRow.run_id == run_id)):
        result.setdefault(row.function_key, {})[row.member] = (row.host, row.year)
    return result


def compare(session: Session, code: str, a_id: int, b_id: int) -> RunComparison:
    a, b = get_run(session, code, a_id), get_run(session, code, b_id)
    for run in (a, b):
        if run.status not in REVIEWABLE:
            raise Conflict(
                f"Run {run.id} is {run.status.value}: only finished runs can be compared",
                run_status=run.status.value,
            )
    years_a = {y.year: y.net_cash_pence for y in year_rows(session, a.id)}
    years_b = {y.year: y.net_cash_pence for y in year_rows(session, b.id)}
    year_diffs = [
        YearDifference(
            year=t,
            net_cash_a=to_pounds(years_a.get(t, 0)),
            net_cash_b=to_pounds(years_b.get(t, 0)),
            difference=to_pounds(years_b.get(t, 0) - years_a.get(t, 0)),
        )
        for t in sorted(set(years_a) | set(years_b))
    ]
    plan_a, plan_b = _memberships(session, a.id), _memberships(session, b.id)
    functions = []
    for f in sorted(set(plan_a) | set(plan_b)):
        in_a, in_b = plan_a.get(f, {}), plan_b.get(f, {})
        hosts_a = {h for h, _ in in_a.values()}
        hosts_b = {h for h, _ in in_b.values()}
        moved = []
        changed_years = []
        for member in sorted(set(in_a) | set(in_b)):
            host_a = in_a.get(member, (None, None))[0]
            host_b = in_b.get(member, (None, None))[0]
            if host_a != host_b:
                moved.append({"organisation": member, "host_a": host_a, "host_b": host_b})
            elif in_a[member][1] != in_b[member][1]:
                changed_years.append(
                    {"organisation": member, "year_a": in_a[member][1], "year_b": in_b[member][1]}
                )
        if hosts_a != hosts_b or moved or changed_years:
            functions.append(
                FunctionDifference(
                    function=f,
                    hubs_opened=sorted(hosts_b - hosts_a),
                    hubs_closed=sorted(hosts_a - hosts_b),
                    organisations_moved=moved,
                    years_changed=changed_years,
                )
            )
    npv_a = None if a.npv_pence is None else to_pounds(a.npv_pence)
    npv_b = None if b.npv_pence is None else to_pounds(b.npv_pence)
    return RunComparison(
        a=a.id,
        b=b.id,
        npv_a=npv_a,
        npv_b=npv_b,
        npv_difference=None if npv_a is None or npv_b is None else npv_b - npv_a,
        years=year_diffs,
        functions=functions,
    )
