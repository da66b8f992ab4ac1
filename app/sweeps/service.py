"""Scenario sweeps: child runs over variations of one assumption set, and their aggregate (never commits).

A grid varies saving rates and transition cost rates by multipliers and the discount rate by value; a
Monte-Carlo sweep draws one saving multiplier and one transition multiplier per scenario from triangular
distributions (numpy, seeded, so the same request gives the same draws). Every child is an ordinary run
with its own snapshot: the base data is read once, so all children see the same cost lines.
"""

from __future__ import annotations

import copy
import itertools
from collections import Counter
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from app.assumption_sets.schemas import AssumptionSetWrite
from app.assumption_sets.service import get_assumption_set, to_write
from app.auth.rules import Caller
from app.core.errors import Conflict, NotFound
from app.core.money import to_pounds
from app.core.pagination import Page, keyset_page
from app.footprints.service import get_footprint
from app.runs import quota
from app.runs import service as runs
from app.runs.problem_builder import take_snapshot
from app.sweeps.schemas import ChildResult, HubShare, SweepCreate, SweepRead, SweepSummary
from models import NationalSweep, Run, RunPlanRow, RunStatus, Sweep
from models.base import utcnow

SIX_PLACES = Decimal("0.000001")


def _scaled(rate: str, multiplier: float, cap: Decimal | None = None) -> str:
    value = (Decimal(rate) * Decimal(repr(multiplier))).quantize(SIX_PLACES, rounding=ROUND_HALF_UP)
    if cap is not None:
        value = min(value, cap)
    return str(value)


def vary(snapshot: dict[str, Any], variation: dict[str, Any]) -> dict[str, Any]:
    """A copy of the snapshot with the variation applied to its resolved assumptions."""
    varied = copy.deepcopy(snapshot)
    a = varied["assumptions"]
    savings = variation.get("savings_multiplier", 1.0)
    transition = variation.get("transition_multiplier", 1.0)
    for f in a["functions"].values():
        f["tiers"] = [[m, _scaled(r, savings, cap=Decimal(1))] for m, r in f["tiers"]]
        f["transition_rate"] = _scaled(f["transition_rate"], transition)
    if variation.get("discount_rate") is not None:
        a["discount_rate"] = str(variation["discount_rate"])
    varied["variation"] = variation
    return varied


def variations(data: SweepCreate) -> list[dict[str, Any]]:
    if data.grid is not None:
        discounts: list[Decimal | None] = [*data.grid.discount_rates] if data.grid.discount_rates else [None]
        return [
            {
                "savings_multiplier": s,
                "transition_multiplier": t,
                "discount_rate": None if d is None else str(d),
            }
            for s, t, d in itertools.product(
                data.grid.savings_multipliers, data.grid.transition_multipliers, discounts
            )
        ]
    assert data.monte_carlo is not None
    mc = data.monte_carlo
    rng = np.random.default_rng(mc.seed)
    savings = rng.triangular(mc.savings.low, mc.savings.mode, mc.savings.high, size=mc.draws)
    transition = rng.triangular(mc.transition.low, mc.transition.mode, mc.transition.high, size=mc.draws)
    return [
        {"draw": i + 1, "savings_multiplier": round(float(s), 6), "transition_multiplier": round(float(t), 6)}
        for i, (s, t) in enumerate(zip(savings, transition, strict=True))
    ]


def _label(variation: dict[str, Any]) -> str:
    parts = [f"draw {variation['draw']}"] if "draw" in variation else []
    parts.append(f"savings x{variation.get('savings_multiplier', 1.0):g}")
    parts.append(f"transition x{variation.get('transition_multiplier', 1.0):g}")
    if variation.get("discount_rate") is not None:
        parts.append(f"discount {Decimal(variation['discount_rate']) * 100:g}%")
    return ", ".join(parts)


