"""`solve(problem, options) -> Plan`: the consolidation optimiser with an honest outcome.

Algorithm (solver/README.md explains why every step keeps the answer exactly optimal):

1. Greedy plan (quality floor and warm start).
2. Decomposition: each function alone, under the same per-year limits but without board
   acceptability, is a relaxation of the whole problem restricted to that function. Solve each; their
   best bounds add up to a valid bound on the whole. If the union of the per-function optima breaks no
   coupling rule (per-year totals, board), it is optimal for the whole problem and we stop.
3. The joint model (when small enough), the model restricted to the known plans' hosts, and the
   large-neighbourhood search (solver/lns.py); last, with the time left, the joint MILP from the best
   plan (or, without a joint model, the integral relaxation's bound). Every step before the last is
   limited by work, not time, so the time limit only decides how far along this fixed sequence a run
   gets: more time never gives a worse plan or a weaker bound (solver/README.md, "Anytime and
   monotone").
4. Every returned plan is checked by `check_feasible`, scored by `appraise`, compared with the
   greedy plan and with the model objective. A solver "optimal" that is worse than a known plan, or an
   "infeasible" when a known plan is feasible, is not believed: the model is re-solved with the safe
   settings (HiGHS without presolve, then CBC).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import replace

import highspy
import pulp

from solver import lns
from solver.appraisal import appraise, check_feasible
from solver.backends import PENNY, HighsWithStart, RunResult, SolverProgress, relative_gap, run_model
from solver.binding import binding_constraints
from solver.bounds import integral_bound, upper_bound_and_hosts
from solver.greedy import greedy_plan
from solver.model import FAMILIES, ConsolidationModel, build_model, function_candidates, relaxed
from solver.problem import (
    Hub,
    Plan,
    Problem,
    Progress,
    SolveOptions,
    SolverStats,
    Status,
)

# How many of the biggest hosts a must_join organisation may join in the plan built around locks: with
# three, 30 x 11 x 5 found no plan in 3 s (seeds 0-2), with one it did in 2.5-3.5 s.
LOCK_HOST_CHOICES = 1

# Work limits, in HiGHS branch-and-bound nodes, of the steps before the last (solver/README.md,
# "Algorithm"): what makes a run repeatable whatever the machine's load. The caller's time limit only
# decides how far along the fixed sequence of steps a run gets.
FUNCTION_NODES = 200  # each function alone (step 2)
RESTRICTED_NODES = 500  # the model restricted to the known plans' hosts (step 4)
TRIAL_NODES = 200  # each restricted model of the host search (step 5, own mode)
LOCK_PLAN_NODES = 2000  # the plan built around must_* locks (step 1)

# A step that builds a model and hands it to HiGHS is not started with less than this left (HiGHS gets at
# least half a second once started): starting it would only overrun the limit.
MIN_STEP_SECONDS = 0.5

# The joint model is built when HiGHS can be expected to solve its LP relaxation in this many seconds
# (`_lp_seconds_estimate`): decided by size alone, so that the steps never depend on the time limit.
JOINT_LP_SECONDS = 8.0


def forced_moves(problem: Problem) -> bool:
    """True when a lock forces a move; otherwise doing nothing is feasible."""
    return any(lock.forces_a_move for lock in problem.locks)


class _Deadline:
    """The caller's time limit covers the whole solve: greedy, building, handing models to the solver,
    and checking and appraising the answer. `left(reserve=True)` keeps back what that last part needs
    (measured at under 0.5 s on 60 x 11 x 5) and HiGHS's habit of overrunning its limit a little."""

    def __init__(self, limit: float | None) -> None:
        self.end = None if limit is None else time.perf_counter() + limit
        self.reserve = 0.0 if limit is None else min(2.0, 0.05 * limit)
        self.stopped = False

    def left(self, reserve: bool = False) -> float | None:
        if self.end is None:
            return None
        return max(0.0, self.end - time.perf_counter() - (self.reserve if reserve else 0.0))

    def out(self, needed: float = MIN_STEP_SECONDS) -> bool:
        """True once a step was cut short by the deadline, or when less than `needed` seconds (plus the
        reserve) are left. From then on no further step may start: `solve` runs a fixed sequence of
        steps, each limited by work (HiGHS nodes) rather than seconds, and the deadline only decides how
        far along it gets. So a longer limit runs the same steps and then more, and can only end with
        a plan as good and a bound as tight (SolveOptions.time_limit)."""
        if self.stopped:
            return True
        left = self.left(reserve=True)
        if left is not None and left <= needed:
            self.stopped = True
        return self.stopped

    def note(self, run: RunResult) -> RunResult:
        """Mark the deadline as reached when `run` was stopped by it."""
        if run.timed_out:
            self.stopped = True
        return run


