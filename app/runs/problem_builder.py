"""A run's inputs: the snapshot taken from the database when the run is created, and the solver
`Problem` built from that snapshot alone (so re-running a snapshot always poses the same problem)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.assumption_sets.schemas import AssumptionSetWrite
from app.assumption_sets.service import resolve
from models import CostLine, Footprint, Lock, Organisation
from solver.problem import BoardMode, FunctionAssumptions, LockKind, Problem, Tier
from solver.problem import Lock as SolverLock

SNAPSHOT_VERSION = 1


def _financial_year_key(year: str) -> int:
    return int(year[:4])


def baseline_warnings(snapshot: dict[str, Any]) -> list[str]:
    """What a finance director should know before trusting the figures of a run built from this
    snapshot: baselines from different financial years (each organisation's latest year is used, so one
    organisation's 2018/19 costs meet another's 2017/18 and the savings compare unlike years)."""
    years_of: dict[str, set[str]] = {}
    for line in snapshot.get("cost_lines", []):
        if line["pay_pence"] + line["non_pay_pence"] > 0:
            years_of.setdefault(line["financial_year"], set()).add(line["organisation"])
    if len(years_of) < 2:
        return []
    parts = [
        f"{year} for {', '.join(sorted(organisations))}"
        for year, organisations in sorted(years_of.items(), key=lambda item: item[0], reverse=True)
    ]
    return [
        "The baseline costs come from different financial years: "
        + "; ".join(parts)
        + ". Each organisation's latest year was used, so savings compare costs of different years; "
        "upload the same financial year for every organisation to compare like with like."
    ]


def take_snapshot(session: Session, footprint: Footprint, assumptions: AssumptionSetWrite) -> dict[str, Any]:
    """Everything a run needs, copied out of the database now: later edits never reach the run."""
    organisations = session.scalars(
        select(Organisation).where(Organisation.footprint_id == footprint.id).order_by(Organisation.code)
    ).all()
    codes = {o.id: o.code for o in organisations}
    latest: dict[tuple[str, str], CostLine] = {}
    for line in session.scalars(
        select(CostLine).where(CostLine.organisation_id.in_(codes)).order_by(CostLine.id)
    ):
        key = (codes[line.organisation_id], line.function_key)
        held = latest.get(key)
        # The latest financial year per org-function is its baseline (SPEC section 3).
        if held is None or _financial_year_key(line.financial_year) > _financial_year_key(
            held.financial_year
        ):
            latest[key] = line
    cost_lines: list[dict[str, Any]] = [
        {
            "organisation": org,
            "function": function,
            "financial_year": line.financial_year,
            "pay_pence": line.pay_pence,
            "non_pay_pence": line.non_pay_pence,
            "wte": str(line.wte),
        }
        for (org, function), line in sorted(latest.items())
    ]
    with_cost = [c for c in cost_lines if c["pay_pence"] + c["non_pay_pence"] > 0]
    functions = sorted({c["function"] for c in with_cost})
    locks = [
        {
            "kind": lock.kind.value,
            "organisation": None if lock.organisation_id is None else codes.get(lock.organisation_id),
            "function": lock.function_key,
            "year": lock.year,
            "reason": lock.reason,
        }
        for lock in session.scalars(select(Lock).where(Lock.footprint_id == footprint.id).order_by(Lock.id))
    ]
    return {
        "version": SNAPSHOT_VERSION,
        "footprint": {"code": footprint.code, "name": footprint.name, "maturity": footprint.maturity.value},
        "organisations": [
            {
                "code": o.code,
                "name": o.name,
                "kind": o.kind.value,
                "groups": dict(o.compatibility_groups or {}),
            }
            for o in organisations
        ],
        "functions": functions,
        "cost_lines": cost_lines,
        "assumptions": resolve(assumptions, footprint, functions, len(with_cost)),
        "locks": locks,
    }


def _f(value: str | None) -> float | None:
    return None if value is None else float(Decimal(value))


def build_problem(snapshot: dict[str, Any]) -> Problem:
    """The solver's problem for a snapshot, with the Green Book optimism-bias adjustments applied:
    set-up and transition costs are raised by the uplift, every saving rate is cut by the haircut."""
    a = snapshot["assumptions"]
    uplift = 1.0 + float(Decimal(a["optimism_bias_cost_uplift"]))
    keep = 1.0 - float(Decimal(a["optimism_bias_savings_haircut"]))
    functions = list(snapshot["functions"])
    cost: dict[str, dict[str, float]] = {}
    wte: dict[str, dict[str, float]] = {}
    for line in snapshot["cost_lines"]:
        total = (line["pay_pence"] + line["non_pay_pence"]) / 100
        if total > 0:
            cost.setdefault(line["organisation"], {})[line["function"]] = total
        wte.setdefault(line["organisation"], {})[line["function"]] = float(Decimal(line["wte"]))
    assumptions = {}
    for key in functions:
        f = a["functions"][key]
        assumptions[key] = FunctionAssumptions(
            tiers=tuple(Tier(float(Decimal(m)), float(Decimal(r)) * keep) for m, r in f["tiers"]),
            fixed_cost=float(Decimal(f["fixed_cost"])),
            setup_cost=float(Decimal(f["setup_cost"])) * uplift,
            transition_rate=float(Decimal(f["transition_rate"])) * uplift,
            capacity_multiple=_f(f["capacity_multiple"]),
        )
    locks = [
        SolverLock(LockKind(lock["kind"]), lock["organisation"], lock["function"], lock["year"])
        for lock in snapshot["locks"]
        # A lock on a function nobody has a cost for constrains nothing the solver decides.
        if lock["function"] in assumptions
    ]
    budget = [_f(v) for v in a["budget"]]
    workforce = [_f(v) for v in a["workforce"]]
    return Problem(
        organisations=[o["code"] for o in snapshot["organisations"]],
        functions=functions,
        years=int(a["horizon_years"]),
        discount_rate=float(Decimal(a["discount_rate"])),
        cost=cost,
        wte=wte,
        assumptions=assumptions,
        budget=budget,
        pace=list(a["pace"]),
        workforce=workforce,
        groups={o["code"]: dict(o["groups"]) for o in snapshot["organisations"] if o["groups"]},
        locks=locks,
        board_acceptability=bool(a["board_acceptability"]),
        # Snapshots taken before rule 10 had modes meant `own` (docs/planners/board-acceptability.md).
        board_mode=BoardMode(a.get("board_mode", BoardMode.OWN.value)),
        theta=float(Decimal(a["board_tolerance"])),
    )
