"""CBC through PuLP's supported entry point, `COIN_CMD`.

PuLP 3 deprecates `PULP_CBC_CMD` (it warns on every use; PuLP 4 removes it together with the CBC binary it
bundles). `COIN_CMD` is the class that stays. It is pointed at the same binary as before — the one bundled
with PuLP, so answers do not change — and, once a PuLP without it is installed, at a `cbc` on the PATH
(`pip install pulp[cbc]` provides one).
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pulp


def cbc_path() -> str:
    """The CBC executable: PuLP's bundled binary while it ships one, else `cbc` on the PATH."""
    bundled = getattr(pulp.PULP_CBC_CMD, "pulp_cbc_path", None)
    if bundled and os.path.isfile(bundled):
        if not os.access(bundled, os.X_OK):
            # as PULP_CBC_CMD does: some installers drop the executable bit
            os.chmod(bundled, os.stat(bundled).st_mode | 0o111)
        return str(bundled)
    found = shutil.which("cbc")
    if found is None:
        raise pulp.PulpSolverError("CBC is not installed: `pip install pulp[cbc]`, or use the HiGHS solver")
    return found


def cbc_solver(**options: Any) -> pulp.COIN_CMD:
    """A `COIN_CMD` for CBC, with `COIN_CMD`'s options (msg, timeLimit, gapRel, threads, warmStart, …)."""
    return pulp.COIN_CMD(path=cbc_path(), **options)
