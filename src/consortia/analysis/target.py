"""When is the savings target reached? (``consortia target``, spec section 14).

F(P), the most any plan can have saved by the end of period P (cumulative gross
savings, undiscounted), is the optimum of the P-truncated instance
(``truncation.py``). F is non-decreasing in P: a plan of the P-truncated
instance keeps every rule with the horizon P + 1, and by then has saved one
period more. So a plan found for P counts for every later period, a bound proven
for P bounds every earlier one, and the earliest period P* = min{P : F(P) >=
target} is found by bisection (``ladder.py``), each period solved from the best
plan known below it, several at once in worker processes or on a Dask cluster
(``parallel.py``).

P* is *proven* by a checked plan of the P*-truncated instance whose cumulative
savings reach the target and a proven bound below the target for P* - 1
(monotonicity covers the periods before). When the bound at the horizon T is
below the target, the target is unreachable within the horizon. A time limit
may leave it open: then the smallest and largest P* still possible are
reported (the largest is none when no plan found reaches the target).

The **Whitehall figure** H(P) is F(P) of the Whitehall instance (no lead times,
everyone and every offer ready in period 1, no formation limits). There every
lot can go live in period 1, and a lot's savings do not depend on when it goes
live, so H(P) = P x H(1): one plan of the 1-truncated Whitehall instance, run
from period 1, is optimal for every P. The proof: a Whitehall plan for P with
lots going live in periods sigma_l saves sum_l S_l (P - sigma_l + 1); when every
S_l >= 0 (individual rationality) this is at most P sum_l S_l, and the same lots
all live in period 1 form a plan of the 1-truncated Whitehall instance, worth at
most H(1); when instead dropping lots never breaks a rule, the lots live by each
period p form such a plan, so each period saves at most H(1). When neither holds
(rationality off with locks or supplier shares) H(P) is solved for every P.
H(P) >= F(P) always: a plan for P with its lots started in their live periods is
a Whitehall plan with the same savings, so P x (bound of H(1)) bounds F(P) too.

The capacity question (``--deadline P --vary max_parallel_formations``) is the
same search over the central limit W at a fixed deadline: F_W(P) is
non-decreasing in W (a plan keeping the limit W keeps W + 1), and a limit as
large as the number of lots that can be forming at once never binds.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from consortia.analysis.ladder import Ladder
from consortia.analysis.parallel import Workers
from consortia.analysis.runs import checked_solve, write_checked
from consortia.analysis.truncation import (
    KEEP,
    earliest_live,
    empty_plan_feasible,
    lots_at_once,
    truncated,
    whitehall,
    whitehall_scales,
)
from consortia.backend.highs import stop_requested
from consortia.data.generator import write_instance_tables
from consortia.data.instance import Instance
from consortia.data.tables import instance_to_tables
from consortia.errors import UsageError
from consortia.folders import check_output_dir, output_dir
from consortia.outputs import svg
from consortia.outputs.numbers import compact, money
from consortia.outputs.periods import is_quarterly, period_label, period_labels
from consortia.rules.plan import Lot, assess_plan
from consortia.solvers.options import SolveOptions
from consortia.solvers.result import Result, relative_gap

FRONTIER_COLUMNS = ["period", "plan_cumulative", "bound_cumulative", "whitehall_cumulative"]
CAPACITY_COLUMNS = ["max_parallel_formations", "plan_cumulative", "bound_cumulative"]
COMMAND = "target"


# --- jobs ------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One solve: `kind` ``period``, ``limit`` or ``whitehall``, at `key`."""

    kind: str
    key: int
    inst: Instance
    options: SolveOptions
    start: tuple[Lot, ...] = ()


def solve_job(job: Job) -> Result:
    """Run in a worker: one truncated instance solved and its plan checked."""
    return checked_solve(job.inst, job.options, start=list(job.start))


