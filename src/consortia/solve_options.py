"""Options of a solve."""

from __future__ import annotations

from dataclasses import dataclass, replace

FORMULATIONS = ("auto", "columns", "compact")


@dataclass(frozen=True)
class SolveOptions:
    """How to solve.

    time_limit: seconds for the whole solve (None: until proven optimal).
    gap: relative gap at which the search may stop (0 asks for a proven optimum).
    seed: random seed of the solver.
    formulation: ``columns`` (column generation over lots, then an integer master),
        ``compact`` (one MILP of the whole problem) or ``auto`` (columns, then the
        compact model from the columns' plan and bound when it is small and a gap
        remains).
    """

    time_limit: float | None = None
    gap: float = 1e-6
    seed: int = 0
    formulation: str = "auto"

    def with_time_limit(self, seconds: float | None) -> SolveOptions:
        return replace(self, time_limit=seconds)
