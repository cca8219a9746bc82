"""The outcome of a solve: status, objective, bound, gap, timings and plan tables."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from consortia.data.instance import Instance
from consortia.rules.plan import LotOutcome, target_period, timeline
from consortia.solvers.clock import Timings
from consortia.solvers.resources import peak_mib


@dataclass
class Result:
    """A solved (or time-limited) plan with honest quality figures.

    ``status`` is ``optimal`` when the search proved the plan optimal within the
    requested relative gap (``--gap``, default 1e-6) and ``feasible`` otherwise.
    Without a plan (spec section 13) it is ``infeasible`` when no plan keeps the
    rules, proven, and ``no_plan`` when a limit stopped the search first; then
    ``objective`` and ``best_bound`` are NaN (``null`` in summary.json) and
    ``conflict`` lists, in words, locks and rules that cannot hold together.
    ``best_bound`` is a proven upper bound on any plan's net savings; ``gap`` is
    ``(best_bound - objective) / max(|best_bound|, |objective|)`` (0 when both are 0).
    """

    instance: Instance
    status: str
    objective: float
    best_bound: float
    outcomes: list[LotOutcome]
    formulation: str = "compact"
    solver: str = "highs"
    timings: Timings = field(default_factory=Timings)
    model_size: dict[str, int] = field(default_factory=dict)
    iterations: int = 1
    nodes: int = 0
    root_bound: float | None = None  # the bound before any branching
    messages: list[str] = field(default_factory=list)
    # verdicts of independent checks of an optimal claim (``solve --verify``)
    verification: list[dict[str, object]] = field(default_factory=list)
    # why the search stopped, one short sentence (``solvers.base.stop_reason``)
    stop_reason: str = ""
    # LP value of one more central formation slot per period (the master's duals
    # of the formation rows; strategies with a master only): an estimate
    slot_values: dict[int, float] = field(default_factory=dict)
    # infeasible instances: locks and rules that cannot hold together (spec section 13)
    conflict: list[str] = field(default_factory=list)

    @property
    def has_plan(self) -> bool:
        """False for ``infeasible`` and ``no_plan``: nothing but the summary is written."""
        return self.status not in NO_PLAN_STATUSES

    @property
    def gap(self) -> float:
        if not self.has_plan:
            return math.nan
        return relative_gap(self.best_bound, self.objective)

    @property
    def target_period(self) -> int | None:
        return target_period(self.instance, self.outcomes)

    @property
    def solve_seconds(self) -> float:
        return self.timings.search_seconds

    def lots_table(self) -> pd.DataFrame:
        rows = [
            {
                "lot_id": lot_id(i),
                "category_id": o.lot.category_id,
                "supplier_id": o.lot.supplier_id,
                "formation_start": o.lot.start,
                "live_period": o.live,
                "members": len(o.lot.members),
                "volume": o.volume,
                "unit_price": o.unit_price,
                "savings_per_period": o.savings_per_period,
                "net_savings": o.net,
            }
            for i, o in enumerate(self.outcomes)
        ]
        return pd.DataFrame(rows, columns=LOT_COLUMNS)

    def members_table(self) -> pd.DataFrame:
        inst = self.instance
        rows = [
            {
                "lot_id": lot_id(i),
                "org_id": org,
                "quantity": inst.demand_of[(org, o.lot.category_id)][0],
                "baseline_price": inst.demand_of[(org, o.lot.category_id)][1],
                "unit_price": o.member_price[org],
                "savings_per_period": o.member_saving[org],
            }
            for i, o in enumerate(self.outcomes)
            for org in o.lot.members
        ]
        return pd.DataFrame(rows, columns=MEMBER_COLUMNS)

    def timeline_table(self) -> pd.DataFrame:
        return pd.DataFrame(timeline(self.instance, self.outcomes), columns=TIMELINE_COLUMNS)

    def summary(self) -> dict[str, object]:
        planned = self.has_plan
        return {
            "status": self.status,
            "objective": self.objective if planned else None,
            "best_bound": self.best_bound if planned else None,
            "gap": self.gap if planned else None,
            "conflict": self.conflict,
            "stop_reason": self.stop_reason,
            "formation_slot_values_lp": {str(p): v for p, v in sorted(self.slot_values.items())},
            "formulation": self.formulation,
            "solver": self.solver,
            "solve_seconds": self.solve_seconds,
            "target_period": self.target_period,
            "instance_sha256": self.instance.sha256,
            "instance": self.instance.name,
            "instance_path": self.instance.source or None,
            "lots": len(self.outcomes),
            "savings_target": self.instance.settings.savings_target,
            "currency": self.instance.settings.currency,
            "timings": self.timings.as_dict(),
            "model_size": self.model_size,
            "iterations": self.iterations,
            "nodes": self.nodes,
            "root_bound": self.root_bound,
            "messages": self.messages,
            "verification": self.verification,
            "peak_memory_mib": round(peak_mib(), 1),
            "versions": versions(),
        }


# the statuses of a solve that ends without a plan (spec section 13)
NO_PLAN_STATUSES = ("infeasible", "no_plan")

LOT_COLUMNS = [
    "lot_id",
    "category_id",
    "supplier_id",
    "formation_start",
    "live_period",
    "members",
    "volume",
    "unit_price",
    "savings_per_period",
    "net_savings",
]
MEMBER_COLUMNS = [
    "lot_id",
    "org_id",
    "quantity",
    "baseline_price",
    "unit_price",
    "savings_per_period",
]
TIMELINE_COLUMNS = ["period", "forming_lots", "live_lots", "savings", "cumulative_savings"]


def lot_id(i: int) -> str:
    return f"L{i + 1:03d}"


def relative_gap(bound: float, objective: float) -> float:
    scale = max(abs(bound), abs(objective))
    if scale < 1e-9:
        return 0.0
    return max(0.0, bound - objective) / scale if math.isfinite(bound) else math.inf


def versions() -> dict[str, str]:
    """The versions a result was computed with: engine, solver, Python."""
    import platform
    from importlib import metadata

    def of(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "unknown"

    return {
        "consortia": of("consortia"),
        "highspy": of("highspy"),
        "pyomo": of("pyomo"),
        "python": platform.python_version(),
    }
