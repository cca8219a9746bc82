"""Options of a solve."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Progress:
    """A progress report: search stage, seconds since the stage began, the best
    plan value known to the search (None before the first) and its bound."""

    stage: str
    elapsed: float
    incumbent: float | None
    bound: float | None


@dataclass(frozen=True)
class SolveOptions:
    """How to solve.

    time_limit: seconds for the whole solve (None: until proven optimal).
    gap: relative gap at which the search may stop (0 asks for a proven optimum).
    seed: random seed of the solver.
    formulation: ``columns`` (column generation over lots, then an integer master),
        ``compact`` (one MILP of the whole problem; ``compact-delta`` and
        ``compact-convex`` use the incremental or convex-combination tier model
        instead of multiple choice) or ``auto`` (columns, then the compact model
        from the columns' plan and bound when it is small and a gap remains;
        ``offers`` — one lot per offer — first whenever it is exact, see
        ``offer_model.py``), ``decompose`` (one problem per category, coupled
        by prices on the parallel-formation limit, see ``decompose.py``; then
        the compact model like ``auto``).
    progress: called with a Progress about once a second during the search.
    memory_limit: GiB a solve may hold (None: the machine's memory); a model whose
        estimated size does not fit is skipped (``auto``) or refused.
    builder: ``arrays`` assembles the offer model as sparse arrays, ``pyomo``
        builds it with Pyomo, the readable reference (same model; the other
        formulations are built with Pyomo either way).
    """

    time_limit: float | None = None
    gap: float = 1e-6
    seed: int = 0
    formulation: str = "auto"
    progress: Callable[[Progress], None] | None = None
    builder: str = "arrays"
    memory_limit: float | None = None

    @property
    def proven_gap(self) -> float:
        """The largest gap reported as optimal: the requested gap, at least 1e-9
        (floating-point noise between a plan and a bound that meet)."""
        return max(self.gap, 1e-9)

    def with_time_limit(self, seconds: float | None) -> SolveOptions:
        return replace(self, time_limit=seconds)

    def with_formulation(self, formulation: str) -> SolveOptions:
        return replace(self, formulation=formulation)