class _Reporter:
    """Hands `Progress` to the caller's `on_progress` when the incumbent or the bound improves."""

    # While a solver runs, its bound moves at almost every node: one report a second is plenty.
    INTERVAL = 1.0

    def __init__(self, options: SolveOptions) -> None:
        self.callback = options.on_progress
        self.started = time.perf_counter()
        self.last_sent = -math.inf
        self.incumbent: float | None = None
        self.bound: float | None = None
        self.sent: tuple[float | None, float | None] | None = None

    def __call__(
        self, phase: str, incumbent: float | None = None, bound: float | None = None, *, force: bool = True
    ) -> None:
        if incumbent is not None and math.isfinite(incumbent):
            self.incumbent = incumbent if self.incumbent is None else max(self.incumbent, incumbent)
        if bound is not None and math.isfinite(bound):
            self.bound = bound if self.bound is None else min(self.bound, bound)
        if self.callback is None or (self.incumbent, self.bound) == self.sent:
            return
        now = time.perf_counter()
        if not force and now - self.last_sent < self.INTERVAL:
            return
        bound_now = self.bound
        if bound_now is not None and self.incumbent is not None:
            bound_now = max(bound_now, self.incumbent)
        gap = None if bound_now is None or self.incumbent is None else relative_gap(self.incumbent, bound_now)
        self.sent, self.last_sent = (self.incumbent, self.bound), now
        # Progress is best effort (SolveOptions.on_progress): a failed report never costs the solve.
        with contextlib.suppress(Exception):
            self.callback(Progress(phase, self.incumbent, bound_now, gap, now - self.started))

    def solver_event(self, phase: str, plan_value: Callable[[list[float]], float | None]) -> SolverProgress:
        """A hook for a running solver, reporting at most once a second unless the incumbent improved.

        The solver's own objective is not what is reported: `plan_value` turns its incumbent's column
        values into the appraised NPV of the plan they encode (None if it breaks a rule), so that no
        report promises more than the plan `solve` will return (HiGHS's objective can sit a pound or so
        above the appraisal of its rounded binaries, and a plan within its tolerances can break a rule).
        """

        def hook(values: list[float] | None, bound: float | None) -> None:
            objective = None
            if values is not None:
                # Inside HiGHS's callback an exception would stop the solve with an error: a plan that
                # cannot be checked is simply not reported.
                with contextlib.suppress(Exception):
                    objective = plan_value(values)
            improved = objective is not None and (self.incumbent is None or objective > self.incumbent)
            self(phase, objective, bound, force=improved)

        return hook


def _hosts_of(hubs: list[Hub]) -> dict[str, set[str]]:
    """Who hosts each function in a plan: the `hosts_only` of the model restricted to it."""
    hosts: dict[str, set[str]] = {}
    for hub in hubs:
        hosts.setdefault(hub.function, set()).add(hub.host)
    return hosts


def _npv(problem: Problem, hubs: list[Hub]) -> float:
    return appraise(problem, hubs).npv


class _CheckedIncumbents:
    """The plans a running solver hands over as incumbents (column values), each checked and appraised;
    the best one is kept, so that what was reported can be returned even if the solver's final plan
    breaks a rule or is replaced by a re-solve."""

    def __init__(self, problem: Problem, model: ConsolidationModel) -> None:
        self.problem = problem
        self.model = model
        self.hubs: list[Hub] | None = None
        self.npv = -math.inf

    def __call__(self, values: list[float]) -> float | None:
        """The NPV of the plan `values` encode, or None if that plan breaks a rule."""
        hubs = self.model.hubs_from_solution(values)
        if check_feasible(self.problem, hubs):
            return None
        npv = _npv(self.problem, hubs)
        if npv > self.npv:
            self.hubs, self.npv = hubs, npv
        return npv


def solve(problem: Problem, options: SolveOptions = SolveOptions()) -> Plan:
    """The best plan for `problem`, with an honest status (see module docstring)."""
    try:
        return _solve(problem, options)
    except Exception as exc:  # noqa: BLE001 - an optimiser run reports its failure, never crashes the worker
        return Plan(
            status=Status.ERROR,
            stats=SolverStats(solver=options.solver, message=f"{type(exc).__name__}: {exc}"),
        )


