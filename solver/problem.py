"""Plain data in and out of the optimiser.

These dataclasses are the whole contract between the solver and the rest of the
product: the web service converts its database rows into a `Problem`, and reads a
`Plan` back. Money is in pounds as floats here (the solver works in floats); the
service stores it exactly and rounds to the penny on the way in and out.

Years are numbered 1..Y. Per-year lists (`budget`, `pace`, `workforce`) have
length Y, `None` meaning "no limit that year".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class LockKind(StrEnum):
    KEEP_IN_HOUSE = "keep_in_house"
    MUST_JOIN = "must_join"
    MAY_NOT_HOST = "may_not_host"
    MUST_HOST = "must_host"
    NOT_BEFORE_YEAR = "not_before_year"


class BoardMode(StrEnum):
    """How rule 10 (board acceptability) judges a plan, when it is on (SPEC.md section 3).

    `shared`: every hub runs under a cost-sharing agreement (each organisation in it ends with a share
    of the hub's NPV in proportion to its discounted cost-years), so the rule is "every hub's NPV >=
    -theta". `own`: no money moves between organisations, so every organisation's attributed NPV must
    be >= -theta on its own."""

    SHARED = "shared"
    OWN = "own"


class Status(StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    ERROR = "error"


@dataclass(frozen=True)
class Tier:
    """A hub whose volume is at least `min_volume` saves `rate` on all its volume."""

    min_volume: float
    rate: float


@dataclass(frozen=True)
class FunctionAssumptions:
    tiers: tuple[Tier, ...]  # sorted by min_volume; the first starts at 0
    fixed_cost: float  # hub running cost per year it is open
    setup_cost: float  # one-off, in the hub's opening year
    transition_rate: float  # tau: share of a moved org-function's cost, once, in the year it moves
    capacity_multiple: float | None  # hub volume <= multiple x host's own cost; None = unlimited


@dataclass(frozen=True)
class Lock:
    kind: LockKind
    organisation: str | None  # None only for not_before_year applying to every organisation
    function: str
    year: int | None = None  # only for not_before_year

    @property
    def forces_a_move(self) -> bool:
        """must_join and must_host: without them, doing nothing is always a feasible plan."""
        return self.kind in (LockKind.MUST_JOIN, LockKind.MUST_HOST)


@dataclass
class Problem:
    organisations: list[str]
    functions: list[str]
    years: int
    discount_rate: float
    cost: dict[str, dict[str, float]]  # org -> function -> baseline annual £ (missing = 0)
    wte: dict[str, dict[str, float]]  # org -> function -> WTE (missing = 0)
    assumptions: dict[str, FunctionAssumptions]  # function -> assumptions
    integration_cost: dict[tuple[str, str, str], float] = field(default_factory=dict)  # (org, host, f)
    host_capacity: dict[tuple[str, str], float] = field(default_factory=dict)  # (host, f) -> absolute £
    budget: list[float | None] = field(default_factory=list)  # transition + integration £ per year
    pace: list[int | None] = field(default_factory=list)  # moves per year
    workforce: list[float | None] = field(default_factory=list)  # WTE released per year
    groups: dict[str, dict[str, str]] = field(default_factory=dict)  # org -> function -> group
    locks: list[Lock] = field(default_factory=list)
    board_acceptability: bool = True  # rule 10 on or off
    board_mode: BoardMode = BoardMode.SHARED  # how rule 10 judges a plan when it is on
    theta: float = 0.0  # shared: every hub's NPV >= -theta; own: every organisation's attributed NPV

    @property
    def board_own(self) -> bool:
        """Rule 10 on in `own` mode: one row per organisation, coupling the functions."""
        return self.board_acceptability and self.board_mode is BoardMode.OWN

    @property
    def board_shared(self) -> bool:
        """Rule 10 on in `shared` mode: one row per hub, local to its function."""
        return self.board_acceptability and self.board_mode is BoardMode.SHARED

    def __post_init__(self) -> None:
        self.board_mode = BoardMode(self.board_mode)
        for name in ("budget", "pace", "workforce"):
            values = getattr(self, name)
            if not values:
                setattr(self, name, [None] * self.years)
            elif len(values) != self.years:
                raise ValueError(f"{name} has {len(values)} entries for a {self.years}-year horizon")

    def c(self, org: str, function: str) -> float:
        return self.cost.get(org, {}).get(function, 0.0)

    def w(self, org: str, function: str) -> float:
        return self.wte.get(org, {}).get(function, 0.0)

    def group(self, org: str, function: str) -> str | None:
        return self.groups.get(org, {}).get(function)

    @classmethod
    def from_spec_json(cls, source: dict[str, Any] | str | Path) -> Problem:
        """Read the plain format of ../shared/data/spec-instances/README.md."""
        data: dict[str, Any] = source if isinstance(source, dict) else json.loads(Path(source).read_text())
        functions = list(data["functions"])
        assumptions = {
            f: FunctionAssumptions(
                tiers=tuple(Tier(float(m), float(r)) for m, r in data["tiers"][f]),
                fixed_cost=float(data["fixed"][f]),
                setup_cost=float(data["setup"][f]),
                transition_rate=float(data["tau"][f]),
                capacity_multiple=(
                    float(data["capmult"][f]) if data.get("capmult", {}).get(f) is not None else None
                ),
            )
            for f in functions
        }
        locks = []
        for raw in data.get("locks", []):
            kind = LockKind(raw[0])
            if kind is LockKind.NOT_BEFORE_YEAR:
                # [kind, function, year] or [kind, function, year, org]
                org = raw[3] if len(raw) > 3 else None
                locks.append(Lock(kind, org, raw[1], int(raw[2])))
            else:
                locks.append(Lock(kind, raw[1], raw[2]))
        return cls(
            organisations=list(data["orgs"]),
            functions=functions,
            years=int(data["years"]),
            discount_rate=float(data["discount"]),
            cost={o: {f: float(v) for f, v in fs.items()} for o, fs in data["cost"].items()},
            wte={o: {f: float(v) for f, v in fs.items()} for o, fs in data.get("wte", {}).items()},
            assumptions=assumptions,
            integration_cost={(o, h, f): float(v) for o, h, f, v in data.get("integration", [])},
            host_capacity={(h, f): float(v) for h, f, v in data.get("capacity", [])},
            budget=[None if v is None else float(v) for v in data.get("budget") or []],
            pace=[None if v is None else int(v) for v in data.get("pace") or []],
            workforce=[None if v is None else float(v) for v in data.get("workforce") or []],
            groups={o: dict(fs) for o, fs in data.get("groups", {}).items()},
            locks=locks,
            board_acceptability=bool(data.get("board", True)),
            # The spec instances were written before `shared` mode: absent means `own`.
            board_mode=BoardMode(data.get("board_mode", "own")),
            theta=float(data.get("theta", 0.0)),
        )


@dataclass(frozen=True)
class Progress:
    """What the optimiser knows so far, handed to `SolveOptions.on_progress` each time it improves.

    `incumbent` is the appraised NPV (£) of the best plan known that breaks no rule (None before the
    first one), in every phase: a joint-phase incumbent of HiGHS is checked and appraised before it is
    reported, so no report promises more than `solve` returns. `bound` is the best proven upper bound on
    any plan's NPV (None while there is none), `gap` their relative gap."""

    phase: str  # greedy | per_function | restricted | joint
    incumbent: float | None
    bound: float | None
    gap: float | None
    seconds: float  # since solve() started


@dataclass(frozen=True)
class SolveOptions:
    solver: str = "highs"  # "highs" (default) or "cbc"
    time_limit: float | None = 60.0  # seconds
    relative_gap: float = 1e-4
    threads: int | None = None
    seed: int = 0
    msg: bool = False
    # A plan to start from (e.g. the same footprint's plan under stricter rules, or a sweep's central
    # plan): `solve` never returns a worse one when it meets every rule of the problem; ignored otherwise.
    warm_start: list[Hub] | None = field(default=None, compare=False, repr=False)
    # Called with a `Progress` whenever the incumbent or the bound improves (throttled to about one call
    # a second while a solver is running). Best effort: an exception it raises is swallowed, so that a
    # failed progress write never costs a solve.
    on_progress: Callable[[Progress], None] | None = field(default=None, compare=False, repr=False)


# ---- what comes out -------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """Organisation `organisation`'s function `function` joins `host`'s hub in `year`."""

    organisation: str
    function: str
    host: str
    year: int


@dataclass
class Hub:
    host: str
    function: str
    opening_year: int  # the earliest year a member joins
    members: list[Move]  # excluding the host


@dataclass
class YearFigures:
    year: int
    savings: float
    running_costs: float
    setup_costs: float
    transition_costs: float
    integration_costs: float
    net_cash: float  # = £ redeployed to patient care that year
    cumulative_net_cash: float
    discount_factor: float
    discounted_net_cash: float
    wte_released: float
    moves: int


@dataclass
class OrganisationFigures:
    organisation: str
    attributed_npv: float
    binds_board: bool = False  # own mode: its attributed NPV is within £0.01 of -theta
    # shared mode (None otherwise): the sum over its hubs of its agreed share of each hub's NPV, and of
    # the recharge that brings it there (share - attributed NPV, positive = received).
    share: float | None = None
    recharge: float | None = None
    # Its attributed net cash in each year 1..Y, undiscounted, before any recharge: what attributed_npv
    # discounts. The organisations' figures for a year add up to that year's net cash.
    net_cash: list[float] = field(default_factory=list)


@dataclass
class HubParticipant:
    """One organisation's place in one hub's cost-sharing agreement (shared mode)."""

    organisation: str
    role: str  # host | member
    first_year: int  # the year it is first in the hub (the hub's opening year for the host)
    cost_years: float  # sum over its years in the hub of (1+d)^-t x its own cost: its weight
    attributed_npv: float  # its own position in this hub before any recharge (rule 10 attribution)
    share: float  # hub NPV x cost_years / the hub's total cost_years
    recharge: float  # share - attributed_npv; positive = received from the hub
    annuity_factor: float  # sum of (1+d)^-t over its years in the hub

    @property
    def annual_recharge(self) -> float:
        """The equal amount each year it is in the hub with the same present value as `recharge`."""
        return self.recharge / self.annuity_factor if self.annuity_factor else 0.0

    @property
    def annual_share(self) -> float:
        return self.share / self.annuity_factor if self.annuity_factor else 0.0


@dataclass
class HubAgreement:
    """A hub's NPV shared among the organisations in it (shared mode); the shares sum to `npv` and
    the recharges to zero."""

    host: str
    function: str
    npv: float
    binds_board: bool  # npv within £0.01 of -theta
    participants: list[HubParticipant]


@dataclass
class BindingConstraint:
    family: str  # budget | pace | workforce | capacity | board | lock
    year: int | None = None
    organisation: str | None = None
    function: str | None = None
    detail: str = ""


@dataclass
class SolverStats:
    solver: str
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    objective: float | None = None
    best_bound: float | None = None
    relative_gap: float | None = None
    nodes: int | None = None
    message: str = ""


@dataclass
class Appraisal:
    """Figures recomputed from a plan alone (solver/appraisal.py), never from a model objective."""

    years: list[YearFigures]
    organisations: list[OrganisationFigures]
    npv: float
    payback_year: int | None
    # Every hub's agreement in shared mode (empty in own mode or with rule 10 off).
    agreements: list[HubAgreement] = field(default_factory=list)


@dataclass
class Plan:
    status: Status
    hubs: list[Hub] = field(default_factory=list)
    appraisal: Appraisal | None = None
    binding: list[BindingConstraint] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # constraint families, when infeasible
    stats: SolverStats | None = None

    @property
    def moves(self) -> list[Move]:
        return [m for hub in self.hubs for m in hub.members]

    @property
    def npv(self) -> float | None:
        return None if self.appraisal is None else self.appraisal.npv
