from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from app.assumption_sets.schemas import AssumptionSetWrite
from app.cost_lines.upsert import CostLineInput, bulk_upsert
from app.footprints.schemas import FootprintCreate
from app.footprints.service import create_footprint
from app.organisations.schemas import OrganisationCreate
from app.organisations.service import create_organisation
from app.runs.problem_builder import build_problem, take_snapshot
from models import Footprint, Lock, LockKind, Maturity, Organisation
from solver.problem import LockKind as SolverLockKind


def _footprint(session: Session) -> Footprint:
    footprint = create_footprint(
        session, FootprintCreate(code="E54000007", name="Test", maturity=Maturity.EMERGING)
    )
    for code, groups in (("RAA", {"it": "LDR1"}), ("RBB", {}), ("RCC", {})):
        create_organisation(
            session,
            footprint,
            OrganisationCreate(code=code, name=code, kind="PROVIDER", compatibility_groups=groups),
        )
    lines = [
        # the older year must be ignored: the baseline is the latest financial year per org-function
        ("RAA", "finance", "2016/17", 999_999_00, 0, "1"),
        ("RAA", "finance", "2017/18", 3_000_000_00, 1_000_000_00, "80.5"),
        ("RBB", "finance", "2017/18", 1_000_000_00, 0, "20"),
        ("RCC", "finance", "2017/18", 500_000_00, 0, "10"),
        ("RAA", "it", "2017/18", 2_000_000_00, 500_000_00, "30"),
        ("RBB", "it", "2016/17", 700_000_00, 0, "9"),
        # a zero line: not a cost, so no org-function for pace and no cost in the problem
        ("RCC", "it", "2017/18", 0, 0, "0"),
    ]
    bulk_upsert(
        session,
        footprint,
        [
            CostLineInput(
                organisation=o, function=f, financial_year=y, pay_pence=p, non_pay_pence=n, wte=Decimal(w)
            )
            for o, f, y, p, n, w in lines
        ],
    )
    return footprint


def test_the_snapshot_takes_the_latest_year_and_resolves_every_default(db_session: Session) -> None:
    footprint = _footprint(db_session)
    raa = db_session.query(Organisation).filter_by(code="RAA").one()
    db_session.add(
        Lock(footprint_id=footprint.id, organisation_id=raa.id, function_key="it", kind=LockKind.MUST_HOST)
    )
    db_session.add(
        Lock(footprint_id=footprint.id, function_key="finance", kind=LockKind.NOT_BEFORE_YEAR, year=2)
    )
    db_session.flush()

    snapshot = take_snapshot(db_session, footprint, AssumptionSetWrite())

    finance = {c["organisation"]: c for c in snapshot["cost_lines"] if c["function"] == "finance"}
    assert finance["RAA"]["financial_year"] == "2017/18" and finance["RAA"]["pay_pence"] == 3_000_000_00
    assert snapshot["functions"] == ["finance", "it"]
    a = snapshot["assumptions"]
    assert a["discount_rate"] == "0.035" and a["horizon_years"] == 5
    # emerging: 10 % of the 5 org-functions with a cost, rounded up
    assert a["pace"] == [1] * 5
    assert a["functions"]["finance"]["defaulted"] is True
    assert a["functions"]["finance"]["tiers"][-1] == ["10000000", "0.20"]
    assert [(lock["kind"], lock["organisation"]) for lock in snapshot["locks"]] == [
        ("must_host", "RAA"),
        ("not_before_year", None),
    ]
    assert snapshot["organisations"][0]["groups"] == {"it": "LDR1"}

    problem = build_problem(snapshot)
    assert problem.c("RAA", "finance") == 4_000_000.0
    assert problem.c("RBB", "it") == 700_000.0  # its only year is its latest
    assert problem.c("RCC", "it") == 0.0
    assert problem.w("RAA", "finance") == 80.5
    assert problem.group("RAA", "it") == "LDR1" and problem.group("RBB", "it") is None
    assert problem.discount_rate == pytest.approx(0.035)
    assert {lock.kind for lock in problem.locks} == {SolverLockKind.MUST_HOST, SolverLockKind.NOT_BEFORE_YEAR}
    fa = problem.assumptions["finance"]
    assert (fa.fixed_cost, fa.setup_cost, fa.transition_rate, fa.capacity_multiple) == (
        250_000.0,
        400_000.0,
        0.5,
        6.0,
    )


def test_optimism_bias_raises_one_off_costs_and_cuts_savings(db_session: Session) -> None:
    footprint = _footprint(db_session)
    plain = build_problem(take_snapshot(db_session, footprint, AssumptionSetWrite()))
    biased = build_problem(
        take_snapshot(
            db_session,
            footprint,
            AssumptionSetWrite(
                optimism_bias_cost_uplift=Decimal("0.41"), optimism_bias_savings_haircut=Decimal("0.25")
            ),
        )
    )
    p, b = plain.assumptions["finance"], biased.assumptions["finance"]
    assert b.setup_cost == pytest.approx(p.setup_cost * 1.41)
    assert b.transition_rate == pytest.approx(p.transition_rate * 1.41)
    assert b.fixed_cost == p.fixed_cost  # running costs are not one-off: no uplift
    assert [t.rate for t in b.tiers] == pytest.approx([t.rate * 0.75 for t in p.tiers])
    assert [t.min_volume for t in b.tiers] == [t.min_volume for t in p.tiers]


def test_a_given_pace_and_limits_are_used_as_given(db_session: Session) -> None:
    footprint = _footprint(db_session)
    problem = build_problem(
        take_snapshot(
            db_session,
            footprint,
            AssumptionSetWrite(
                horizon_years=3,
                pace=[2, None, 0],
                budget=[Decimal("100000.00"), None, None],
                workforce=[None, Decimal("5.5"), None],
                board_acceptability=False,
            ),
        )
    )
    assert problem.years == 3
    assert problem.pace == [2, None, 0]
    assert problem.budget == [100_000.0, None, None]
    assert problem.workforce == [None, 5.5, None]
    assert problem.board_acceptability is False