def _solve(problem: Problem, options: SolveOptions) -> Plan:
    """The fixed sequence of steps of solver/README.md ("Algorithm"). Each step is limited by work
    (HiGHS nodes, a pass count), never by a share of the time; the caller's deadline only stops the
    sequence, and once a step is cut short nothing after it runs (`_Deadline.out`). The last step (the
    joint MILP, or the integral relaxation's bound) takes whatever time is left."""
    deadline = _Deadline(options.time_limit)
    stats = SolverStats(solver=options.solver)
    notes: list[str] = []
    report = _Reporter(options)
    greedy = greedy_plan(problem)
    if greedy is None and forced_moves(problem):
        greedy = _plan_around_locks(problem, options, deadline, stats)
    incumbent: list[Hub] | None = greedy
    incumbent_npv = _npv(problem, greedy) if greedy is not None else -math.inf
    if options.warm_start is not None:
        # A plan the caller already holds (e.g. the same footprint's plan under stricter rules, or a
        # sweep's central plan): the search starts from the better of it and the greedy plan, so the
        # answer is never worse than it.
        if not check_feasible(problem, options.warm_start):
            start_npv = _npv(problem, options.warm_start)
            if start_npv > incumbent_npv:
                incumbent, incumbent_npv = list(options.warm_start), start_npv
        else:
            notes.append("the warm start breaks a rule of this problem; not used")
    report("greedy", incumbent_npv, _obvious_bound(problem))
    # A proven bound from the aggregated relaxation's LP (solver/bounds.py): a fraction of a second even
    # on 60 x 11 x 5, and the only meaningful bound when the joint model is too large to solve. Its
    # integral variant, much tighter but slow, is the last step when there is no joint model.
    relaxation_bound: float | None = None
    relaxation_hosts: dict[str, dict[str, float]] = {}
    if not deadline.out():
        relaxation_bound, relaxation_hosts = upper_bound_and_hosts(problem, time_limit=deadline.left())
        if relaxation_bound is not None and relaxation_bound < incumbent_npv - PENNY:
            notes.append("the relaxation's bound fell below a known plan; not trusted")
            relaxation_bound = None
    report("bound", incumbent_npv, relaxation_bound)

    # --- 2. per-function decomposition (small and medium footprints) --------------------------------
    bounds: dict[str, float] = {}
    union: list[Hub] = []
    all_proven = True
    # The joint model is built only where HiGHS can be expected to solve its LP relaxation quickly
    # (decided by size, never by the time left, so that the steps do not depend on the limit).
    small = options.time_limit is None or _lp_seconds_estimate(problem) <= JOINT_LP_SECONDS
    # With board acceptability in own mode, the functions-alone relaxation drops the rule that binds
    # hardest (a member's own share is usually negative): its union is then never feasible and its
    # bounds are far above the joint LP bound. On footprints beyond a handful of org-functions it only
    # costs time, so it is skipped there; on large footprints the neighbourhood search (step 6) solves
    # each function under what the others leave of the per-year limits instead.
    decompose = small and (
        not _board_couples(problem) or len(problem.organisations) * len(problem.functions) <= 40
    )
    subs: dict[str, ConsolidationModel] = {}
    # Functions with a forced move come first: alone, they are what can prove that no plan serves the
    # locks, which the joint model cannot do in time on a large footprint.
    forced = _forced_functions(problem)
    order = sorted(problem.functions, key=lambda g: g not in forced)
    # On a large footprint only the functions with a forced move are solved alone (they can prove the
    # locks infeasible); the others' bounds stay unknown.
    alone = order if decompose else [f for f in order if f in forced]
    if len(alone) < len(problem.functions):
        all_proven = False
        bounds.update({g: math.inf for g in problem.functions if g not in alone})
    for f in alone:
        if deadline.out():
            all_proven = False
            bounds.update({g: math.inf for g in problem.functions if g not in bounds})
            break
        sub = build_model(problem, functions=[f], board=False, name=f"function_{f}")
        subs[f] = sub
        stats.build_seconds += sub.build_seconds
        run = deadline.note(run_model(sub, options, deadline.left(reserve=True), node_limit=FUNCTION_NODES))
        stats.solve_seconds += run.seconds
        if run.outcome == "infeasible" and not sub.infeasible_reasons:
            # Never believed without a second opinion (and doing nothing is feasible for f alone unless
            # a lock forces a move): re-solve with the other solver.
            other = "cbc" if options.solver == "highs" else "highs"
            notes.append(f"{options.solver} said {f} alone is infeasible; re-checked with {other}")
            run = deadline.note(run_model(sub, options, deadline.left(), solver=other))
        if run.outcome in ("infeasible", "error"):
            union = []
            all_proven = False
            if run.outcome == "infeasible" or sub.infeasible_reasons:
                return _infeasible(problem, options, stats, deadline, notes, incumbent)
            stats.message = run.message
            return Plan(status=Status.ERROR, stats=stats)
        if run.bound is None:
            all_proven = False
            bounds[f] = math.inf
        else:
            bounds[f] = run.bound if run.outcome != "optimal" else max(run.bound, run.objective or -math.inf)
        all_proven = all_proven and run.outcome == "optimal"
        union += run.hubs
    union_ok = decompose and not check_feasible(problem, union)
    if union_ok:
        union_npv = _npv(problem, union)
        if union_npv > incumbent_npv:
            incumbent, incumbent_npv = union, union_npv
    total_bound = sum(bounds.values()) if bounds else math.inf
    if all_proven and total_bound < incumbent_npv - PENNY:
        # A proven bound below a plan we hold is a solver fault: trust neither, solve the joint model.
        notes.append("the per-function bounds fell below a known plan; not trusted")
        all_proven = False
        bounds = {}
        total_bound = math.inf
    report("per_function", incumbent_npv, total_bound)
    if union_ok and all_proven and len(bounds) == len(problem.functions):
        stats.objective = sum(
            _objective_at(m, [h for h in union if h.function == f]) or 0.0 for f, m in subs.items()
        )
        stats.best_bound = max(total_bound, incumbent_npv)
        stats.relative_gap = relative_gap(incumbent_npv, stats.best_bound)
        stats.message = "; ".join(
            [*notes, "each function solved alone; together they break no coupling rule"]
        )
        if stats.relative_gap <= options.relative_gap + 1e-9 and incumbent is not None:
            return _finish(problem, Status.OPTIMAL, incumbent, stats)

    # --- 3. the model restricted to the hosts of the per-function optima and the greedy plan --------
    # Small (well under a second on 60 x 11 x 5), and its plans are plans of the whole problem.
    chosen = _hosts_of([*union, *(greedy or []), *(incumbent or [])])
    if chosen and not deadline.out():
        trial = _restricted(problem, options, chosen, incumbent, deadline, stats, RESTRICTED_NODES)
        if trial is not None and trial[1] > incumbent_npv:
            incumbent, incumbent_npv = trial
            report("restricted", incumbent_npv)

    # --- 4. the joint model (small footprints, or a lock no known plan serves) ----------------------
    finite = {f: b for f, b in bounds.items() if math.isfinite(b)}
    model: ConsolidationModel | None = None
    locked_out = forced_moves(problem) and incumbent is None
    if (small or locked_out) and not deadline.out():
        model = build_model(problem, function_bounds=finite)
        stats.build_seconds += model.build_seconds
        if model.infeasible_reasons:
            return _infeasible(problem, options, stats, deadline, notes, incumbent)
    favoured: dict[str, set[str]] = {}
    lp_bound: float | None = None
    if model is not None and not deadline.out():
        lp_started = time.perf_counter()
        favoured, lp_bound = _lp_relaxation(model, deadline)
        stats.solve_seconds += time.perf_counter() - lp_started
    if lp_bound == -math.inf:
        notes.append("the joint model's LP relaxation is infeasible")
        return _infeasible(problem, options, stats, deadline, notes, incumbent)
    report("relaxation", incumbent_npv, lp_bound)
    joint = model is not None and lp_bound is not None

    # --- 5. large-neighbourhood search (solver/lns.py) and the host search ---------------------------
    if incumbent is not None and not deadline.out():
        incumbent, incumbent_npv = _function_search(
            problem, options, deadline, incumbent, incumbent_npv, stats, report, joint
        )
        # In own mode a plan grows mostly when one more organisation hosts (it must host something to
        # pay for its own moves): the host search, unless the joint MILP follows.
        if not deadline.out() and _board_couples(problem) and not joint:
            # Organisations the aggregated relaxation lets host: the "club" it would build, tried with
            # the plan's own organisations (solver/README.md, algorithm step 6, has the measurements).
            club = {h for hosts in relaxation_hosts.values() for h in hosts}
            incumbent, incumbent_npv = _neighbourhood_search(
                problem, options, deadline, incumbent, incumbent_npv, stats, report, favoured, club
            )

    # --- 6. the last step takes the time left: the joint MILP, or the integral relaxation's bound ----
    checked: _CheckedIncumbents | None = None
    if joint and not deadline.out():
        assert model is not None
        checked = _CheckedIncumbents(problem, model)
        run = run_model(
            model,
            options,
            deadline.left(reserve=True),
            start=incumbent,
            progress=report.solver_event("joint", checked),
        )
        stats.solve_seconds += run.seconds
        run = _believe_or_resolve(problem, model, options, deadline, run, incumbent_npv, notes)
    else:
        if not joint:
            notes.append(
                "the joint model is too large to solve in the time allowed; the plan is the best of the "
                "greedy plan and a search over models of one or two functions, or of a few hosts each"
            )
        run = RunResult("feasible" if incumbent is not None else "no_solution", message="")
        if not deadline.out() and incumbent is not None:
            # Stopped as soon as its bound can no longer beat the plan in hand (then the plan is proven).
            started = time.perf_counter()
            integral = integral_bound(problem, deadline.left(reserve=True), stop_at=incumbent_npv)
            stats.solve_seconds += time.perf_counter() - started
            if integral is not None and integral < incumbent_npv - PENNY:
                notes.append("the integral relaxation's bound fell below a known plan; not trusted")
            elif integral is not None and (relaxation_bound is None or integral < relaxation_bound):
                relaxation_bound = integral
                report("bound", incumbent_npv, relaxation_bound)
    stats.nodes = run.nodes
    if run.outcome == "infeasible":
        return _infeasible(problem, options, stats, deadline, notes, incumbent)
    if run.outcome == "error":
        stats.message = "; ".join([*notes, run.message])
        return Plan(status=Status.ERROR, stats=stats)
    best = incumbent
    best_npv = incumbent_npv
    if joint and run.outcome in ("optimal", "feasible") and not check_feasible(problem, run.hubs):
        found_npv = _npv(problem, run.hubs)
        if found_npv >= best_npv - PENNY or best is None:
            best, best_npv = run.hubs, found_npv
        if run.objective is not None and abs(run.objective - found_npv) > max(PENNY, 1e-7 * abs(found_npv)):
            notes.append(
                f"model objective {run.objective:.2f} differs from the appraised NPV {found_npv:.2f}"
            )
    elif joint and run.outcome in ("optimal", "feasible"):
        notes.append("the solver's plan broke a rule: " + "; ".join(check_feasible(problem, run.hubs)[:3]))
    if checked is not None and checked.hubs is not None and checked.npv > best_npv + PENNY:
        # An incumbent reported while the solver ran beats what it ended with (its final plan broke a
        # rule, or a re-solve replaced it): never return less than was reported.
        best, best_npv = checked.hubs, checked.npv
    if best is None:
        # No plan known (forced moves, no solution within the time limit).
        stats.message = "; ".join([*notes, f"no feasible plan found: {run.message}"])
        stats.best_bound = run.bound
        return Plan(status=Status.ERROR, stats=stats)
    finite_bounds = [
        b
        for b in (run.bound, lp_bound, total_bound, _obvious_bound(problem))
        if b is not None and math.isfinite(b)
    ]
    bound = min(finite_bounds) if finite_bounds else None
    # The relaxation's bound is proven by weak duality from HiGHS's duals (whatever their tolerances),
    # so when it alone closes the gap the plan is proven optimal without the joint MILP's word.
    by_relaxation = relaxation_bound is not None and (bound is None or relaxation_bound <= bound)
    if relaxation_bound is not None:
        bound = relaxation_bound if bound is None else min(bound, relaxation_bound)
    if model is None:
        # The objective check needs a model that can encode the plan: the one restricted to its hosts.
        model = build_model(problem, hosts_only=_hosts_of(best), name="restricted")
        stats.build_seconds += model.build_seconds
    stats.objective = _objective_at(model, best)
    if stats.objective is None:
        notes.append("the plan has no encoding in the joint model")
    stats.best_bound = None if bound is None else max(bound, best_npv)
    stats.relative_gap = None if stats.best_bound is None else relative_gap(best_npv, stats.best_bound)
    proven = (
        (run.outcome == "optimal" or by_relaxation)
        and stats.relative_gap is not None
        and stats.relative_gap <= options.relative_gap + 1e-9
    )
    stats.message = "; ".join([*notes, run.message] if run.message else notes)
    return _finish(problem, Status.OPTIMAL if proven else Status.FEASIBLE, best, stats)


