"""A set-packing master over proposed lots, each at every start that pays.

    max  Σ_j net_j λ_j
    s.t. Σ_{j ∋ (o,c)} λ_j ≤ 1                  each demand pair in a column   dual π
         Σ_{j forming in p} λ_j ≤ W             each period (central limit)    dual ν
         Σ_{j ∋ o, forming in p} λ_j ≤ k(o)      limited o, period (rule 8b)    dual ρ
         Σ_{j on (s,c)} V_j λ_j ≤ cap(s,c)       each capped offer               dual μ
         λ ∈ {0, 1} (the LP relaxes it)

Rows are made as columns need them, so the master only holds the pairs that some
proposal contains; that is what lets it run at national scale. A lot's value at a
later start differs only in its live weight (spec section 5), so one pricing by
the rules serves every start. Columns are lots the rules accept on their own
(``plan.price_lot``); the rows are the plan-wide rules 1, 6, 8 and 8b, so every
integer solution is a feasible plan. The LP value is an upper bound over the pool
only — not over all plans — and is never reported as a bound.

Locks and supplier rules (spec sections 11, 12) are not rows here: callers keep
the master to instances without them (``forced_lots.rules_in_force``).
"""

from __future__ import annotations

import math
from dataclasses import replace

import highspy
import numpy as np

from consortia.backend.highs import new_highs, run
from consortia.data.instance import Instance
from consortia.formulations.pool import solve_pool
from consortia.formulations.pool_dive import LARGE_POOL_NONZEROS, dive_pool
from consortia.rules.plan import Lot, LotOutcome, price_lot


class PoolMaster:
    """The master of the module docstring, in highspy, grown by ``add``."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.h = new_highs()
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.rows: dict[tuple[object, ...], int] = {}
        self.columns: list[LotOutcome] = []
        self._seen: set[tuple[str, str, tuple[str, ...]]] = set()
        self.own_limit = inst.binding_org_capacity

    def _row(self, key: tuple[object, ...], upper: float) -> int:
        if key not in self.rows:
            self.rows[key] = len(self.rows)
            self.h.addRow(-highspy.kHighsInf, upper, 0, np.array([], np.int32), np.array([]))
        return self.rows[key]

    def add(self, lots: list[Lot], starts_per_lot: int | None = None) -> int:
        """Add each lot (members, offer) not yet in the master at every start that
        saves money — at most `starts_per_lot` of them, from its earliest; returns
        the number of columns added."""
        inst = self.inst
        horizon, limit = inst.settings.horizon, inst.settings.max_parallel_formations
        costs: list[float] = []
        starts: list[int] = []
        index: list[int] = []
        values: list[float] = []
        for lot in lots:
            key = (lot.category_id, lot.supplier_id, tuple(sorted(lot.members)))
            if key in self._seen:
                continue
            self._seen.add(key)
            first = max(inst.pair_ready[(o, lot.category_id)] for o in lot.members)
            earliest, problems = price_lot(
                inst, Lot(lot.category_id, lot.supplier_id, lot.members, first)
            )
            if earliest is None or problems:
                continue
            offer = inst.offer[(lot.supplier_id, lot.category_id)]
            pairs = [self._row(("pair", o, lot.category_id), 1.0) for o in lot.members]
            capped = None
            if math.isfinite(offer.capacity):
                capped = self._row(("capacity", offer.key), offer.capacity)
            limited = [o for o in lot.members if o in self.own_limit]
            last = horizon if starts_per_lot is None else first + starts_per_lot - 1
            for start in range(first, min(last, horizon) + 1):
                live = max(start + earliest.lead, offer.available_from)
                if live > horizon:
                    break
                weight = inst.live_weight(live)
                net = weight * earliest.savings_per_period - earliest.one_off
                if net <= 0:
                    break
                forming = range(start, start + earliest.lead)
                rows = list(pairs)
                vals = [1.0] * len(rows)
                if capped is not None:
                    rows.append(capped)
                    vals.append(earliest.volume)
                if limit is not None:
                    rows += [self._row(("formation", p), float(limit)) for p in forming]
                for o in limited:
                    rows += [self._row(("own", o, p), float(self.own_limit[o])) for p in forming]
                vals += [1.0] * (len(rows) - len(vals))
                starts.append(len(index))
                index += rows
                values += vals
                costs.append(net)
                moved = Lot(lot.category_id, lot.supplier_id, lot.members, start)
                self.columns.append(replace(earliest, lot=moved, live=live, weight=weight))
        k = len(costs)
        if k:
            self.h.addCols(
                k,
                np.array(costs),
                np.zeros(k),
                np.ones(k),
                len(index),
                np.array(starts, dtype=np.int32),
                np.array(index, dtype=np.int32),
                np.array(values, dtype=float),
            )
        return k

    def solve_lp(self) -> tuple[float, dict[tuple[object, ...], float]]:
        """The LP optimum over the pool and each row's dual (clipped to ≥ 0)."""
        if not self.columns:
            return 0.0, {}
        run(self.h)
        value = float(self.h.getInfo().objective_function_value)
        duals = np.maximum(np.asarray(self.h.getSolution().row_dual, dtype=float), 0.0)
        return value, {key: float(duals[i]) for key, i in self.rows.items() if duals[i] > 0}

    def solve_ip(self, start: list[LotOutcome], seconds: float) -> list[LotOutcome]:
        """The best plan HiGHS finds over the pool within `seconds`, from `start`'s
        columns (those of `start` not in the pool are ignored); beyond
        LARGE_POOL_NONZEROS, where its MIP does not solve its root LP in time, the
        plan of a dive on the pool's LP (``pool_dive``), or `start`."""
        if not self.columns:
            return list(start)
        if self.h.getNumNz() > LARGE_POOL_NONZEROS:
            return dive_pool(self.h, self.columns, start, seconds)
        plan, _ = solve_pool(self.h, self.columns, start, seconds, 1e-6)
        return plan
