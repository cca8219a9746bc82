"""Master problem of the column generation: choose lots from a pool.

    max  sum_j net_j lambda_j
    s.t. sum_{j: o in G_j, c_j = c} lambda_j <= 1      for every (o, c)      dual pi
         sum_{j on offer (s,c)} V_j lambda_j <= cap(s,c) for capped offers   dual mu
         sum_{j forming in p} lambda_j <= W             for every period      dual nu
         sum_{j forming in p, o in G_j} lambda_j <= k(o) for o, p (section 10) dual rho
              lambda_j >= 0  (integer in the integer master; the first rows keep it <= 1)

Every column is a lot that satisfies all single-lot rules of the spec, priced by
the spec itself, so an integer solution is a feasible plan. The rows of an
organization's own formation limit k(o) exist only for the organizations whose
limit can bind (``Instance.binding_org_capacity``): the others are in at most one
lot per category, never more than k(o) at once.
"""

from __future__ import annotations

import math

import highspy
import numpy as np

from consortia.backend.highs import new_highs, run
from consortia.data.instance import Instance
from consortia.formulations.bounds import product_up, sum_up
from consortia.formulations.pool import solve_pool
from consortia.rules.plan import LotOutcome


class Master:
    def __init__(self, inst: Instance, seed: int = 0):
        self.inst = inst
        self.h = new_highs()
        self.h.setOptionValue("random_seed", int(seed))
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.columns: list[LotOutcome] = []
        self._seen: set[object] = set()
        self.rows: dict[tuple, int] = {}
        self.row_keys: list[tuple] = []
        self.upper: dict[tuple, float] = {}  # each row's right-hand side

    def _row(self, key: tuple, upper: float) -> int:
        if key not in self.rows:
            self.rows[key] = len(self.row_keys)
            self.row_keys.append(key)
            self.upper[key] = upper
            self.h.addRow(-math.inf, upper, 0, np.array([], dtype=np.int32), np.array([]))
        return self.rows[key]

    def add(self, out: LotOutcome) -> bool:
        """Add a column unless the same lot is already in the pool."""
        if out.lot in self._seen:
            return False
        self._seen.add(out.lot)
        inst = self.inst
        lot = out.lot
        entries = [(self._row(("org", o, lot.category_id), 1.0), 1.0) for o in lot.members]
        cap = inst.offer[(lot.supplier_id, lot.category_id)].capacity
        if math.isfinite(cap):
            entries.append((self._row(("cap", lot.supplier_id, lot.category_id), cap), out.volume))
        limit = inst.settings.max_parallel_formations
        if limit is not None:
            entries += [(self._row(("form", p), float(limit)), 1.0) for p in out.forming]
        own = inst.binding_org_capacity
        entries += [
            (self._row(("own", o, p), float(own[o])), 1.0)
            for o in lot.members
            if o in own
            for p in out.forming
        ]
        idx = np.array([r for r, _ in entries], dtype=np.int32)
        val = np.array([v for _, v in entries], dtype=float)
        # No upper bound of 1: the one-lot rows imply it, and a bound would take
        # dual value away from the rows whose duals price new columns.
        self.h.addCol(out.net, 0.0, math.inf, len(idx), idx, val)
        self.columns.append(out)
        return True

    def solve_lp(self) -> tuple[float, dict[tuple, float]]:
        """LP optimum over the pool and the duals of its rows (>= 0 for a maximum)."""
        n = len(self.columns)
        if n:
            self.h.changeColsIntegrality(
                n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kContinuous)
            )
        self.h.setOptionValue("time_limit", 1e9)
        run(self.h)
        value = float(self.h.getInfo().objective_function_value) if n else 0.0
        duals = np.asarray(self.h.getSolution().row_dual)
        out = {key: max(0.0, float(duals[i])) for key, i in self.rows.items()} if n else {}
        return value, out

    def dual_objective(self, duals: dict[tuple, float]) -> float:
        """sum_r y_r b_r over the master's rows for duals y >= 0, rounded up: with
        proven bounds on every category's reduced costs this is a Lagrangian bound
        whether or not the LP that gave y was solved exactly."""
        terms = [product_up(y, self.upper[key]) for key, y in duals.items() if y > 0]
        return sum_up(terms)

    def solve_ip(
        self, time_limit: float, start: list[LotOutcome]
    ) -> tuple[list[LotOutcome], float]:
        """Best plan made of pool columns (and the integer master's own bound)."""
        n = len(self.columns)
        if not n:
            return [], 0.0
        return solve_pool(self.h, self.columns, start, max(0.1, time_limit), 1e-6)
