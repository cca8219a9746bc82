"""Exact connected pricing: the best connected member set of a subproblem.

For one piece (offer, tier) of a category, with the eligible organizations E of
the piece and the collaboration graph among them, a HiGHS MIP over x_o in {0, 1}:

    max  sum_o w_o x_o
    s.t. n_lo <= sum_o x_o <= n_hi,   v_lo <= sum_o d_o x_o <= v_hi,
         x_o = 0                          o not ready by sigma (w_o = -inf),
         x_i <= sum_{k in N(i)} x_k       every i, only when n_lo >= 2,
         x_i + x_j - 1 <= sum_{k in N(S)} x_k      (connectivity cuts).

The last two families hold for every connected member set: a connected set of
two or more has a neighbour of each member, and a path from i in S to j outside
S leaves S through a neighbour of S (N(S), neighbours of S in E outside S).
Cuts are separated lazily: solve, split the chosen set into its components, and
if there are several add one cut per component S (i its best member, j the best
chosen member outside it); repeat. Since the cuts depend only on the graph and
E, they stay in the model for every later subproblem and round of the piece.

The loop ends with a connected optimum, whose value is exact, or at its time
limit with HiGHS's dual bound of the current relaxation, which is still an
upper bound on every connected set.

``decide`` answers the question column generation asks, whether some connected
set is worth more than a threshold (the subproblem's constant C): the same model
with the row sum_o w_o x_o >= threshold, stopped at its first connected
solution. Infeasible proves every connected set below the threshold (the cuts only
remove disconnected sets); a MIP that stops at its limit still gives its dual
bound. On the last round of a 200-organization instance the 127 subproblems with
no improving lot were proved so in 55 s; optimising all 190 took 441 s.

``bound`` is the cheap screen: the LP relaxation with the cuts found so far
(strengthened by a few rounds of cuts between the components of the LP
solution's support, which are violated when x_i + x_j > 1). With the cuts that
earlier subproblems of the piece produced it is within a few per cent of the
exact value in a millisecond or two, where the MIP takes 0.05-5 s.
"""

from __future__ import annotations

import math
import time

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from consortia.backend.highs import new_highs, run

MIP_GAP = 1e-7
MAX_SOLUTIONS = 2147483647  # HiGHS's default mip_max_improving_sols (no limit)
LP_ROUNDS = 15
CUT_POOL = 200  # HiGHS's mip_pool_soft_limit (default 10,000)
LP_SECONDS = 1.0
HEURISTICS_OFF = (
    "mip_heuristic_run_root_reduced_cost",
    "mip_heuristic_run_zi_round",
    "mip_heuristic_run_rins",
    "mip_heuristic_run_rens",
)


