"""National sweeps: the same scenarios over every footprint, one footprint sweep each (so each part is
an ordinary sweep of ordinary runs, executed by whichever executor runs), and England's totals: NPV, £
redeployed to patient care per year and WTE released, per footprint and added up. Never commits.

A total is only as good as what it adds up, so the reading says in words which footprints it leaves out
(no plan, not finished) and which plans were not proven best (stopped at the time limit).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from app.core.errors import Invalid, NotFound
from app.core.money import to_pounds
from app.national_sweeps.schemas import (
    FootprintOutcome,
    NationalSweepCreate,
    NationalSweepRead,
    ScenarioTotal,
    YearAmount,
)
from app.runs import service as runs
from app.sweeps import service as sweeps
from app.sweeps.schemas import SweepCreate
from models import Footprint, NationalSweep, Run, RunStatus, RunYear, Sweep

PLANNED = (RunStatus.OPTIMAL, RunStatus.FEASIBLE)


def create_national_sweep(
    session: Session, data: NationalSweepCreate, created_by: str
) -> tuple[NationalSweep, list[int]]:
    """A footprint sweep for each footprint, under one national sweep; returns it and every child run."""
    known = list(session.scalars(select(Footprint.code).order_by(Footprint.code)))
    if data.footprints is None:
        codes = known
    else:
        codes = list(dict.fromkeys(data.footprints))
        unknown = [code for code in codes if code not in set(known)]
        if unknown:
            raise Invalid(
                "unknown footprints",
                errors=[
                    {"field": "footprints", "value": code, "message": "No such footprint."}
                    for code in unknown
                ],
            )
    if not codes:
        raise Invalid("there are no footprints to sweep: load them first (stpplan demo load --national)")
    base = SweepCreate.model_validate(data.model_dump(exclude={"footprints"}))
    national = NationalSweep(
        specification={
            **data.model_dump(mode="json", exclude={"assumptions", "footprints"}),
            "footprints": codes,
        },
        created_by=created_by,
    )
    session.add(national)
    session.flush()
    run_ids: list[int] = []
    for code in codes:
        sweep, children = sweeps.create_sweep(session, code, base, created_by=created_by)
        sweep.national_sweep_id = national.id
        run_ids += children
    session.flush()
    return national, run_ids


def get_national_sweep(session: Session, national_id: int) -> NationalSweep:
    national = session.get(NationalSweep, national_id)
    if national is None:
        raise NotFound("National sweep", national_id)
    return national


def _scenario_name(variation: dict[str, Any]) -> str:
    return sweeps._label(variation)


def _year_amounts(rows: list[tuple[int, int, Decimal]]) -> list[YearAmount]:
    return [
        YearAmount(year=year, patient_care=to_pounds(pence), wte_released=float(wte))
        for year, pence, wte in rows
    ]


def read(session: Session, national_id: int) -> NationalSweepRead:
    national = get_national_sweep(session, national_id)
    parts = session.execute(
        select(Sweep.id, Footprint.code, Footprint.name)
        .join(Footprint, Footprint.id == Sweep.footprint_id)
        .where(Sweep.national_sweep_id == national.id)
        .order_by(Footprint.code)
    ).all()
    base = SweepCreate.model_validate(
        {k: v for k, v in national.specification.items() if k in SweepCreate.model_fields}
    )
    scenarios = sweeps.variations(base)
    children = session.scalars(
        select(Run)
        .options(load_only(Run.id, Run.sweep_id, Run.status, Run.npv_pence))
        .where(Run.sweep_id.in_([p.id for p in parts]))
        .order_by(Run.id)
    ).all()
    by_sweep: dict[int, list[Run]] = defaultdict(list)
    for run in children:
        assert run.sweep_id is not None
        by_sweep[run.sweep_id].append(run)
    planned_ids = [r.id for r in children if r.status in PLANNED]
    years: dict[int, list[tuple[int, int, Decimal]]] = defaultdict(list)
    for run_id, year, pence, wte in session.execute(
        select(RunYear.run_id, RunYear.year, RunYear.net_cash_pence, RunYear.wte_released)
        .where(RunYear.run_id.in_(planned_ids))
        .order_by(RunYear.run_id, RunYear.year)
    ):
        years[run_id].append((year, pence, wte))

    outcomes: list[FootprintOutcome] = []
    totals: dict[str, dict[str, Any]] = {}
    for variation in scenarios:
        totals[_scenario_name(variation)] = {
            "variation": variation,
            "planned": 0,
            "unproven": [],
            "without_plan": {},
            "npv": 0,
            "years": defaultdict(lambda: [0, Decimal(0)]),
        }
    for part in parts:
        # A footprint sweep's children were made in the order of the scenarios.
        for variation, run in zip(scenarios, by_sweep[part.id], strict=False):
            name = _scenario_name(variation)
            total = totals[name]
            planned = run.status in PLANNED and run.npv_pence is not None
            run_years = years.get(run.id, []) if planned else []
            outcomes.append(
                FootprintOutcome(
                    footprint=part.code,
                    name=part.name,
                    scenario=name,
                    sweep_id=part.id,
                    run_id=run.id,
                    status=run.status.value,
                    proven_optimal=run.status is RunStatus.OPTIMAL,
                    npv=None if run.npv_pence is None else to_pounds(run.npv_pence),
                    patient_care_per_year=_year_amounts(run_years),
                    wte_released=float(sum((w for _, _, w in run_years), Decimal(0))) if planned else None,
                )
            )
            if not planned:
                total["without_plan"][part.code] = run.status.value
                continue
            total["planned"] += 1
            total["npv"] += run.npv_pence
            if run.status is RunStatus.FEASIBLE:
                total["unproven"].append(part.code)
            for year, pence, wte in run_years:
                total["years"][year][0] += pence
                total["years"][year][1] += wte

    scenario_totals = [
        ScenarioTotal(
            scenario=name,
            variation=t["variation"],
            footprints=len(parts),
            planned=t["planned"],
            unproven=t["unproven"],
            without_plan=t["without_plan"],
            npv=to_pounds(t["npv"]),
            patient_care_per_year=_year_amounts(
                [(year, pence, wte) for year, (pence, wte) in sorted(t["years"].items())]
            ),
            wte_released=float(sum((wte for _, wte in t["years"].values()), Decimal(0))),
        )
        for name, t in totals.items()
    ]
    by_status = Counter(r.status.value for r in children)
    finished = all(r.status not in runs.ACTIVE for r in children)
    return NationalSweepRead(
        id=national.id,
        specification=national.specification,
        created_by=national.created_by,
        created_at=national.created_at,
        finished=finished,
        finished_at=national.finished_at,
        runs=len(children),
        by_status=dict(sorted(by_status.items())),
        sweep_ids={p.code: p.id for p in parts},
        totals=scenario_totals,
        footprints=outcomes,
        caveats=caveats(len(children), by_status, scenario_totals),
    )


def caveats(runs_total: int, by_status: Counter[str], totals: list[ScenarioTotal]) -> list[str]:
    said: list[str] = []
    active = by_status.get("queued", 0) + by_status.get("running", 0)
    if active:
        said.append(
            f"Not finished: {active} of {runs_total} footprint runs are still queued or running. The totals "
            "add up only the footprints finished so far and will grow."
        )
    for total in totals:
        missing = {c: s for c, s in total.without_plan.items() if s not in ("queued", "running")}
        if missing:
            listed = ", ".join(f"{c} ({s})" for c, s in sorted(missing.items()))
            said.append(
                f"Scenario '{total.scenario}': {len(missing)} footprint(s) have no plan and add nothing to "
                f"England's total: {listed}."
            )
        if total.unproven:
            said.append(
                f"Scenario '{total.scenario}': {len(total.unproven)} of {total.planned} footprint plans were "
                "stopped at the solver's time limit before being proven the best (status 'feasible'). Their "
                "figures are what those plans achieve; better plans may exist, so England's total is a floor."
            )
    return said
