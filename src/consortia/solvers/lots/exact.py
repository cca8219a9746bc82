"""Exact connected pricing: the best connected member set of a subproblem.

For one piece (offer, tier) of a category, with the eligible organizations E of
the piece and the collaboration graph among them, the model over x_o in {0, 1}:

    max  sum_o w_o x_o
    s.t. n_lo <= sum_o x_o <= n_hi,   v_lo <= sum_o d_o x_o <= v_hi,
         x_o = 0                          o not ready by sigma (w_o = -inf),
         x_i <= sum_{k in N(i)} x_k       every i, only when n_lo >= 2,
         x_i + x_j - 1 <= sum_{k in N(S)} x_k      (connectivity cuts).

The last two families hold for every connected member set: a connected set of
two or more has a neighbour of each member, and a path from i in S to j outside
S leaves S through a neighbour of S (N(S), neighbours of S in E outside S).

``solve`` (the best connected set) and ``decide`` (whether some connected set is
worth more than a threshold, the subproblem's constant C: the question column
generation asks) run SCIP's branch-and-cut with connectivity as a constraint
handler (``branch_cut``): its cuts are separated at every node, and infeasibility
of ``sum w x >= threshold`` proves every connected set below the threshold. The
cuts it makes at disconnected integral points depend only on the graph and E, so
they are kept in this piece's LP for every later subproblem and round.

``bound`` is the cheap screen: the LP relaxation (HiGHS) with the cuts found so
far, strengthened by a few rounds of cuts between the components of the LP
solution's support, which are violated when x_i + x_j > 1. With the cuts that
earlier subproblems of the piece produced it is within a few per cent of the
exact value in a millisecond or two, where an exact search takes 0.05-2 s.

Each screen also leaves a ``Certificate``: its LP's row duals y, which bound the
same subproblem at any other member values without solving again (weak duality,
below). Between two rounds of column generation the values move a little, and the
certificate of the last screen often proves the subproblem unprofitable still.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from consortia.backend.highs import new_highs, run, set_time_limit
from consortia.solvers.lots.branch_cut import Outcome, branch_and_cut

LP_ROUNDS = 15
LP_SECONDS = 1.0


class Certificate(NamedTuple):
    """Row duals y of one subproblem's LP screen (windows and eligibility fixed),
    clipped to the signs its row bounds allow (y_r <= 0 where the upper bound is
    infinite, >= 0 where the lower is). For every x in the LP (0 <= x <= allowed)
    and any values w', ``w'.x = y.Ax + (w' - A^T y).x <= rows + sum_{j allowed}
    max(0, w'_j - aty_j)``, rows = sum_r max over the row's range of y_r (Ax)_r:
    an upper bound on every connected set's value at w' (``bound``), whatever
    solver produced y."""

    rows: float
    aty: np.ndarray  # A^T y over the piece's members (local indices)
    allowed: np.ndarray  # the members the subproblem may choose

    def bound(self, wl: np.ndarray) -> float:
        """The bound at values `wl` (local indices, -inf where a member may not be
        chosen); +inf (nothing proved) where the allowed members are not the ones
        the certificate was made for."""
        allowed = np.isfinite(wl)
        if not np.array_equal(allowed, self.allowed):
            return math.inf
        excess = np.maximum(0.0, wl[allowed] - self.aty[allowed]).sum()
        return self.rows + float(excess) + PieceConnectedPricer._slack(wl)


class PieceConnectedPricer:
    """One piece's LP screen, kept with its cuts across subproblems and rounds, and
    its exact searches."""

    def __init__(self, adj: sp.csr_matrix, eligible: np.ndarray, d: np.ndarray):
        self.members = np.nonzero(eligible)[0]  # local index -> category index
        m = len(self.members)
        self.graph = adj[self.members][:, self.members].tocsr()
        self.d = d[self.members]
        self.last_others: list[np.ndarray] = []  # `solve`'s other sets (category indices)
        # the last LP solution of `bound` (category indices, values): it points
        # the heuristic at the members a connected set would likely hold
        self.last_lp_point: tuple[np.ndarray, np.ndarray] | None = None
        # the dual certificate of the last `bound` (None: its LP ended without one)
        self.last_certificate: Certificate | None = None
        h = new_highs()
        h.setOptionValue("presolve", "off")  # re-solved after every cut: measured 25% faster
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        idx = np.arange(m, dtype=np.int32)
        h.addVars(m, np.zeros(m), np.ones(m))
        h.addRow(0.0, float(m), m, idx, np.ones(m))
        h.addRow(-np.inf, np.inf, m, idx, self.d.astype(float))
        g = self.graph
        for i in range(m):
            nb = g.indices[g.indptr[i] : g.indptr[i + 1]]
            cols = np.concatenate(([i], nb)).astype(np.int32)
            vals = np.concatenate(([1.0], -np.ones(len(nb))))
            h.addRow(-np.inf, np.inf, len(cols), cols, vals)
        self.h = h
        self.m = m
        # the neighbour rows' and cut rows' coefficients, for the certificates
        self._adjacent = sp.csr_matrix((np.ones(len(g.indices)), g.indices, g.indptr), shape=(m, m))
        self._cut_rows: list[tuple[int, int, np.ndarray]] = []
        self._cuts_built: sp.csr_matrix | None = None

    def _load(self, w: np.ndarray, window: tuple[int, int, float, float]) -> np.ndarray | None:
        """Set the subproblem into the model; its local values (None: no member set)."""
        nlo, nhi, vlo, vhi = window
        m, h = self.m, self.h
        wl = self._values(w, window)
        if wl is None:
            return None
        allowed = np.isfinite(wl)
        idx = np.arange(m, dtype=np.int32)
        h.changeColsCost(m, idx, np.where(allowed, wl, 0.0))
        h.changeColsBounds(m, idx, np.zeros(m), allowed.astype(float))
        h.changeRowBounds(0, float(nlo), float(nhi))
        h.changeRowBounds(1, float(vlo), float(vhi))
        upper = 0.0 if nlo >= 2 else np.inf
        rows = np.arange(2, 2 + m, dtype=np.int32)
        h.changeRowsBounds(m, rows, np.full(m, -np.inf), np.full(m, upper))  # type: ignore[attr-defined]
        return wl

    @property
    def cuts(self) -> int:
        """How many cuts this piece's LP holds."""
        return len(self._cut_rows)

    def _values(self, w: np.ndarray, window: tuple[int, int, float, float]) -> np.ndarray | None:
        """The piece's values of w (local indices); None when too few members are
        eligible to fill the count window (no member set at all)."""
        wl = w[self.members]
        if not self.m or int(np.isfinite(wl).sum()) < window[0]:
            return None
        return wl

    @staticmethod
    def _slack(wl: np.ndarray) -> float:
        """A safety margin on bounds for the solver's tolerances."""
        finite = np.isfinite(wl)
        return 1e-6 * (float(np.abs(wl[finite]).sum()) + 1.0)

    def bound(self, w: np.ndarray, window: tuple[int, int, float, float]) -> float:
        """LP upper bound on sum w over connected sets in the windows (see module);
        its certificate is kept in ``last_certificate``."""
        wl = self._load(w, window)
        self.last_lp_point = None
        self.last_certificate = None
        if wl is None:
            return -math.inf
        value, row_dual = self._cut_rounds(wl)
        if row_dual is not None and math.isfinite(value):
            self.last_certificate = self._certificate(row_dual, wl, window)
        return value

    def _cut_rounds(self, wl: np.ndarray) -> tuple[float, list[float] | None]:
        """Solve the loaded LP, cut, again (LP_ROUNDS at most): (its bound, the row
        duals of the last LP solved to optimality, None without)."""
        h = self.h
        value, row_dual = math.inf, None
        for _ in range(LP_ROUNDS):
            set_time_limit(h, LP_SECONDS)
            run(h)
            status = h.getModelStatus()
            if status == highspy.HighsModelStatus.kInfeasible:
                return -math.inf, None
            if status != highspy.HighsModelStatus.kOptimal:
                return value, row_dual
            value = float(h.getInfo().objective_function_value) + self._slack(wl)
            solution = h.getSolution()
            row_dual = solution.row_dual if solution.dual_valid else None
            x = np.asarray(solution.col_value)
            self.last_lp_point = (self.members, x)
            strong = np.nonzero(x > 0.5 + 1e-6)[0]
            if len(strong) < 2:
                break
            support = np.nonzero(x > 1e-9)[0]
            parts, label = connected_components(self.graph[support][:, support], directed=False)
            if parts <= 1:
                break
            at = np.searchsorted(support, strong)
            if len(np.unique(label[at])) < 2:
                break
            self._cut(strong, label[at], wl, border_of=support, support_label=label)
        return value, row_dual

    def _certificate(
        self, row_dual: list[float], wl: np.ndarray, window: tuple[int, int, float, float]
    ) -> Certificate:
        """The certificate of the LP last solved, from its row duals (clipped; the
        cut rows added since have dual 0). The rows and their bounds are this
        model's own: count, volume, one neighbour row per member, the cuts."""
        nlo, nhi, vlo, vhi = window
        m, cuts = self.m, self._cut_matrix()
        y = np.zeros(2 + m + cuts.shape[0])
        y[: len(row_dual)] = row_dual
        neighbour = 0.0 if nlo >= 2 else np.inf
        lower = np.concatenate(([nlo, vlo], np.full(m + cuts.shape[0], -np.inf)))
        upper = np.concatenate(([nhi, vhi], np.full(m, neighbour), np.ones(cuts.shape[0])))
        y = np.where(np.isfinite(upper), y, np.minimum(y, 0.0))
        y = np.where(np.isfinite(lower), y, np.maximum(y, 0.0))
        rows = float((y[y > 0] * upper[y > 0]).sum() + (y[y < 0] * lower[y < 0]).sum())
        near = y[2 : 2 + m]
        aty = y[0] + y[1] * self.d + near - self._adjacent @ near + cuts.T @ y[2 + m :]
        return Certificate(rows, np.asarray(aty, dtype=float), np.isfinite(wl))

    def _cut_matrix(self) -> sp.csr_matrix:
        """The cut rows so far (x_i + x_j - x(border) <= 1), one row each."""
        if self._cuts_built is None or self._cuts_built.shape[0] != len(self._cut_rows):
            data: list[float] = []
            cols: list[int] = []
            starts = [0]
            for i, j, border in self._cut_rows:
                cols.extend([i, j, *border.tolist()])
                data.extend([1.0, 1.0] + [-1.0] * len(border))
                starts.append(len(cols))
            self._cuts_built = sp.csr_matrix(
                (data, cols, starts), shape=(len(self._cut_rows), self.m)
            )
        return self._cuts_built

    def carried(self, w: np.ndarray, certificate: Certificate) -> float:
        """Upper bound on sum w over connected sets in the windows of the subproblem
        `certificate` was made for, at member values w (category indices)."""
        return certificate.bound(w[self.members]) if self.m else -math.inf

    def solve(
        self,
        w: np.ndarray,
        window: tuple[int, int, float, float],
        time_limit: float,
        start: np.ndarray | None = None,
    ) -> tuple[float, np.ndarray | None]:
        """(upper bound on sum w over connected sets in the windows, best connected
        set found as category indices or None; exact when the search finished). w is
        over the category's organizations, -inf where a member may not be chosen;
        `start`, a connected set in the windows known already (category indices),
        starts the search."""
        wl = self._values(w, window)
        if wl is None:
            return -math.inf, None
        local = None if start is None else np.searchsorted(self.members, start)
        out = self._search(wl, window, time_limit, start=local)
        self.last_others = [self.members[o] for o in out.others]
        if not math.isfinite(out.bound):
            return out.bound, None
        found = None if out.found is None else self.members[out.found]
        return out.bound + self._slack(wl), found

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
        dual bound (+inf without one). Decided by branch-and-cut
        (``branch_cut``), not by this model's loop of re-solves."""
        wl = self._values(w, window)
        if wl is None:
            return -math.inf, None
        out = self._search(wl, window, time_limit, threshold)
        if out.found is not None and float(wl[out.found].sum()) >= threshold:
            return math.inf, self.members[out.found]
        if out.found is not None:  # below the threshold by the solver's tolerance
            return math.inf, None
        return max(out.bound, threshold) + self._slack(wl), None

    def _search(
        self,
        wl: np.ndarray,
        window: tuple[int, int, float, float],
        time_limit: float,
        threshold: float | None = None,
        start: np.ndarray | None = None,
    ) -> Outcome:
        """Branch-and-cut on this piece, with the cuts its LP screen holds; the cuts
        it made at disconnected integral points join them."""
        out = branch_and_cut(
            self.graph, self.d, wl, window, time_limit, threshold, start=start, known=self._cut_rows
        )
        for i, j, border in out.cuts:
            self._add_cut(i, j, border)
        return out

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
            self._add_cut(int(comp[np.argmax(wl[comp])]), int(rest[np.argmax(wl[rest])]), border)

    def _add_cut(self, i: int, j: int, border: np.ndarray) -> None:
        """x_i + x_j - 1 <= x(border), local indices."""
        cols = np.concatenate(([i, j], border)).astype(np.int32)
        vals = np.concatenate(([1.0, 1.0], -np.ones(len(border))))
        self.h.addRow(-np.inf, 1.0, len(cols), cols, vals)
        self._cut_rows.append((i, j, border))
