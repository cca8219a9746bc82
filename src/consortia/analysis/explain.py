"""Why not? (``consortia explain``, spec section 15)

For a written plan and an organization O, a category C and perhaps a supplier S,
the instance is solved once more with one lock added (``analysis.scenarios``'
``add_lock``): ``join`` O in C (on S) when the plan has O in no such lot,
``exclude`` O from C (on S) when it has. The lock gets the row after the last of
the locks table.

With z the plan's net savings (recomputed by the rules), B its best bound (from
its summary.json: a proven upper bound on the optimum OPT of the instance), and
z_L, B_L the plan found and the bound proven with the lock, OPT lies in [z, B]
and the optimum with the lock OPT_L in [z_L, B_L]. So the difference OPT − OPT_L
— what the lock costs — lies in **[z − B_L, B − z_L]**, the range the spec asks
for. A lock only restricts, so OPT − OPT_L ≥ 0 whatever the range's lower end
says; the words say so.

When the lock leaves no feasible plan, the result carries the conflict of spec
section 13 (``solvers.conflict``), in which the added lock is called "the asked
lock".
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from consortia.analysis.runs import checked_solve
from consortia.analysis.scenarios import Scenario, apply_scenario
from consortia.data.instance import Instance, Lock
from consortia.errors import UsageError
from consortia.outputs.plan_files import read_plan
from consortia.rules.plan import Lot, assess_plan
from consortia.solvers.clock import Deadline
from consortia.solvers.options import SolveOptions
from consortia.solvers.result import NO_PLAN_STATUSES, Result

# A difference within this (relative to the plan) counts as none.
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Explanation:
    """The answer: the lock added, the plan's figures and the solve with the lock."""

    lock: Lock
    plan_objective: float
    plan_bound: float | None  # None: the plan's summary records none
    result: Result

    @property
    def joined(self) -> bool:
        """True when the lock puts the organization in (the plan has it out)."""
        return self.lock.rule == "join"

    @property
    def question(self) -> str:
        """'Why is O not in a lot of C on S?' or 'Why is O in a lot of C?'."""
        lock = self.lock
        on = f" on {lock.supplier_id}" if lock.supplier_id is not None else ""
        verb = "not in" if self.joined else "in"
        return f"Why is {lock.org_id} {verb} a lot of {lock.category_id}{on}?"

    @property
    def difference(self) -> tuple[float, float] | None:
        """[z − B_L, B − z_L] (module docstring); None without a plan with the lock.
        The upper end is inf when the plan's bound is unknown."""
        result = self.result
        if not result.has_plan:
            return None
        bound = math.inf if self.plan_bound is None else self.plan_bound
        return self.plan_objective - result.best_bound, bound - result.objective

    def conflict(self) -> list[str]:
        """The conflict of the solve with the lock, the added lock named as asked."""
        asked = f"the asked lock ({self.lock.wording})"
        return [line.replace(str(self.lock), asked) for line in self.result.conflict]

    def sentence(self, currency: str) -> str:
        """What the lock costs, in words, from the proven range."""
        lock = self.lock
        on = f" on {lock.supplier_id}" if lock.supplier_id is not None else ""
        what = (
            f"Putting {lock.org_id} in a lot of {lock.category_id}{on}"
            if self.joined
            else f"Keeping {lock.org_id} out of {lock.category_id}{on}"
        )
        span = self.difference
        if span is None:
            return f"{what} leaves no feasible plan."
        lo, hi = span
        tol = TOLERANCE * max(1.0, abs(self.plan_objective))

        def m(value: float) -> str:
            return f"{value:,.2f} {currency}"

        if math.isinf(hi):
            upper = "an amount not known (the plan's summary records no bound)"
        else:
            upper = m(max(hi, 0.0))
        if hi <= tol:
            return (
                f"{what} costs nothing: a plan with the lock saves as much as the plan's "
                "best bound."
            )
        if lo > tol:
            return (
                f"{what} costs between {m(lo)} and {upper}: the best plan with it saves at "
                f"least {m(lo)} and at most {upper} less than the best plan without it."
            )
        return (
            f"{what} costs at most {upper}: the best plan with it saves at most that much "
            "less than the best plan without it; the bounds do not prove it costs anything "
            "(it cannot gain: a lock only restricts)."
        )

    def as_dict(self) -> dict[str, object]:
        span = self.difference
        return {
            "lock": {"row": self.lock.row, "rule": self.lock.rule, "wording": self.lock.wording},
            "plan_objective": self.plan_objective,
            "plan_best_bound": self.plan_bound,
            "status_with_lock": self.result.status,
            "objective_with_lock": self.result.objective if self.result.has_plan else None,
            "best_bound_with_lock": self.result.best_bound if self.result.has_plan else None,
            "difference_range": None if span is None else list(span),
            "conflict": self.conflict(),
        }


