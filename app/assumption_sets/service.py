"""Assumption sets: named economic assumptions for a footprint's runs (never commits)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.assumption_sets import defaults
from app.assumption_sets.schemas import (
    AssumptionSetCreate,
    AssumptionSetRead,
    AssumptionSetWrite,
    FunctionAssumptionsSchema,
)
from app.core.errors import Conflict, Invalid, NotFound
from app.core.money import to_pence, to_pounds
from app.footprints.service import get_footprint
from models import AssumptionSet, Footprint, Function


def _stored_function(data: FunctionAssumptionsSchema) -> dict[str, Any]:
    return {
        "tiers": [[str(t.min_volume), str(t.rate)] for t in data.tiers],
        "fixed_cost": str(data.fixed_cost),
        "setup_cost": str(data.setup_cost),
        "transition_rate": str(data.transition_rate),
        "capacity_multiple": None if data.capacity_multiple is None else str(data.capacity_multiple),
    }


def _check_functions(session: Session, data: AssumptionSetWrite) -> None:
    known = set(session.scalars(select(Function.key)))
    unknown = sorted(set(data.functions) - known)
    if unknown:
        raise Invalid(
            "Unknown function(s) in the assumption set",
            errors=[
                {"field": f"functions.{key}", "value": key, "message": "not a known function"}
                for key in unknown
            ],
        )


def _apply(assumption_set: AssumptionSet, data: AssumptionSetWrite) -> None:
    assumption_set.description = data.description
    assumption_set.discount_rate = data.discount_rate
    assumption_set.horizon_years = data.horizon_years
    assumption_set.optimism_bias_cost_uplift = data.optimism_bias_cost_uplift
    assumption_set.optimism_bias_savings_haircut = data.optimism_bias_savings_haircut
    assumption_set.board_acceptability = data.board_acceptability
    assumption_set.board_mode = data.board_mode
    assumption_set.board_mode_note = None  # written now, so the mode is the writer's
    assumption_set.board_tolerance_pence = to_pence(data.board_tolerance)
    assumption_set.function_assumptions = {
        key: _stored_function(f) for key, f in sorted(data.functions.items())
    }
    assumption_set.yearly_limits = {
        "budget": None if data.budget is None else [None if v is None else str(v) for v in data.budget],
        "pace": data.pace,
        "workforce": None
        if data.workforce is None
        else [None if v is None else str(v) for v in data.workforce],
    }


def list_assumption_sets(session: Session, code: str) -> Sequence[AssumptionSet]:
    footprint = get_footprint(session, code)
    return session.scalars(
        select(AssumptionSet).where(AssumptionSet.footprint_id == footprint.id).order_by(AssumptionSet.name)
    ).all()


def get_assumption_set(session: Session, code: str, name: str) -> AssumptionSet:
    footprint = get_footprint(session, code)
    found = session.scalar(
        select(AssumptionSet).where(AssumptionSet.footprint_id == footprint.id, AssumptionSet.name == name)
    )
    if found is None:
        raise NotFound("Assumption set", name)
    return found


def create_assumption_set(session: Session, code: str, data: AssumptionSetCreate) -> AssumptionSet:
    footprint = get_footprint(session, code)
    _check_functions(session, data)
    if session.scalar(
        select(exists().where(AssumptionSet.footprint_id == footprint.id, AssumptionSet.name == data.name))
    ):
        raise Conflict(f"Assumption set {data.name!r} already exists in footprint {code}")
    assumption_set = AssumptionSet(footprint_id=footprint.id, name=data.name)
    _apply(assumption_set, data)
    session.add(assumption_set)
    session.flush()
    return assumption_set


def replace_assumption_set(session: Session, code: str, name: str, data: AssumptionSetWrite) -> AssumptionSet:
    assumption_set = get_assumption_set(session, code, name)
    _check_functions(session, data)
    _apply(assumption_set, data)
    session.flush()
    return assumption_set


def delete_assumption_set(session: Session, code: str, name: str) -> None:
    # Runs keep their own snapshot, so deleting the set never changes a run (run.assumption_set_id
    # is set to null by the foreign key).
    session.delete(get_assumption_set(session, code, name))
    session.flush()


def to_write(assumption_set: AssumptionSet) -> AssumptionSetWrite:
    """The stored set as the API's write form (so a stored set and an inline one resolve alike)."""
    limits = assumption_set.yearly_limits or {}
    return AssumptionSetWrite.model_validate(
        {
            "description": assumption_set.description,
            "discount_rate": assumption_set.discount_rate,
            "horizon_years": assumption_set.horizon_years,
            "optimism_bias_cost_uplift": assumption_set.optimism_bias_cost_uplift,
            "optimism_bias_savings_haircut": assumption_set.optimism_bias_savings_haircut,
            "board_acceptability": assumption_set.board_acceptability,
            "board_mode": assumption_set.board_mode,
            "board_tolerance": to_pounds(assumption_set.board_tolerance_pence),
            "functions": {
                key: {
                    "tiers": [{"min_volume": m, "rate": r} for m, r in f["tiers"]],
                    "fixed_cost": f["fixed_cost"],
                    "setup_cost": f["setup_cost"],
                    "transition_rate": f["transition_rate"],
                    "capacity_multiple": f["capacity_multiple"],
                }
                for key, f in (assumption_set.function_assumptions or {}).items()
            },
            "budget": limits.get("budget"),
            "pace": limits.get("pace"),
            "workforce": limits.get("workforce"),
        }
    )


