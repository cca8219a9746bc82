"""Master problem of the column generation: choose lots from a pool.

    max  sum_j net_j lambda_j
    s.t. sum_{j: o in G_j, c_j = c} lambda_j <= 1      for every (o, c)      dual pi
         sum_{j on offer (s,c)} V_j lambda_j <= cap(s,c) for capped offers   dual mu
         sum_{j forming in p} lambda_j <= W             for every period      dual nu
         sum_{j forming in p, o in G_j} lambda_j <= k(o) for o, p (section 10) dual rho
         -sum_{j holding the lock's members} lambda_j <= -1   join/together   dual w
         sum_{j of c} V_j (1[s_j = s] - share_s) lambda_j <= 0  max_share < 1 dual eta
         lambda_j - u_{s_j c} <= 0    for j of a category with max_suppliers (link)
         sum_s u_sc <= max_suppliers(c)                                      dual kappa
              lambda_j >= 0, 0 <= u_sc <= 1  (integer in the integer master)

Every column is a lot that satisfies all single-lot rules of the spec, priced by
the spec itself, so an integer solution is a feasible plan. The rows of an
organization's own formation limit k(o) exist only for the organizations whose
limit can bind (``Instance.binding_org_capacity``): the others are in at most one
lot per category, never more than k(o) at once.

Supplier rules and locks (spec sections 11 and 12). A lot that no plan keeping a
lock can hold (``rules.locks.lock_forbids``: an excluded member, a joined member on
another supplier, both of an ``apart`` pair, one of a ``together`` pair) never
enters the pool. A ``join`` lock is covered by the lots holding its member (on its
supplier, if given), a ``together`` lock by the lots holding both members
(``lock_may_need``); its row, written as a <= row, asks for at least one. An
offer's share row is rule 11 rearranged; supplier use is a 0/1 column u_sc per
offer of a category whose max_suppliers can bind, linked to each lot column.

The join and together rows make the empty pool infeasible. Each has an artificial
column (cost -1 in phase 1, fixed at 0 otherwise): phase 1 maximises minus the
artificials over lots of cost 0 until they vanish (a pool with an LP-feasible
solution) or the Lagrangian bound of phase 1 proves they cannot (no plan exists).
The artificial and supplier columns come first in HiGHS; lot j is column
``first + j``.
"""

from __future__ import annotations

import math

import highspy
import numpy as np

from consortia.backend.highs import new_highs, run
from consortia.data.instance import Instance
from consortia.formulations.bounds import product_up, sum_up
from consortia.formulations.forced_lots import FORCING_LOCKS, binding_supplier_limits
from consortia.formulations.pool import solve_pool
from consortia.rules.locks import lock_forbids, lock_may_need
from consortia.rules.plan import Lot, LotOutcome

