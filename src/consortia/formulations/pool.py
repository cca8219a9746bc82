"""The integer master over a pool of lot columns, shared by the column and lot generations."""

from __future__ import annotations

import math
from collections.abc import Sequence

import highspy
import numpy as np

from consortia.backend.highs import run
from consortia.rules.plan import LotOutcome


def solve_pool(
    h: highspy.Highs,
    columns: Sequence[LotOutcome],
    start: list[LotOutcome],
    time_limit: float,
    gap: float,
) -> tuple[list[LotOutcome], float]:
    """Make the pool's columns (one per lot, in order, already in `h`) integer, start
    from the columns of `start`, and return the plan HiGHS finds within
    `time_limit` with its own dual bound; `start` (and no bound) if it finds none."""
    n = len(columns)
    h.changeColsIntegrality(
        n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger)
    )
    h.setOptionValue("time_limit", time_limit)
    h.setOptionValue("mip_rel_gap", gap)
    chosen = {o.lot for o in start}
    picked = [j for j, col in enumerate(columns) if col.lot in chosen]
    if picked:
        h.setSolution(
            len(picked), np.array(picked, dtype=np.int32), np.ones(len(picked), dtype=float)
        )
    run(h)
    info = h.getInfo()
    if info.primal_solution_status == 0:
        return list(start), math.inf
    x = np.asarray(h.getSolution().col_value)
    return [columns[j] for j in range(n) if x[j] > 0.5], float(info.mip_dual_bound)
