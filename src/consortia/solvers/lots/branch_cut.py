"""Connected member sets by branch-and-cut (SCIP with a connectivity handler).

The same model as ``exact`` — over x_o in {0, 1} for the eligible members of a
piece, ``max sum_o w_o x_o`` with the count and volume windows and, when a lot has
at least two members, ``x_i <= sum_{k in N(i)} x_k`` — but connectivity is a
constraint handler inside SCIP's branch-and-bound rather than a loop of MIP
re-solves:

- an integral point (an LP solution or a heuristic's) is feasible only when its
  members are connected; where they are not, each component S gets the cut
  ``x_i + x_j - 1 <= sum_{k in N(S)} x_k`` (i S's best member, j the best chosen
  member outside S; N(S) the eligible neighbours of S outside it), which holds for
  every connected set and is violated by that point;
- a fractional LP point is separated the same way at every node: the components
  of its support (x > 0) are sets whose neighbours all have x = 0, so the cut of a
  component C with x_i + x_j > 1 (i C's largest, j another component's largest)
  is violated.

The cuts only remove disconnected sets, so infeasibility of ``sum_o w_o x_o >=
threshold`` proves that no connected set reaches the threshold, and SCIP's dual
bound is an upper bound on every connected set. Every variable is locked in both
directions, so SCIP makes no dual reduction that connectivity could break, and
symmetry handling is off.

Why SCIP here: HiGHS has no working lazy-constraint callback (``exact`` re-solves
the MIP after each disconnected incumbent, ~0.2-1.2 s a re-solve on a 21-member
window). On the 67 proof decisions of one ``m200-seed2`` run that the HiGHS loop
could not settle in 0.5 s, this handler settled 60 in 0.5 s each and all 67 in 2 s
each (40 hold an improving lot, 27 have none), against 22 of 67 by the HiGHS loop
in 8 s each. SCIP's presolve and its own separators cost more than they gain on
these small models: without them 60 instead of 36 settled within 0.5 s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from pyscipopt import SCIP_PARAMSETTING, SCIP_RESULT, Conshdlr, Model, Variable, quicksum

INTEGRAL = 0.5  # an integral point's value of a chosen member is above this
OTHERS = 4  # other solutions an optimisation reports, best first
SUPPORT = 1e-6  # a fractional point's support


@dataclass
class Outcome:
    """What one branch-and-cut run showed: an upper bound on ``sum w`` over the
    connected sets in the windows (+inf when nothing was proved, -inf when no set
    exists), the best connected set found (local indices) or None, and the cuts made
    at disconnected integral points, (i, j, N(S)) each."""

    bound: float
    found: np.ndarray | None
    cuts: list[tuple[int, int, np.ndarray]] = field(default_factory=list)
    # without a threshold: up to OTHERS other connected sets met, best first
    others: list[np.ndarray] = field(default_factory=list)


def _separator(at: dict[int, Variable], i: int, j: int, border: np.ndarray):
    """The cut ``x_i + x_j - 1 <= x(border)`` over the model's variables (members of
    `border` without one are excluded here, x = 0)."""
    return at[i] + at[j] - quicksum(at[k] for k in border.tolist() if k in at) <= 1


class _Connected(Conshdlr):
    """Connectivity of the chosen members (module docstring)."""

    def __init__(self, graph: sp.csr_matrix, w: np.ndarray, at: dict[int, Variable]) -> None:
        self.graph, self.w, self.at = graph, w, at
        self.index = np.array(list(at), dtype=np.int64)
        # the handler runs thousands of times on sets of a few dozen members, where
        # a search over neighbour lists beats slicing the sparse graph tenfold
        self.adjacent = [
            graph.indices[graph.indptr[i] : graph.indptr[i + 1]].tolist()
            for i in range(graph.shape[0])
        ]
        self.kept: list[tuple[int, int, np.ndarray]] = []  # cuts at integral points

    def _point(self, solution: object = None) -> np.ndarray:
        values = np.zeros(len(self.w))
        values[self.index] = [self.model.getSolVal(solution, x) for x in self.at.values()]
        return values

    def _parts(self, nodes: np.ndarray) -> tuple[int, np.ndarray]:
        """The components of the subgraph on `nodes`: their number and each node's."""
        part = dict.fromkeys(nodes.tolist(), -1)
        parts = 0
        for v in part:
            if part[v] >= 0:
                continue
            part[v] = parts
            stack = [v]
            while stack:
                for k in self.adjacent[stack.pop()]:
                    if part.get(k) == -1:
                        part[k] = parts
                        stack.append(k)
            parts += 1
        return parts, np.fromiter(part.values(), dtype=np.int64, count=len(part))

    def _cut(self, i: int, j: int, inside: np.ndarray, keep: bool = False) -> None:
        """``x_i + x_j - 1 <= x(N(inside))``; `keep`: reported in the outcome, with
        N over every member of the graph (members excluded here, x = 0, included:
        the cut then holds for any values, as a later subproblem of the piece needs)."""
        mask = np.zeros(len(self.w), dtype=bool)
        mask[inside] = True
        adjacent = self.adjacent
        near = np.fromiter({k for i in inside.tolist() for k in adjacent[i]}, dtype=np.int64)
        border = np.sort(near[~mask[near]])
        self.model.addCons(
            _separator(self.at, i, j, border),
            initial=True,
            separate=True,
            removable=True,
            local=False,
        )
        if keep:
            self.kept.append((i, j, border))

    def _split(self, values: np.ndarray) -> bool:
        """Cut off a disconnected integral point; whether it was one."""
        chosen = np.nonzero(values > INTEGRAL)[0]
        if len(chosen) < 2:
            return False
        parts, label = self._parts(chosen)
        if parts <= 1:
            return False
        for part in range(parts):
            inside, rest = chosen[label == part], chosen[label != part]
            i, j = int(inside[np.argmax(self.w[inside])]), int(rest[np.argmax(self.w[rest])])
            self._cut(i, j, inside, keep=True)
        return True

    def conscheck(self, constraints, solution, integrality, lprows, printreason, completely):
        chosen = np.nonzero(self._point(solution) > INTEGRAL)[0]
        connected = len(chosen) < 2 or self._parts(chosen)[0] <= 1
        return {"result": SCIP_RESULT.FEASIBLE if connected else SCIP_RESULT.INFEASIBLE}

    def consenfolp(self, constraints, nusefulconss, solinfeasible):
        cut = self._split(self._point())
        return {"result": SCIP_RESULT.CONSADDED if cut else SCIP_RESULT.FEASIBLE}

    def consenfops(self, constraints, nusefulconss, solinfeasible, objinfeasible):
        return self.consenfolp(constraints, nusefulconss, solinfeasible)

    def conssepalp(self, constraints, nusefulconss):
        values = self._point()
        support = np.nonzero(values > SUPPORT)[0]
        if len(support) < 2:
            return {"result": SCIP_RESULT.DIDNOTFIND}
        parts, label = self._parts(support)
        if parts <= 1:
            return {"result": SCIP_RESULT.DIDNOTFIND}
        tops = [support[label == part] for part in range(parts)]
        tops = [part[np.argmax(values[part])] for part in tops]
        added = False
        for part, i in enumerate(tops):
            others = [j for other, j in enumerate(tops) if other != part]
            j = max(others, key=lambda k: values[k])
            if values[i] + values[j] > 1 + SUPPORT:
                self._cut(int(i), int(j), support[label == part])
                added = True
        return {"result": SCIP_RESULT.CONSADDED if added else SCIP_RESULT.DIDNOTFIND}

    def conslock(self, constraint, locktype, nlockspos, nlocksneg):
        for x in self.at.values():
            self.model.addVarLocks(x, nlockspos + nlocksneg, nlockspos + nlocksneg)


