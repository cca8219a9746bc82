"""Column generation over lots, then an integer master over the generated columns.

1. The pool starts with every profitable single-member lot, the greedy proposals
   and the greedy plan.
2. Each round solves the master LP, hands its duals to every category's pricing
   MILP, and adds the connected lots with positive reduced cost.
3. Any round in which every category was priced gives a valid bound (Lagrangian
   bound): z* <= sum_r y_r b_r + sum_c K_c * max(0, rc_c) over every master row r
   (one-lot, capacity, central and own formation limits), where rc_c is a proven
   upper bound on the reduced cost of category c's lots and K_c the most lots the
   category can hold. When no lot has positive reduced cost the bound is the LP.
4. The integer master over the pool gives the plan (price-and-branch: optimal when
   its value meets the bound, otherwise reported with its gap).
"""

from __future__ import annotations

import math
import time

from consortia.data.instance import Instance
from consortia.formulations.bounds import product_up, sum_up
from consortia.formulations.candidates import Candidates
from consortia.formulations.columns.greedy_pricing import CategoryPricer, OwnDuals, plan_bound
from consortia.formulations.columns.master import Master
from consortia.formulations.columns.pricing import PricingProblem, category_sets
from consortia.rules.plan import Lot, LotOutcome, assess_plan, price_lot, total_net
from consortia.solvers.base import LIMIT_NOTE, SolveContext, finish
from consortia.solvers.options import Progress
from consortia.solvers.result import Result

EXACT_PRICING_ORGS = 30  # categories up to this size also get exact MILP pricing
MAX_ROUNDS = 500
COLUMNS_PER_ROUND = 10
LARGE_PRICING_SECONDS = 10.0
SEARCH_WIDTHS = ((3, 25), (10, 80), (40, 400))  # greedy pricing: (seeds, breadth)


def _add_priced(
    master: Master,
    inst: Instance,
    lot: Lot,
    pi: dict[tuple[str, str], float],
    mu: dict[tuple[str, str], float],
    nu: dict[int, float],
    rho: OwnDuals,
    lp_value: float,
) -> int:
    """Price a lot by the spec and add it if its reduced cost is positive."""
    outcome, problems = price_lot(inst, lot)
    if outcome is None or problems:
        return 0
    c = lot.category_id
    rc = (
        outcome.net
        - sum(pi.get((o, c), 0.0) for o in lot.members)
        - mu.get((lot.supplier_id, c), 0.0) * outcome.volume
        - sum(nu.get(p, 0.0) for p in outcome.forming)
        - sum(rho.get((o, p), 0.0) for o in lot.members for p in outcome.forming)
    )
    if rc > 1e-7 * max(1.0, abs(lp_value)) and master.add(outcome):
        return 1
    return 0


def initial_columns(cands: Candidates, proposals: list[Lot]) -> list[LotOutcome]:
    inst = cands.inst
    lots = [Lot(c, s, (o,), inst.pair_ready[(o, c)]) for (o, s, c) in cands.threshold]
    for lot in proposals:
        lots.append(
            Lot(
                lot.category_id,
                lot.supplier_id,
                lot.members,
                max(inst.pair_ready[(o, lot.category_id)] for o in lot.members),
            )
        )
    out = []
    for lot in lots:
        outcome, problems = price_lot(inst, lot)
        if outcome is not None and not problems and outcome.net > 1e-9:
            out.append(outcome)
    return out


class ColumnStrategy:
    """``columns``: column generation over lots, then an integer master."""

    name = "columns"
    help = "column generation over lots, then an integer master"

    def supports(self, ctx: SolveContext) -> str | None:
        return None

    def solve(self, ctx: SolveContext) -> Result:
        return solve_columns(ctx)


