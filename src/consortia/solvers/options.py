"""Options of a solve."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from consortia.backend.highs import REPORT_SECONDS


@dataclass(frozen=True)
class Progress:
    """A progress report: search stage (the phase, named for a reader), seconds
    since the stage began, the best plan value known to the search (None before
    the first) and its bound. `bound_name` says what the bound bounds when it is
    not the whole problem (``pool bound``: the integer master's bound over its
    columns only)."""

    stage: str
    elapsed: float
    incumbent: float | None
    bound: float | None
    bound_name: str = "bound"


class Phase:
    """The reports of one phase: the first call reports (the phase has begun),
    later ones at most every `every` seconds unless forced. Without a progress
    callback every call returns at once."""

    def __init__(
        self,
        progress: Callable[[Progress], None] | None,
        stage: str,
        every: float = REPORT_SECONDS,
    ) -> None:
        self.progress, self.stage, self.every = progress, stage, every
        self.began = time.perf_counter()
        self.last = -float("inf")

    def elapsed(self) -> float:
        return time.perf_counter() - self.began

    def __call__(
        self,
        incumbent: float | None = None,
        bound: float | None = None,
        *,
        force: bool = False,
    ) -> None:
        if self.progress is None:
            return
        now = self.elapsed()
        if not force and now - self.last < self.every:
            return
        self.last = now
        self.progress(Progress(self.stage, now, incumbent, bound))


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
    progress: called with a Progress as each phase of the search begins (candidate
        sets, greedy, column generation, integer master, compact MILP, ...) and
        then about every two seconds while it lasts.
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
