"""The integer master over a pool of lot columns, shared by the column and lot generations."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import highspy
import numpy as np

from consortia.backend.highs import REPORT_SECONDS, run, set_time_limit, watch_mip
from consortia.rules.plan import LotOutcome, total_net

REPORT_EVERY = REPORT_SECONDS  # seconds between two reports of one integer master

# report(seconds since the integer master began, its incumbent, its bound over the pool)
PoolReport = Callable[[float, float | None, float | None], None]

# Whom the integer masters of the running solve report to (set by the solver for
# the whole solve, so that every strategy's master reports without passing it on).
_reporting: ContextVar[PoolReport | None] = ContextVar("pool_reporting", default=None)


@contextmanager
def pool_reporting(report: PoolReport | None) -> Iterator[None]:
    """Within the block, every ``solve_pool`` reports its progress to `report`:
    once as it begins, then from HiGHS's MIP callback about every two seconds."""
    token = _reporting.set(report)
    try:
        yield
    finally:
        _reporting.reset(token)


def solve_pool(
    h: highspy.Highs,
    columns: Sequence[LotOutcome],
    start: list[LotOutcome],
    time_limit: float,
    gap: float,
    first: int = 0,
) -> tuple[list[LotOutcome], float]:
    """Make the pool's columns (one per lot, in order, already in `h` from its column
    `first` on) integer, start from the columns of `start`, and return the plan
    HiGHS finds within `time_limit` with its own dual bound; `start` (and no bound)
    if it finds none."""
    n = len(columns)
    h.changeColsIntegrality(
        n, np.arange(first, first + n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger)
    )
    set_time_limit(h, time_limit)
    h.setOptionValue("mip_rel_gap", gap)
    chosen = {o.lot for o in start}
    picked = [first + j for j, col in enumerate(columns) if col.lot in chosen]
    if picked:
        h.setSolution(
            len(picked), np.array(picked, dtype=np.int32), np.ones(len(picked), dtype=float)
        )
    report = _reporting.get()
    stop_watching = None
    if report is not None:
        report(0.0, total_net(start) if start else None, None)
        stop_watching = watch_mip(h, report, REPORT_EVERY)
    try:
        run(h)
    finally:
        if stop_watching is not None:
            stop_watching()
    info = h.getInfo()
    if info.primal_solution_status == 0:
        return list(start), math.inf
    x = np.asarray(h.getSolution().col_value)
    return [columns[j] for j in range(n) if x[first + j] > 0.5], float(info.mip_dual_bound)