def launch_sweep(session: Session, code: str, data: SweepCreate, caller: Caller) -> tuple[Sweep, list[int]]:
    """A sweep started by a token, through the API or the pages: refused (429) past the queue limits
    (app/runs/quota.py), then created with its children recorded against the token."""
    quota.check_sweep(session, get_footprint(session, code), caller.token_id)
    sweep, run_ids = create_sweep(session, code, data, created_by=caller.name)
    quota.mark_runs(session, run_ids, caller.token_id)
    return sweep, run_ids


def create_sweep(session: Session, code: str, data: SweepCreate, created_by: str) -> tuple[Sweep, list[int]]:
    footprint = get_footprint(session, code)
    name = None
    assumption_set_id = None
    if data.assumption_set is not None:
        stored = get_assumption_set(session, code, data.assumption_set)
        base, name, assumption_set_id = to_write(stored), stored.name, stored.id
    else:
        base = data.assumptions or AssumptionSetWrite()
    options = data.options.model_dump(exclude={"quality_tolerance", "central_run"})
    if data.options.central_run is not None:
        central = runs.get_run(session, code, data.options.central_run)
        if central.status not in (RunStatus.OPTIMAL, RunStatus.FEASIBLE):
            raise Conflict(
                f"Run {central.id} is {central.status.value}: only a finished run with a plan can be the "
                "central run whose plan the children start from"
            )
        options["warm_start_run"] = central.id
    sweep = Sweep(
        footprint_id=footprint.id,
        kind="grid" if data.grid is not None else "monte_carlo",
        specification=data.model_dump(mode="json", exclude={"assumptions"}),
        created_by=created_by,
    )
    session.add(sweep)
    session.flush()
    snapshot = take_snapshot(session, footprint, base)
    snapshot["assumption_set"] = name
    children = []
    for variation in variations(data):
        run = Run(
            footprint_id=footprint.id,
            assumption_set_id=assumption_set_id,
            status=RunStatus.QUEUED,
            snapshot=vary(snapshot, variation),
            options=options,
            solver_statistics={},
            created_by=created_by,
            label=f"sweep {sweep.id}: {_label(variation)}",
            sweep_id=sweep.id,
            attempts=0,
            error_message="",
        )
        session.add(run)
        children.append(run)
    session.flush()
    return sweep, [r.id for r in children]


def get_sweep(session: Session, code: str, sweep_id: int) -> Sweep:
    footprint = get_footprint(session, code)
    sweep = session.scalar(select(Sweep).where(Sweep.id == sweep_id, Sweep.footprint_id == footprint.id))
    if sweep is None:
        raise NotFound("Sweep", sweep_id)
    return sweep


def percentile_pence(npvs_pence: list[int], q: float) -> int:
    """numpy's default (linear) percentile of the children's NPVs, rounded to the penny."""
    value = Decimal(repr(float(np.percentile(np.array(npvs_pence, dtype=float), q))))
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _child(run: Run, tolerance: float) -> ChildResult:
    gap = (run.solver_statistics or {}).get("relative_gap")
    has_plan = run.status in (RunStatus.OPTIMAL, RunStatus.FEASIBLE) and run.npv_pence is not None
    # "optimal" is proven within the run's own (smaller) gap; a time-limited plan must show its gap.
    proven = has_plan and (run.status is RunStatus.OPTIMAL or (gap is not None and gap <= tolerance + 1e-12))
    return ChildResult(
        run_id=run.id,
        label=run.label,
        status=run.status.value,
        npv=None if run.npv_pence is None else to_pounds(run.npv_pence),
        relative_gap=gap,
        proven=proven,
    )


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.1f} %" if fraction * 100 >= 0.1 else f"{fraction * 100:.2f} %"


