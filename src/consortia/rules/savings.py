"""One savings vocabulary for a plan (spec section 5), used by the terminal summary,
summary.json and the report.

- **gross savings** of a period: the sum of S over the lots live in it, undiscounted
  (the ``savings`` column of timeline.csv); their sum over the horizon is the
  *cumulative gross savings*, the figure the savings target is measured on;
- **one-off costs**: every lot's fixed cost plus the coordination cost of each member;
- **net savings**: the objective, the sum of the lots' net savings. With a discount
  rate r > 0 the gross savings in it are discounted and it is the **net present
  value**; the *undiscounted net savings* are then cumulative gross savings minus
  one-off costs (with r = 0 both are the same number).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from consortia.data.instance import Instance
from consortia.rules.plan import LotOutcome, target_period, timeline, total_net

TARGET_MEASURE = "cumulative gross savings"


@dataclass(frozen=True)
class SavingsFigures:
    currency: str
    discount_rate: float
    gross_per_period: tuple[float, ...]  # periods 1..T, undiscounted
    fixed_costs: float
    coordination_costs: float
    one_off_costs: float  # the lots' one-off costs as priced (= fixed + coordination)
    net: float  # the objective: discounted when discount_rate > 0
    target: float | None
    target_period: int | None

    @property
    def discounted(self) -> bool:
        return self.discount_rate > 0

    @property
    def gross_cumulative(self) -> float:
        """Gross savings summed over the horizon, undiscounted."""
        return math.fsum(self.gross_per_period)

    @property
    def net_undiscounted(self) -> float:
        """Cumulative gross savings minus one-off costs (the objective when r = 0)."""
        return self.gross_cumulative - self.one_off_costs

    @property
    def net_measure(self) -> str:
        """What the objective is called: net present value when it is discounted."""
        return "net present value" if self.discounted else "net savings"

    def as_dict(self) -> dict[str, object]:
        """The figures under the keys summary.json gives them."""
        return {
            "discount_rate": self.discount_rate,
            "gross_savings_per_period": list(self.gross_per_period),
            "gross_savings_cumulative": self.gross_cumulative,
            "one_off_costs": self.one_off_costs,
            "fixed_costs": self.fixed_costs,
            "coordination_costs": self.coordination_costs,
            "net_savings": self.net,
            "net_savings_measure": self.net_measure,
            "net_savings_undiscounted": self.net_undiscounted,
            "savings_target_measure": TARGET_MEASURE,
        }


def savings_figures(inst: Instance, outcomes: Sequence[LotOutcome]) -> SavingsFigures:
    """The savings vocabulary of a plan of priced lots."""
    lots = list(outcomes)
    fixed = math.fsum(inst.offer[(o.lot.supplier_id, o.lot.category_id)].fixed_cost for o in lots)
    coordination = math.fsum(
        inst.category[o.lot.category_id].coordination_cost * len(o.lot.members) for o in lots
    )
    settings = inst.settings
    return SavingsFigures(
        currency=settings.currency,
        discount_rate=settings.discount_rate,
        gross_per_period=tuple(row["savings"] for row in timeline(inst, lots)),
        fixed_costs=fixed,
        coordination_costs=coordination,
        one_off_costs=math.fsum(o.one_off for o in lots),
        net=total_net(lots),
        target=settings.savings_target,
        target_period=target_period(inst, lots),
    )
