"""Column generation over lots with vectorised exact pricing (``--formulation lots``).

1. Per category: numpy data (``data``) and the pricing subproblems (``subproblems``).
2. Pool: the greedy plan's lots (and a start plan's).
3. Each round: master LP (``master``) -> duals y -> every subproblem priced
   (``pricing``): an upper bound U_t on its reduced costs and, where it is positive,
   a member set -> real and relaxed columns (``repair``).
   The bound b.y + max{sum U_t x_t : aggregate rows} (``bound``) is valid every
   round; when no subproblem has a positive upper bound it is the LP itself.
4. The integer master over the real columns (HiGHS, from the greedy plan) gives
   the plan: price-and-branch, ``optimal`` only when plan and bound meet.

With a collaboration graph, step 3 prices connected lots only (``_ExactPricing``:
LP screen with connectivity cuts and the growth heuristic in the rounds, decision
MIPs in the proof phase; ``examine``, ``exact``, ``connected``, ``settle``; shared
with a helper process, ``helper``) with interior-point duals, and the bound LP
gets per-organization rows.
"""

from __future__ import annotations

import math
import os
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor
from functools import partial
from multiprocessing import get_context
from typing import NamedTuple

import numpy as np

from consortia.data.instance import Instance
from consortia.formulations.greedy import schedule_lots
from consortia.formulations.regional import member_bound, regional_lots
from consortia.formulations.slot_bound import SlotDuals
from consortia.rules.connectivity import adjacency
from consortia.rules.plan import LotOutcome, assess_plan, total_net
from consortia.solvers.base import SolveContext, finish
from consortia.solvers.clock import Deadline, Timings
from consortia.solvers.lots.bound import ActiveRows, pricing_slack, slack_shares
from consortia.solvers.lots.data import build_category_data
from consortia.solvers.lots.exact import Certificate, PieceConnectedPricer
from consortia.solvers.lots.examine import Screened, resolve, screen, search
from consortia.solvers.lots.helper import (
    Task,
    screen_batch,
    search_batch,
    settle_batch,
    start_helper,
)
from consortia.solvers.lots.master import LotMaster
from consortia.solvers.lots.polish import polish
from consortia.solvers.lots.pricing import CategoryPricing, PricingResult
from consortia.solvers.lots.repair import columns_from_members, integer_variants
from consortia.solvers.lots.settle import Settled
from consortia.solvers.lots.sharing import share_work
from consortia.solvers.lots.subproblems import build_subproblems
from consortia.solvers.national import national_plan
from consortia.solvers.options import Progress, SolveOptions
from consortia.solvers.result import Result, relative_gap

_DEBUG = bool(os.environ.get("CONSORTIA_DEBUG_LOTS"))  # per-round figures on stderr
COLUMNS_PER_CATEGORY = 12  # at least; a category of n organizations gets n // 8
QUICK_ITERATIONS = 8
THOROUGH_ITERATIONS = 40
CG_SHARE = 0.75  # of the time limit, for column generation; the rest for the integer master
CG_SHARE_GRAPH = 0.9  # with a graph the pool is small and its integer master fast
# (medium: 0.4-2.7 s): up to 95% of the time when that leaves these seconds
CG_SHARE_GRAPH_MOST, GRAPH_RESERVE = 0.95, 6.0
# unless organizations' own limits bind (rule 8b): lots of one organization must
# then be staggered, and the integer master needs seconds to close on the LP
# (m200-seed1 with k = 1 on a third: 422 M after 2.4 s, 458 M after 12 s; LP 472-500 M)
CG_SHARE_OWN_LIMITS = 0.75
MAX_ROUNDS = 10_000
# from this many demand pairs on, the national plan and its slot-priced bound
# (solvers/national.py) come first, searching prices for a share of the time (at
# most the seconds)
SLOT_BOUND_PAIRS = 2000
SLOT_BOUND_SHARE = 0.06
SLOT_BOUND_SECONDS = 20.0
# for the national plan's MIP over its proposed lots (at most, and 60% of the time
# left): at 1,000 organizations its plan beats the lot master's, and the bound
# gains little from the time it takes (g1000 in 300 s: 2,641 M against 2,585 M with
# 30 s, the bound 3,173 M against 3,168 M)
POOL_SECONDS = 90.0
BOUND_SECONDS = 5.0  # per bound LP (its duals give a valid bound whenever it stops)
BOUND_EVERY = 5
GREEDY_PAIRS = 6000  # demand pairs up to which the greedy start is built
MAX_COLUMNS_PER_CATEGORY = 100  # repair (plan.price_lot per column) is the cost beyond this
SETTLE_HELPER = True  # price and settle in a helper process too (two cores or more)
HELPER_FROM = 6  # subproblems in a proof batch from which the helper is started (~1 s)
HELPER_QUEUE = 100  # subproblems screened in a round from which it is started
SCREEN_ALL = 1500  # subproblems LP-screened per round when no more are positive
SCREEN_FIRST = 300  # else only the best this many,
# for at most these seconds in a round; those left are searched unscreened (at
# 1,000 organizations a screen takes ~85 ms, and rounds of 300 took 15-20 s)
SCREEN_SECONDS = 2.0
CONNECTED_COLUMNS = 30  # per category and round, with a graph
PROOF_FROM = 0.55  # of the time limit: with a graph, proving starts (at the latest)
PROOF_BATCH = 24  # subproblems settled between two bound LPs (each LP ~1 s on medium)
# a proof pass that found lots ends when its slack fell by less than 2% over 2 LPs
STALL, STALL_LPS = 0.98, 2
# weight of the centre in the duals of the proofs after the first: with the proof's
# lots revisited and its other lots added, the LP's own duals (the centre's bounds
# still carried there) did better (m200-seed3 converged in 62 s; 0.5 before)
SMOOTHING = 0.0
# In-out from a dual-feasible centre (the slot-priced bound's duals, large
# instances): the LP's duals there are far from feasible (1,000 organizations:
# bounds of 6 G at them against a slot-priced 3.25 G), so every INOUT_EVERY-th
# round a proof runs at INOUT_START of the way from the LP's duals to the centre
# (0.9: 3,211 M at 1,000 organizations, 0.95 and smaller steps: 3,180 M); the
# weight falls by INOUT_STEP (to INOUT_LEAST) after a proof that lowers the
# bound and moves halfway to 1 after one that does not. A proof there stops after
# INOUT_PROOF_SECONDS (the rounds between move the LP, and its duals the point).
INOUT_START, INOUT_STEP, INOUT_LEAST = 0.95, 0.05, 0.5
INOUT_EVERY = 2
# in-out rounds price at this weight on the centre (halved after a round whose lots
# mostly do not improve the LP at its own duals): g1000, 300 s, LP 2,846 M after
# nine rounds against 2,757 M priced at the LP's duals
PRICE_SMOOTHING = 0.5
INOUT_PROOF_SECONDS = 20.0
# with a graph, reduced costs below this share of the LP count as zero: the
# decision MIPs' margin for the solver's tolerances (1e-6 of the values) must fit
GRAPH_TOL = 1e-6
# of the time left after column generation, for the integer master (its searches
# keep to their limits, bar the whole pool's, which it searches only with time to
# spare: ``LotMaster.solve_ip``)
INTEGER_SHARE = 0.85
VARIANT_SHARE = 0.15  # of the time left then, at most, for the LP the variants come from
# a proof that found nothing but left bounds open (searches at their time limits) is
# run again with limits this many times longer, up to MAX_PATIENCE times the first
PATIENCE_STEP, MAX_PATIENCE = 4.0, 64.0