@dataclass(frozen=True)
class Solved:
    """What one solve proved: its plan value (None: no plan), the plan's savings per
    period, the bound (inf: none; -inf: no feasible plan)."""

    kind: str
    key: int
    status: str
    plan: float | None
    rate: float
    bound: float
    seconds: float
    result: Result = field(repr=False)

    @classmethod
    def of(cls, job: Job, result: Result, seconds: float) -> Solved:
        if result.status == "infeasible":
            return cls(job.kind, job.key, result.status, None, 0.0, -math.inf, seconds, result)
        bound = result.best_bound
        bound = math.inf if bound is None or math.isnan(bound) else float(bound)
        if result.status == "no_plan":
            return cls(job.kind, job.key, result.status, None, 0.0, bound, seconds, result)
        rate = math.fsum(o.savings_per_period for o in result.outcomes)
        return cls(job.kind, job.key, result.status, result.objective, rate, bound, seconds, result)


Listener = Callable[[str, "Solved | Job"], None]


# --- the questions -----------------------------------------------------------------


@dataclass
class Whitehall:
    """H(P) = P x per_period when `scaled`, else solved per period."""

    per_period: float | None = None
    per_period_bound: float = math.inf
    status: str = "not solved"
    scaled: bool = True
    by_period: dict[int, Solved] = field(default_factory=dict)

    def plan(self, period: int) -> float | None:
        if self.scaled:
            return None if self.per_period is None else period * self.per_period
        solved = self.by_period.get(period)
        return None if solved is None else solved.plan

    def bound(self, period: int) -> float:
        if self.scaled:
            return period * self.per_period_bound
        solved = self.by_period.get(period)
        return math.inf if solved is None else solved.bound

    @property
    def proven(self) -> bool:
        if self.scaled:
            return self.status == "optimal"
        return all(s.status == "optimal" for s in self.by_period.values())