class PieceConnectedPricer:
    """The MIP of one piece, kept with its cuts across subproblems and rounds."""

    def __init__(self, adj: sp.csr_matrix, eligible: np.ndarray, d: np.ndarray):
        self.members = np.nonzero(eligible)[0]  # local index -> category index
        m = len(self.members)
        self.graph = adj[self.members][:, self.members].tocsr()
        self.d = d[self.members]
        self.cuts = 0
        # the last LP solution of `bound` (category indices, values): it points
        # the heuristic at the members a connected set would likely hold
        self.last_lp_point: tuple[np.ndarray, np.ndarray] | None = None
        h = new_highs()
        h.setOptionValue("mip_rel_gap", MIP_GAP)
        h.setOptionValue("presolve", "off")  # re-solved after every cut: measured 25% faster
        # HiGHS's primal heuristics (sub-MIPs at the root) cost most of each re-solve
        # of these small models, whose LP with the cuts is nearly integral: without
        # them 14 of the slowest medium subproblems took 58 s instead of 91 s
        for option in HEURISTICS_OFF:
            h.setOptionValue(option, False)
        h.setOptionValue("mip_heuristic_effort", 0.0)
        # the root separation of a re-solve fills HiGHS's cut pool with thousands of
        # cuts (4,661 in 1.2 s on a 21-member window of m200-seed2); a small pool
        # took 0.2 s there, and settled 14 of 64 hard decisions within 0.5 s
        # instead of 7 (all 64 in 4 s each: 148 s instead of 173 s)
        h.setOptionValue("mip_pool_soft_limit", CUT_POOL)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        idx = np.arange(m, dtype=np.int32)
        h.addVars(m, np.zeros(m), np.ones(m))
        h.changeColsIntegrality(m, idx, np.full(m, highspy.HighsVarType.kInteger))
        h.addRow(0.0, float(m), m, idx, np.ones(m))
        h.addRow(-np.inf, np.inf, m, idx, self.d.astype(float))
        g = self.graph
        for i in range(m):
            nb = g.indices[g.indptr[i] : g.indptr[i + 1]]
            cols = np.concatenate(([i], nb)).astype(np.int32)
            vals = np.concatenate(([1.0], -np.ones(len(nb))))
            h.addRow(-np.inf, np.inf, len(cols), cols, vals)
        # the threshold row of `decide` (free elsewhere); cuts come after it
        self.threshold_row = 2 + m
        h.addRow(-np.inf, np.inf, m, idx, np.zeros(m))
        self.h = h
        self.m = m

    def _load(self, w: np.ndarray, window: tuple[int, int, float, float]) -> np.ndarray | None:
        """Set the subproblem into the model; its local values (None: no member set)."""
        nlo, nhi, vlo, vhi = window
        m, h = self.m, self.h
        if not m:
            return None
        wl = w[self.members]
        allowed = np.isfinite(wl)
        if int(allowed.sum()) < nlo:
            return None
        idx = np.arange(m, dtype=np.int32)
        h.changeColsCost(m, idx, np.where(allowed, wl, 0.0))
        h.changeColsBounds(m, idx, np.zeros(m), allowed.astype(float))
        h.changeRowBounds(0, float(nlo), float(nhi))
        h.changeRowBounds(1, float(vlo), float(vhi))
        upper = 0.0 if nlo >= 2 else np.inf
        rows = np.arange(2, 2 + m, dtype=np.int32)
        h.changeRowsBounds(m, rows, np.full(m, -np.inf), np.full(m, upper))  # type: ignore[attr-defined]
        h.changeRowBounds(self.threshold_row, -np.inf, np.inf)
        return wl

    @staticmethod
    def _slack(wl: np.ndarray) -> float:
        """A safety margin on bounds for the solver's tolerances."""
        finite = np.isfinite(wl)
        return 1e-6 * (float(np.abs(wl[finite]).sum()) + 1.0)

    def bound(self, w: np.ndarray, window: tuple[int, int, float, float]) -> float:
        """LP upper bound on sum w over connected sets in the windows (see module)."""
        wl = self._load(w, window)
        self.last_lp_point = None
        if wl is None:
            return -math.inf
        h = self.h
        h.setOptionValue("solve_relaxation", True)
        h.setOptionValue("time_limit", LP_SECONDS)
        try:
            value = math.inf
            for _ in range(LP_ROUNDS):
                run(h)
                status = h.getModelStatus()
                if status == highspy.HighsModelStatus.kInfeasible:
                    return -math.inf
                if status != highspy.HighsModelStatus.kOptimal:
                    return value
                value = float(h.getInfo().objective_function_value) + self._slack(wl)
                x = np.asarray(h.getSolution().col_value)
                self.last_lp_point = (self.members, x)
                strong = np.nonzero(x > 0.5 + 1e-6)[0]
                if len(strong) < 2:
                    return value
                support = np.nonzero(x > 1e-9)[0]
                parts, label = connected_components(self.graph[support][:, support], directed=False)
                if parts <= 1:
                    return value
                at = np.searchsorted(support, strong)
                if len(np.unique(label[at])) < 2:
                    return value
                self._cut(strong, label[at], wl, border_of=support, support_label=label)
            return value
        finally:
            h.setOptionValue("solve_relaxation", False)

    def solve(
        self, w: np.ndarray, window: tuple[int, int, float, float], time_limit: float
    ) -> tuple[float, np.ndarray | None]:
        """(upper bound on sum w over connected sets in the windows, best connected
        set found as category indices or None). w is over the category's
        organizations, -inf where a member may not be chosen."""
        wl = self._load(w, window)
        if wl is None:
            return -math.inf, None
        started = time.perf_counter()
        slack = self._slack(wl)
        while True:
            status, left = self._run_for(started, time_limit)
            if status == highspy.HighsModelStatus.kInfeasible:
                return -math.inf, None
            bound = float(self.h.getInfo().mip_dual_bound)
            if status != highspy.HighsModelStatus.kOptimal:
                if not math.isfinite(bound):
                    return math.inf, None
                return bound + slack, None
            chosen, parts, label = self._chosen()
            if parts <= 1:
                return max(bound, float(wl[chosen].sum())) + slack, self.members[chosen]
            if left <= 0:
                return bound + slack, None
            self._cut(chosen, label, wl)

    def decide(
        self,
        w: np.ndarray,
        window: tuple[int, int, float, float],
        threshold: float,
        time_limit: float,
    ) -> tuple[float, np.ndarray | None]:
        """Whether a connected set in the windows has sum w >= threshold: (upper
        bound on sum w over connected sets, found set as category indices or None).
        With a set found the bound is inf (not asked for); proved none, it is the
        threshold; stopped by the time limit, the larger of the threshold and the
        MIP's dual bound (+inf without one)."""
        wl = self._load(w, window)
        if wl is None:
            return -math.inf, None
        h, m = self.h, self.m
        costs = np.where(np.isfinite(wl), wl, 0.0)
        for j in range(m):
            h.changeCoeff(self.threshold_row, j, float(costs[j]))
        h.changeRowBounds(self.threshold_row, float(threshold), np.inf)
        h.setOptionValue("mip_max_improving_sols", 1)
        started = time.perf_counter()
        slack = self._slack(wl)
        try:
            while True:
                status, left = self._run_for(started, time_limit)
                if status == highspy.HighsModelStatus.kInfeasible:
                    return threshold + slack, None
                found = status in (
                    highspy.HighsModelStatus.kOptimal,
                    highspy.HighsModelStatus.kSolutionLimit,
                )
                if not found or left <= 0:
                    bound = float(h.getInfo().mip_dual_bound)
                    if not math.isfinite(bound):
                        return math.inf, None
                    return max(bound, threshold) + slack, None
                chosen, parts, label = self._chosen()
                if parts <= 1:
                    return math.inf, self.members[chosen]
                self._cut(chosen, label, wl)
        finally:
            h.setOptionValue("mip_max_improving_sols", MAX_SOLUTIONS)
            h.changeRowBounds(self.threshold_row, -np.inf, np.inf)

    def _run_for(self, started: float, time_limit: float):
        """Re-solve within what is left of `time_limit` since `started`:
        (model status, seconds that were left)."""
        left = time_limit - (time.perf_counter() - started)
        self.h.setOptionValue("time_limit", max(0.01, left))
        run(self.h)
        return self.h.getModelStatus(), left

    def _chosen(self) -> tuple[np.ndarray, int, np.ndarray]:
        """The incumbent's members (local indices) and its components (count, labels)."""
        chosen = np.nonzero(np.asarray(self.h.getSolution().col_value) > 0.5)[0]
        parts, label = connected_components(self.graph[chosen][:, chosen], directed=False)
        return chosen, int(parts), label

    def _cut(
        self,
        chosen: np.ndarray,
        label: np.ndarray,
        wl: np.ndarray,
        border_of: np.ndarray | None = None,
        support_label: np.ndarray | None = None,
    ) -> None:
        """One cut per component S of the chosen members (labels), with i its best
        member and j the best chosen member outside it. For an LP point the
        component is that of the support graph (border_of, support_label): every
        neighbour of it has x = 0, so the cut is violated when x_i + x_j > 1."""
        g = self.graph
        for c in np.unique(label).tolist():
            comp = chosen[label == c]
            rest = chosen[label != c]
            inside = np.zeros(self.m, dtype=bool)
            if border_of is None:
                inside[comp] = True
            else:
                inside[border_of[support_label == c]] = True
            touch = np.zeros(self.m, dtype=bool)
            for u in np.nonzero(inside)[0].tolist():
                touch[g.indices[g.indptr[u] : g.indptr[u + 1]]] = True
            border = np.nonzero(touch & ~inside)[0]
            i = int(comp[np.argmax(wl[comp])])
            j = int(rest[np.argmax(wl[rest])])
            cols = np.concatenate(([i, j], border)).astype(np.int32)
            vals = np.concatenate(([1.0, 1.0], -np.ones(len(border))))
            self.h.addRow(-np.inf, 1.0, len(cols), cols, vals)
            self.cuts += 1