class _Carry(NamedTuple):
    """Exact subproblem bounds and the duals they hold at, per category: the betas,
    constants and own charges of the pricing they were found at."""

    known: list[np.ndarray]
    beta: list[np.ndarray | None]
    C: list[np.ndarray | None]
    own: list[np.ndarray | None]


class _Priced(NamedTuple):
    """A category's duals at one round and its pricing at them."""

    pi: np.ndarray  # one-lot rows of its organizations
    mu: np.ndarray  # capacity rows of its offers
    own: np.ndarray | None  # cumulative rule-8b duals of its limited organizations
    result: PricingResult


def solve_lots(
    inst: Instance,
    options: SolveOptions,
    start: list[LotOutcome] | None = None,
    greedy: list[LotOutcome] | None = None,
    centre_duals: SlotDuals | None = None,
    initial_lots: list[LotOutcome] | None = None,
) -> Result:
    """Column generation with vectorised pricing; see the module docstring.
    `centre_duals`, a dual-feasible point and its bound (the slot-priced one), make
    the proofs in-out: at points between the LP's duals and the best bound's.
    `initial_lots`: lots, each feasible on its own, that join the master at the start
    (the national plan's priced and filled lots: at 1,000 organizations its first
    LP 2,606 M instead of 2,526 M, 20,000 positive subproblems instead of 52,000)."""
    started = time.perf_counter()
    limit = options.time_limit
    deadline = Deadline(limit, started)
    share = CG_SHARE
    graph_only = inst.neighbours is not None and not inst.binding_org_capacity
    if inst.neighbours is not None:
        share = CG_SHARE_GRAPH if graph_only else CG_SHARE_OWN_LIMITS
    cg_seconds = None
    if limit is not None:
        cg_seconds = share * limit
        if graph_only:
            most = min(CG_SHARE_GRAPH_MOST * limit, limit - GRAPH_RESERVE)
            cg_seconds = max(cg_seconds, most)
    cg_deadline = Deadline(cg_seconds, started)
    # with a graph, column generation stops here and the rest of its share goes to
    # settling the pricing bounds at the last duals (``_ExactPricing.prove``)
    proof_at = Deadline(None if limit is None else PROOF_FROM * limit, started)
    laps = {"build": 0.0, "pricing": 0.0, "lp": 0.0, "bound": 0.0, "repair": 0.0}
    messages: list[str] = []
    if greedy is None:
        greedy = []
        messages.append("no greedy start (instance too large for the greedy plan)")
    if start and total_net(start) > total_net(greedy) and _feasible(inst, start):
        greedy = list(start)
    greedy_value = total_net(greedy)

    cats = build_category_data(inst)
    master = LotMaster(inst, cats, options.seed)
    pricings = [CategoryPricing(d, build_subproblems(inst, d)) for d in cats]
    master.add([(o, True) for o in greedy])
    master.add([(o, True) for o in initial_lots or []])
    graphs = [adjacency(pr.data.orgs, inst.neighbours) for pr in pricings]
    laps["build"] = time.perf_counter() - started
    horizon = inst.settings.horizon

    bound = math.inf
    rounds = 0
    defects = 0
    converged = False
    iterations = QUICK_ITERATIONS
    last_lp = 0.0
    last_y: np.ndarray | None = None  # the duals of the last LP solved to its end
    # 1: relaxed columns in the LP (bound); 2: real columns only (plan). With a
    # collaboration graph the relaxed LP is far above every connected plan, so the
    # bound comes from exact connected pricing instead and phase 1 is skipped.
    graph_mode = inst.neighbours is not None
    phase = 2 if graph_mode else 1
    if graph_mode:
        master.allow_relaxed(False)
    exact = _ExactPricing(pricings, graphs)
    relaxed_lp = None
    phase2_rounds = 0
    centre: np.ndarray | None = None  # the duals of the best proved bound
    centre_bounds: _Carry | None = None  # the exact bounds there
    # every subproblem's bound on its reduced costs at the centre (``_mixed_bounds``)
    centre_ubs: list[np.ndarray] | None = None
    smooth = True  # whether the next proof is at smoothed duals
    patience = 1.0  # scales the settling searches' time limits (``settle``)
    smoothing = SMOOTHING
    inout = False
    beta = PRICE_SMOOTHING
    if graph_mode and centre_duals is not None:
        inout = True
        d = centre_duals
        centre = master.duals_of(d.pair, d.formation, d.own, d.capacity)
        centre_bounds = exact.state()
        # the slot duals are dual feasible: no lot has a positive reduced cost there
        centre_ubs = [np.zeros(len(pr.subs)) for pr in pricings]
        bound = d.bound
        smoothing = INOUT_START
        exact.budget_always = True
    try:
        while rounds < MAX_ROUNDS:
            rounds += 1
            t = time.perf_counter()
            # limited like every other LP here: the first to the solve's deadline,
            # the others to the share's end
            lp_until = deadline if rounds == 1 else cg_deadline
            lp, y = master.solve_lp(central=graph_mode, seconds=lp_until.limit(0.01))
            laps["lp"] += time.perf_counter() - t
            if master.lp_stopped():  # no duals of the LP to price at
                messages.append("column generation stopped at its time share (in its LP)")
                break
            last_lp, last_y = lp, y
            t = time.perf_counter()
            # in-out: the rounds price at duals smoothed towards the centre's (Wentges)
            priced_beta, priced_at = 0.0, y
            if inout and centre is not None and beta > 0.0:
                priced_beta, priced_at = beta, beta * centre + (1.0 - beta) * y
            results = _price_all(master, pricings, priced_at, horizon, iterations)
            laps["pricing"] += time.perf_counter() - t
            tol = 1e-7 * max(1.0, abs(lp))
            if graph_mode:
                tol = GRAPH_TOL * max(1.0, abs(lp))
                t = time.perf_counter()
                ubs = [
                    np.minimum(r.result.ub, k) for r, k in zip(results, exact.bounds(), strict=True)
                ]
                # a smoothed proof comes next: it settles at its own duals, and late
                # rounds' screens and heuristics at these find nothing (m200-seed2:
                # 5 s a round, 0 lots)
                straight = smooth and centre is not None and proof_at.expired() and not inout
                # lots a proof pass found are polished again at the duals they moved
                # (cheap, where the screens and growth of a round find nothing)
                revisit = straight and bool(exact.recent)
                if revisit:
                    found, complete = exact.revisit(ubs, results, tol), False
                else:
                    # in-out rounds go on past proof_at: the proofs come every few rounds
                    until = cg_deadline if inout else proof_at
                    found, complete = (
                        ([], False) if straight else exact.round(ubs, results, tol, until)
                    )
                laps["connected_pricing"] = (
                    laps.get("connected_pricing", 0.0) + time.perf_counter() - t
                )
                t = time.perf_counter()
                # a round's bound LP costs ~0.5 s on medium (a fifth of a round) and,
                # while lots are still found, bounds far above the proof phase's: it is
                # solved for the round the search ends with (nothing found, out of
                # time, or every bound settled) and every 5th round, with the
                # per-organization rows when every positive subproblem was screened
                last = not found or complete or (proof_at.expired() and not inout)
                dual_obj = master.dual_objective(priced_at)
                slack = math.inf
                if (last or (rounds % BOUND_EVERY == 0 and not inout)) and not straight:
                    precise = exact.last_screened_all
                    values = _member_values(pricings, results) if precise else None
                    slack = pricing_slack(inst, pricings, ubs, values, _bound_seconds(deadline))
                    bound = min(bound, dual_obj + slack + 1e-9 * abs(dual_obj + slack))
                laps["bound"] += time.perf_counter() - t
                if _DEBUG:
                    print(
                        f"[lots] round {rounds} t={time.perf_counter() - started:.0f}s lp={lp:,.0f}"
                        f" queue={exact.last_queue} carried={exact.last_carried}"
                        f" found={len(found)}"
                        f" helper={exact.last_by_helper}"
                        f" bound={dual_obj + slack:,.0f} best={bound:,.0f}",
                        file=sys.stderr,
                    )
                if options.progress is not None:
                    options.progress(
                        Progress("lots", time.perf_counter() - started, greedy_value, bound)
                    )
                t = time.perf_counter()
                columns = _columns_of(inst, pricings, found)
                improving = [out for out, _ in columns if master.reduced_cost(out, y) > tol]
                added = master.add(columns)
                if priced_beta and 2 * len(improving) < len(columns):
                    beta /= 2.0  # mispriced: most lots found there do not improve the LP
                laps["repair"] += time.perf_counter() - t
                if _DEBUG:
                    print(
                        f"[lots]   columns {len(columns)} improving {len(improving)} added {added}",
                        file=sys.stderr,
                    )
                # in-out: a proof every INOUT_EVERY rounds, lots found or not
                due = inout and rounds % INOUT_EVERY == 0
                if (
                    improving
                    and (revisit or not proof_at.expired())
                    and not due
                    and not cg_deadline.expired()
                ):
                    continue
                smoothed = False
                if not complete:
                    # settle the pricing bounds the slack rests on, at these duals or,
                    # after a first proof, at SMOOTHING of the way from these to the
                    # duals of the best bound proved (the centre): every dual vector
                    # gives a valid bound, and the Lagrangian is convex in it
                    t = time.perf_counter()
                    at, at_results, at_ubs, at_obj = priced_at, results, ubs, dual_obj
                    # in-out: at the round's own point once a round that screened
                    # every subproblem finds no lot (it may then prove the LP optimal)
                    if (
                        smooth
                        and centre is not None
                        and centre_bounds is not None
                        and (improving or not inout or not exact.last_screened_all)
                    ):
                        smoothed = True
                        at = smoothing * centre + (1.0 - smoothing) * y
                        if smoothing != priced_beta:  # else priced already
                            at_results = _price_all(master, pricings, at, horizon, iterations)
                        # the centre's bounds carried straight to `at`, or the
                        # current ones carried on, whichever is smaller
                        ours = exact.bounds()
                        theirs = exact.carry(centre_bounds)
                        exact.known = [np.minimum(a, b) for a, b in zip(ours, theirs, strict=True)]
                        at_ubs = [
                            np.minimum(r.result.ub, k)
                            for r, k in zip(at_results, exact.known, strict=True)
                        ]
                        # `at` on the segment from the round's point (ubs) to the centre
                        share = (smoothing - priced_beta) / (1.0 - priced_beta)
                        if centre_ubs is not None and 0.0 < share < 1.0:
                            at_ubs = _mixed_bounds(at_ubs, centre_ubs, ubs, share)
                            exact.known = [
                                np.minimum(k, u) for k, u in zip(exact.known, at_ubs, strict=True)
                            ]
                        at_obj = master.dual_objective(at)
                    until = cg_deadline
                    if inout:
                        until = cg_deadline.capped(INOUT_PROOF_SECONDS)
                    slack, proved = exact.prove(
                        inst, at_ubs, at_results, tol, until, deadline, patience
                    )
                    value = at_obj + slack + 1e-9 * abs(at_obj + slack)
                    improved = value < bound
                    if centre is None or improved:
                        centre, centre_bounds = at, exact.state()
                        centre_ubs = [u.copy() for u in at_ubs]
                    # a smoothed proof that did not lower the bound: the next one is
                    # at the LP's duals (which end the search as before)
                    smooth = improved or not smoothed or inout
                    if inout:
                        smoothing = (
                            max(INOUT_LEAST, smoothing - INOUT_STEP)
                            if improved
                            else 1.0 - (1.0 - smoothing) / 2.0
                        )
                    bound = min(bound, value)
                    columns = _columns_of(inst, pricings, proved)
                    master.add(columns)
                    exact.recent = {(ci, r): idx for ci, r, idx in proved}
                    complete = not smoothed and not any(bool((ub > tol).any()) for ub in ubs)
                    # it settled everything it could and found lots that improve the LP:
                    # with time left, the LP moves and the search goes on from there
                    improving = [out for out, _ in columns if master.reduced_cost(out, y) > tol]
                    if inout and bound <= lp + tol:
                        # the bound met the LP: it is optimal, whatever its duals price
                        complete, improving = True, []
                    laps["proof"] = laps.get("proof", 0.0) + time.perf_counter() - t
                    if _DEBUG:
                        print(
                            f"[lots] proof t={time.perf_counter() - started:.0f}s"
                            f" bound={at_obj + slack:,.0f} best={bound:,.0f}"
                            f" smoothed={smoothed}"
                            f" complete={complete} columns={len(proved)}",
                            file=sys.stderr,
                        )
                # after a smoothed proof comes another, nearer the LP's duals
                if (improving or smoothed) and not cg_deadline.expired():
                    continue
                converged = complete and not improving
                # nothing left to find, but subproblems whose searches hit their time
                # limits keep the bound open: with time left, settle again, longer
                if (
                    not converged
                    and not improving
                    and patience < MAX_PATIENCE
                    and not cg_deadline.expired()
                ):
                    patience *= PATIENCE_STEP
                    continue
                # out of time with the bound still open is the time share's doing,
                # not a stall (a round cut short by it finds nothing)
                if improving or (not converged and cg_deadline.expired()):
                    messages.append("column generation stopped at its time share")
                elif not complete:
                    messages.append(
                        "connected pricing found no improving lot but could not prove none exists"
                    )
                break
            t = time.perf_counter()
            positive = sum(int((r.result.ub > tol).sum()) for r in results)
            slack = math.inf
            late = cg_deadline.expired()
            # phase 2 duals are valid too, but give weak bounds; a large bound LP is
            # solved every BOUND_EVERY rounds only (and whenever the phase may end)
            if phase == 1 and (positive <= 5000 or rounds % BOUND_EVERY == 1 or late):
                slack = pricing_slack(inst, pricings, [r.result.ub for r in results])
                dual_obj = master.dual_objective(y)
                bound = min(bound, dual_obj + slack + 1e-9 * abs(dual_obj + slack))
            laps["bound"] += time.perf_counter() - t
            if options.progress is not None:
                options.progress(
                    Progress("lots", time.perf_counter() - started, greedy_value, bound)
                )

            t = time.perf_counter()
            new: list[tuple[LotOutcome, bool]] = []
            for pr, (pi, mu, own, res) in zip(pricings, results, strict=True):
                rows = np.nonzero(res.lb > tol)[0].tolist()
                if not rows:
                    continue
                per_category = min(
                    MAX_COLUMNS_PER_CATEGORY, max(COLUMNS_PER_CATEGORY, pr.data.n // 8)
                )
                picked = np.array(rows)[np.argsort(-res.lb[rows], kind="stable")]
                picked = picked[: 4 * per_category]
                sets = pr.members(picked, res.theta[picked], pi, mu, own)
                seen: set[tuple] = set()
                taken = 0
                for r, idx in zip(picked.tolist(), sets, strict=True):
                    off = int(pr.subs.offer[r])
                    key = (off, frozenset(idx.tolist()))
                    if key in seen:
                        continue
                    seen.add(key)
                    members = [pr.data.orgs[i] for i in idx]
                    sigma = int(pr.subs.sigma[r])
                    cols, bad = columns_from_members(
                        inst,
                        pr.data.cat_id,
                        pr.data.offers[off].offer.supplier_id,
                        members,
                        sigma,
                    )
                    defects += bad
                    new += cols
                    taken += 1
                    if taken >= per_category:
                        break
            real_before = sum(master.real)
            added = master.add(new)
            real_added = sum(master.real) - real_before
            laps["repair"] += time.perf_counter() - t
            if cg_deadline.expired():
                messages.append(f"column generation stopped at its time share (phase {phase})")
                break
            if phase == 1:
                stuck = added == 0 and iterations < THOROUGH_ITERATIONS
                if stuck:
                    iterations = THOROUGH_ITERATIONS
                    continue
                if added == 0 and not math.isfinite(slack):
                    t = time.perf_counter()
                    slack = pricing_slack(inst, pricings, [r.result.ub for r in results])
                    dual_obj = master.dual_objective(y)
                    bound = min(bound, dual_obj + slack + 1e-9 * abs(dual_obj + slack))
                    laps["bound"] += time.perf_counter() - t
                if slack <= tol or added == 0:
                    converged = slack <= tol
                    if not converged:
                        messages.append(
                            "pricing found no improving column but could not prove none exists"
                        )
                    relaxed_lp = lp
                    if master.real.count(False) == 0:
                        break
                    phase = 2
                    master.allow_relaxed(False)
            else:
                phase2_rounds += 1
                if real_added == 0:
                    break
    finally:
        exact.close()
    # the last LP duals of the formation rows: what one more slot is worth there
    slot_values = {
        p: float(last_y[r])
        for p, r in master.form_row.items()
        if last_y is not None and last_y[r] > 1e-9
    }
    if defects:
        messages.append(f"{defects} priced member sets broke a non-relaxable rule (dropped)")
    root_bound = bound

    t = time.perf_counter()
    # the LP's lots at other starts and without a limited member: a plan may need
    # them to stagger what the LP mixes (limited like the integer master's own LP,
    # which with every rule-8b row ran for minutes at 5,000 organizations)
    left = deadline.remaining()
    master.solve_lp(seconds=None if left is None else VARIANT_SHARE * left)
    if master.lp_optimal():
        x = master.primal()
        support = [master.columns[j] for j in np.nonzero(x > 1e-6)[0] if master.real[j]]
        master.add([(out, True) for out in integer_variants(inst, support)])
    left = deadline.remaining()
    remaining = max(0.5, INTEGER_SHARE * (1e9 if left is None else left))
    plan, _ = master.solve_ip(remaining, greedy)
    laps["integer_master"] = time.perf_counter() - t
    assessment = assess_plan(inst, [o.lot for o in plan])
    if not assessment.feasible:  # every real column is priced by the spec
        raise RuntimeError("; ".join(assessment.violations))
    outcomes = [o for o in assessment.outcomes if o.net > 0]
    objective = total_net(outcomes)
    if objective < greedy_value:
        outcomes, objective = list(greedy), greedy_value
    lp_plan = master.lp_plan
    if total_net(lp_plan) > objective and assess_plan(inst, [o.lot for o in lp_plan]).feasible:
        outcomes, objective = list(lp_plan), total_net(lp_plan)
    best_bound = max(bound, objective)
    status = "optimal" if relative_gap(best_bound, objective) <= options.proven_gap else "feasible"
    return Result(
        inst,
        status,
        objective,
        best_bound,
        sorted(outcomes, key=lambda o: (o.lot.category_id, o.live, o.lot.start, o.lot.members)),
        formulation="lots",
        timings=Timings(building={"build": laps.pop("build")}, search=laps),
        model_size={
            "columns": len(master.columns),
            "relaxed_columns": int(len(master.real) - sum(master.real)),
            "master_rows": master.num_rows,
            "subproblems": int(sum(len(p.subs) for p in pricings)),
            "converged": int(converged),
            "last_lp": int(round(last_lp)),
            "relaxed_lp": int(round(relaxed_lp)) if relaxed_lp is not None else -1,
            "phase2_rounds": phase2_rounds,
        },
        iterations=rounds,
        messages=messages,
        root_bound=root_bound if math.isfinite(root_bound) else None,
        slot_values=slot_values,
    )


def _price_all(
    master: LotMaster, pricings: list[CategoryPricing], y: np.ndarray, horizon: int, iterations: int
) -> list[_Priced]:
    """Every category priced at the master duals y (the pricings remember them)."""
    nu = np.zeros(horizon + 1)
    for p, r in master.form_row.items():
        nu[p] = y[r]
    nu_cum = np.cumsum(nu)
    results: list[_Priced] = []
    for pr, rows in zip(pricings, master.pair_rows, strict=True):
        data = pr.data
        pi = y[rows]
        mu = np.array(
            [
                y[master.cap_row[od.offer.key]] if od.offer.key in master.cap_row else 0.0
                for od in data.offers
            ]
        )
        own = master.own_duals(y, data)
        results.append(_Priced(pi, mu, own, pr.price(pi, mu, nu_cum, iterations, own)))
    return results


def _mixed_bounds(
    at_ubs: list[np.ndarray], centre_ubs: list[np.ndarray], ubs: list[np.ndarray], alpha: float
) -> list[np.ndarray]:
    """Each subproblem's bound at ``alpha * centre + (1 - alpha) * y``: the smaller of
    `at_ubs` (its own there) and ``alpha * centre_ubs + (1 - alpha) * ubs`` (valid
    bounds at the centre and at y). A lot's reduced cost is affine in the duals, so
    at the mixed point it is that combination of its reduced costs at the two ends,
    each at most its subproblem's bound there. At the slot duals every bound is 0,
    and the bounds that ignore the graph at the mixed point (over 200 G at 5,000
    organizations) give way to a share of those at y."""
    out = []
    for here, centre, there in zip(at_ubs, centre_ubs, ubs, strict=True):
        with np.errstate(invalid="ignore"):
            mixed = alpha * centre + (1.0 - alpha) * there
        out.append(np.minimum(here, np.where(np.isnan(mixed), np.inf, mixed)))
    return out


def _bound_seconds(deadline: Deadline) -> float:
    """Time for one bound LP: a few seconds, never past the deadline."""
    left = deadline.remaining()
    if left is None:
        return BOUND_SECONDS
    return max(0.05, min(BOUND_SECONDS, 0.5 * left))


def _submit(helper: ProcessPoolExecutor, fn, chunk: list, **kwargs) -> Future:
    """Submit fn(chunk, **kwargs) to the helper process (``share_work``'s `there`,
    bound with ``functools.partial``)."""
    return helper.submit(fn, chunk, **kwargs)


def _member_values(pricings: list[CategoryPricing], results: list[_Priced]) -> list:
    """Per category: subproblem rows -> member values w at the duals just priced."""
    return [
        (lambda rows, pr=pr, r=r: pr.weights(rows, r.pi, r.mu, r.own))
        for pr, r in zip(pricings, results, strict=True)
    ]


def _window(subs, r: int) -> tuple[int, int, float, float]:
    """Subproblem r's count and volume windows (n_lo, n_hi, v_lo, v_hi)."""
    return int(subs.nlo[r]), int(subs.nhi[r]), float(subs.vlo[r]), float(subs.vhi[r])


def _feasible(inst: Instance, plan: list[LotOutcome]) -> bool:
    """Whether the judge accepts a plan handed in from outside (a start plan)."""
    return assess_plan(inst, [o.lot for o in plan]).feasible


def _columns_of(inst, pricings, found) -> list[tuple[LotOutcome, bool]]:
    """Real columns from exactly priced member sets: (category, subproblem, members)."""
    out: list[tuple[LotOutcome, bool]] = []
    for ci, r, idx in found:
        pr = pricings[ci]
        off = int(pr.subs.offer[r])
        cols, _ = columns_from_members(
            inst,
            pr.data.cat_id,
            pr.data.offers[off].offer.supplier_id,
            [pr.data.orgs[i] for i in idx],
            int(pr.subs.sigma[r]),
        )
        out += [c for c in cols if c[1]]
    return out


class _ExactPricing:
    """Exact connected pricing (``exact``) of the subproblems whose upper bound is
    positive, best first, one MIP per piece kept across rounds.

    Exact bounds are carried from round to round: with member values
    w_o = M v_o - beta_o - r_o (r_o the rule-8b charge of the subproblem's forming
    periods) and constant C, a change of duals moves the reduced cost of any member
    set G by sum_{o in G} (beta_o - beta'_o + r_o - r'_o) - (C' - C), which is at
    most the sum of the n_hi largest positive parts of beta - beta' and of the n_hi
    largest of r - r' over the piece's eligible organizations, minus (C' - C)
    (max(0, a + b) <= max(0, a) + max(0, b); G has at most n_hi members). So a
    subproblem priced exactly once keeps a valid bound that is usually far below
    the one that ignores the graph."""

    def __init__(self, pricings: list[CategoryPricing], graphs: list) -> None:
        self.pricings = pricings
        self.graphs = graphs
        self.pricers: dict[tuple[int, int], PieceConnectedPricer] = {}
        self.last_queue = self.last_by_helper = 0
        self.helper: ProcessPoolExecutor | None = None
        self.screened_by: ProcessPoolExecutor | None = None  # the last screen's helper
        self.screened_at: list[_Priced] | None = None  # the pricing last screened
        self.last_screened_all = False
        # the rounds' screening budget holds however few are positive (in-out rounds
        # at 1,000 organizations price at smoothed duals, where 1,300-1,800 are)
        self.budget_always = False
        # the improving lots the last proof pass (or revisit) found, by subproblem
        self.recent: dict[tuple[int, int], np.ndarray] = {}
        # the dual certificate of each subproblem's last LP screen
        self.certificates: dict[tuple[int, int], Certificate] = {}
        self.last_carried = 0  # subproblems the certificates settled in the last round
        self.known = [np.full(len(pr.subs), np.inf) for pr in pricings]
        self.beta: list[np.ndarray | None] = [None] * len(pricings)
        self.C: list[np.ndarray | None] = [None] * len(pricings)
        self.own: list[np.ndarray | None] = [None] * len(pricings)

    def _pricer(self, ci: int, piece: int) -> PieceConnectedPricer:
        key = (ci, piece)
        if key not in self.pricers:
            pr = self.pricings[ci]
            self.pricers[key] = PieceConnectedPricer(
                self.graphs[ci], pr.data.pieces[piece].eligible, pr.data.d
            )
        return self.pricers[key]

    def bounds(self) -> list[np.ndarray]:
        """Carry the exact bounds to the duals of the last pricing; the valid upper
        bound of every subproblem (the smaller of the two)."""
        self.known = self.carry(self.state())
        for ci, pr in enumerate(self.pricings):
            self.beta[ci], self.C[ci] = pr.last_beta.copy(), pr.last_C.copy()
            self.own[ci] = pr.last_own
        return self.known

    def state(self) -> _Carry:
        """The exact bounds and the duals they hold at (to carry them later)."""
        return _Carry([k.copy() for k in self.known], list(self.beta), list(self.C), list(self.own))

    def carry(self, state: _Carry) -> list[np.ndarray]:
        """The bounds of `state` carried to the duals of the last pricing. A member's
        value rises by at most the fall of its beta and of its own charge, and a lot
        of subproblem t has at most n_hi(t) members: its reduced cost rises by at
        most the n_hi(t) largest of each, plus the fall of the constant C_t."""
        out = []
        for ci, pr in enumerate(self.pricings):
            known = state.known[ci]
            before = state.beta[ci]
            if before is not None:
                shift = pr.beta_fall(before) + pr.own_fall(state.own[ci], pr.last_own)
                known = known + shift - (pr.last_C - state.C[ci])
            out.append(known)
        return out

    def round(self, ubs: list[np.ndarray], results: list[_Priced], tol: float, deadline: Deadline):
        """Connected pricing of every subproblem with ub > tol (ubs are lowered in
        place to the bounds found): the LP screen on all of them, best first; then,
        for those still positive, the path heuristic (deciding where it fails is
        the proof phase's). Both steps are shared with the helper process from
        HELPER_QUEUE subproblems on.
        Returns (member sets found as [(category, row, members)], whether no
        subproblem is left with ub > tol)."""
        positive = self.screen(ubs, results, tol, deadline, SCREEN_SECONDS)
        if deadline.expired():
            return [], False
        # the helper searches when it screened (it was worth starting for the queue)
        there = partial(_submit, self.screened_by) if self.screened_by is not None else None
        stop_at = deadline.wall()
        found: list[tuple[int, int, np.ndarray]] = []
        per_category = [0] * len(ubs)

        def search_here(item: tuple[Task, np.ndarray | None]) -> np.ndarray | None:
            (ci, _, _, w, window, cost), seeds = item
            return search(self.graphs[ci], self.pricings[ci].data.d, w, window, cost, tol, seeds)

        def searched(item: tuple[Task, np.ndarray | None], members: np.ndarray | None) -> None:
            ci, r = item[0][0], item[0][1]
            if members is not None:
                found.append((ci, r, members))
                per_category[ci] += 1

        self.last_by_helper += share_work(
            [(task, seeds) for _, task, seeds in positive],
            search_here,
            None if there is None else partial(there, search_batch, tol=tol, stop_at=stop_at),
            searched,
            wanted=lambda item: per_category[item[0][0]] < CONNECTED_COLUMNS,
            stop=deadline.expired,
        )
        left = any(bool((ub > tol).any()) for ub in ubs)
        return found, not left and self.last_screened_all

    def screen(
        self,
        ubs: list[np.ndarray],
        results: list[_Priced],
        tol: float,
        deadline: Deadline,
        budget: float | None = None,
    ) -> list[tuple[float, Task, np.ndarray | None]]:
        """The LP screen of the subproblems with ub > tol, after their certificates
        (``certify``), best first, shared with the helper process from HELPER_QUEUE
        on (ubs and the known bounds lowered in place, certificates kept): the
        subproblems still positive, as (-ub, task, seeds for the search). With a
        `budget` (seconds) and more positive subproblems than SCREEN_ALL, screening
        stops after it (whatever their number with ``budget_always``), and those not
        screened by then (of the best SCREEN_FIRST) are returned with their bounds
        unchanged and no seeds."""
        self.last_queue = sum(int((ub > tol).sum()) for ub in ubs)
        self.last_carried = self.certify(ubs, results, tol)
        queue = [
            (-float(ub[r]), ci, int(r))
            for ci, ub in enumerate(ubs)
            for r in np.nonzero(ub > tol)[0]
        ]
        queue.sort()
        # early rounds leave thousands of subproblems positive: screen the best only
        self.last_screened_all = len(queue) <= SCREEN_ALL
        screened = queue if self.last_screened_all else queue[:SCREEN_FIRST]
        self.screened_at = results
        helper = self.screened_by = self._helper(len(screened), HELPER_QUEUE)
        until = deadline
        if budget is not None and (self.budget_always or not self.last_screened_all):
            until = deadline.capped(budget)
        stop_at = until.wall()
        tasks = [self._task(ci, r, results[ci]) for _, ci, r in screened]
        positive: list[tuple[float, Task, np.ndarray | None]] = []
        done: set[tuple[int, int]] = set()

        def screened_one(task: Task, answer: Screened) -> None:
            ci, r = task[0], task[1]
            ub, seeds, certificate = answer
            # +inf: no answer (the helper past its stop, or no LP optimum), so the
            # subproblem stays unscreened; -inf (no member set fits) settles it
            if ub == math.inf:
                return
            done.add((ci, r))
            if certificate is not None:
                self.certificates[(ci, r)] = certificate
            self.known[ci][r] = min(self.known[ci][r], ub)
            ubs[ci][r] = min(ubs[ci][r], ub)
            if ubs[ci][r] > tol:
                positive.append((-float(ubs[ci][r]), task, seeds))

        self.last_by_helper = share_work(
            tasks,
            lambda task: screen(self._pricer(task[0], task[2]), *task[3:]),
            None if helper is None else partial(_submit, helper, screen_batch, stop_at=stop_at),
            screened_one,
            stop=until.expired,
        )
        if len(done) < len(tasks):
            self.last_screened_all = False
        if not deadline.expired():
            positive += [
                (-float(ubs[t[0]][t[1]]), t, None) for t in tasks if (t[0], t[1]) not in done
            ]
        positive.sort(key=lambda p: p[0])
        return positive

    def certify(self, ubs: list[np.ndarray], results: list[_Priced], tol: float) -> int:
        """Lower ubs (and the known bounds) in place to the bound that the
        certificate of each positive subproblem's last LP screen
        (``exact.Certificate``) gives at the duals of `results`; the number it
        proved unprofitable. Late rounds move the duals little, and a third to a
        half of a round's positive subproblems are settled so, without an LP."""
        settled = 0
        for ci, ub in enumerate(ubs):
            for r in np.nonzero(ub > tol)[0].tolist():
                certificate = self.certificates.get((ci, r))
                if certificate is None:
                    continue
                _, _, piece, w, _, cost = self._task(ci, r, results[ci])
                bound = self._pricer(ci, piece).carried(w, certificate) - cost
                self.known[ci][r] = min(self.known[ci][r], bound)
                ub[r] = min(ub[r], bound)
                settled += not ub[r] > tol
        return settled

    def revisit(
        self, ubs: list[np.ndarray], results: list[_Priced], tol: float
    ) -> list[tuple[int, int, np.ndarray]]:
        """Each lot of ``recent`` improved by local search (``polish``) at the duals
        just priced, where its subproblem's bound is still positive: the member sets
        with reduced cost > tol, which are then the ones to revisit."""
        found: list[tuple[int, int, np.ndarray]] = []
        for (ci, r), lot in self.recent.items():
            if not ubs[ci][r] > tol:
                continue
            _, _, piece, w, window, cost = self._task(ci, r, results[ci])
            pricer = self._pricer(ci, piece)
            start = np.searchsorted(pricer.members, lot)
            value, idx = polish(pricer.graph, w[pricer.members], pricer.d, window, start)
            if value - cost > tol:
                found.append((ci, r, pricer.members[idx]))
        # a revisit that finds only a lot or two is the last (a medium instance with
        # own limits: 15 rounds of one lot each, +0.05 M, 0.7 s a round)
        self.recent = {(ci, r): idx for ci, r, idx in found} if len(found) > 2 else {}
        return found

    def prove(
        self,
        inst: Instance,
        ubs: list[np.ndarray],
        results: list[_Priced],
        tol: float,
        deadline: Deadline,
        bound_deadline: Deadline,
        patience: float = 1.0,
    ) -> tuple[float, list[tuple[int, int, np.ndarray]]]:
        """Settle the subproblems the bound rests on, at fixed duals: LP-screen the
        positive ones (``screen``) unless the last round did at these duals, solve the
        bound LP, take the PROOF_BATCH subproblems with the largest share s_t not yet
        settled, and settle each exactly after a thorough search for a lot
        (``examine.resolve``, shared with the helper process; ubs lowered in
        place), repeat until none is left or the deadline. Any duals give a valid
        bound, so the least slack met is returned, with the improving lots found on
        the way (column generation resumes from them, with time left). `patience`
        multiplies the settling searches' time limits (``settle``)."""
        # screened first where no round did at these duals (after revisits, or at
        # smoothed duals): the LP screens and their certificates settle most of the
        # subproblems in milliseconds each, and rank the rest for the decisions
        if self.screened_at is not results:
            self.screen(ubs, results, tol, deadline)
        settled: set[tuple[int, int]] = set()
        found: list[tuple[int, int, np.ndarray]] = []
        best = math.inf
        history: list[float] = []
        values = _member_values(self.pricings, results)
        stop_at = deadline.wall()
        active = ActiveRows()  # the pass's bound LPs differ only in bounds lowered
        while True:
            slack, shares = slack_shares(
                inst, self.pricings, ubs, values, _bound_seconds(bound_deadline), active
            )
            if not math.isfinite(slack):
                # the LP with the per-organization rows stopped without duals (its
                # time): the aggregate rows alone, or else the bounds themselves
                slack, shares = slack_shares(
                    inst, self.pricings, ubs, None, _bound_seconds(bound_deadline)
                )
                if not math.isfinite(slack):
                    shares = [np.where(ub > tol, np.minimum(ub, 1e300), 0.0) for ub in ubs]
            best = min(best, slack)
            history.append(best)
            if _DEBUG:
                print(f"[lots]   proof slack {slack:,.0f} {len(settled)}", file=sys.stderr)
            # the rest rests on subproblems the decisions could not settle in time or
            # that hold lots: with lots found, column generation moves on from them
            if found and len(history) > STALL_LPS and history[-1] > STALL * history[-1 - STALL_LPS]:
                return best, found
            picks = sorted(
                (-float(share[r]), ci, int(r))
                for ci, share in enumerate(shares)
                for r in np.nonzero(share > tol)[0]
                if (ci, int(r)) not in settled
            )[:PROOF_BATCH]
            if not picks or deadline.expired():
                return best, found
            # late batches hold a few subproblems and the bound LP (~1 s) would
            # leave the two processes idle: fill them with the largest other bounds
            taken = {(ci, r) for _, ci, r in picks}
            picks += sorted(
                (-float(ub[r]), ci, int(r))
                for ci, ub in enumerate(ubs)
                for r in np.nonzero(ub > tol)[0]
                if (ci, int(r)) not in settled and (ci, int(r)) not in taken
            )[: PROOF_BATCH - len(picks)]
            settled.update((ci, r) for _, ci, r in picks)
            helper = self._helper(len(picks), HELPER_FROM)

            def settled_one(task: Task, answer: Settled | None) -> None:
                if answer is not None:  # None: the helper stopped at the deadline
                    self._settled(task[0], task[1], *answer, ubs, found)

            def settle_here(task: Task) -> Settled:
                ci, _, piece, w, window, cost = task
                return resolve(self._pricer(ci, piece), w, window, cost, tol, stop_at, patience)

            self.last_by_helper = share_work(
                [self._task(ci, r, results[ci]) for _, ci, r in picks],
                settle_here,
                None
                if helper is None
                else partial(
                    _submit, helper, settle_batch, tol=tol, stop_at=stop_at, patience=patience
                ),
                settled_one,
                stop=deadline.expired,
            )

    def _task(self, ci: int, r: int, duals: _Priced) -> Task:
        """(category, row, piece, w, window, cost) of subproblem r."""
        pr = self.pricings[ci]
        s = pr.subs
        w = pr.weights(np.array([r]), duals.pi, duals.mu, duals.own)[0]
        return ci, r, int(s.piece[r]), w, _window(s, r), float(pr.last_C[r])

    def _settled(self, ci: int, r: int, rc: float, idx, others, ubs, found) -> None:
        """Record a settled subproblem: its bound, and its lots if they improve (the
        best first: ``recent`` keeps the last per subproblem)."""
        self.known[ci][r] = min(self.known[ci][r], rc)
        ubs[ci][r] = min(ubs[ci][r], rc)
        for lot in others:
            found.append((ci, r, lot))
        if idx is not None:
            found.append((ci, r, idx))

    def _helper(self, work: int, least: int) -> ProcessPoolExecutor | None:
        """The helper process for `work` subproblems: None below `least` (not worth
        sharing; its start costs about a second) or on a one-core machine; started
        on first use, then kept until ``close``."""
        if work < least:
            return None
        if self.helper is not None:
            return self.helper
        if (os.cpu_count() or 1) < 2 or not SETTLE_HELPER:
            return None
        eligible = {
            (ci, j): piece.eligible
            for ci, pr in enumerate(self.pricings)
            for j, piece in enumerate(pr.data.pieces)
        }
        volumes = [pr.data.d for pr in self.pricings]
        self.helper = ProcessPoolExecutor(
            max_workers=1,
            mp_context=get_context("spawn"),
            initializer=start_helper,
            initargs=(self.graphs, eligible, volumes),
        )
        return self.helper

    def close(self) -> None:
        """Stop the helper process, if one was started."""
        if self.helper is not None:
            self.helper.shutdown(wait=True, cancel_futures=True)
            self.helper = None


class LotStrategy:
    """``lots``: column generation with vectorised pricing (``models/lots.md``)."""

    name = "lots"
    help = "column generation over lots with vectorised pricing (medium and large instances)"

    def supports(self, ctx: SolveContext) -> str | None:
        from consortia.solvers.rule_support import refuse_rules

        return refuse_rules(ctx.inst, "lots")

    def solve(self, ctx: SolveContext) -> Result:
        greedy = ctx.greedy if len(ctx.inst.demand) <= GREEDY_PAIRS else None
        left = ctx.deadline.remaining()
        # large instances: the national plan (lots grown at slot prices) starts the
        # lot generation, and its slot-priced bound is there tighter than the lot
        # generation's (1,000 organizations: 3.9 G against 4.7 G)
        start, bound = ctx.start, math.inf
        centre_duals: SlotDuals | None = None  # a dual-feasible point for in-out proofs
        other: list[LotOutcome] | None = None  # a plan found besides the lot generation
        initial_lots: list[LotOutcome] = []  # lots to start the master with
        if len(ctx.inst.demand) >= SLOT_BOUND_PAIRS:
            share = SLOT_BOUND_SECONDS if left is None else SLOT_BOUND_SHARE * left
            # its plan is at least the by-hand plan, its bound at most the member bound
            national = national_plan(ctx, min(SLOT_BOUND_SECONDS, share), POOL_SECONDS)
            other, bound, initial_lots = national.plan, national.bound, national.lots
            if ctx.inst.neighbours is not None:  # in-out runs with connected pricing
                centre_duals = national.prices.duals()
            if total_net(other) > total_net(start):
                start = other
            left = ctx.deadline.remaining()
        options = ctx.options.with_time_limit(left)
        found = solve_lots(
            ctx.inst,
            options,
            start=start,
            greedy=greedy,
            centre_duals=centre_duals,
            initial_lots=initial_lots,
        )
        for stage, seconds in found.timings.building.items():
            ctx.timings.add_building(stage, seconds)
        for stage, seconds in found.timings.search.items():
            ctx.timings.add_search(stage, seconds)
        if other is None:
            # the by-hand plan and the member bound cost seconds at any size
            with ctx.timings.search_stage("by_hand_plan"):
                other = schedule_lots(ctx.inst, regional_lots(ctx.inst))
                bound = min(bound, member_bound(ctx.inst))
        # keep the better plan and the smaller of the valid bounds
        bound = min(bound, found.best_bound)
        plan = found.outcomes
        if total_net(other) > total_net(plan):
            plan = other
        return finish(
            ctx,
            "lots",
            plan,
            bound,
            model_size=found.model_size,
            iterations=found.iterations,
            messages=found.messages,
            root_bound=found.root_bound,
            slot_values=found.slot_values,
        )


LOTS = LotStrategy()