def explain(
    inst: Instance,
    plan_dir: str | Path,
    org: str,
    category: str,
    supplier: str | None,
    options: SolveOptions,
    deadline: Deadline | None = None,
) -> Explanation:
    """Solve `inst` with O joined in C (on S) — or excluded, when the plan at
    `plan_dir` already has it there — from the plan, and compare (module
    docstring). Bad requests and plans are UsageErrors."""
    _check_request(inst, org, category, supplier)
    lots, objective, bound = _plan(inst, Path(plan_dir))
    inside = any(
        lot.category_id == category
        and org in lot.members
        and (supplier is None or lot.supplier_id == supplier)
        for lot in lots
    )
    rule = "exclude" if inside else "join"
    change: dict[str, object] = {"kind": "add_lock", "rule": rule, "org": org}
    change["category"] = category
    if supplier is not None:
        change["supplier"] = supplier
    locked = apply_scenario(inst, Scenario(f"{inst.name} with {rule} {org}", (change,)))
    lock = locked.lock_records[-1]
    result = checked_solve(locked, options, start=lots, deadline=deadline)
    return Explanation(lock, objective, bound, result)


def _check_request(inst: Instance, org: str, category: str, supplier: str | None) -> None:
    if org not in inst.org_index:
        raise UsageError(f"unknown organization '{org}'")
    if category not in inst.category:
        raise UsageError(f"unknown category '{category}'")
    if (org, category) not in inst.demand_of:
        raise UsageError(f"{org} has no demand in {category}: it can be in no lot of it")
    if supplier is not None and (supplier, category) not in inst.offer:
        raise UsageError(f"{supplier} has no offer in {category}")


def _plan(inst: Instance, plan_dir: Path) -> tuple[list[Lot], float, float | None]:
    """The plan's lots, its net savings by the rules and the best bound its summary
    records; a UsageError for a folder without a plan of this instance."""
    if not plan_dir.is_dir():
        raise UsageError(f"no plan folder at '{plan_dir}'")
    summary = _summary(plan_dir)
    if summary.get("status") in NO_PLAN_STATUSES:
        raise UsageError(
            f"'{plan_dir}' holds no plan: its solve ended '{summary['status']}' (spec section 13)"
        )
    if summary.get("instance_sha256") not in (None, inst.sha256):
        raise UsageError(f"the plan at '{plan_dir}' was not solved for this instance")
    lots = [lot for _, lot in read_plan(plan_dir)]
    assessment = assess_plan(inst, lots)
    if not assessment.feasible:
        raise UsageError("the plan breaks the rules: " + "; ".join(assessment.violations[:5]))
    bound = summary.get("best_bound")
    if isinstance(bound, bool) or not isinstance(bound, (int, float)):
        return lots, assessment.objective, None
    return lots, assessment.objective, float(bound)


def _summary(plan_dir: Path) -> dict:
    try:
        summary = json.loads((plan_dir / "summary.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"'{plan_dir}' has no summary.json: is it a plan folder?") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{plan_dir}/summary.json cannot be read: {exc}") from None
    return summary if isinstance(summary, dict) else {}
