"""Column generation over lots, then an integer master over the generated columns.

1. The pool starts with every profitable single-member lot, the greedy proposals
   and the greedy plan.
2. Each round solves the master LP, hands its duals to every category's pricing
   MILP, and adds the connected lots with positive reduced cost.
3. Any round in which every category was priced gives a valid bound (Lagrangian
   bound): z* <= LP + sum_c K_c * max(0, rc_c), where rc_c is a proven upper
   bound on the reduced cost of category c's lots and K_c the most lots the
   category can hold. When no lot has positive reduced cost the bound is the LP.
4. The integer master over the pool gives the plan (price-and-branch: optimal when
   its value meets the bound, otherwise reported with its gap).
"""

from __future__ import annotations

import math
import time

from consortia.candidates import Candidates, build_candidates
from consortia.columns.greedy_pricing import CategoryPricer, plan_bound
from consortia.columns.master import Master
from consortia.columns.pricing import PricingProblem, category_sets
from consortia.heuristic import greedy_plan, proposed_lots
from consortia.instance import Instance
from consortia.plan import Lot, LotOutcome, assess_plan, price_lot, total_net
from consortia.result import Result, relative_gap
from consortia.solve_options import Progress, SolveOptions

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
    )
    if rc > 1e-7 * max(1.0, abs(lp_value)) and master.add(outcome):
        return 1
    return 0


def initial_columns(cands: Candidates) -> list[LotOutcome]:
    inst = cands.inst
    lots = [Lot(c, s, (o,), inst.ready[o]) for (o, s, c) in cands.threshold]
    for lot in proposed_lots(cands):
        lots.append(
            Lot(
                lot.category_id,
                lot.supplier_id,
                lot.members,
                max(inst.ready[o] for o in lot.members),
            )
        )
    out = []
    for lot in lots:
        outcome, problems = price_lot(inst, lot)
        if outcome is not None and not problems and outcome.net > 1e-9:
            out.append(outcome)
    return out


def solve_columns(
    inst: Instance, options: SolveOptions, start: list[LotOutcome] | None = None
) -> Result:
    """Column generation, then the integer master; see the module docstring."""
    time_limit = options.time_limit
    started = time.perf_counter()
    deadline = None if time_limit is None else started + time_limit
    laps: dict[str, float] = {}
    cands = build_candidates(inst)
    greedy = greedy_plan(cands)
    if start and total_net(start) > total_net(greedy):
        greedy = list(start)
    greedy_value = total_net(greedy)
    master = Master(inst, options.seed)
    for out in initial_columns(cands) + greedy:
        master.add(out)
    laps["candidates"] = time.perf_counter() - started

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
    cg_deadline = None if deadline is None else started + 0.7 * (deadline - started)

    def out_of_time() -> bool:
        return cg_deadline is not None and time.perf_counter() > cg_deadline

    while rounds < MAX_ROUNDS:
        rounds += 1
        t = time.perf_counter()
        lp_value, duals = master.solve_lp()
        lp_time += time.perf_counter() - t
        pi = {(o, c): v for (kind, *key), v in duals.items() if kind == "org" for o, c in [key]}
        mu = {(s, c): v for (kind, *key), v in duals.items() if kind == "cap" for s, c in [key]}
        nu = {key[0]: v for (kind, *key), v in duals.items() if kind == "form"}
        t = time.perf_counter()
        bound = min(bound, plan_bound(inst, pricers, pi, mu, nu))
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
            )
            for _, lot in found[:COLUMNS_PER_ROUND]:
                added += _add_priced(master, inst, lot, pi, mu, nu, lp_value)
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
                )
                limit = 30.0 if cg_deadline is None else max(0.1, cg_deadline - time.perf_counter())
                lots, rc_bound = problem.solve(limit)
                slack += capacity_k[cat_id] * rc_bound
                for lot in lots:
                    added += _add_priced(master, inst, lot, pi, mu, nu, lp_value)
                if out_of_time():
                    proven = False
                    break
            if proven:
                bound = min(bound, lp_value + slack)
                if added == 0 and slack <= 1e-7 * max(1.0, abs(lp_value)):
                    converged = True
        price_time += time.perf_counter() - t
        if converged:
            break
        if added == 0 and width + 1 < len(SEARCH_WIDTHS):
            width += 1  # search wider before giving up
            continue
        if added == 0 and large and deadline is not None and not out_of_time():
            # Large categories: exact pricing cannot prove anything in time, but
            # its incumbents within a time share are good columns.
            t = time.perf_counter()
            for cat_id in list(large):
                share = max(0.1, (cg_deadline or 0.0) - time.perf_counter()) / max(1, len(large))
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
                )
                lots, _ = problem.solve(min(share, LARGE_PRICING_SECONDS))
                for lot in lots:
                    added += _add_priced(master, inst, lot, pi, mu, nu, lp_value)
                if out_of_time():
                    break
            price_time += time.perf_counter() - t
        if added == 0:
            break

        if out_of_time():
            messages.append("column generation stopped at its time share")
            break
    root_bound = bound
    laps["lp"] = lp_time
    laps["pricing"] = price_time - late_build
    laps["build"] += late_build

    t = time.perf_counter()
    remaining = None if deadline is None else max(0.5, deadline - time.perf_counter())
    plan, _ = master.solve_ip(remaining if remaining is not None else 1e9, greedy)
    laps["integer_master"] = time.perf_counter() - t
    laps["solve"] = lp_time + laps["pricing"] + laps["integer_master"]
    assessment = assess_plan(inst, [o.lot for o in plan])
    if not assessment.feasible:  # cannot happen: every column is priced by the spec
        raise RuntimeError("; ".join(assessment.violations))
    outcomes = [o for o in assessment.outcomes if o.net > 0]
    objective = total_net(outcomes)
    if objective < greedy_value:
        outcomes, objective = greedy, greedy_value
    best_bound = max(bound, objective)
    status = "optimal" if relative_gap(best_bound, objective) <= options.proven_gap else "feasible"
    size = sum(p.solver.num_cols for p in [*exact.values(), *columns_from_milp.values()])
    return Result(
        inst,
        status,
        objective,
        best_bound,
        sorted(outcomes, key=lambda o: (o.lot.category_id, o.live, o.lot.start, o.lot.members)),
        formulation="columns",
        timings=laps,
        model_size={
            "columns": len(master.columns),
            "master_rows": len(master.row_keys),
            "pricing_variables": size,
            "converged": int(converged),
        },
        iterations=rounds,
        messages=messages,
        root_bound=root_bound if math.isfinite(root_bound) else None,
    )
