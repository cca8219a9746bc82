"""Which rules and locks bind a plan (``consortia report --binding``).

For each item in force (``solvers.variants.rule_items``: every lock, every
``max_share`` below 1, every ``max_suppliers`` that can bind, the central and own
formation limits that can bind) the instance is solved once without it, from the
plan. Leaving an item out only relaxes the instance, so the plan keeps every rule
of the relaxed instance and the best plan without the item is at least as good.
With z the plan's net savings and z', B' the plan found and the bound proven
without the item:

- it **binds** when z' > z: a plan without it is better (proven by that plan);
- it **does not bind** when B' ≤ z: no plan without it is better (proven by the bound);
- otherwise the solve left it undecided (its time limit).

"Binds" is said of this plan: when the plan is optimal it is the usual meaning (the
optimum rises without the item); a plan short of the optimum may find an item
binding because the solve without it found what the plan missed.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from consortia.analysis.runs import checked_solve
from consortia.data.instance import Instance
from consortia.outputs.html import Binding
from consortia.rules.plan import LotOutcome, total_net
from consortia.solvers.options import SolveOptions
from consortia.solvers.result import Result
from consortia.solvers.variants import Item, rule_items, variant

# Seconds per solve unless the command says otherwise.
BINDING_SECONDS = 30.0


def binding_of(
    inst: Instance,
    outcomes: list[LotOutcome],
    options: SolveOptions,
    listen: Callable[[int, int, Item, Binding], None] | None = None,
) -> dict[Item, Binding]:
    """Each item in force -> what leaving it out does (module docstring); `listen`
    hears (k, total, item, binding) after each solve."""
    objective = total_net(outcomes)
    lots = [o.lot for o in outcomes]
    items = rule_items(inst)
    found: dict[Item, Binding] = {}
    for k, item in enumerate(items, start=1):
        relaxed = variant(inst, [item], name=f"{inst.name} without {item}")
        result = checked_solve(relaxed, options, start=lots, conflict=False)
        found[item] = verdict_of(result, objective)
        if listen is not None:
            listen(k, len(items), item, found[item])
    return found


def verdict_of(result: Result, objective: float) -> Binding:
    """What the solve without an item says against the plan's `objective` (the plan
    is still feasible without the item, so nothing below it counts)."""
    if not result.has_plan:
        return Binding(0.0, math.inf)
    bound = result.best_bound if math.isfinite(result.best_bound) else math.inf
    return Binding(max(0.0, result.objective - objective), bound - objective)