def _restricted(
    problem: Problem,
    options: SolveOptions,
    hosts: dict[str, set[str]],
    start: list[Hub] | None,
    deadline: _Deadline,
    stats: SolverStats,
    node_limit: int,
) -> tuple[list[Hub], float] | None:
    """The best plan of the model in which only `hosts` may host (feasible for the whole problem,
    never a bound), or None when it found none that passes `check_feasible`. Limited by `node_limit`
    HiGHS nodes; cut short only by the deadline (which then stops the whole sequence)."""
    if deadline.out():
        return None
    restricted = build_model(problem, hosts_only=hosts, name="restricted")
    stats.build_seconds += restricted.build_seconds
    if restricted.infeasible_reasons:
        return None  # e.g. a lock no plan with only these hosts can serve: not worth the solver's time
    if deadline.out():
        return None
    trial = deadline.note(
        run_model(restricted, options, deadline.left(reserve=True), start=start, node_limit=node_limit)
    )
    stats.solve_seconds += trial.seconds
    if trial.outcome in ("optimal", "feasible") and not check_feasible(problem, trial.hubs):
        return trial.hubs, _npv(problem, trial.hubs)
    return None


def _plan_around_locks(
    problem: Problem, options: SolveOptions, deadline: _Deadline, stats: SolverStats
) -> list[Hub] | None:
    """A first plan when `must_join` / `must_host` locks defeat the greedy recipe, or None.

    With board acceptability on, a forced move on its own is never acceptable (the member loses by
    moving and a one-member hub rarely pays for itself), so the greedy plan cannot serve the lock one
    move at a time. Instead: the hosts of the greedy plan without those locks, plus each locked
    organisation as a possible host of every function (so it can earn what its own move costs it) and
    the biggest hosts it could join, in a small restricted model that carries the locks."""
    free = replace(
        problem,
        locks=[lock for lock in problem.locks if not lock.forces_a_move],
    )
    hosts = _hosts_of(greedy_plan(free) or [])
    for lock in problem.locks:
        org = lock.organisation
        if not lock.forces_a_move or org is None:
            continue
        for f in problem.functions:
            if problem.c(org, f) > 0:
                hosts.setdefault(f, set()).add(org)
        cand = function_candidates(problem, lock.function)
        joinable = [h for h in cand.hosts if org in cand.members_of[h]]
        joinable.sort(key=lambda h: -problem.c(h, lock.function))
        hosts.setdefault(lock.function, set()).update(joinable[:LOCK_HOST_CHOICES])
    trial = _restricted(problem, options, hosts, None, deadline, stats, LOCK_PLAN_NODES)
    return None if trial is None else trial[0]