def solve_columns(ctx: SolveContext) -> Result:
    """Column generation, then the integer master; see the module docstring."""
    inst, options = ctx.inst, ctx.options
    started = time.perf_counter()
    cands = ctx.candidates
    greedy = ctx.best_known_plan()
    greedy_value = total_net(greedy)
    master = Master(inst, options.seed)
    t = time.perf_counter()
    for out in initial_columns(cands, ctx.proposals) + greedy:
        master.add(out)
    laps = {"candidates": time.perf_counter() - t}

    t = time.perf_counter()
    pricers = {c: CategoryPricer(cands, c) for c in inst.category}
    pricers = {c: p for c, p in pricers.items() if p.pool}
    sets = {c: cs for c in inst.category if (cs := category_sets(cands, c)) is not None}
    capacity_k = {c: max(1, len(cs.orgs) // inst.category[c].min_members) for c, cs in sets.items()}
    exact = {
        c: PricingProblem(cands, cs, options.seed)
        for c, cs in sets.items()
        if len(cs.orgs) <= EXACT_PRICING_ORGS
    }
    large = {c: cs for c, cs in sets.items() if c not in exact}
    laps["build"] = time.perf_counter() - t

    bound = math.inf
    rounds = 0
    lp_time = price_time = late_build = 0.0
    converged = False
    width = 0
    columns_from_milp: dict[str, PricingProblem] = {}
    messages: list[str] = []
    cg_deadline = ctx.deadline.share(0.7)

    def out_of_time() -> bool:
        return cg_deadline.expired()

    nu: dict[int, float] = {}
    while rounds < MAX_ROUNDS:
        rounds += 1
        t = time.perf_counter()
        lp_value, duals = master.solve_lp()
        lp_time += time.perf_counter() - t
        pi = {(o, c): v for (kind, *key), v in duals.items() if kind == "org" for o, c in [key]}
        mu = {(s, c): v for (kind, *key), v in duals.items() if kind == "cap" for s, c in [key]}
        nu = {key[0]: v for (kind, *key), v in duals.items() if kind == "form"}
        rho = {(o, p): v for (kind, *key), v in duals.items() if kind == "own" for o, p in [key]}
        t = time.perf_counter()
        bound = min(bound, plan_bound(inst, pricers, pi, mu, nu, rho))
        if options.progress is not None:
            options.progress(
                Progress("column generation", time.perf_counter() - started, greedy_value, bound)
            )
        added = 0
        for cat_id, pricer in pricers.items():
            found = pricer.grow(
                {o: v for (o, c), v in pi.items() if c == cat_id},
                {s: v for (s, c), v in mu.items() if c == cat_id},
                nu,
                seeds=SEARCH_WIDTHS[width][0],
                breadth=SEARCH_WIDTHS[width][1],
                rho=rho,
            )
            for _, lot in found[:COLUMNS_PER_ROUND]:
                added += _add_priced(master, inst, lot, pi, mu, nu, rho, lp_value)
            if out_of_time():
                break
        if added == 0 and not out_of_time():
            # Greedy pricing is stuck: price exactly where the category is small
            # enough; a proven reduced-cost bound for every category proves the LP.
            slack = 0.0
            proven = not large
            for cat_id, problem in exact.items():
                problem.set_duals(
                    {o: v for (o, c), v in pi.items() if c == cat_id},
                    {s: v for (s, c), v in mu.items() if c == cat_id},
                    nu,
                    rho,
                )
                limit = cg_deadline.limit(0.1) or 30.0
                lots, rc_bound = problem.solve(limit)
                slack = sum_up([slack, product_up(float(capacity_k[cat_id]), rc_bound)])
                for lot in lots:
                    added += _add_priced(master, inst, lot, pi, mu, nu, rho, lp_value)
                if out_of_time():
                    proven = False
                    break
            if proven:
                bound = min(bound, sum_up([master.dual_objective(duals), slack]))
                if added == 0 and slack <= 1e-7 * max(1.0, abs(lp_value)):
                    converged = True
        price_time += time.perf_counter() - t
        if converged:
            break
        if added == 0 and width + 1 < len(SEARCH_WIDTHS):
            width += 1  # search wider before giving up
            continue
        if added == 0 and large and not ctx.deadline.unlimited and not out_of_time():
            # Large categories: exact pricing cannot prove anything in time, but
            # its incumbents within a time share are good columns.
            t = time.perf_counter()
            for cat_id in list(large):
                share = (cg_deadline.limit(0.1) or 0.1) / max(1, len(large))
                if cat_id not in columns_from_milp:
                    built = time.perf_counter()
                    columns_from_milp[cat_id] = PricingProblem(cands, large[cat_id], options.seed)
                    # model building is reported as building, not as search
                    late_build += time.perf_counter() - built
                problem = columns_from_milp[cat_id]
                problem.set_duals(
                    {o: v for (o, c), v in pi.items() if c == cat_id},
                    {s: v for (s, c), v in mu.items() if c == cat_id},
                    nu,
                    rho,
                )
                lots, _ = problem.solve(min(share, LARGE_PRICING_SECONDS))
                for lot in lots:
                    added += _add_priced(master, inst, lot, pi, mu, nu, rho, lp_value)
                if out_of_time():
                    break
            price_time += time.perf_counter() - t
        if added == 0:
            break

        if out_of_time():
            messages.append(f"{LIMIT_NOTE}column generation stopped at its time share")
            break
    root_bound = bound
    ctx.timings.add_building("candidates", laps["candidates"])
    ctx.timings.add_building("build", laps["build"] + late_build)
    ctx.timings.add_search("lp", lp_time)
    ctx.timings.add_search("pricing", price_time - late_build)

    with ctx.timings.search_stage("integer_master"):
        plan, _ = master.solve_ip(ctx.deadline.limit(0.5) or 1e9, greedy)
    assessment = assess_plan(inst, [o.lot for o in plan])
    if not assessment.feasible:  # cannot happen: every column is priced by the spec
        raise RuntimeError("; ".join(assessment.violations))
    outcomes = [o for o in assessment.outcomes if o.net > 0]
    if total_net(outcomes) < greedy_value:
        outcomes = greedy
    size = sum(p.solver.num_cols for p in [*exact.values(), *columns_from_milp.values()])
    return finish(
        ctx,
        "columns",
        outcomes,
        bound,
        model_size={
            "columns": len(master.columns),
            "master_rows": len(master.row_keys),
            "pricing_variables": size,
            "converged": int(converged),
        },
        iterations=rounds,
        messages=messages,
        root_bound=root_bound if math.isfinite(root_bound) else None,
        # the last master LP's duals of the formation rows: one more slot's worth
        slot_values={p: v for p, v in nu.items() if v > 1e-9},
    )


COLUMNS = ColumnStrategy()
