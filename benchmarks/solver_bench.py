"""Benchmark of the consolidation optimiser and of the static CFLP core.

    .venv/bin/python benchmarks/solver_bench.py                       # everything, default limits
    .venv/bin/python benchmarks/solver_bench.py --sizes 30x11x5 --seeds 0 1 2 --time-limit 10
    .venv/bin/python benchmarks/solver_bench.py --no-footprints       # OR-Library only

For each generated footprint (orgs x functions x years, solver.instances defaults) it prints build
seconds, solve seconds, status, relative gap, NPV and NPV / greedy NPV, then the median over seeds.
Targets (issue 3, 2-core machine): 30x11x5 proven optimal (gap <= 0.01 %) in <= 10 s; 60x11x5 to gap
<= 0.5 % in <= 60 s; model build <= 20 % of the total.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from solver.appraisal import appraise  # noqa: E402
from solver.cflp import read_orlib_cap, read_orlib_optima, solve_cflp  # noqa: E402
from solver.greedy import greedy_plan  # noqa: E402
from solver.instances import generate_footprint  # noqa: E402
from solver.problem import SolveOptions  # noqa: E402
from solver.solve import solve  # noqa: E402

DEFAULT_LIMITS = {"10x6x5": 60.0, "30x11x5": 10.0, "60x11x5": 60.0}
# The shared folder beside the repository (`../shared`, as in CI).
ORLIB = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "orlib-cap"


def parse_size(text: str) -> tuple[int, int, int]:
    orgs, functions, years = (int(x) for x in text.lower().split("x"))
    return orgs, functions, years


def bench_footprints(
    sizes: list[str], seeds: list[int], time_limit: float | None, solver: str, gap: float
) -> None:
    header = f"{'size':>9} {'seed':>4} {'build s':>8} {'solve s':>8} {'total s':>8} {'status':>9} "
    header += f"{'gap %':>9} {'NPV £':>14} {'greedy £':>14} {'ratio':>7}"
    print(header)
    for size in sizes:
        orgs, functions, years = parse_size(size)
        limit = time_limit if time_limit is not None else DEFAULT_LIMITS.get(size, 60.0)
        rows = []
        for seed in seeds:
            problem = generate_footprint(orgs, functions, years, seed=seed)
            greedy = greedy_plan(problem)
            greedy_npv = appraise(problem, greedy).npv if greedy is not None else 0.0
            started = time.perf_counter()
            plan = solve(problem, SolveOptions(solver=solver, time_limit=limit, relative_gap=gap))
            total = time.perf_counter() - started
            stats = plan.stats
            assert stats is not None
            npv = plan.npv if plan.npv is not None else float("nan")
            ratio = npv / greedy_npv if greedy_npv > 0 else float("nan")
            gap_pct = 100 * stats.relative_gap if stats.relative_gap is not None else float("nan")
            rows.append((stats.build_seconds, stats.solve_seconds, total, gap_pct, npv, ratio))
            print(
                f"{size:>9} {seed:>4} {stats.build_seconds:>8.2f} {stats.solve_seconds:>8.2f} {total:>8.2f} "
                f"{plan.status.value:>9} {gap_pct:>9.3f} {npv:>14,.0f} {greedy_npv:>14,.0f} {ratio:>7.3f}",
                flush=True,
            )
        med = [statistics.median(col) for col in zip(*rows, strict=True)]
        print(
            f"{size:>9} {'med':>4} {med[0]:>8.2f} {med[1]:>8.2f} {med[2]:>8.2f} {'':>9} {med[3]:>9.3f} "
            f"{med[4]:>14,.0f} {'':>14} {med[5]:>7.3f}   build share {100 * med[0] / max(med[2], 1e-9):.0f}%",
            flush=True,
        )


def bench_orlib(names: list[str] | None) -> None:
    optima = read_orlib_optima(ORLIB / "capopt.txt")
    columns = (
        f"{'instance':>9} {'build s':>8} {'solve s':>8} {'objective':>16} {'published':>16} {'diff':>10}"
    )
    print("\n" + columns)
    for name in names or sorted(optima, key=lambda n: (len(n), n)):
        result = solve_cflp(read_orlib_cap(ORLIB / f"{name}.txt"))
        objective = result.objective if result.objective is not None else float("nan")
        diff = abs(objective - optima[name]) / optima[name]
        print(
            f"{name:>9} {result.build_seconds:>8.3f} {result.solve_seconds:>8.3f} {objective:>16,.3f} "
            f"{optima[name]:>16,.3f} {diff:>10.2e}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", nargs="+", default=list(DEFAULT_LIMITS), help="orgs x functions x years")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--time-limit", type=float, default=None, help="seconds (default: per size target)")
    parser.add_argument("--solver", default="highs", choices=["highs", "cbc"])
    parser.add_argument("--gap", type=float, default=1e-4, help="relative gap to prove (default 0.01 %%)")
    parser.add_argument("--no-footprints", action="store_true")
    parser.add_argument("--no-orlib", action="store_true")
    parser.add_argument("--orlib", nargs="*", default=None, help="OR-Library instances (default: all 17)")
    args = parser.parse_args()
    if not args.no_footprints:
        bench_footprints(args.sizes, args.seeds, args.time_limit, args.solver, args.gap)
    if not args.no_orlib:
        if not (ORLIB / "capopt.txt").is_file():
            sys.exit(
                f"OR-Library instances not found at {ORLIB} (../shared beside the repository); or --no-orlib"
            )
        bench_orlib(args.orlib)


if __name__ == "__main__":
    main()