@dataclass
class TargetResult:
    """The answer of ``consortia target``: earliest period (``question`` ``period``)
    or smallest central limit at a deadline (``limit``), with the figures behind it.

    `status`: ``decided`` (answer proven), ``unreachable`` (proven not reachable:
    within the horizon, or with any limit), ``open`` (a time limit left a range),
    ``infeasible`` (no plan keeps the rules). `answer_range` is [lo, hi] (hi None:
    no plan found reaches the target)."""

    question: str
    instance: Instance
    target: float
    status: str
    answer: int | None
    answer_range: tuple[int, int | None]
    ladder: Ladder
    solved: dict[int, Solved]
    whitehall: Whitehall
    plan: Result | None  # the proof's plan (or the best plan found), of its instance
    plan_key: int | None
    deadline: int | None = None
    largest_limit: int | None = None
    seconds: float = 0.0
    options: dict[str, object] = field(default_factory=dict)

    @property
    def horizon(self) -> int:
        return self.instance.settings.horizon

    # --- figures -----------------------------------------------------------

    def frontier(self) -> pd.DataFrame:
        """frontier.csv: period, plan_cumulative, bound_cumulative, whitehall_cumulative
        (an empty cell: no plan, or no feasible plan, or no bound proven)."""
        rows = []
        for p in range(1, self.ladder.size + 1):
            bound = self.ladder.bound_at(p)
            rows.append(
                {
                    "period": p,
                    "plan_cumulative": _cell(self.ladder.plan_at(p)),
                    "bound_cumulative": _cell(bound),
                    "whitehall_cumulative": _cell(self.whitehall.plan(p)),
                }
            )
        return pd.DataFrame(rows, columns=FRONTIER_COLUMNS)

    def limits(self) -> pd.DataFrame:
        """capacity.csv: the limits solved, with plan and bound carried from the others."""
        rows = [
            {
                "max_parallel_formations": w,
                "plan_cumulative": _cell(self.ladder.plan_at(w)),
                "bound_cumulative": _cell(self.ladder.bound_at(w)),
            }
            for w in sorted(self.solved)
        ]
        return pd.DataFrame(rows, columns=CAPACITY_COLUMNS)

    def summary(self) -> dict[str, object]:
        inst = self.instance
        lo, hi = self.answer_range
        out: dict[str, object] = {
            "command": COMMAND,
            "question": self.question,
            "status": self.status,
            "target": self.target,
            "currency": inst.settings.currency,
            "instance": inst.name,
            "instance_path": inst.source or None,
            "instance_sha256": inst.sha256,
            "horizon": self.horizon,
            "period_start": inst.settings.period_start,
        }
        if self.question == "period":
            out["earliest_period"] = self.answer
            out["earliest_period_range"] = [lo, hi]
        else:
            out["deadline"] = self.deadline
            out["max_parallel_formations"] = self.answer
            out["max_parallel_formations_range"] = [lo, hi]
            out["largest_limit"] = self.largest_limit
        out["proof"] = self.proof()
        out["sentence"] = self.sentence()
        wh = self.whitehall
        out["whitehall"] = {
            "status": wh.status if wh.scaled else ("optimal" if wh.proven else "feasible"),
            "scaled": wh.scaled,
            "per_period": wh.per_period if wh.scaled else None,
            "per_period_bound": _finite(wh.per_period_bound) if wh.scaled else None,
        }
        if self.question == "period":
            out["periods"] = [self._row(p) for p in range(1, self.ladder.size + 1)]
        else:
            out["limits"] = [self._row(w) for w in sorted(self.solved)]
        out["solves"] = len(self.solved) + (
            1 if wh.scaled and wh.status != "not solved" else len(wh.by_period)
        )
        out["seconds"] = round(self.seconds, 3)
        out["options"] = self.options
        return out

    def _row(self, key: int) -> dict[str, object]:
        solved = self.solved.get(key)
        name = "period" if self.question == "period" else "max_parallel_formations"
        row: dict[str, object] = {
            name: key,
            "plan_cumulative": _finite(self.ladder.plan_at(key)),
            "bound_cumulative": _finite(self.ladder.bound_at(key)),
            "no_feasible_plan": self.ladder.bound_at(key) == -math.inf,
            "solved": solved is not None,
            "status": None if solved is None else solved.status,
            "seconds": None if solved is None else round(solved.seconds, 3),
        }
        if self.question == "period":
            row["whitehall_cumulative"] = _finite(self.whitehall.plan(key))
            row["whitehall_bound_cumulative"] = _finite(self.whitehall.bound(key))
        return row

    def proof(self) -> dict[str, object]:
        """The plan that reaches the target first, and the bound below it just before."""
        lo, hi = self.answer_range
        below = lo - 1 if lo > 1 else None
        if below is not None and below > self.ladder.size:
            below = self.ladder.size
        return {
            "plan_key": self.plan_key,
            "plan_cumulative": _finite(
                None if self.plan_key is None else self.ladder.plan_at(self.plan_key)
            ),
            "plan_reaches_target": hi is not None,
            "bound_key": below,
            "bound_cumulative": None if below is None else _finite(self.ladder.bound_at(below)),
            "check": ("consortia check DIR/instance DIR/plan" if self.plan is not None else None),
        }

    # --- words -------------------------------------------------------------

    def when(self, period: int) -> str:
        start = self.instance.settings.period_start
        label = period_label(start, period)
        return f"period {period}" + ("" if label == str(period) else f" ({label})")

    def m(self, value: float | None) -> str:
        if value is None:
            return "none"
        return money(value, self.instance.settings.currency, decimals=0)

    def sentence(self) -> str:
        """The answer in one sentence."""
        if self.question == "limit":
            return self._limit_sentence()
        lo, hi = self.answer_range
        t, ladder, horizon = self.m(self.target), self.ladder, self.ladder.size
        if self.status == "infeasible":
            return "No plan keeps every rule of the instance, so no period reaches the target."
        if self.status == "unreachable":
            return (
                f"The target of {t} is not reachable within the horizon: no plan can have "
                f"saved more than {self.m(ladder.bound_at(horizon))} by {self.when(horizon)}."
            )
        if self.status == "decided" and hi is not None:
            first = (
                f"The target of {t} is first reached in {self.when(hi)}: a checked plan "
                f"has saved {self.m(ladder.plan_at(hi))} by then"
            )
            if hi == 1:
                return first + "."
            return (
                first + f", and no plan can have saved more than "
                f"{self.m(ladder.bound_at(hi - 1))} by {self.when(hi - 1)}."
            )
        if hi is None:
            return (
                f"Not decided within the time limit: the target of {t} is reached in "
                f"{self.when(lo)} at the earliest, or later, or never — no plan found "
                f"reaches it (the best saves {self.m(ladder.plan_at(horizon))} by the "
                f"horizon, against a bound of {self.m(ladder.bound_at(horizon))})."
            )
        return (
            f"Not decided within the time limit: the target of {t} is first reached "
            f"between {self.when(lo)} and {self.when(hi)} — a checked plan reaches it by "
            f"{self.when(hi)}; the bounds do not rule out the periods from {lo}."
        )

    def _limit_sentence(self) -> str:
        lo, hi = self.answer_range
        t, ladder = self.m(self.target), self.ladder
        by = self.when(self.deadline or self.horizon)
        if self.status == "infeasible":
            return f"No plan keeps every rule of the instance by {by}, whatever the limit."
        if self.status == "unreachable":
            return (
                f"No central limit reaches the target of {t} by {by}: even with "
                f"{self.largest_limit} formations at once (as many lots as can be forming "
                f"at once, so no limit at all) no plan can have saved more than "
                f"{self.m(ladder.bound_at(ladder.size))}."
            )
        if self.status == "decided" and hi is not None:
            first = (
                f"At least {hi} formation{'s' if hi > 1 else ''} at once reach the target "
                f"of {t} by {by}: a checked plan with {hi} saves {self.m(ladder.plan_at(hi))}"
            )
            if hi == 1:
                return first + "."
            return (
                first + f"; with {hi - 1} no plan can save more than "
                f"{self.m(ladder.bound_at(hi - 1))}."
            )
        top = "or no limit reaches it" if hi is None else f"and {hi}"
        return (
            f"Not decided within the time limit: the smallest central limit reaching the "
            f"target of {t} by {by} is between {lo} {top}."
        )

    def table(self, rows: int = 20) -> str:
        """The figures as a short table (a selection when there are many keys)."""
        cur = self.instance.settings.currency
        if self.question == "period":
            keys = _selection(self.ladder.size, self.answer_range, rows)
            head = f"{'period':<18} {'plan':>16} {'bound':>16} {'Whitehall':>16}"
        else:
            keys = sorted(self.solved)
            head = f"{'max formations':<18} {'plan':>16} {'bound':>16}"
        lines = [head, "-" * len(head)]
        shown_before = 0
        for k in keys:
            if k > shown_before + 1 and shown_before:
                lines.append(f"{'…':<18}")
            shown_before = k
            plan, bound = self.ladder.plan_at(k), self.ladder.bound_at(k)
            label = self.when(k) if self.question == "period" else str(k)
            mark = "*" if k in self.solved else " "
            line = f"{label + mark:<18} {_amount(plan):>16} {_amount(bound):>16}"
            if self.question == "period":
                line += f" {_amount(self.whitehall.plan(k)):>16}"
            lines.append(line)
        by = "each period" if self.question == "period" else self.when(self.deadline or 1)
        lines.append(
            f"Amounts in {cur}, cumulative gross savings by the end of {by}; * solved, the "
            "others carried from their neighbours; a bound is proven, a plan is found and "
            "checked."
        )
        return "\n".join(lines)