def _neighbourhood_search(
    problem: Problem,
    options: SolveOptions,
    deadline: _Deadline,
    plan: list[Hub],
    npv: float,
    stats: SolverStats,
    report: _Reporter,
    favoured: dict[str, set[str]] | None = None,
    club: set[str] | None = None,
) -> tuple[list[Hub], float]:
    """Improve a plan by letting one more organisation host one more function, one at a time, each
    time solving the model restricted to the plan's hosts plus that one (a small MILP, started from the
    plan, so it never gets worse). Hosts the LP relaxation favours are tried first, then organisations
    already in the plan (with board acceptability on, a member must host something to pay for its
    moves) or that the aggregated relaxation lets host (`club`), biggest first; then the rest. Stops at
    the deadline (and then nothing after it runs)."""
    favoured = favoured or {}
    club = club or set()
    tried: set[tuple[str, str]] = set()
    improved = True
    while improved:
        improved = False
        hosts = _hosts_of(plan)
        in_plan = {hub.host for hub in plan} | {m.organisation for hub in plan for m in hub.members}
        candidates = [
            (f, h)
            for f in problem.functions
            for h in problem.organisations
            if h not in hosts.get(f, set()) and (f, h) not in tried and problem.c(h, f) > 0
        ]
        candidates.sort(
            key=lambda fh: (
                fh[1] not in favoured.get(fh[0], set()),
                fh[1] not in in_plan and fh[1] not in club,
                -problem.c(fh[1], fh[0]),
            )
        )
        for f, h in candidates:
            if deadline.out():
                return plan, npv
            tried.add((f, h))
            trial_hosts = {g: set(hs) for g, hs in hosts.items()}
            trial_hosts.setdefault(f, set()).add(h)
            trial = _restricted(problem, options, trial_hosts, plan, deadline, stats, TRIAL_NODES)
            if trial is not None and trial[1] > npv + PENNY:
                plan, npv = trial
                report("neighbourhood", npv)
                improved = True
                break
    return plan, npv