def read(assumption_set: AssumptionSet, footprint_code: str) -> AssumptionSetRead:
    write = to_write(assumption_set)
    return AssumptionSetRead.model_validate(
        {
            **write.model_dump(),
            "id": assumption_set.id,
            "footprint": footprint_code,
            "name": assumption_set.name,
            "board_mode_note": assumption_set.board_mode_note,
            "functions_defaulted": sorted(
                key for key in (k for k, _, _ in _catalogue()) if key not in write.functions
            ),
            "created_at": assumption_set.created_at,
            "updated_at": assumption_set.updated_at,
        }
    )


def _catalogue() -> list[tuple[str, str, str]]:
    from models import FUNCTION_CATALOGUE

    return FUNCTION_CATALOGUE


def resolve(
    data: AssumptionSetWrite, footprint: Footprint, functions: Sequence[str], org_functions: int
) -> dict[str, Any]:
    """Every figure a run needs, with defaults filled in: the assumptions part of a run's snapshot.

    Money stays as decimal strings in pounds; pace is fixed here from the footprint's maturity when the
    set does not give it, so later changes to the footprint never change a run.
    """
    years = data.horizon_years
    pace: list[int | None]
    pace_source: str
    if data.pace is None:
        pace = [defaults.pace_from_maturity(footprint.maturity, org_functions)] * years
        share = defaults.PACE_SHARE[footprint.maturity]
        pace_source = f"maturity {footprint.maturity.value}: {share} of {org_functions} org-functions a year"
    else:
        pace, pace_source = list(data.pace), "given"
    per_function: dict[str, Any] = {}
    for key in functions:
        given = data.functions.get(key)
        per_function[key] = {
            **(defaults.default_function_assumptions() if given is None else _stored_function(given)),
            "defaulted": given is None,
        }
    return {
        "discount_rate": str(data.discount_rate),
        "horizon_years": years,
        "optimism_bias_cost_uplift": str(data.optimism_bias_cost_uplift),
        "optimism_bias_savings_haircut": str(data.optimism_bias_savings_haircut),
        "board_acceptability": data.board_acceptability,
        "board_mode": data.board_mode,
        "board_tolerance": str(data.board_tolerance),
        "functions": per_function,
        "budget": [None if v is None else str(v) for v in data.budget] if data.budget else [None] * years,
        "pace": pace,
        "pace_source": pace_source,
        "workforce": [None if v is None else str(v) for v in data.workforce]
        if data.workforce
        else [None] * years,
    }