def _warning(children: list[ChildResult], not_proven: list[ChildResult], tolerance: float) -> str | None:
    """What a reader must know before the percentiles, or None when every child was proven."""
    no_plan = [c for c in children if c.status in ("infeasible", "error", "cancelled")]
    if not not_proven and not no_plan:
        return None
    proven = sum(c.proven for c in children)
    parts = []
    if not_proven:
        gaps = [c.relative_gap for c in not_proven if c.relative_gap is not None]
        spread = (
            f" (gaps {_percent(min(gaps))} to {_percent(max(gaps))})"
            if len(gaps) > 1
            else (f" (gap {_percent(gaps[0])})" if gaps else " (no gap proven)")
        )
        parts.append(
            f"{len(not_proven)} of {len(children)} scenarios were not proven within {_percent(tolerance)} of "
            f"their best possible plan{spread}: their NPVs measure the solver's time limit, not the risk, "
            "and are left out of the percentiles"
        )
    if no_plan:
        parts.append(
            f"{len(no_plan)} of {len(children)} scenarios have no plan (infeasible, failed or cancelled)"
        )
    tail = (
        f"The percentiles use only the {proven} proven scenarios."
        if proven
        else "No scenario was proven, so no percentiles are given: give the runs more time."
    )
    return "; ".join(parts) + ". " + tail


def read(session: Session, code: str, sweep_id: int) -> SweepRead:
    sweep = get_sweep(session, code, sweep_id)
    children = session.scalars(select(Run).where(Run.sweep_id == sweep.id).order_by(Run.id)).all()
    by_status = Counter(r.status.value for r in children)
    finished = all(r.status not in runs.ACTIVE for r in children)
    tolerance = float((sweep.specification.get("options") or {}).get("quality_tolerance", 0.01))
    results = {r.id: _child(r, tolerance) for r in children}
    solved = [r for r in children if results[r.id].proven]
    not_proven = [
        results[r.id]
        for r in children
        if r.status in (RunStatus.OPTIMAL, RunStatus.FEASIBLE) and not results[r.id].proven
    ]
    npvs = [r.npv_pence for r in solved if r.npv_pence is not None]
    hubs: Counter[tuple[str, str]] = Counter()
    if solved:
        rows = session.execute(
            select(RunPlanRow.run_id, RunPlanRow.function_key, RunPlanRow.host)
            .where(RunPlanRow.run_id.in_([r.id for r in solved]))
            .distinct()
        ).all()
        hubs.update((f, h) for _, f, h in rows)

    def pounds(q: float) -> Decimal | None:
        return to_pounds(percentile_pence(npvs, q)) if npvs else None

    finished_children = [c for c in results.values() if c.status not in ("queued", "running")]
    return SweepRead(
        warning=_warning(finished_children, not_proven, tolerance) if finished_children else None,
        id=sweep.id,
        footprint=code,
        kind=sweep.kind,
        specification=sweep.specification,
        created_by=sweep.created_by,
        created_at=sweep.created_at,
        finished=finished,
        runs=len(children),
        by_status=dict(sorted(by_status.items())),
        run_ids=[r.id for r in children],
        quality_tolerance=tolerance,
        proven=len(solved),
        not_proven=not_proven,
        npv_p10=pounds(10),
        npv_p50=pounds(50),
        npv_p90=pounds(90),
        npv_mean=(
            to_pounds(int((Decimal(sum(npvs)) / len(npvs)).quantize(Decimal(1), rounding=ROUND_HALF_UP)))
            if npvs
            else None
        ),
        hubs=[
            HubShare(function=f, host=h, share=round(count / len(solved), 6))
            for (f, h), count in sorted(hubs.items(), key=lambda item: (-item[1], item[0]))
        ],
        children=list(results.values()),
    )