def _lp_seconds_estimate(problem: Problem) -> float:
    """Roughly how long HiGHS takes to solve the joint model's LP relaxation on a 2-core machine.

    With the default figures the joint model has about 2 x orgs^2 x functions x years columns, and
    the LP took 0.3 s at 6,000 columns, 6 s at 20,000 and 14 s at 42,000 (not solved in 30 s at 69,000):
    about 0.3 s x (columns / 6,000)^2.5. Only used to decide whether building the joint model pays;
    a wrong guess costs time, never correctness."""
    columns = 2.0 * len(problem.organisations) ** 2 * len(problem.functions) * problem.years
    return 0.3 * (columns / 6000.0) ** 2.5


def _obvious_bound(problem: Problem) -> float:
    """A bound no plan can beat: every org-function saving its function's top rate from the first year
    it may move, at no cost (negative integration costs added back). Used only when the solver stopped
    before giving a better one, so that a time-limited answer always carries a bound and a gap."""
    total = 0.0
    df = [(1.0 + problem.discount_rate) ** -t for t in range(problem.years + 1)]
    for f in problem.functions:
        top = max((tier.rate for tier in problem.assumptions[f].tiers), default=0.0)
        for o in problem.organisations:
            total += top * problem.c(o, f) * sum(df[1:])
    total += sum(-v for v in problem.integration_cost.values() if v < 0)
    return total


