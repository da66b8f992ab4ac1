"""Rule 10's cost-sharing agreements (`shared` mode) and the settlement of attribution to the penny.

In `shared` mode every hub runs under an agreement: each organisation in it (host included) ends with a
share of the hub's NPV in proportion to its discounted cost-years in the hub (the sum over the years t it
is in the hub of (1+d)^-t x its own cost), and the host recharges it the difference between that share
and what it is attributed on its own (positive = received). Shares sum to the hub's NPV, so recharges sum
to zero. docs/planners/board-acceptability.md has a worked example.

`settle_in_pence` turns the float figures into whole pence that add up exactly: the footprint's NPV
(rounded half away from zero, as a run stores it) is split over the hubs, each hub's over its
organisations' attributed NPVs and over their shares, each time by the largest-remainder rule (every
figure is its own rounding, moved by a penny only where the rounded parts would not add up).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from solver.problem import Appraisal, Hub, HubAgreement, HubParticipant, Problem

# An organisation (own mode) or a hub (shared mode) "binds" on the board rule when its attributed NPV or
# its NPV is this close to -theta.
BOARD_BINDING_TOLERANCE = 0.01


def hub_agreements(
    problem: Problem, hubs: Sequence[Hub], by_hub: Mapping[tuple[str, str], Mapping[str, float]]
) -> list[HubAgreement]:
    """Rule 10's cost-sharing agreement of every hub (shared mode).

    `by_hub` is each organisation's attributed NPV from each hub ((function, host) -> organisation ->
    £), as `appraise` credits it; a hub's NPV is their sum.
    """
    discount = [0.0] + [(1.0 + problem.discount_rate) ** -t for t in range(1, problem.years + 1)]
    tail = [0.0] * (problem.years + 2)  # tail[t] = sum of (1+d)^-s for s = t..Y
    for t in range(problem.years, 0, -1):
        tail[t] = tail[t + 1] + discount[t]
    agreements = []
    for hub in hubs:
        f = hub.function
        attributed = by_hub.get((f, hub.host), {})
        joined = [("host", hub.host, hub.opening_year)] + [
            ("member", m.organisation, m.year) for m in hub.members
        ]
        weights = [problem.c(o, f) * tail[year] for _, o, year in joined]
        total_weight = sum(weights)
        npv = sum(attributed.get(o, 0.0) for _, o, _ in joined)
        participants = []
        for (role, o, year), weight in zip(joined, weights, strict=True):
            share = npv * weight / total_weight if total_weight > 0 else 0.0
            own = attributed.get(o, 0.0)
            participants.append(
                HubParticipant(
                    organisation=o,
                    role=role,
                    first_year=year,
                    cost_years=weight,
                    attributed_npv=own,
                    share=share,
                    recharge=share - own,
                    annuity_factor=tail[year],
                )
            )
        agreements.append(
            HubAgreement(
                host=hub.host,
                function=f,
                npv=npv,
                binds_board=abs(npv + problem.theta) <= BOARD_BINDING_TOLERANCE,
                participants=participants,
            )
        )
    return agreements


# ---- to the penny -------------------------------------------------------------------------------


def pence(pounds: float) -> int:
    """Pounds to whole pence, half away from zero, through the exact decimal of the float's repr (the
    rule a run's stored NPV uses)."""
    return int((Decimal(repr(pounds)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def apportion(total: int, parts: Sequence[float]) -> list[int]:
    """Whole pence for `parts` (in pence, floats) that sum to exactly `total`: each part rounded, then the
    difference moved a penny at a time onto the parts whose rounding lost (or gained) the most."""
    if not parts:
        return []
    rounded = [pence(p / 100.0) for p in parts]
    difference = total - sum(rounded)
    step = 1 if difference > 0 else -1
    # The parts rounded down by the most get the first extra penny (or, to take pennies, those rounded
    # up by the most); ties by position, so the answer is reproducible.
    order = sorted(range(len(parts)), key=lambda i: (-(parts[i] - rounded[i]) * step, i))
    for n in range(abs(difference)):
        rounded[order[n % len(order)]] += step
    return rounded


@dataclass(frozen=True)
class ParticipantPence:
    organisation: str
    role: str  # host | member
    first_year: int
    attributed: int
    share: int
    recharge: int  # share - attributed: positive = received
    annual_share: int  # the equal amount a year over its years in the hub with the same present value
    annual_recharge: int


@dataclass(frozen=True)
class HubPence:
    host: str
    function: str
    npv: int
    binds_board: bool
    participants: list[ParticipantPence]


@dataclass(frozen=True)
class OrganisationPence:
    organisation: str
    attributed: int
    share: int | None  # shared mode only
    recharge: int | None
    # Its attributed net cash in years 1..Y, undiscounted; a year's figures add up to that year's net cash.
    net_cash_by_year: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Settlement:
    """An appraisal's attribution in whole pence: the organisations' attributed NPVs and (shared mode)
    shares sum to `npv`, each hub's shares to its NPV and its recharges to zero."""

    npv: int
    organisations: list[OrganisationPence]
    hubs: list[HubPence] = field(default_factory=list)


def settle_in_pence(appraisal: Appraisal, shared: bool) -> Settlement:
    """The attribution (and, when `shared`, each hub's agreement) of `appraisal` in whole pence."""
    total = pence(appraisal.npv)
    orgs = [o.organisation for o in appraisal.organisations]
    cash = _cash_by_year(appraisal)
    if not shared or not appraisal.agreements:
        attributed = apportion(total, [o.attributed_npv * 100.0 for o in appraisal.organisations])
        return Settlement(
            npv=total,
            organisations=[
                OrganisationPence(o, a, 0 if shared else None, 0 if shared else None, cash[o])
                for o, a in zip(orgs, attributed, strict=True)
            ],
        )
    hub_totals = apportion(total, [a.npv * 100.0 for a in appraisal.agreements])
    hubs = []
    own = dict.fromkeys(orgs, 0)
    share = dict.fromkeys(orgs, 0)
    for agreement, hub_total in zip(appraisal.agreements, hub_totals, strict=True):
        people = agreement.participants
        attributed = apportion(hub_total, [p.attributed_npv * 100.0 for p in people])
        shares = apportion(hub_total, [p.share * 100.0 for p in people])
        settled = []
        for p, a, s in zip(people, attributed, shares, strict=True):
            own[p.organisation] = own.get(p.organisation, 0) + a
            share[p.organisation] = share.get(p.organisation, 0) + s
            factor = p.annuity_factor or 1.0
            settled.append(
                ParticipantPence(
                    organisation=p.organisation,
                    role=p.role,
                    first_year=p.first_year,
                    attributed=a,
                    share=s,
                    recharge=s - a,
                    annual_share=pence(s / factor / 100.0),
                    annual_recharge=pence((s - a) / factor / 100.0),
                )
            )
        hubs.append(HubPence(agreement.host, agreement.function, hub_total, agreement.binds_board, settled))
    return Settlement(
        npv=total,
        organisations=[OrganisationPence(o, own[o], share[o], share[o] - own[o], cash[o]) for o in own],
        hubs=hubs,
    )


def _cash_by_year(appraisal: Appraisal) -> dict[str, list[int]]:
    """Each organisation's net cash by year in pence, each year's apportioned to that year's net cash (as
    the run stores it) so that the Years sheet and the organisations' figures reconcile to the penny."""
    cash: dict[str, list[int]] = {o.organisation: [] for o in appraisal.organisations}
    for index, year in enumerate(appraisal.years):
        parts = [o.net_cash[index] * 100.0 if o.net_cash else 0.0 for o in appraisal.organisations]
        for o, amount in zip(appraisal.organisations, apportion(pence(year.net_cash), parts), strict=True):
            cash[o.organisation].append(amount)
    return cash
