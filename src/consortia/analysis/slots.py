"""What one more central formation slot is worth, about (``consortia solve --slot-value``).

When the plan's formation limit W binds (W lots forming in some period), the instance
is solved again with W + 1, starting from the plan (still feasible with one more slot),
within the same time limit. The value reported is the difference of the two plans'
net savings: an estimate, not a proof — either search may have stopped short of its
optimum (both statuses and the bound with W + 1 are kept, so the reader can judge).
"""

from __future__ import annotations

from dataclasses import dataclass

from consortia.analysis.runs import checked_solve
from consortia.analysis.scenarios import Scenario, apply_scenario
from consortia.rules.coverage import binding_periods
from consortia.solvers.clock import Deadline
from consortia.solvers.options import SolveOptions
from consortia.solvers.result import Result


@dataclass(frozen=True)
class SlotValue:
    limit: int | None  # W (None: no limit set)
    binding: tuple[int, ...]  # periods in which the plan forms W lots
    objective: float  # the plan's net savings with W
    more: Result | None  # the plan with W + 1, when solved

    @property
    def value(self) -> float | None:
        """About what one more slot is worth: net savings with W + 1 minus with W."""
        return None if self.more is None else self.more.objective - self.objective

    def line(self, currency: str) -> str:
        """One sentence for the terminal."""
        if self.limit is None:
            return "no formation limit is set"
        if self.more is None:
            return (
                f"the limit of {self.limit} formations at once is not reached in this plan; "
                "not solved again"
            )
        value = self.value or 0.0
        shown = f"about {value:,.2f} {currency}" if value > 0 else "no gain found"
        return (
            f"{shown} for one more formation slot (limit {self.limit} reached in "
            f"{len(self.binding)} period(s); with {self.limit + 1}: "
            f"{self.more.objective:,.2f} {currency}, {self.more.status})"
        )

    def as_dict(self) -> dict[str, object]:
        """summary.json's ``slot_value``."""
        more = self.more
        return {
            "limit": self.limit,
            "binding_periods": list(self.binding),
            "value_about": self.value,
            "objective_with_one_more": None if more is None else more.objective,
            "status_with_one_more": None if more is None else more.status,
            "best_bound_with_one_more": None if more is None else more.best_bound,
            "note": "difference of two plans' net savings, not a proven value",
        }


def slot_value(
    result: Result, options: SolveOptions, deadline: Deadline | None = None
) -> SlotValue:
    """Solve the result's instance again with one more formation slot, from its plan,
    when the limit binds in the plan (within `options` or `deadline`)."""
    inst = result.instance
    limit = inst.settings.max_parallel_formations
    binding = tuple(binding_periods(inst, result.outcomes))
    if limit is None or not binding:
        return SlotValue(limit, binding, result.objective, None)
    change = {"kind": "setting", "key": "max_parallel_formations", "value": limit + 1}
    wider = apply_scenario(inst, Scenario(f"{inst.name} with {limit + 1} slots", (change,)))
    start = [o.lot for o in result.outcomes]
    more = checked_solve(wider, options, start=start, deadline=deadline)
    return SlotValue(limit, binding, result.objective, more)