def _objective_at(model: ConsolidationModel, hubs: list[Hub]) -> float | None:
    """The model's own objective function evaluated at the plan (binaries exactly 0/1), so that it can
    be compared with the independent appraisal to the penny; None if the model cannot encode the plan."""
    if not model.set_values_from_hubs(hubs):
        return None
    return float(pulp.value(model.prob.objective) or 0.0)


def _lp_relaxation(
    model: ConsolidationModel, deadline: _Deadline
) -> tuple[dict[str, set[str]], float | None]:
    """The LP relaxation of the joint model: the hosts whose hub is at least a quarter open, and its
    optimum (a valid bound on every plan's NPV), ({}, -inf) when it is infeasible (then so is the
    problem), or ({}, None) if the deadline stopped it first (which then stops the whole sequence)."""
    binaries = model.binaries
    categories = [var.cat for var in binaries]  # PuLP stores a binary as an integer in [0, 1]
    for var in binaries:
        var.cat = pulp.LpContinuous
    favoured: dict[str, set[str]] = {}
    try:
        left = deadline.left(reserve=True)
        model.prob.solve(
            HighsWithStart(
                msg=False,
                variables=model.variables,
                deadline=None if left is None else time.perf_counter() + left,
            )
        )
        highs = model.prob.solverModel
        status = highs.getModelStatus()
        if status == highspy.HighsModelStatus.kModelEmpty:
            return favoured, 0.0  # nothing can move: doing nothing (NPV 0) is all there is
        if status == highspy.HighsModelStatus.kInfeasible:
            # No fractional plan meets every rule, so no plan does: a proof of infeasibility, not a
            # relaxation that "did not finish".
            return favoured, -math.inf
        if status != highspy.HighsModelStatus.kOptimal:
            deadline.stopped = deadline.stopped or status in (
                highspy.HighsModelStatus.kTimeLimit,
                highspy.HighsModelStatus.kInterrupt,
            )
            return favoured, None
        # PuLP hands HiGHS the negated objective of a maximisation.
        bound = -float(highs.getInfo().objective_function_value)
        opened: dict[tuple[str, str], float] = {}
        for (f, h, _), var in model.opens.items():
            opened[(f, h)] = opened.get((f, h), 0.0) + (var.varValue or 0.0)
        for (f, h), amount in opened.items():
            if amount >= 0.25:
                favoured.setdefault(f, set()).add(h)
    finally:
        for var, cat in zip(binaries, categories, strict=True):
            var.cat = cat
    return favoured, bound


def _board_couples(problem: Problem) -> bool:
    """Board acceptability judges each organisation over all its functions (`own` mode): the functions
    alone are then a poor relaxation, and a plan grows mostly when one more organisation hosts. In
    `shared` mode each hub is judged alone, like rule 10 off."""
    return problem.board_own


def _function_search(
    problem: Problem,
    options: SolveOptions,
    deadline: _Deadline,
    plan: list[Hub],
    npv: float,
    stats: SolverStats,
    report: _Reporter,
    joint: bool,
) -> tuple[list[Hub], float]:
    """Step 5: re-plan one function, then pairs of functions, every other function keeping its hosts
    (solver/lns.py). When the joint MILP follows, one pass over the single functions only: the joint
    MILP's own heuristics search the same neighbourhoods and it also tightens the bound."""

    def solve_sub(hosts: dict[str, set[str]], start: list[Hub]) -> tuple[list[Hub] | None, bool]:
        trial = _restricted(problem, options, hosts, start, deadline, stats, lns.SUB_MIP_NODES)
        return (None if trial is None else trial[0]), deadline.out()

    plan, npv, _ = lns.search(
        problem,
        plan,
        npv,
        solve_sub,
        lambda _plan, value: report("neighbourhood", value),
        deadline.out,
        single_passes=1 if joint else math.inf,
        pair_passes=0 if joint else lns.PAIR_PASSES,
    )
    return plan, npv


def _forced_functions(problem: Problem) -> set[str]:
    """The functions in which a lock forces a move."""
    return {lock.function for lock in problem.locks if lock.forces_a_move}


def _believe_or_resolve(
    problem: Problem,
    model: ConsolidationModel,
    options: SolveOptions,
    deadline: _Deadline,
    run: RunResult,
    known_npv: float,
    notes: list[str],
) -> RunResult:
    """Do not believe an "optimal" worse than a known plan, nor an "infeasible" when a plan is known."""
    # "infeasible" is always re-checked with the other solver: HiGHS has called feasible models
    # infeasible (../shared/notes/optimiser-difficulty.md).
    suspicious = run.outcome == "infeasible" or (
        run.outcome == "optimal"
        and (
            check_feasible(problem, run.hubs)
            or _npv(problem, run.hubs) < known_npv - max(PENNY, 1e-7 * abs(known_npv))
            or (run.objective is not None and abs(run.objective - _npv(problem, run.hubs)) > 1.0)
        )
    )
    if not suspicious:
        return run
    notes.append(
        f"{options.solver} reported {run.outcome} against a known plan; re-solved with the safe settings"
    )
    other = "cbc" if options.solver == "highs" else "highs"
    retry = run_model(model, options, deadline.left(), solver=other, presolve=False)
    return retry if retry.outcome != "error" else run


