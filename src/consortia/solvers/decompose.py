"""Lagrangian decomposition by category (``models/decomposition.md``).

Categories share nothing but the formation limits: the central one,
sum_c F_c(p) <= W in every period p, F_c(p) the lots of category c in formation
in p, and each organization's own one (spec section 10), sum_c I_c(o,p) <= k(o),
I_c(o,p) the lots of c with member o in formation in p (0 or 1: one lot per
organization and category). Pricing them with lambda_p >= 0 and rho_op >= 0
splits the problem into one problem per category,

    L(lambda, rho) = sum_c max_{plans P of c} [ net(P) - sum_p lambda_p F_P(p)
                                                 - sum_{o,p} rho_op I_P(o,p) ]
                     + W sum_p lambda_p + sum_{o,p} k(o) rho_op,

and every L(lambda, rho) bounds the optimum from above (each category keeps the
central limit for its own lots, which every feasible plan satisfies too). Only
the organizations whose own limit can bind (``Instance.binding_org_capacity``)
get rows and prices. The category problems
are solved separately — in worker processes when they are large — and their
proven bounds, not their incumbents, enter L.

Supplier rules and locks (spec sections 11 and 12) are per category: each
category problem carries its own, and a category whose ``join`` or ``together``
lock the empty plan breaks must have one of its plans chosen. A category problem
proven infeasible proves the whole instance infeasible (any plan's part in that
category would be a plan of it); when every category has plans but none combine
under the formation limits, the result has no plan and the compact model
decides (``finish_with_compact``).

Plans come from a master over the category plans found so far (Dantzig–Wolfe
columns): choose at most one plan per category (exactly one where the locks
need a lot) so that the chosen plans respect the limits together. Its LP duals
on the formation rows are the next prices, so the rounds are a column generation
over category plans whose Lagrangian bounds converge to the LP master value. When
the union of the unpriced category plans already respects the limits it is
optimal within the categories' own gaps.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from multiprocessing import get_context

import highspy
import numpy as np
import pandas as pd

from consortia.backend.highs import new_highs, run
from consortia.data.instance import Instance
from consortia.formulations.bounds import product_up, sum_up
from consortia.formulations.forced_lots import best_feasible, keeps_rules
from consortia.formulations.greedy import schedule_lots
from consortia.rules.plan import Lot, LotOutcome, assess_plan, total_net
from consortia.solvers.base import (
    Deadline,
    SolveContext,
    finish,
    finish_without_plan,
    reporting,
)
from consortia.solvers.compact import solve_compact
from consortia.solvers.options import Progress, SolveOptions
from consortia.solvers.result import Result, relative_gap

# Below this many demand rows the categories are solved in this process:
# starting a worker (spawn, then importing Pyomo) costs about two seconds.
PROCESS_MIN_DEMAND_ROWS = 400
MAX_ROUNDS = 30
CATEGORY_TABLES = ("categories", "demand", "offers", "tiers", "surcharges")
# the spreadsheet rows of the locks table are its index: kept in a part
LOCK_TABLE = "locks"


@dataclass(frozen=True)
class PartJob:
    """One category's problem, priced (lambda by period, rho by organization and
    period) or not."""

    category: str
    inst: Instance
    options: SolveOptions
    price: tuple[tuple[int, float], ...] = ()
    own_price: tuple[tuple[tuple[str, int], float], ...] = ()


@dataclass(frozen=True)
class PartAnswer:
    category: str
    lots: tuple[Lot, ...]
    bound: float  # proven upper bound of the (priced) category problem
    status: str


@dataclass(frozen=True)
class Column:
    """A feasible plan of one category: its net savings and formations by period."""

    category: str
    outcomes: tuple[LotOutcome, ...]
    net: float
    forming: tuple[int, ...]  # lots in formation in periods 1..T
    # (o, p) where a lot with member o (own limit that can bind) is in formation
    own_forming: frozenset[tuple[str, int]] = frozenset()


def category_parts(inst: Instance) -> dict[str, Instance]:
    """One instance per category with demand: the category's rows of every
    category-keyed table (its locks with their row numbers), all organizations,
    suppliers, links and settings."""
    parts = {}
    for c in sorted(set(inst.demand["category_id"])):
        own: dict[str, pd.DataFrame] = {}
        for name in CATEGORY_TABLES:
            frame = getattr(inst, name)
            own[name] = frame[frame["category_id"] == c].reset_index(drop=True)
        if inst.locks is not None:
            own[LOCK_TABLE] = inst.locks[inst.locks["category_id"] == c]
        # rows of one category of a valid instance form a valid instance
        parts[c] = replace(inst, name=f"{inst.name}:{c}", **own)  # type: ignore[arg-type]
    return parts


def solve_part(job: PartJob) -> PartAnswer:
    """Run in a worker: the best plan of one category and a proven bound, by the
    default formulation unpriced, by the compact model when priced."""
    from consortia.solvers.auto import AutoStrategy

    ctx = SolveContext.of(job.inst, job.options)
    with reporting(ctx):  # in this process too, a part reports only as its options say
        if job.price or job.own_price:
            result = solve_compact(
                ctx, formation_price=dict(job.price), own_price=dict(job.own_price)
            )
        else:
            result = AutoStrategy().solve(ctx)
    return PartAnswer(
        job.category, tuple(o.lot for o in result.outcomes), result.best_bound, result.status
    )


class DecomposeStrategy:
    """``decompose``: one problem per category, coupled by formation prices; then,
    like ``auto``, the compact model finishes when it is small."""

    name = "decompose"
    help = "one problem per category, coupled by prices on the formation limit"

    def supports(self, ctx: SolveContext) -> str | None:
        return None

    def solve(self, ctx: SolveContext) -> Result:
        from consortia.solvers.auto import finish_with_compact

        return finish_with_compact(ctx, solve_decomposed(ctx))


def solve_decomposed(ctx: SolveContext, workers: int | None = None) -> Result:
    """The best plan the category decomposition finds, with its Lagrangian bound.

    `workers` processes solve the category problems (default: one per core when
    the instance is large enough to repay starting them, else this process)."""
    inst, options, deadline = ctx.inst, ctx.options, ctx.deadline
    began = time.perf_counter()
    parts = category_parts(inst)
    limit = inst.settings.max_parallel_formations
    own = inst.binding_org_capacity
    columns: dict[str, list[Column]] = {c: [] for c in parts}
    for plan in (ctx.start, ctx.greedy):
        for c, part in parts.items():
            _add_column(inst, part, columns, c, [o.lot for o in plan if o.lot.category_id == c])
    workers = _workers(inst, len(parts)) if workers is None else max(1, workers)
    messages: list[str] = []
    laps = {"split": time.perf_counter() - began, "parts": 0.0, "master": 0.0}
    rounds = 0
    with _runner(workers) as run_jobs:
        t = time.perf_counter()
        share = _share(deadline, len(parts), workers, 0.5)
        plain = replace(options, progress=None, time_limit=share)
        answers = run_jobs([PartJob(c, sub, plain) for c, sub in parts.items()])
        laps["parts"] += time.perf_counter() - t
        empty = [a.category for a in answers if a.status == "infeasible"]
        if empty:
            messages.append(f"category {empty[0]} has no plan that keeps its rules and locks")
            return finish_without_plan(ctx, "decompose", proven=True, messages=messages)
        bound = _total_bound(a.bound for a in answers)
        for a in answers:
            _add_column(inst, parts[a.category], columns, a.category, list(a.lots))
        messages.append(f"unpriced categories: bound {bound:.6g}")
        t = time.perf_counter()
        best: list[LotOutcome] | None = _best_plan(inst, parts, columns, answers)
        laps["master"] += time.perf_counter() - t
        while (
            (limit is not None or own)
            and (best is None or relative_gap(bound, total_net(best)) > options.proven_gap)
            and rounds < MAX_ROUNDS
            and not deadline.expired(1.0)
        ):
            rounds += 1
            t = time.perf_counter()
            _, price, own_price = _master(inst, parts, columns, integer=False)
            laps["master"] += time.perf_counter() - t
            if not price and not own_price:
                break  # nothing to price: the unpriced bound is the Lagrangian one
            t = time.perf_counter()
            share = _share(deadline, len(parts), workers, 0.34)
            priced = replace(options, progress=None, time_limit=share, formulation="compact")
            key = tuple(sorted(price.items()))
            own_key = tuple(sorted(own_price.items()))
            answers = run_jobs([PartJob(c, sub, priced, key, own_key) for c, sub in parts.items()])
            laps["parts"] += time.perf_counter() - t
            lagrangian = sum_up(
                [_total_bound(a.bound for a in answers)]
                + [product_up(float(limit or 0), v) for v in price.values()]
                + [product_up(float(own[o]), v) for (o, _), v in own_price.items()]
            )
            bound = min(bound, lagrangian)
            added = sum(
                _add_column(inst, parts[a.category], columns, a.category, list(a.lots))
                for a in answers
            )
            t = time.perf_counter()
            found = _best_plan(inst, parts, columns, answers)
            laps["master"] += time.perf_counter() - t
            if found is not None and (best is None or total_net(found) > total_net(best)):
                best = found
            value = None if best is None else total_net(best)
            messages.append(
                f"round {rounds}: Lagrangian bound {lagrangian:.6g}, plan "
                f"{'none' if value is None else f'{value:.6g}'}, {added} new category plan(s)"
            )
            if options.progress is not None:
                options.progress(
                    Progress("decomposition", time.perf_counter() - began, value, bound)
                )
            if not added:
                break
    for stage, seconds in laps.items():
        ctx.timings.add_search(stage, seconds)
    if best is None:
        messages.append("no combination of the category plans found keeps the formation limits")
        return finish_without_plan(
            ctx, "decompose", proven=False, iterations=rounds + 1, messages=messages
        )
    outcomes = assess_plan(inst, [o.lot for o in best])
    if not outcomes.feasible:  # the master keeps the limits; this guards the contract
        raise RuntimeError("decomposition master returned an infeasible plan")
    return finish(
        ctx,
        "decompose",
        outcomes.outcomes,
        bound,
        iterations=rounds + 1,
        messages=messages,
    )


def _best_plan(
    inst: Instance,
    parts: dict[str, Instance],
    columns: dict[str, list[Column]],
    answers: list[PartAnswer],
) -> list[LotOutcome] | None:
    """The better of the integer master (whole category plans) and the lots of the
    latest category plans scheduled together, most valuable first (the master
    cannot take part of a category plan; the schedule can), among those that keep
    every rule; None when neither does."""
    plan: list[LotOutcome] | None = _master(inst, parts, columns, integer=True)[0]
    lots = [lot for a in answers for lot in a.lots] + [o.lot for o in plan or []]
    worth = {o.lot: o.net for col in columns.values() for c in col for o in c.outcomes}
    lots = sorted(
        set(lots),
        key=lambda lot: (-worth.get(lot, 0.0), lot.category_id, lot.supplier_id, lot.members),
    )
    scheduled = schedule_lots(inst, lots)
    return best_feasible(inst, [p for p in (scheduled, plan) if p is not None])


def _total_bound(bounds: Iterable[float]) -> float:
    """The sum of the category problems' bounds, rounded up; infinite when one has
    none (a category left without a plan by its time limit)."""
    found = list(bounds)
    if not all(math.isfinite(b) for b in found):
        return math.inf
    return sum_up(found)


def _add_column(
    inst: Instance,
    part: Instance,
    columns: dict[str, list[Column]],
    category: str,
    lots: list[Lot],
) -> int:
    """Add a plan of the category unless it is empty, breaks a rule of its part
    `part` (the locks of other categories do not count) or is known; 1 if added."""
    if not lots:
        return 0
    assessment = assess_plan(part, lots)
    if not assessment.feasible:
        return 0
    key = frozenset(lots)
    if any(frozenset(o.lot for o in col.outcomes) == key for col in columns[category]):
        return 0
    forming = [0] * inst.settings.horizon
    for o in assessment.outcomes:
        for p in o.forming:
            if 1 <= p <= len(forming):
                forming[p - 1] += 1
    own = inst.binding_org_capacity
    own_forming = frozenset(
        (m, p) for o in assessment.outcomes for m in o.lot.members if m in own for p in o.forming
    )
    columns[category].append(
        Column(
            category,
            tuple(assessment.outcomes),
            assessment.objective,
            tuple(forming),
            own_forming,
        )
    )
    return 1


def _master(
    inst: Instance, parts: dict[str, Instance], columns: dict[str, list[Column]], integer: bool
) -> tuple[list[LotOutcome] | None, dict[int, float], dict[tuple[str, int], float]]:
    """max sum_k net_k u_k  s.t.  sum_{k of c} u_k <= 1 (each c; = 1 where the
    category's locks need a lot), sum_k F_k(p) u_k <= W (each p),
    sum_k I_k(o,p) u_k <= k(o) (each o, p), 0 <= u <= 1 (binary when `integer`);
    formation rows only where the columns could overload them.

    Returns the chosen plans' lots (None when the master has no solution) and, for
    the LP, the duals of the central and the own formation rows (lambda_p and
    rho_op, the positive ones only). The LP may leave a needed category's choice
    short at a high cost (``_allow_missing_choices``), so that it always has
    prices: they then steer the category problems away from the formation periods
    that keep the needed plans apart."""
    needed = {c for c, part in parts.items() if not keeps_rules(part, [])}
    cols = [
        col for plans in columns.values() for col in plans if col.net > 0 or col.category in needed
    ]
    if needed - {col.category for col in cols}:
        return None, {}, {}
    if not cols:
        return [], {}, {}
    n = len(cols)
    h = new_highs()
    h.addVars(n, np.zeros(n), np.ones(n))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.array([c.net for c in cols]))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    cats = sorted({c.category for c in cols})
    # rows as (key, columns, coefficients, upper): one choice row per category,
    # then the formation rows the chosen plans could overload
    rows: list[tuple[tuple, list[int], list[float], float]] = []
    for c in cats:
        mine = [k for k, col in enumerate(cols) if col.category == c]
        rows.append((("choice", c), mine, [1.0] * len(mine), 1.0))
    lower = [1.0 if c in needed else -np.inf for c in cats]
    rows += _formation_rows(inst, cols)
    index = [k for _, ks, _, _ in rows for k in ks]
    coefs = [a for _, _, vs, _ in rows for a in vs]
    starts = np.cumsum([0] + [len(ks) for _, ks, _, _ in rows[:-1]]).astype(np.int32)
    h.addRows(
        len(rows),
        np.array(lower + [-np.inf] * (len(rows) - len(cats))),
        np.array([upper for *_, upper in rows]),
        len(index),
        starts,
        np.array(index, dtype=np.int32),
        np.array(coefs),
    )
    if integer:
        h.changeColsIntegrality(
            n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger)
        )
    else:
        _allow_missing_choices(h, cats, needed, cols)
    run(h)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None, {}, {}  # no choice of the plans found keeps the formation limits
    solution = h.getSolution()
    chosen = np.asarray(solution.col_value)
    plan = [o for k, col in enumerate(cols) if chosen[k] > 0.5 for o in col.outcomes]
    price: dict[int, float] = {}
    own_price: dict[tuple[str, int], float] = {}
    if not integer:
        duals = np.asarray(solution.row_dual)
        for r, (key, *_) in enumerate(rows):
            value = float(duals[r])
            if value <= 1e-9:
                continue
            if key[0] == "form":
                price[key[1]] = value
            elif key[0] == "own":
                own_price[(key[1], key[2])] = value
    return plan, price, own_price


def _allow_missing_choices(
    h: highspy.Highs, cats: list[str], needed: set[str], cols: list[Column]
) -> None:
    """An artificial column per needed category's choice row (the first rows, in
    `cats` order), costing more than every plan is worth together: the LP master
    is then feasible even when no choice of the plans found keeps the formation
    limits, and only its prices are used (never its plan)."""
    penalty = 10.0 * (1.0 + math.fsum(abs(col.net) for col in cols))
    for r, c in enumerate(cats):
        if c in needed:
            h.addCol(-penalty, 0.0, 1.0, 1, np.array([r], dtype=np.int32), np.array([1.0]))


def _formation_rows(
    inst: Instance, cols: list[Column]
) -> list[tuple[tuple, list[int], list[float], float]]:
    """The central formation rows (rule 8) and the own ones (rule 8b) that the
    columns could overload, as (key, columns, coefficients, upper)."""
    rows: list[tuple[tuple, list[int], list[float], float]] = []
    limit = inst.settings.max_parallel_formations
    if limit is not None:
        for p in range(inst.settings.horizon):
            used = [k for k, col in enumerate(cols) if col.forming[p]]
            if sum(cols[k].forming[p] for k in used) > limit:
                rows.append(
                    (("form", p + 1), used, [float(cols[k].forming[p]) for k in used], limit)
                )
    own = inst.binding_org_capacity
    users: dict[tuple[str, int], list[int]] = {}
    for k, col in enumerate(cols):
        for key in col.own_forming:
            users.setdefault(key, []).append(k)
    for (o, p), used in sorted(users.items()):
        if len(used) > own[o]:
            rows.append((("own", o, p), used, [1.0] * len(used), float(own[o])))
    return rows


def _workers(inst: Instance, parts: int) -> int:
    if parts < 2 or len(inst.demand) < PROCESS_MIN_DEMAND_ROWS:
        return 1
    return max(1, min(parts, os.cpu_count() or 1))


def _share(deadline: Deadline, parts: int, workers: int, fraction: float) -> float | None:
    """Seconds for each category problem: `fraction` of the time left, shared by
    the categories that run one after another on each worker."""
    left = deadline.remaining()
    if left is None:
        return None
    waves = max(1, math.ceil(parts / workers))  # no parts: nothing shares the time
    return max(1.0, fraction * left / waves)


@contextmanager
def _runner(workers: int) -> Iterator:
    """A function running part jobs: in this process, or in `workers` processes
    (spawn: HiGHS keeps threads that a forked child would not have)."""
    if workers == 1:
        yield lambda jobs: [solve_part(job) for job in jobs]
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        # largest categories first so that the waves balance
        def run_jobs(jobs: list[PartJob]) -> list[PartAnswer]:
            order = sorted(jobs, key=lambda j: -len(j.inst.demand))
            return list(pool.map(solve_part, order))

        yield run_jobs


DECOMPOSE = DecomposeStrategy()
