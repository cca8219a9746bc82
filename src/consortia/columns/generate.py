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
from consortia.columns.master import Master
from consortia.columns.pricing import PricingProblem, category_sets
from consortia.heuristic import greedy_plan, proposed_lots
from consortia.instance import Instance
from consortia.plan import Lot, LotOutcome, assess_plan, price_lot
from consortia.result import Result, relative_gap

PROVEN_GAP = 1e-4


def initial_columns(cands: Candidates) -> list[LotOutcome]:
    inst = cands.inst
    lots = [Lot(c, s, (o,), inst.ready[o]) for (o, s, c) in cands.threshold]
    for lot in proposed_lots(cands):
        lots.append(Lot(lot.category_id, lot.supplier_id, lot.members,
                        max(inst.ready[o] for o in lot.members)))
    out = []
    for lot in lots:
        outcome, problems = price_lot(inst, lot)
        if outcome is not None and not problems and outcome.net > 1e-9:
            out.append(outcome)
    return out


def solve_columns(inst: Instance, time_limit: float | None = None, gap: float = 1e-6) -> Result:
    started = time.perf_counter()
    deadline = None if time_limit is None else started + time_limit
    laps: dict[str, float] = {}
    cands = build_candidates(inst)
    greedy = greedy_plan(cands)
    master = Master(inst)
    for out in initial_columns(cands) + greedy:
        master.add(out)
    laps["candidates"] = time.perf_counter() - started

    t = time.perf_counter()
    pricing: dict[str, PricingProblem] = {}
    capacity_k: dict[str, int] = {}
    for cat_id, cat in inst.category.items():
        cs = category_sets(cands, cat_id)
        if cs is not None:
            pricing[cat_id] = PricingProblem(cands, cs)
            capacity_k[cat_id] = max(1, len(cs.orgs) // cat.min_members)
    laps["build"] = time.perf_counter() - t

    bound = math.inf
    rounds = 0
    lp_time = price_time = 0.0
    converged = False
    price_limit = 5.0
    messages: list[str] = []
    cg_deadline = None if deadline is None else started + 0.75 * (deadline - started)
    while True:
        rounds += 1
        t = time.perf_counter()
        lp_value, duals = master.solve_lp()
        lp_time += time.perf_counter() - t
        pi = {(o, c): v for (kind, *key), v in duals.items() if kind == "org" for o, c in [key]}
        mu = {(s, c): v for (kind, *key), v in duals.items() if kind == "cap" for s, c in [key]}
        nu = {key[0]: v for (kind, *key), v in duals.items() if kind == "form"}
        t = time.perf_counter()
        added = 0
        slack = 0.0
        complete = True
        for cat_id, problem in pricing.items():
            if cg_deadline is not None and time.perf_counter() > cg_deadline:
                complete = False
                break
            problem.set_duals(
                {o: v for (o, c), v in pi.items() if c == cat_id},
                {s: v for (s, c), v in mu.items() if c == cat_id},
                nu,
            )
            limit = price_limit
            if cg_deadline is not None:
                limit = min(limit, max(0.1, cg_deadline - time.perf_counter()))
            lots, rc_bound = problem.solve(limit)
            slack += capacity_k[cat_id] * rc_bound
            for lot in lots:
                outcome, problems = price_lot(inst, lot)
                if outcome is None or problems:
                    continue
                rc = (
                    outcome.net
                    - sum(pi.get((o, cat_id), 0.0) for o in lot.members)
                    - mu.get((lot.supplier_id, cat_id), 0.0) * outcome.volume
                    - sum(nu.get(p, 0.0) for p in outcome.forming)
                )
                if rc > 1e-7 * max(1.0, abs(lp_value)) and master.add(outcome):
                    added += 1
        price_time += time.perf_counter() - t
        if complete:
            bound = min(bound, lp_value + slack)
        if complete and added == 0:
            if slack <= 1e-7 * max(1.0, abs(lp_value)):
                converged = True
                bound = min(bound, lp_value)
                break
            price_limit *= 2
        if cg_deadline is not None and time.perf_counter() > cg_deadline:
            messages.append("column generation stopped at its time share")
            break
    laps["lp"] = lp_time
    laps["pricing"] = price_time

    t = time.perf_counter()
    remaining = None if deadline is None else max(0.5, deadline - time.perf_counter())
    plan, _ = master.solve_ip(remaining if remaining is not None else 1e9, greedy)
    laps["integer_master"] = time.perf_counter() - t
    laps["solve"] = lp_time + price_time + laps["integer_master"]
    assessment = assess_plan(inst, [o.lot for o in plan])
    if not assessment.feasible:  # cannot happen: every column is priced by the spec
        raise RuntimeError("; ".join(assessment.violations))
    outcomes = [o for o in assessment.outcomes if o.net > 0]
    objective = math.fsum(o.net for o in outcomes)
    if objective < math.fsum(o.net for o in greedy):
        outcomes, objective = greedy, math.fsum(o.net for o in greedy)
    best_bound = max(bound, objective)
    status = "optimal" if relative_gap(best_bound, objective) <= PROVEN_GAP else "feasible"
    size = sum(p.solver.num_cols for p in pricing.values())
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
    )