def close_finished(session: Session, sweep_ids: Sequence[int] | None = None) -> list[int]:
    """Stamp `finished_at` on sweeps (the given ones, or every open one) whose children are all done,
    and on national sweeps whose footprint sweeps all are. Called by whoever finishes a child, after its
    commit, on either executor: the last to finish sees every other child done. Conditional updates, so
    two workers finishing together stamp it once. Returns the sweeps closed."""
    now = utcnow()
    active_child = exists().where(Run.sweep_id == Sweep.id, Run.status.in_(runs.ACTIVE))
    query = update(Sweep).where(Sweep.finished_at.is_(None), ~active_child)
    if sweep_ids is not None:
        query = query.where(Sweep.id.in_(sweep_ids))
    closed = list(
        session.scalars(
            query.values(finished_at=now).returning(Sweep.id).execution_options(synchronize_session=False)
        )
    )
    if closed:
        open_part = exists().where(Sweep.national_sweep_id == NationalSweep.id, Sweep.finished_at.is_(None))
        session.execute(
            update(NationalSweep)
            .where(NationalSweep.finished_at.is_(None), ~open_part)
            .values(finished_at=now)
            .execution_options(synchronize_session=False)
        )
    return closed


def list_sweeps(
    session: Session, code: str, limit: int = 100, cursor: str | None = None
) -> Page[SweepSummary]:
    """The footprint's sweeps, newest first, paged like cost lines (keyset cursor, limit, total counted
    once for the first page and carried in the cursor)."""
    footprint = get_footprint(session, code)

    def summaries(sweeps: Sequence[Sweep]) -> list[SweepSummary]:
        counts: dict[int, Counter[str]] = {s.id: Counter() for s in sweeps}
        if sweeps:
            for sweep_id, status, n in session.execute(
                select(Run.sweep_id, Run.status, func.count())
                .where(Run.sweep_id.in_(counts))
                .group_by(Run.sweep_id, Run.status)
            ):
                if sweep_id is not None:
                    counts[sweep_id][RunStatus(status).value] += n
        return [
            SweepSummary(
                id=s.id,
                footprint=code,
                kind=s.kind,
                created_by=s.created_by,
                created_at=s.created_at,
                finished=not any(counts[s.id][status.value] for status in runs.ACTIVE),
                runs=sum(counts[s.id].values()),
                by_status=dict(sorted(counts[s.id].items())),
            )
            for s in sweeps
        ]

    return keyset_page(
        session,
        select(Sweep).where(Sweep.footprint_id == footprint.id),
        Sweep.id,
        limit=limit,
        cursor=cursor,
        items=summaries,
        descending=True,
    )


def cancel_sweep(session: Session, code: str, sweep_id: int) -> list[int]:
    """Cancel every queued and running scenario of the sweep (finished ones keep their results);
    returns the ids cancelled, for the executor to stop. 409 when none was left to cancel."""
    sweep = get_sweep(session, code, sweep_id)
    active = list(
        session.scalars(
            select(Run.id).where(Run.sweep_id == sweep.id, Run.status.in_(runs.ACTIVE)).order_by(Run.id)
        )
    )
    if active:
        # Conditional, as for one run: a scenario finishing at this moment keeps its result.
        session.execute(
            update(Run)
            .where(Run.id.in_(active), Run.status.in_(runs.ACTIVE))
            .values(
                status=RunStatus.CANCELLED, finished_at=utcnow(), error_message="sweep cancelled on request"
            )
            .execution_options(synchronize_session=False)
        )
        session.expire_all()
        cancelled = list(
            session.scalars(
                select(Run.id).where(Run.id.in_(active), Run.status == RunStatus.CANCELLED).order_by(Run.id)
            )
        )
    else:
        cancelled = []
    if not cancelled:
        raise Conflict(f"Sweep {sweep_id} has no queued or running scenario left to cancel.")
    # Every scenario is done now: the sweep (and its national sweep, if the last part) is finished.
    close_finished(session, [sweep.id])
    return cancelled


def children(session: Session, code: str, sweep_id: int) -> Sequence[Run]:
    """The sweep's scenario runs, in the order they were made."""
    sweep = get_sweep(session, code, sweep_id)
    return session.scalars(select(Run).where(Run.sweep_id == sweep.id).order_by(Run.id)).all()