def _infeasible(
    problem: Problem,
    options: SolveOptions,
    stats: SolverStats,
    deadline: _Deadline,
    notes: list[str],
    known: list[Hub] | None = None,
) -> Plan:
    """Confirm infeasibility, then name the families whose relaxation alone makes the problem feasible."""
    if known is not None and not check_feasible(problem, known):
        # A plan that passes every rule is in hand: "infeasible" is a solver fault.
        stats.message = "; ".join([*notes, "solver reported infeasible although a feasible plan is known"])
        stats.objective = None
        return _finish(problem, Status.FEASIBLE, known, stats)
    if not forced_moves(problem):
        # Doing nothing is feasible: an "infeasible" answer is a solver fault, never the truth.
        stats.message = "; ".join([*notes, "solver reported infeasible although doing nothing is feasible"])
        stats.objective = 0.0  # doing nothing: every model's objective is 0
        return _finish(problem, Status.FEASIBLE, [], stats)
    conflicts: list[str] = []
    reasons: list[str] = []
    forced = _forced_functions(problem)
    for family in FAMILIES:
        # Two cheap answers before the joint model (about 5 s to build on 30 x 11 x 5, and CBC after):
        # a greedy plan that meets every rule but this family's proves the family conflicts; a function
        # with a forced move that is infeasible alone without the family (and without board
        # acceptability: a relaxation of the whole) proves it does not.
        relaxed_problem = relaxed(problem, family)
        quick = greedy_plan(relaxed_problem)
        if quick is not None and not check_feasible(relaxed_problem, quick):
            conflicts.append(family)
            continue
        if any(_infeasible_alone(relaxed_problem, f, options, deadline, stats) for f in forced):
            continue
        relaxed_model = build_model(relaxed_problem)
        stats.build_seconds += relaxed_model.build_seconds
        if relaxed_model.infeasible_reasons:
            reasons += relaxed_model.infeasible_reasons
            continue
        relaxed_model.prob.setObjective(pulp.LpAffineExpression())  # any feasible plan will do
        run = run_model(relaxed_model, options, deadline.left(), solver="cbc")
        stats.solve_seconds += run.seconds
        if run.outcome in ("optimal", "feasible"):
            conflicts.append(family)
    if not conflicts:
        conflicts = [f for f in FAMILIES if f != "locks"] + ["locks"]
        notes.append("no single family's relaxation makes it feasible: several conflict")
    full = build_model(problem)
    reasons = sorted(set(reasons + full.infeasible_reasons))
    stats.message = "; ".join([*notes, *reasons, "infeasible: conflicting families " + ", ".join(conflicts)])
    return Plan(status=Status.INFEASIBLE, conflicts=conflicts, stats=stats)


def _infeasible_alone(
    problem: Problem, function: str, options: SolveOptions, deadline: _Deadline, stats: SolverStats
) -> bool:
    """True when `function` alone, without board acceptability, has no plan: both solvers must say so
    (an "infeasible" is never taken from one solver's word)."""
    alone = build_model(problem, functions=[function], board=False, name="alone")
    stats.build_seconds += alone.build_seconds
    if alone.infeasible_reasons:
        return True
    alone.prob.setObjective(pulp.LpAffineExpression())  # any plan will do
    for solver in ("highs", "cbc"):
        run = run_model(alone, options, deadline.left(), solver=solver)
        stats.solve_seconds += run.seconds
        if run.outcome != "infeasible":
            return False
    return True


def _finish(problem: Problem, status: Status, hubs: list[Hub], stats: SolverStats) -> Plan:
    broken = check_feasible(problem, hubs)
    if broken:
        stats.message = "; ".join([stats.message, *broken])
        return Plan(status=Status.ERROR, hubs=hubs, stats=stats)
    appraisal = appraise(problem, hubs)
    if stats.objective is not None and abs(stats.objective - appraisal.npv) > PENNY:
        # The model and the accounting disagree: a modelling bug, reported rather than hidden.
        stats.message = "; ".join(
            [stats.message, f"model objective {stats.objective:.2f} != appraised NPV {appraisal.npv:.2f}"]
        )
    return Plan(
        status=status,
        hubs=hubs,
        appraisal=appraisal,
        binding=binding_constraints(problem, hubs),
        stats=stats,
    )


__all__ = ["binding_constraints", "solve"]