# (row key, coefficient, the row's right-hand side)
Entry = tuple[tuple, float, float]


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
        self.phase_one = False
        self.artificial: list[int] = []  # HiGHS columns, one per join/together row
        self.uses: dict[tuple[str, str], int] = {}  # (s, c) -> HiGHS column of u_sc
        self.links: dict[tuple[str, str], list[tuple]] = {}  # (s, c) -> its link rows
        self._add_rule_columns()
        self.first = self.h.getNumCol()

    def _row(self, key: tuple, upper: float) -> int:
        if key not in self.rows:
            self.rows[key] = len(self.row_keys)
            self.row_keys.append(key)
            self.upper[key] = upper
            self.h.addRow(-math.inf, upper, 0, np.array([], dtype=np.int32), np.array([]))
        return self.rows[key]

    def _add_rule_columns(self) -> None:
        """The artificial column of every join and together row, and the supplier
        columns u_sc with their count rows (see the module docstring)."""
        for lock in self.inst.lock_records:
            if lock.rule in FORCING_LOCKS:
                row = self._row(("lock", lock.row), -1.0)
                self.artificial.append(self.h.getNumCol())
                self._column(0.0, 0.0, [(row, -1.0)])
        for c, limit in sorted(binding_supplier_limits(self.inst).items()):
            row = self._row(("suppliers", c), float(limit))
            for s in sorted({off.supplier_id for off in self.inst.offers_in[c]}):
                self.uses[(s, c)] = self.h.getNumCol()
                self.links[(s, c)] = []
                self._column(0.0, 1.0, [(row, 1.0)])

    def _column(self, cost: float, upper: float, entries: list[tuple[int, float]]) -> None:
        idx = np.array([r for r, _ in entries], dtype=np.int32)
        val = np.array([v for _, v in entries], dtype=float)
        self.h.addCol(cost, 0.0, upper, len(idx), idx, val)

    def forbids(self, lot: Lot) -> bool:
        """Whether a lock of the lot's category keeps every plan from holding it."""
        locks = self.inst.locks_in.get(lot.category_id, ())
        return any(lock_forbids(lock, lot.supplier_id, lot.members) for lock in locks)

    def entries(self, out: LotOutcome) -> list[Entry]:
        """The column's coefficients in the shared rows (not its own link row)."""
        inst = self.inst
        lot = out.lot
        c, s = lot.category_id, lot.supplier_id
        found: list[Entry] = [(("org", o, c), 1.0, 1.0) for o in lot.members]
        cap = inst.offer[(s, c)].capacity
        if math.isfinite(cap):
            found.append((("cap", s, c), out.volume, cap))
        limit = inst.settings.max_parallel_formations
        if limit is not None:
            found += [(("form", p), 1.0, float(limit)) for p in out.forming]
        own = inst.binding_org_capacity
        found += [
            (("own", o, p), 1.0, float(own[o]))
            for o in lot.members
            if o in own
            for p in out.forming
        ]
        for lock in inst.locks_in.get(c, ()):
            if lock.rule in FORCING_LOCKS and lock_may_need(lock, s, lot.members):
                found.append((("lock", lock.row), -1.0, -1.0))
        for off in inst.offers_in[c]:
            if off.max_share < 1:
                share = (1.0 if off.supplier_id == s else 0.0) - off.max_share
                found.append((("share", off.supplier_id, c), out.volume * share, 0.0))
        return found

    def add(self, out: LotOutcome) -> bool:
        """Add a column unless the same lot is already in the pool or a lock forbids
        it."""
        if out.lot in self._seen or self.forbids(out.lot):
            return False
        self._seen.add(out.lot)
        rows = [(self._row(key, upper), coef) for key, coef, upper in self.entries(out)]
        use = self.uses.get((out.lot.supplier_id, out.lot.category_id))
        link = None
        if use is not None:
            key = ("link", len(self.columns))
            link = self._row(key, 0.0)
            self.links[(out.lot.supplier_id, out.lot.category_id)].append(key)
            rows.append((link, 1.0))
        # No upper bound of 1: the one-lot rows imply it, and a bound would take
        # dual value away from the rows whose duals price new columns.
        self._column(0.0 if self.phase_one else out.net, math.inf, rows)
        if link is not None and use is not None:
            self.h.changeCoeff(link, use, -1.0)
        self.columns.append(out)
        return True

    def reduced_cost(self, out: LotOutcome, duals: dict[tuple, float], worth: float = 1.0) -> float:
        """worth * net - sum_r y_r a_rj over the shared rows of the lot's column."""
        return worth * out.net - math.fsum(
            duals.get(key, 0.0) * a for key, a, _ in self.entries(out)
        )

    def start_phase_one(self) -> None:
        """Lots cost 0, artificials -1 (and free): the LP maximises minus their sum."""
        self.phase_one = True
        self._set_costs(0.0)
        for col in self.artificial:
            self.h.changeColBounds(col, 0.0, math.inf)
            self.h.changeColCost(col, -1.0)

    def end_phase_one(self) -> None:
        """Lots cost their net savings again; artificials are fixed at 0."""
        self.phase_one = False
        self._set_costs(1.0)
        for col in self.artificial:
            self.h.changeColBounds(col, 0.0, 0.0)
            self.h.changeColCost(col, 0.0)

    def _set_costs(self, worth: float) -> None:
        n = len(self.columns)
        if n:
            cols = np.arange(self.first, self.first + n, dtype=np.int32)
            self.h.changeColsCost(n, cols, np.array([worth * c.net for c in self.columns]))

    def _set_integrality(self, kind: highspy.HighsVarType) -> None:
        cols = list(self.uses.values()) + list(range(self.first, self.first + len(self.columns)))
        if cols:
            self.h.changeColsIntegrality(
                len(cols), np.array(cols, dtype=np.int32), np.full(len(cols), kind)
            )

    def solve_lp(self) -> tuple[float, dict[tuple, float]]:
        """LP optimum over the pool and the duals of its rows (>= 0 for a maximum)."""
        if not self.h.getNumCol():
            return 0.0, {}
        self._set_integrality(highspy.HighsVarType.kContinuous)
        self.h.setOptionValue("time_limit", 1e9)
        run(self.h)
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return -math.inf, {}  # only when phase 1 left the join rows uncovered
        value = float(self.h.getInfo().objective_function_value)
        duals = np.asarray(self.h.getSolution().row_dual)
        return value, {key: max(0.0, float(duals[i])) for key, i in self.rows.items()}

    def dual_objective(self, duals: dict[tuple, float]) -> float:
        """sum_r y_r b_r over the master's rows for duals y >= 0, plus what the
        supplier columns can add (sum_u max(0, rc_u), rc_u = sum of its link duals
        minus its count row's dual), rounded up: with proven bounds on every
        category's reduced costs this is a Lagrangian bound whether or not the LP
        that gave y was solved exactly."""
        terms = [product_up(y, self.upper[key]) for key, y in duals.items() if y > 0]
        for (_, c), links in self.links.items():
            count = duals.get(("suppliers", c), 0.0)
            rc = sum_up([duals.get(key, 0.0) for key in links] + [-count])
            terms.append(max(0.0, rc))
        return sum_up(terms)

    def artificial_total(self) -> float:
        """The artificials' sum in the last LP solution (0 without any)."""
        if not self.artificial:
            return 0.0
        x = np.asarray(self.h.getSolution().col_value)
        return float(sum(x[col] for col in self.artificial))

    def solve_ip(
        self, time_limit: float, start: list[LotOutcome]
    ) -> tuple[list[LotOutcome], float]:
        """Best plan made of pool columns (and the integer master's own bound);
        `start` and an infinite bound when HiGHS finds none."""
        n = len(self.columns)
        if not n:
            return list(start), math.inf
        self._set_integrality(highspy.HighsVarType.kInteger)
        chosen = {o.lot for o in start}
        usable = [o for o in self.columns if o.lot in chosen]
        plan, bound = solve_pool(
            self.h, self.columns, usable, max(0.1, time_limit), 1e-6, self.first
        )
        return (plan, bound) if math.isfinite(bound) else (list(start), math.inf)
