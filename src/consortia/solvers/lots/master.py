"""The set-packing master over lots, in highspy, warm-started across rounds.

    max  sum_j net_j lambda_j
    s.t. sum_{j: o in G_j, c_j = c} lambda_j <= 1       every (o, c)       dual pi >= 0
         sum_{j on (s, c)} V_j lambda_j      <= cap    capped offers      dual mu >= 0
         sum_{j forming in p} lambda_j       <= W      every period p     dual nu >= 0
         sum_{j: o in G_j, forming in p} lambda_j <= k(o)
                              o with a binding own limit, p     dual rho >= 0
         lambda >= 0 (binary in the integer master)

The last family is rule 8b (spec section 10), for the organizations whose limit
k(o) is below their number of demand categories (``Instance.binding_org_capacity``;
the others cannot break it) and the periods in which they can be forming. Its duals
rho(o, p) are charged to the member o of a lot forming in p; they are kept apart
from the formation rows' nu, which alone are reported as slot values. The LP holds
only the rows of this family that its point has broken (``activate_own``; solved
again until it breaks none, so its value is that of the LP with all of them, and
the rows left out have dual 0, which keeps every bound valid); they held 145,000
of the 202,000 nonzeros of a 200-organization master and few of them bind. The
integer master holds them all.

A column is *real* (a lot the spec accepts on its own, priced by ``plan.price_lot``)
or *relaxed* (it breaks only connectivity, rule 7, or individual rationality of an
incremental schedule, rule 9, and is valued by the same formula). Relaxed columns
enlarge the LP, so the LP stays an upper bound on the plans, and they are barred
(upper bound 0) from the integer master.

Weak duality for any y = (pi, mu, nu) >= 0 and any plan: net(plan) <= b.y +
sum_{lots} rc(lot), b being the right-hand sides; ``dual_objective`` is b.y.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

import highspy
import numpy as np

from consortia.backend.highs import new_highs, run, set_time_limit
from consortia.data.instance import Instance
from consortia.formulations.pool import solve_pool
from consortia.rules.plan import LotOutcome
from consortia.solvers.lots.data import CategoryData

# a rule-8b row is added to the LP when its point exceeds the limit by more
OWN_TOLERANCE = 1e-7
# LP dives for the integer master's start: columns at or above each threshold are
# fixed to 1 (else the largest fractional one), for at most this share of its time.
# Which threshold dives best varies by pool by 1-5% (own-limits pools of 200-300
# bodies: 0.6 best on two, 0.8 and 0.5 on the others), so several are tried, the
# one best on the largest pool first
DIVE_THRESHOLDS = (0.6, 0.9, 0.8, 0.5)
DIVE_SHARE = 0.3
# the integer master's neighbourhoods of the LP: its support and the best plan, plus
# this many columns of largest reduced cost (then the whole pool), each given at
# most this share of the time left
NEIGHBOURHOODS = (0, 1000, 2500)
NEIGHBOURHOOD_SHARE = 0.6
# the whole pool is searched only if this many times the last neighbourhood's time is left
NEIGHBOURHOOD_GROWTH = 4.0
INTEGRAL = 1e-6  # an LP value this close to 0 or 1 counts as integral


class LotMaster:
    def __init__(self, inst: Instance, cats: list[CategoryData], seed: int = 0):
        self.inst = inst
        self.cats = cats
        self.seed = seed
        self.h = new_highs()
        self.h.setOptionValue("random_seed", int(seed))
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.rhs: list[float] = []
        self.org_row: dict[tuple[str, str], int] = {}
        # per category (in the order of `cats`): its organizations' one-lot rows
        self.pair_rows: list[np.ndarray] = []
        for data in cats:
            first = len(self.rhs)
            for o in data.orgs:
                self.org_row[(o, data.cat_id)] = len(self.rhs)
                self.rhs.append(1.0)
            self.pair_rows.append(np.arange(first, len(self.rhs), dtype=np.int64))
        self.cap_row: dict[tuple[str, str], int] = {}
        for data in cats:
            for od in data.offers:
                if math.isfinite(od.cap):
                    self.cap_row[od.offer.key] = len(self.rhs)
                    self.rhs.append(od.cap)
        limit = inst.settings.max_parallel_formations
        self.form_row: dict[int, int] = {}
        if limit is not None:
            for p in range(1, inst.settings.horizon + 1):
                self.form_row[p] = len(self.rhs)
                self.rhs.append(float(limit))
        # rule 8b rows: numbered in `rhs` and the duals like the others, but in the
        # LP (HiGHS's rows from `base` on, in ``_in_lp`` order) only once its point
        # broke them; the integer master holds them all
        self.base = len(self.rhs)
        self.own_row: dict[tuple[str, int], int] = {}
        for o, (first, k) in _own_limits(inst, cats).items():
            # a lot forming in p goes live after p, by the horizon at the latest
            for p in range(first, inst.settings.horizon):
                self.own_row[(o, p)] = len(self.rhs)
                self.rhs.append(float(k))
        self._in_lp: list[int] = []  # rule-8b rows (numbered as in rhs) in the LP
        self._lp_row: dict[int, int] = {}  # rule-8b row -> HiGHS's row
        self._own_entries: list[tuple[int, int]] = []  # (rule-8b row, column)
        m = self.base
        if m:
            self.h.addRows(
                m,
                np.full(m, -np.inf),
                np.array(self.rhs[:m]),
                0,
                np.zeros(m, dtype=np.int32),
                np.array([], dtype=np.int32),
                np.array([], dtype=float),
            )
        self.columns: list[LotOutcome] = []
        self.real: list[bool] = []
        self._seen: set[object] = set()
        self.relaxed_allowed = True
        self.lp_plan: list[LotOutcome] = []  # the best plan rounded or dived from the LP

    @property
    def num_rows(self) -> int:
        return len(self.rhs)

    def add(self, outcomes: list[tuple[LotOutcome, bool]]) -> int:
        """Add (outcome, is_real) columns not yet in the pool; returns how many."""
        costs: list[float] = []
        starts: list[int] = []
        index: list[int] = []
        values: list[float] = []
        for out, real in outcomes:
            lot = out.lot
            if lot in self._seen:
                continue
            self._seen.add(lot)
            c = lot.category_id
            rows = [self.org_row[(o, c)] for o in lot.members]
            vals = [1.0] * len(rows)
            cap = self.cap_row.get((lot.supplier_id, c))
            if cap is not None:
                rows.append(cap)
                vals.append(out.volume)
            for p in out.forming:
                if p in self.form_row:
                    rows.append(self.form_row[p])
                    vals.append(1.0)
            for r in self._own_rows(out):
                self._own_entries.append((r, len(self.columns)))
                if r in self._lp_row:
                    rows.append(self._lp_row[r])
                    vals.append(1.0)
            starts.append(len(index))
            index += rows
            values += vals
            costs.append(out.net)
            self.columns.append(out)
            self.real.append(real)
        k = len(costs)
        if k:
            upper = np.array([np.inf if r or self.relaxed_allowed else 0.0 for r in self.real[-k:]])
            self.h.addCols(
                k,
                np.array(costs),
                np.zeros(k),
                upper,
                len(index),
                np.array(starts, dtype=np.int32),
                np.array(index, dtype=np.int32),
                np.array(values, dtype=float),
            )
        return k

    def _own_rows(self, out: LotOutcome) -> list[int]:
        """The rule-8b rows of a lot: (member, forming period) for limited members."""
        if not self.own_row:
            return []
        rows = (self.own_row.get((o, p)) for o in out.lot.members for p in out.forming)
        return [r for r in rows if r is not None]

    @property
    def own_rows_in_lp(self) -> int:
        """How many rule-8b rows the LP holds."""
        return len(self._in_lp)

    def activate_own(self, rows: list[int]) -> None:
        """Put these rule-8b rows (numbered as in ``rhs``) into the LP, with their
        columns."""
        new = sorted({r for r in rows if r not in self._lp_row})
        if not new:
            return
        entries = self._own_matrix()
        entries = entries[np.argsort(entries[:, 0], kind="stable")]
        first = np.searchsorted(entries[:, 0], new, side="left")
        last = np.searchsorted(entries[:, 0], new, side="right")
        starts: list[int] = []
        index: list[int] = []
        for r, a, b in zip(new, first.tolist(), last.tolist(), strict=True):
            self._lp_row[r] = self.base + len(self._in_lp)
            self._in_lp.append(r)
            starts.append(len(index))
            index += entries[a:b, 1].tolist()
        k = len(starts)
        if k:
            self.h.addRows(
                k,
                np.full(k, -np.inf),
                np.array([self.rhs[r] for r in self._in_lp[-k:]]),
                len(index),
                np.array(starts, dtype=np.int32),
                np.array(index, dtype=np.int32),
                np.ones(len(index)),
            )

    def _own_matrix(self) -> np.ndarray:
        """The rule-8b entries of the columns: (row, column) pairs, one a row."""
        return np.array(self._own_entries, dtype=np.int64).reshape(-1, 2)

    def _broken_own(self, x: np.ndarray) -> list[int]:
        """The rule-8b rows not in the LP that its point x breaks."""
        if not self._own_entries:
            return []
        entries = self._own_matrix()
        load = np.bincount(entries[:, 0], weights=x[entries[:, 1]], minlength=len(self.rhs))
        broken = np.nonzero(load > np.array(self.rhs) + OWN_TOLERANCE)[0].tolist()
        return [r for r in broken if r not in self._lp_row]

    def own_duals(self, y: np.ndarray, data: CategoryData) -> np.ndarray | None:
        """Cumulative rule-8b duals of the category's limited organizations:
        ``out[k, p] = sum_{q <= p} rho(capped[k], q)`` for p = 0..T (None when all
        are 0). A lot forming in sigma..sigma+L-1 charges member capped[k]
        ``out[k, sigma+L-1] - out[k, sigma-1]``."""
        if not self.own_row or not len(data.capped):
            return None
        horizon = self.inst.settings.horizon
        rho = np.zeros((len(data.capped), horizon + 1))
        for k, i in enumerate(data.capped.tolist()):
            o = data.orgs[i]
            for p in range(1, horizon + 1):
                r = self.own_row.get((o, p))
                if r is not None:
                    rho[k, p] = y[r]
        if not rho.any():
            return None
        return np.cumsum(rho, axis=1)

    def allow_relaxed(self, allowed: bool) -> None:
        """Let relaxed columns into the LP (phase 1) or bar them (phase 2)."""
        n = len(self.columns)
        if not n:
            return
        idx = np.arange(n, dtype=np.int32)
        upper = np.where(np.array(self.real) | allowed, np.inf, 0.0)
        self.h.changeColsBounds(n, idx, np.zeros(n), upper)
        self.relaxed_allowed = allowed

    def solve_lp(
        self, central: bool = False, seconds: float | None = None
    ) -> tuple[float, np.ndarray]:
        """LP optimum over the pool and the row duals (clipped to >= 0); with
        `seconds`, HiGHS stops there (its model status then says so).

        central: interior point without crossover, for duals inside the optimal
        face. A vertex of this degenerate master often charges a lot's whole
        value to one member, and pricing then proposes lots that the LP cannot
        use (the formation rows are tight at dual 0); central duals spread it.
        Rule-8b rows that the point breaks are added and the LP solved again."""
        if not self.columns:
            return 0.0, np.zeros(self.num_rows)
        until = None if seconds is None else time.perf_counter() + seconds
        while True:
            left = None if until is None else max(0.01, until - time.perf_counter())
            value, duals = self._solve_lp(central, left)
            broken = self._broken_own(self.primal())
            if not broken or self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return value, duals
            self.activate_own(broken)

    def lp_stopped(self) -> bool:
        """Whether the last solve was stopped by its time limit."""
        return bool(self.h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit)

    def lp_optimal(self) -> bool:
        """Whether the last solve reached its optimum (not stopped by its limit)."""
        return bool(self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal)

    def _solve_lp(self, central: bool, seconds: float | None) -> tuple[float, np.ndarray]:
        """One solve of the LP as it stands (``solve_lp``)."""
        h = self.h
        if seconds is None:
            h.setOptionValue("time_limit", 1e9)
        else:
            set_time_limit(h, seconds)
        if central:
            h.clearSolver()
            h.setOptionValue("solver", "ipm")
            h.setOptionValue("run_crossover", "off")
            h.setOptionValue("presolve", "off")  # presolve would hand back a vertex
        try:
            run(h)
        finally:
            if central:
                h.setOptionValue("solver", "choose")
                h.setOptionValue("run_crossover", "on")
                h.setOptionValue("presolve", "choose")
        value = float(self.h.getInfo().objective_function_value)
        in_lp = np.maximum(np.asarray(self.h.getSolution().row_dual, dtype=float), 0.0)
        # numbered as in rhs: a rule-8b row not in the LP has dual 0
        duals = np.zeros(self.num_rows)
        duals[: self.base] = in_lp[: self.base]
        duals[self._in_lp] = in_lp[self.base :]
        return value, duals

    def duals_of(
        self,
        pair: Mapping[tuple[str, str], float],
        formation: np.ndarray,
        own: Mapping[str, np.ndarray],
        capacity: Mapping[tuple[str, str], float],
    ) -> np.ndarray:
        """A dual vector (numbered as ``rhs``) from prices given by name: per
        (organization, category) one-lot row, per period p = 1..T (``formation[p-1]``),
        per limited organization and period (``own[o][p-1]``), per capped offer
        (``Offer.key``); rows not named get 0. Negative prices are clipped to 0."""
        y = np.zeros(self.num_rows)
        for key, r in self.org_row.items():
            y[r] = pair.get(key, 0.0)
        for key, r in self.cap_row.items():
            y[r] = capacity.get(key, 0.0)
        for p, r in self.form_row.items():
            y[r] = formation[p - 1]
        for (o, p), r in self.own_row.items():
            if o in own:
                y[r] = own[o][p - 1]
        return np.maximum(y, 0.0)

    def primal(self) -> np.ndarray:
        return np.asarray(self.h.getSolution().col_value, dtype=float)

    def dual_objective(self, duals: np.ndarray) -> float:
        return float(np.dot(self.rhs, duals))

    def reduced_cost(self, out: LotOutcome, y: np.ndarray) -> float:
        """net - (the column of `out`) . y"""
        lot = out.lot
        c = lot.category_id
        used = sum(y[self.org_row[(o, c)]] for o in lot.members)
        cap = self.cap_row.get((lot.supplier_id, c))
        if cap is not None:
            used += y[cap] * out.volume
        used += sum(y[self.form_row[p]] for p in out.forming if p in self.form_row)
        used += sum(y[r] for r in self._own_rows(out))
        return float(out.net - used)

    def _round(self, x: np.ndarray, real: np.ndarray) -> list[LotOutcome]:
        """A plan from the LP solution: real columns by falling LP value, each kept
        when its members are free and capacity, the formation limit and its members'
        own limits allow."""
        limit = self.inst.settings.max_parallel_formations
        used: set[tuple[str, str]] = set()
        load: dict[tuple[str, str], float] = {}
        forming: dict[int, int] = {}
        own_load = np.zeros(self.num_rows)
        plan = []
        for j in sorted(
            np.nonzero((x > 1e-6) & real)[0], key=lambda j: (-x[j], -self.columns[j].net)
        ):
            out = self.columns[int(j)]
            lot = out.lot
            c, key = lot.category_id, (lot.supplier_id, lot.category_id)
            if out.net <= 0 or any((o, c) in used for o in lot.members):
                continue
            cap = self.inst.offer[key].capacity
            if load.get(key, 0.0) + out.volume > cap:
                continue
            if limit is not None and any(forming.get(p, 0) >= limit for p in out.forming):
                continue
            own = self._own_rows(out)
            if any(own_load[r] >= self.rhs[r] for r in own):
                continue
            own_load[own] += 1.0
            plan.append(out)
            used.update((o, c) for o in lot.members)
            load[key] = load.get(key, 0.0) + out.volume
            for p in out.forming:
                forming[p] = forming.get(p, 0) + 1
        return plan

    def dive(self, upper: np.ndarray, threshold: float, until: float) -> list[LotOutcome] | None:
        """A plan by diving on the LP (all rule-8b rows held; columns between 0 and
        `upper`): fix every column at or above `threshold` to 1, or the largest
        fractional one when none is, and solve again until the LP is integral. When
        a batch of fixes makes the LP infeasible, only its largest column stays
        fixed; when that one alone does, it is barred. If time runs out first, the
        last LP point is rounded (``_round``: its fixed columns, at 1, come first);
        None only if no LP was solved. The LP's rows keep the plan feasible.

        The rounding of ``_round`` starts HiGHS far below the pool's best plan where
        own limits bind (a medium instance: 508.5 M against 545.5 M), and HiGHS then
        found nothing better within 18 s; from a dive (531-540 M, under a second) it
        had 531-540 M at once and reached 545.5 M in 24 s as before."""
        h = self.h
        n = len(self.columns)
        lower = np.zeros(n)
        top = np.minimum(upper, 1.0)
        h.changeColsBounds(n, np.arange(n, dtype=np.int32), lower, top)

        def bounds(cols: np.ndarray) -> None:
            h.changeColsBounds(len(cols), cols.astype(np.int32), lower[cols], top[cols])

        batch = np.empty(0, dtype=np.int64)  # the last fixes, largest LP value first
        x: np.ndarray | None = None  # the last LP point
        while time.perf_counter() < until:
            set_time_limit(h, max(0.01, until - time.perf_counter()))
            run(h)
            if h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit:
                break
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                if not len(batch):
                    break
                if len(batch) > 1:
                    lower[batch[1:]] = 0.0
                    bounds(batch[1:])
                    batch = batch[:1]
                else:
                    lower[batch] = top[batch] = 0.0
                    bounds(batch)
                    batch = np.empty(0, dtype=np.int64)
                continue
            x = self.primal()
            fractional = (x > INTEGRAL) & (x < 1.0 - INTEGRAL)
            if not fractional.any():
                return [self.columns[j] for j in np.nonzero(x > 0.5)[0].tolist()]
            batch = np.nonzero((x >= threshold) & (lower < 0.5))[0]
            if not len(batch):
                candidates = np.nonzero(fractional)[0]
                batch = candidates[[int(np.argmax(x[candidates]))]]
            batch = batch[np.argsort(-x[batch], kind="stable")]
            lower[batch] = 1.0
            bounds(batch)
        if x is None:
            return None
        # x met the fixes before the last batch, which are all at 1 in it
        return self._round(x, top > 0.0)

    def _useful(self, incumbent: float, seconds: float) -> tuple[np.ndarray, np.ndarray]:
        """Columns that can be in a plan better than `incumbent` (reduced-cost fixing),
        and every column's reduced cost at the real-column LP's duals (all 0 if that
        LP is not solved to optimality within `seconds`).

        With y >= 0 the duals of the LP over the real columns, every 0/1 packing x
        of the pool has value <= b.y + sum_j rc_j x_j, so a column with
        rc_j + sum of the positive rc's < incumbent - b.y cannot be in a better
        plan. Only a speed-up of the integer master: the bound is not touched."""
        n = len(self.columns)
        keep = np.ones(n, dtype=bool)
        self.allow_relaxed(False)
        lp, y = self.solve_lp(seconds=seconds)
        if not self.lp_optimal():
            return keep, np.zeros(n)
        rc = np.array([self.reduced_cost(out, y) for out in self.columns])
        real = np.array(self.real)
        self.lp_plan = self._round(self.primal(), real)
        slack = incumbent - self.dual_objective(y) - float(np.maximum(rc[real], 0.0).sum())
        keep = rc >= slack - 1e-6 * max(1.0, abs(lp))
        return keep, rc

    def solve_ip(
        self, time_limit: float, start: list[LotOutcome]
    ) -> tuple[list[LotOutcome], float]:
        """Best plan of real pool columns within the time limit (and HiGHS's own bound
        over the pool, inf if the whole pool was not searched); the LP that fixes
        columns by reduced cost and the dives count against the limit.

        Before the whole pool, HiGHS searches growing neighbourhoods of the LP: the
        support of the LP's vertex and the best plan so far, then also the
        ``NEIGHBOURHOODS`` columns of largest reduced cost, each from the best plan
        so far, and moving on only while a neighbourhood is searched to the end with
        time left for a larger one.
        Where own limits bind, the whole pool is slow to start (a 300-body pool of
        5,313 columns and 640,000 nonzeros: 21 s of presolve, nothing better than
        the start in 30 s), while its vertex's support (247 columns) is solved in
        6 s to a better plan (1,329 M against a dive's 1,320 M; HiGHS on the whole
        pool: 1,333 M after 120 s)."""
        started = time.perf_counter()
        n = len(self.columns)
        if not n:
            return list(start), 0.0
        h = self.h
        # the integer master keeps every rule-8b row, not only those the LP needed
        self.activate_own(list(self.own_row.values()))
        idx = np.arange(n, dtype=np.int32)
        upper = np.where(np.array(self.real), 1.0, 0.0)
        self.lp_plan = []
        useful, rc = self._useful(sum(o.net for o in start), DIVE_SHARE * time_limit)
        upper[~useful] = 0.0
        solved = self.lp_optimal()
        x = self.primal()  # the vertex `_useful` solved for (none if it failed)
        support = np.zeros(n, dtype=bool)
        if solved and len(x) == n:
            support = (x > INTEGRAL) & (upper > 0.0)
        dive_until = started + DIVE_SHARE * time_limit
        for threshold in DIVE_THRESHOLDS:
            if time.perf_counter() >= dive_until:
                break
            dived = self.dive(upper, threshold, dive_until)
            if dived and sum(o.net for o in dived) > sum(o.net for o in self.lp_plan):
                self.lp_plan = dived
        if sum(o.net for o in self.lp_plan) > sum(o.net for o in start):
            start = self.lp_plan
        plan, bound = list(start), math.inf
        by_rc = np.argsort(-rc, kind="stable")
        for extra in (*NEIGHBOURHOODS, n):
            left = time_limit - (time.perf_counter() - started)
            if left <= 0.2:
                break
            keep = support.copy()
            keep[by_rc[:extra]] = True
            chosen = {o.lot for o in plan}
            keep |= np.array([col.lot in chosen for col in self.columns])
            keep &= upper > 0.0
            if not keep.any():  # no LP point and no plan yet: a larger one
                continue
            searched = time.perf_counter()
            whole = bool(keep.sum() >= (upper > 0.0).sum())
            if whole:
                # relaxed columns (and those fixed by reduced cost) are held at 0
                h.changeColsBounds(n, idx, np.zeros(n), upper)
                model, columns, limit = h, self.columns, left
            else:
                # a model of its own: HiGHS keeps to its limit there, while on the
                # pool with the other columns held at 0 it overran 1.3 s by 8 s
                # (presolve). (Built over the same categories, it numbers their rows
                # as this one.)
                part = LotMaster(self.inst, self.cats, self.seed)
                part.add([(self.columns[j], True) for j in np.nonzero(keep)[0].tolist()])
                part.activate_own(list(part.own_row.values()))
                model, columns, limit = part.h, part.columns, NEIGHBOURHOOD_SHARE * left
            found, found_bound = solve_pool(model, columns, plan, limit, 1e-7)
            value = sum(o.net for o in found)
            if value > sum(o.net for o in plan):
                plan = found
            if whole:
                bound = found_bound
                break
            if found_bound > value + 1e-6 * max(1.0, abs(value)):
                break  # cut short: a larger neighbourhood would not finish either
            # HiGHS overruns its limit in presolve on large pools (21 s for 8 s on the
            # one above): the whole pool only with time for it
            took = time.perf_counter() - searched
            if extra >= NEIGHBOURHOODS[-1] and NEIGHBOURHOOD_GROWTH * took > time_limit - (
                time.perf_counter() - started
            ):
                break
        real = {self.columns[j].lot for j in range(n) if self.real[j]}
        return [o for o in plan if o.lot in real], bound


def _own_limits(inst: Instance, cats: list[CategoryData]) -> dict[str, tuple[int, int]]:
    """Per organization with a binding own limit and a lot it can join: (the first
    period it can be forming, its limit k(o))."""
    first: dict[str, int] = {}
    for data in cats:
        for i in data.capped.tolist():
            o = data.orgs[i]
            first[o] = min(first.get(o, inst.settings.horizon), int(data.ready[i]))
    limits = inst.binding_org_capacity
    return {o: (first[o], limits[o]) for o in sorted(first, key=inst.org_index.__getitem__)}