def _selection(size: int, span: tuple[int, int | None], rows: int) -> list[int]:
    if size <= rows:
        return list(range(1, size + 1))
    lo, hi = span
    keep = {1, size, lo - 1, lo, lo + 1}
    if hi is not None:
        keep |= {hi - 1, hi, hi + 1}
    step = max(1, size // max(1, rows - len(keep)))
    keep |= set(range(step, size + 1, step))
    return sorted(k for k in keep if 1 <= k <= size)


def _cell(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, 6)


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value


def _amount(value: float | None) -> str:
    if value is None or value == -math.inf:
        return "—"
    if value == math.inf:
        return "none proven"
    return f"{value:,.2f}"


# --- the search ----------------------------------------------------------------------


def target_of(inst: Instance, target: float | None) -> float:
    """The target asked for, else the instance's savings_target."""
    if target is not None:
        return float(target)
    if inst.settings.savings_target is None:
        raise UsageError(
            "the instance sets no savings_target: add one to the settings table, or "
            "give the amount with --target AMOUNT"
        )
    return float(inst.settings.savings_target)


def earliest_period(
    inst: Instance,
    options: SolveOptions,
    target: float | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    listener: Listener | None = None,
    complete: bool = True,
) -> TargetResult:
    """P* with its proof, and the frontier F(1..T) with the Whitehall figure.

    Periods that decide P* are solved first (bisection); with `complete`, every
    other period whose plan and bound still differ is solved after, so that the
    frontier holds each period's own figures."""
    began = time.perf_counter()
    goal = target_of(inst, target)
    horizon = inst.settings.horizon
    ladder = Ladder(horizon, goal, slope=True)
    _known_before_any_lot(inst, ladder)
    wh = Whitehall(scaled=whitehall_scales(inst))
    base_wh = whitehall(inst)
    instances: dict[int, Instance] = {}

    def instance_of(period: int) -> Instance:
        if period not in instances:
            instances[period] = truncated(inst, period)
        return instances[period]

    pending_wh: list[Job] = []
    exact = replace(options, gap=0.0)
    if wh.scaled:
        pending_wh.append(Job("whitehall", 1, truncated(base_wh, 1), exact))
    else:
        pending_wh += [
            Job("whitehall", p, truncated(base_wh, p), exact) for p in range(1, horizon + 1)
        ]

    def next_job(running: set[int]) -> Job | None:
        if pending_wh:
            return pending_wh.pop(0)
        key, chosen = _next(ladder, running, options)
        if key is None and complete:  # the frontier's other periods
            rest = [k for k in ladder.unsettled(options.gap) if k not in running]
            key, chosen = (rest[0] if rest else None), options
        if key is None:
            return None
        return Job("period", key, instance_of(key), chosen, _start(ladder, solved, key))

    def record(done: Solved) -> None:
        if done.kind == "whitehall":
            if wh.scaled:
                wh.per_period, wh.per_period_bound = done.plan, done.bound
                wh.status = done.status
            else:
                wh.by_period[done.key] = done
            for p in range(1, horizon + 1):
                ladder.add_bound(p, wh.bound(p))
            return
        _keep(solved, done)
        if done.plan is not None:
            ladder.add_plan(done.key, done.plan, done.rate)
        ladder.add_bound(done.key, done.bound)

    solved: dict[int, Solved] = {}
    _drive(next_job, record, ladder, workers, scheduler, listener)

    status, answer, span = _verdict(ladder)
    if status == "unreachable" and ladder.bound_at(horizon) == -math.inf:
        status = "infeasible"
    plan_key = (
        span[1]
        if span[1] is not None
        else (horizon if ladder.plan_at(horizon) is not None else None)
    )
    if status == "infeasible":
        plan_key = None
    plan = (
        None if plan_key is None else _plan_result(ladder, solved, plan_key, instance_of, options)
    )
    return TargetResult(
        question="period",
        instance=inst,
        target=goal,
        status=status,
        answer=answer,
        answer_range=span,
        ladder=ladder,
        solved=solved,
        whitehall=wh,
        plan=plan,
        plan_key=plan_key,
        seconds=time.perf_counter() - began,
        options=_options(options, workers, scheduler),
    )


def smallest_limit(
    inst: Instance,
    deadline: int,
    options: SolveOptions,
    target: float | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    listener: Listener | None = None,
) -> TargetResult:
    """The smallest central limit W with F_W(deadline) >= target, with its proof."""
    began = time.perf_counter()
    goal = target_of(inst, target)
    horizon = inst.settings.horizon
    if not 1 <= deadline <= horizon:
        raise UsageError(f"--deadline must be a period from 1 to the horizon {horizon}")
    largest = lots_at_once(inst)
    ladder = Ladder(largest, goal, slope=False)
    wh = Whitehall(scaled=whitehall_scales(inst))
    base_wh = whitehall(inst)
    exact = replace(options, gap=0.0)
    at = 1 if wh.scaled else deadline
    pending_wh = [Job("whitehall", at, truncated(base_wh, at), exact)]
    instances: dict[int, Instance] = {}

    def instance_of(limit: int) -> Instance:
        if limit not in instances:
            instances[limit] = truncated(inst, deadline, limit)
        return instances[limit]

    def next_job(running: set[int]) -> Job | None:
        if pending_wh:
            return pending_wh.pop(0)
        key, chosen = _next(ladder, running, options, top_first=True)
        if key is None:
            return None
        return Job("limit", key, instance_of(key), chosen, _start(ladder, solved, key))

    def record(done: Solved) -> None:
        if done.kind == "whitehall":
            if wh.scaled:
                wh.per_period, wh.per_period_bound = done.plan, done.bound
                wh.status = done.status
            else:
                wh.by_period[done.key] = done
            for w in range(1, largest + 1):
                ladder.add_bound(w, wh.bound(deadline))
            return
        _keep(solved, done)
        if done.plan is not None:
            ladder.add_plan(done.key, done.plan)
        ladder.add_bound(done.key, done.bound)

    solved: dict[int, Solved] = {}
    _drive(next_job, record, ladder, workers, scheduler, listener)
    status, answer, span = _verdict(ladder)
    if status == "unreachable" and ladder.bound_at(largest) == -math.inf and deadline == horizon:
        status = "infeasible"
    plan_key = span[1]
    if plan_key is None and ladder.plan_at(largest) is not None:
        plan_key = ladder.plan_source(largest)
    plan = (
        None if plan_key is None else _plan_result(ladder, solved, plan_key, instance_of, options)
    )
    return TargetResult(
        question="limit",
        instance=inst,
        target=goal,
        status=status,
        answer=answer,
        answer_range=span,
        ladder=ladder,
        solved=solved,
        whitehall=wh,
        plan=plan,
        plan_key=plan_key,
        deadline=deadline,
        largest_limit=largest,
        seconds=time.perf_counter() - began,
        options=_options(options, workers, scheduler),
    )


def _known_before_any_lot(inst: Instance, ladder: Ladder) -> None:
    """Before the first period any lot can be live, F(P) is 0 (the empty plan) or,
    when the empty plan breaks a rule, there is no feasible plan."""
    first = earliest_live(inst)
    last = ladder.size if first is None else min(first - 1, ladder.size)
    if last < 1:
        return
    if empty_plan_feasible(truncated(inst, last)):
        ladder.add_plan(1, 0.0, 0.0)
        ladder.add_bound(last, 0.0)
    else:
        ladder.add_bound(last, -math.inf)


def _drive(
    next_job: Callable[[set[int]], Job | None],
    record: Callable[[Solved], None],
    ladder: Ladder,
    workers: int,
    scheduler: str | None,
    listener: Listener | None,
) -> None:
    """Keep every worker busy with the next job until none is left (or a stop was
    asked for: Ctrl-C ends the search with what is known)."""
    running: dict[Any, tuple[Job, float]] = {}
    with Workers(workers, scheduler) as pool:
        while True:
            while len(running) < pool.slots and not stop_requested():
                job = next_job({j.key for j, _ in running.values() if j.kind != "whitehall"})
                if job is None:
                    break
                if job.kind != "whitehall":
                    ladder.start(job.key)
                if listener:
                    listener("start", job)
                running[pool.submit(solve_job, job)] = (job, time.perf_counter())
            if not running:
                return
            for future in pool.done(running):
                job, began = running.pop(future)
                try:
                    result = future.result()
                except Exception:
                    if stop_requested():  # a worker stopped by the same Ctrl-C
                        continue
                    raise
                done = Solved.of(job, result, time.perf_counter() - began)
                record(done)
                if listener:
                    listener("done", done)


# A solve that left the answer open is solved once more with this many times the
# time limit, before the frontier's other periods (models/target.md).
RETRY_FACTOR = 3.0


def _next(
    ladder: Ladder, running: set[int], options: SolveOptions, top_first: bool = False
) -> tuple[int | None, SolveOptions]:
    """The next key the answer needs, with its options: a key never solved, else
    (with a time limit) one solved once, again with RETRY_FACTOR times the time."""
    key = ladder.next_key(running, top_first=top_first)
    if key is not None or options.time_limit is None:
        return key, options
    key = ladder.next_key(running, tries=1)
    return key, options.with_time_limit(options.time_limit * RETRY_FACTOR)


def _keep(solved: dict[int, Solved], done: Solved) -> None:
    """Record a solve, unless the key's earlier solve found a better plan (its
    bound is kept by the ladder either way)."""
    old = solved.get(done.key)
    if old is None or (done.plan is not None and (old.plan is None or done.plan >= old.plan)):
        solved[done.key] = done


def _start(ladder: Ladder, solved: dict[int, Solved], key: int) -> tuple[Lot, ...]:
    """The plan to start `key` from: the best plan found at or below it (it keeps
    every rule at `key`), else the nearest one above (the lots of it that fit)."""
    below = [j for j in solved if j <= key and solved[j].plan is not None]
    if below:
        best = max(below, key=lambda j: (ladder.lifted(j, key), j))
        return tuple(o.lot for o in solved[best].result.outcomes)
    above = sorted(j for j in solved if j > key and solved[j].plan is not None)
    return tuple(o.lot for o in solved[above[0]].result.outcomes) if above else ()


def _verdict(ladder: Ladder) -> tuple[str, int | None, tuple[int, int | None]]:
    lo, hi = ladder.span()
    if hi is None and lo > ladder.size:
        return "unreachable", None, (lo, None)
    if lo == hi:
        return "decided", hi, (lo, hi)
    return "open", None, (lo, hi)


def _plan_result(
    ladder: Ladder,
    solved: dict[int, Solved],
    key: int,
    instance_of: Callable[[int], Instance],
    options: SolveOptions,
) -> Result | None:
    """The best plan known at `key` as a result of the key's own instance, with the
    best bound proven there (a plan found below `key` is priced again: by a later
    period it has saved more)."""
    source = ladder.plan_source(key)
    if source is None:
        return None
    inst = instance_of(key)
    own = solved.get(source)
    lots = [] if own is None else [o.lot for o in own.result.outcomes]
    assessment = assess_plan(inst, lots)
    if not assessment.feasible:  # monotonicity says this cannot happen
        raise RuntimeError("a plan stopped keeping the rules: " + "; ".join(assessment.violations))
    objective = assessment.objective
    bound = max(ladder.bound_at(key), objective)
    status = "optimal" if relative_gap(bound, objective) <= options.proven_gap else "feasible"
    if own is None:  # before any lot can be live: the empty plan
        reason = "no lot can be live by then: nothing to search"
        return Result(inst, status, objective, bound, [], formulation="none", stop_reason=reason)
    reason = own.result.stop_reason
    if source != key:
        reason = f"the plan found for {source}, kept at {key}; the bound is the best proven there"
    return replace(
        own.result,
        instance=inst,
        status=status,
        objective=objective,
        best_bound=bound,
        outcomes=assessment.outcomes,
        stop_reason=reason,
    )


def _options(options: SolveOptions, workers: int, scheduler: str | None) -> dict[str, object]:
    return {
        "time_limit": options.time_limit,
        "gap": options.gap,
        "seed": options.seed,
        "formulation": options.formulation,
        "workers": workers,
        "scheduler": scheduler,
    }


# --- writing -------------------------------------------------------------------------


def write_target(result: TargetResult, out_dir: str | Path) -> Path:
    """Write the answer atomically: summary.json always; frontier.csv and
    frontier.svg (question ``period``) or capacity.csv (``limit``); the proof's
    plan in plan/, checked against its own instance, written beside it as
    instance/ (``consortia check DIR/instance DIR/plan`` checks it again)."""
    out = Path(out_dir)
    with output_dir(out, COMMAND) as tmp:
        if result.status != "infeasible":
            if result.question == "period":
                result.frontier().to_csv(tmp / "frontier.csv", index=False)
                (tmp / "frontier.svg").write_text(frontier_svg(result), encoding="utf-8")
            else:
                result.limits().to_csv(tmp / "capacity.csv", index=False)
            if result.plan is not None:
                write_checked(result.plan, tmp / "plan", command=COMMAND)
                write_instance_tables(
                    instance_to_tables(result.plan.instance), tmp / "instance", command=COMMAND
                )
        with open(tmp / "summary.json", "w", encoding="utf-8") as fh:
            json.dump(result.summary(), fh, indent=2)
            fh.write("\n")
    return out


def frontier_svg(result: TargetResult) -> str:
    """The three curves (Whitehall figure, proven bound, best plan), the target
    line and the earliest period marked, as a standalone SVG."""
    inst = result.instance
    return frontier_chart(
        [result.whitehall.plan(p) for p in range(1, result.horizon + 1)],
        [_finite(result.ladder.bound_at(p)) for p in range(1, result.horizon + 1)],
        [_finite(result.ladder.plan_at(p)) for p in range(1, result.horizon + 1)],
        result.target,
        result.answer_range,
        period_labels(inst.settings.period_start, result.horizon),
        inst.settings.currency,
        inst.settings.period_start,
    )


def frontier_chart(
    whitehall_curve: Sequence[float | None],
    bound: Sequence[float | None],
    plan: Sequence[float | None],
    target: float,
    span: tuple[int, int | None],
    labels: list[str],
    currency: str,
    start: str | None = None,
) -> str:
    """The frontier as an SVG chart with its legend."""
    return svg.frontier_chart(
        whitehall_curve,
        bound,
        plan,
        target,
        span,
        labels,
        y_title=f"cumulative savings ({currency})",
        x_title="quarter" if is_quarterly(start) else "period",
        money=lambda v: money(v, currency, short=True) if currency else compact(v),
    )


def run_target(
    inst: Instance,
    out_dir: str | Path,
    options: SolveOptions,
    target: float | None = None,
    deadline: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    listener: Listener | None = None,
) -> TargetResult:
    """Answer the question (earliest period, or with a `deadline` the smallest
    central limit) and write it to `out_dir`; the folder is refused before any
    solve when it is not new, empty or a previous output of ``consortia target``."""
    check_output_dir(Path(out_dir), COMMAND)
    target_of(inst, target)  # refuse before solving
    if deadline is None:
        result = earliest_period(inst, options, target, workers, scheduler, listener)
    else:
        result = smallest_limit(inst, deadline, options, target, workers, scheduler, listener)
    write_target(result, out_dir)
    return result


__all__ = [
    "KEEP",
    "TargetResult",
    "earliest_period",
    "run_target",
    "smallest_limit",
    "write_target",
]
