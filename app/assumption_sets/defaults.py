"""Default assumptions per function, and the pace of change that follows from a footprint's maturity.

Every figure here is documented, with its source, in docs/planners/assumptions.md (a test compares the
two). The figures are the central case: a consolidated function at full scale saves 20 % of its cost
(shared-service providers' claims of "at least 20 %", HFMA 2015); 30 % is the optimistic vendor claim
and about 10 % the pessimistic case.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from models.enums import Maturity

DISCOUNT_RATE = Decimal("0.035")  # HM Treasury Green Book real discount rate
HORIZON_YEARS = 5

# (minimum hub volume £, saving rate): a hub must reach some scale before it saves anything, and the
# rate rises to the central 20 % at £10m of pooled cost.
CENTRAL_TIERS: list[tuple[str, str]] = [
    ("0", "0"),
    ("1000000", "0.10"),
    ("5000000", "0.15"),
    ("10000000", "0.20"),
]
HUB_FIXED_COST = "250000.00"  # per year a hub is open
HUB_SETUP_COST = "400000.00"  # once, in the opening year
TRANSITION_RATE = "0.5"  # one-off share of a moved org-function's annual cost (redundancy, dual running)
CAPACITY_MULTIPLE = "6"  # a hub's volume is at most 6 x its host's own cost

# Share of the footprint's org-functions (with a cost) that may move in one year.
PACE_SHARE: dict[Maturity, Decimal] = {
    Maturity.EMERGING: Decimal("0.10"),
    Maturity.DEVELOPING: Decimal("0.20"),
    Maturity.ADVANCED: Decimal("0.35"),
}


def default_function_assumptions() -> dict[str, Any]:
    """The central case for one function, in the stored form (decimal strings in pounds)."""
    return {
        "tiers": [[minimum, rate] for minimum, rate in CENTRAL_TIERS],
        "fixed_cost": HUB_FIXED_COST,
        "setup_cost": HUB_SETUP_COST,
        "transition_rate": TRANSITION_RATE,
        "capacity_multiple": CAPACITY_MULTIPLE,
    }


def pace_from_maturity(maturity: Maturity, org_functions: int) -> int:
    """Moves allowed per year: the maturity's share of the org-functions that have a cost, at least one."""
    return max(1, math.ceil(PACE_SHARE[maturity] * org_functions))