def branch_and_cut(
    graph: sp.csr_matrix,
    d: np.ndarray,
    w: np.ndarray,
    window: tuple[int, int, float, float],
    time_limit: float,
    threshold: float | None = None,
    gap: float = 1e-7,
    start: np.ndarray | None = None,
    known: list[tuple[int, int, np.ndarray]] | None = None,
) -> Outcome:
    """The best connected set of the members with finite `w` (local indices; `graph`
    and `d` over the same members) in the count and volume `window`; with a
    `threshold`, whether one reaches it (stopping at the first that does: the bound
    is then the threshold when none does). `start`, a connected set in the windows
    (local indices), is offered as the first solution: its value prunes the search
    from the root on (SCIP checks it like any other and drops it if it is not one).
    `known` cuts (i, j, N(S)) hold for every connected set (``Outcome.cuts`` of
    earlier searches on the same graph): SCIP adds each to its LP when violated.
    See the module docstring."""
    nlo, nhi, vlo, vhi = window
    allowed = np.isfinite(w)
    index = np.nonzero(allowed)[0]
    if len(index) < nlo:
        return Outcome(-math.inf, None)
    model = Model()
    model.hideOutput()
    xs = [model.addVar(vtype="B") for _ in index]
    at = dict(zip(index.tolist(), xs, strict=True))
    model.addCons(quicksum(xs) >= nlo)
    model.addCons(quicksum(xs) <= nhi)
    volume = quicksum(float(d[k]) * x for k, x in at.items())
    if vlo > 0:
        model.addCons(volume >= vlo)
    if math.isfinite(vhi):
        model.addCons(volume <= vhi)
    value = quicksum(float(w[k]) * x for k, x in at.items())
    if nlo >= 2:
        for k, x in at.items():
            near = graph.indices[graph.indptr[k] : graph.indptr[k + 1]]
            model.addCons(x <= quicksum(at[j] for j in near.tolist() if j in at))
    for i, j, border in known or ():
        if i in at and j in at:
            model.addCons(
                _separator(at, i, j, border),
                initial=False,
                separate=True,
                removable=True,
            )
    if threshold is not None:
        model.addCons(value >= threshold)
        model.setParam("limits/solutions", 1)
    model.setObjective(value, "maximize")
    handler = _Connected(graph, np.where(allowed, w, -math.inf), at)
    model.includeConshdlr(
        handler,
        "connected",
        "the chosen members are connected",
        sepapriority=1000,
        enfopriority=-1,
        chckpriority=-1,
        sepafreq=1,
        propfreq=-1,
        eagerfreq=-1,
        maxprerounds=0,
        needscons=True,
    )
    connected = model.createCons(
        handler, "connected", initial=False, enforce=True, check=True, propagate=False
    )
    model.addPyCons(connected)
    model.setPresolve(SCIP_PARAMSETTING.OFF)
    model.setSeparating(SCIP_PARAMSETTING.OFF)
    # symmetries found from the linear rows alone need not be symmetries of the
    # connectivity handler: no symmetry handling, so that no connected set is cut off
    model.setParam("misc/usesymmetry", 0)
    model.setParam("limits/time", max(0.01, time_limit))
    model.setParam("limits/gap", gap)
    model.setParam("randomization/randomseedshift", 0)
    if start is not None:
        # measured with the known cuts on the 172 proof settlements of one
        # `m200-seed2` run: 18% less time, and more optimisations end in their limit
        chosen = set(start.tolist())
        solution = model.createSol()
        for k, x in at.items():
            model.setSolVal(solution, x, 1.0 if k in chosen else 0.0)
        model.addSol(solution, free=True)
    model.optimize()
    status = model.getStatus()
    found = None
    others: list[np.ndarray] = []
    if model.getNSols() > 0:
        # every stored solution passed the handler's check: each is connected
        best = model.getBestSol()
        sets = [
            index[np.array([model.getSolVal(sol, x) > INTEGRAL for x in xs])]
            for sol in [best, *(model.getSols() if threshold is None else [])]
        ]
        found = sets[0]
        seen = {found.tobytes()}
        for other in sets[1:]:
            if len(others) < OTHERS and other.tobytes() not in seen:
                seen.add(other.tobytes())
                others.append(other)
    if status == "infeasible":
        bound = -math.inf if threshold is None else threshold
    elif status == "optimal" and found is not None:
        bound = max(float(model.getDualbound()), float(w[found].sum()))
    else:
        bound = float(model.getDualbound())
        if not math.isfinite(bound) or bound >= model.infinity():
            bound = math.inf
        elif threshold is not None:
            bound = max(bound, threshold)
    model.freeProb()
    return Outcome(bound, found, handler.kept, others)
