"""Column generation over lots, then an integer master over the generated columns.

1. The pool starts with every single-member lot, the greedy proposals and the
   greedy plan (lots that lose money only where a lock or max_share may need them).
2. Each round solves the master LP, hands its duals to every category's pricing
   (greedy growth, then the pricing MILP), and adds the connected lots with
   positive reduced cost.
3. Any round in which every category was priced gives a valid bound (Lagrangian
   bound): z* <= sum_r y_r b_r + sum_c K_c * max(0, rc_c) over every master row r
   (one-lot, capacity, central and own formation limits, locks, shares and
   supplier counts, ``formulations/columns/master.py``), where rc_c is a proven
   upper bound on the reduced cost of category c's lots and K_c the most lots the
   category can hold. When no lot has positive reduced cost the bound is the LP.
4. The integer master over the pool gives the plan (price-and-branch: optimal when
   its value meets the bound, otherwise reported with its gap).

With ``join`` or ``together`` locks (spec section 12) the empty plan breaks a rule
and the pool may hold no plan at all. Phase 1 comes first: the same rounds with
lots worth nothing and the master's artificial columns costing 1 each, until the
artificials leave the LP (the pool holds an LP solution that keeps every row) or
the Lagrangian bound of phase 1 falls below 0, which proves that no plan keeps
the rules (spec section 13: ``infeasible``). A phase 1 that stops without either
(time, or categories too large for exact pricing) ends with ``no_plan``, as does
an integer master that finds no plan over the pool: only the LP's infeasibility
is a proof.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from consortia.data.instance import Instance
from consortia.formulations.bounds import product_up, sum_up
from consortia.formulations.candidates import Candidates
from consortia.formulations.columns.greedy_pricing import CategoryPricer, OwnDuals, plan_bound
from consortia.formulations.columns.master import Master
from consortia.formulations.columns.pricing import PricingProblem, category_sets
from consortia.formulations.forced_lots import best_feasible, forced_in, without_idle_lots
from consortia.rules.plan import Lot, LotOutcome, assess_plan, price_lot, total_net
from consortia.solvers.base import LIMIT_NOTE, SolveContext, finish, finish_without_plan
from consortia.solvers.clock import Deadline
from consortia.solvers.options import Progress
from consortia.solvers.result import Result

EXACT_PRICING_ORGS = 30  # categories up to this size also get exact MILP pricing
MAX_ROUNDS = 500
COLUMNS_PER_ROUND = 10
LARGE_PRICING_SECONDS = 10.0
SEARCH_WIDTHS = ((3, 25), (10, 80), (40, 400))  # greedy pricing: (seeds, breadth)
# phase 1 ends when the artificials sum to less than this, and proves that no
# plan exists when its bound is below minus this
PHASE_ONE_TOLERANCE = 1e-6


@dataclass
class Prices:
    """The master's duals as what they charge a lot: pi by (org, category), mu by
    (supplier, category) per unit of volume (capacity and share rows together),
    nu by period, rho by (org, period), and bonus by (org, supplier, category)
    (join and together rows)."""

    pi: dict[tuple[str, str], float] = field(default_factory=dict)
    mu: dict[tuple[str, str], float] = field(default_factory=dict)
    nu: dict[int, float] = field(default_factory=dict)
    rho: OwnDuals = field(default_factory=dict)
    bonus: dict[tuple[str, str, str], float] = field(default_factory=dict)

    def of(
        self, cat_id: str
    ) -> tuple[dict[str, float], dict[str, float], dict[tuple[str, str], float]]:
        """pi, mu and bonus of one category, keyed without it."""
        return (
            {o: v for (o, c), v in self.pi.items() if c == cat_id},
            {s: v for (s, c), v in self.mu.items() if c == cat_id},
            {(o, s): v for (o, s, c), v in self.bonus.items() if c == cat_id},
        )


def prices_of(inst: Instance, duals: dict[tuple, float]) -> Prices:
    """Split the master's duals by what they price (``master.py``'s rows)."""
    prices = Prices()
    locks = {lock.row: lock for lock in inst.lock_records}
    for (kind, *key), v in duals.items():
        if kind == "org":
            prices.pi[(key[0], key[1])] = v
        elif kind == "cap":
            prices.mu[(key[0], key[1])] = prices.mu.get((key[0], key[1]), 0.0) + v
        elif kind == "form":
            prices.nu[key[0]] = v
        elif kind == "own":
            prices.rho[(key[0], key[1])] = v
        elif kind == "share" and v > 0:
            owner, c = key
            share = inst.offer[(owner, c)].max_share
            for off in inst.offers_in[c]:
                term = v * ((1.0 if off.supplier_id == owner else 0.0) - share)
                prices.mu[(off.supplier_id, c)] = prices.mu.get((off.supplier_id, c), 0.0) + term
        elif kind == "lock" and v > 0:
            lock = locks[key[0]]
            c = lock.category_id
            for off in inst.offers_in[c]:
                if lock.supplier_id in (None, off.supplier_id):
                    bonus_key = (lock.org_id, off.supplier_id, c)
                    prices.bonus[bonus_key] = prices.bonus.get(bonus_key, 0.0) + v
    return prices


def _add_priced(
    master: Master, inst: Instance, lot: Lot, duals: dict[tuple, float], worth: float, scale: float
) -> int:
    """Price a lot by the spec and add it if its reduced cost is positive."""
    outcome, problems = price_lot(inst, lot)
    if outcome is None or problems:
        return 0
    rc = master.reduced_cost(outcome, duals, worth)
    if rc > 1e-7 * max(1.0, abs(scale)) and master.add(outcome):
        return 1
    return 0


def initial_columns(cands: Candidates, proposals: list[Lot]) -> list[LotOutcome]:
    """Every single-member lot, the proposals from their members' readiness and,
    for each ``together`` lock, its pair alone on each offer; those with net
    savings > 0, and in a category where a lock or max_share may force a lot
    (``forced_lots.forced_in``) the others too."""
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
    for lock in inst.lock_records:
        if lock.rule == "together" and lock.other_org_id is not None:
            c = lock.category_id
            pair = tuple(sorted((lock.org_id, lock.other_org_id), key=inst.org_index.__getitem__))
            ready = max(inst.pair_ready[(o, c)] for o in pair)
            lots += [Lot(c, off.supplier_id, pair, ready) for off in inst.offers_in[c]]
    forced = {c for c in inst.category if forced_in(inst, c)}
    out = []
    for lot in lots:
        outcome, problems = price_lot(inst, lot)
        if outcome is None or problems:
            continue
        if outcome.net > 1e-9 or lot.category_id in forced:
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


@dataclass
class Stage:
    """What a run of rounds ended with: the best Lagrangian bound (of the phase's
    objective), whether the LP was proven optimal over all lots, the last LP value
    and prices, and phase 1's verdicts."""

    bound: float = math.inf
    converged: bool = False
    lp_value: float = math.nan
    prices: Prices = field(default_factory=Prices)
    reached: bool = False  # phase 1: the artificials left the LP
    proven_empty: bool = False  # phase 1: no plan keeps the rules


class Generation:
    """The pricing of every category and the rounds of column generation."""

    def __init__(self, ctx: SolveContext, master: Master, started: float):
        inst, cands = ctx.inst, ctx.candidates
        self.ctx, self.inst, self.cands, self.master = ctx, inst, cands, master
        self.started = started
        t = time.perf_counter()
        pricers = {c: CategoryPricer(cands, c) for c in inst.category}
        self.pricers = {c: p for c, p in pricers.items() if p.pool}
        sets = {c: cs for c in inst.category if (cs := category_sets(cands, c)) is not None}
        self.capacity_k = {
            c: max(1, len(cs.orgs) // inst.category[c].min_members) for c, cs in sets.items()
        }
        seed = ctx.options.seed
        self.exact = {
            c: PricingProblem(cands, cs, seed)
            for c, cs in sets.items()
            if len(cs.orgs) <= EXACT_PRICING_ORGS
        }
        self.large = {c: cs for c, cs in sets.items() if c not in self.exact}
        self.build_time = time.perf_counter() - t
        self.columns_from_milp: dict[str, PricingProblem] = {}
        self.lp_time = self.price_time = self.late_build = 0.0
        self.rounds = 0
        self.messages: list[str] = []
        self.cg_deadline: Deadline = ctx.deadline.share(0.7)

    def out_of_time(self) -> bool:
        return self.cg_deadline.expired()

    def run(self, worth: float, incumbent: float | None) -> Stage:
        """Rounds until the LP is proven optimal over all lots, nothing more is
        found, or time runs out. Phase 1 (`worth` 0) also ends as soon as the
        artificials leave the LP or its bound proves they cannot."""
        master, inst = self.master, self.inst
        phase_one = worth == 0.0
        stage = Stage()
        width = 0
        progress = self.ctx.options.progress
        while self.rounds < MAX_ROUNDS:
            self.rounds += 1
            t = time.perf_counter()
            lp_value, duals = master.solve_lp()
            self.lp_time += time.perf_counter() - t
            if not math.isfinite(lp_value):
                break
            stage.lp_value = lp_value
            if phase_one and master.artificial_total() < PHASE_ONE_TOLERANCE:
                stage.reached = True
                break
            prices = stage.prices = prices_of(inst, duals)
            base = master.dual_objective(duals)
            t = time.perf_counter()
            stage.bound = min(
                stage.bound,
                plan_bound(
                    inst,
                    self.pricers,
                    prices.pi,
                    prices.mu,
                    prices.nu,
                    prices.rho,
                    base=base,
                    bonus=prices.bonus,
                    worth=worth,
                ),
            )
            if phase_one and stage.bound < -PHASE_ONE_TOLERANCE:
                stage.proven_empty = True
                break
            if progress is not None:
                bound = None if phase_one else stage.bound
                seconds = time.perf_counter() - self.started
                progress(Progress("column generation", seconds, incumbent, bound))
            added = self._greedy_round(prices, duals, worth, lp_value, width)
            if added == 0 and not self.out_of_time():
                added, proven, slack = self._exact_round(prices, duals, worth, lp_value)
                if proven:
                    stage.bound = min(stage.bound, sum_up([base, slack]))
                    if phase_one and stage.bound < -PHASE_ONE_TOLERANCE:
                        stage.proven_empty = True
                        break
                    if added == 0 and slack <= 1e-7 * max(1.0, abs(lp_value)):
                        stage.converged = True
            self.price_time += time.perf_counter() - t
            if stage.converged:
                break
            if added == 0 and width + 1 < len(SEARCH_WIDTHS):
                width += 1  # search wider before giving up
                continue
            if (
                added == 0
                and self.large
                and not self.ctx.deadline.unlimited
                and not self.out_of_time()
            ):
                added = self._large_round(prices, duals, worth, lp_value)
            if added == 0:
                break
            if self.out_of_time():
                self.messages.append(f"{LIMIT_NOTE}column generation stopped at its time share")
                break
        return stage

    def _greedy_round(
        self, prices: Prices, duals: dict[tuple, float], worth: float, lp_value: float, width: int
    ) -> int:
        added = 0
        seeds, breadth = SEARCH_WIDTHS[width]
        for cat_id, pricer in self.pricers.items():
            pi, mu, bonus = prices.of(cat_id)
            found = pricer.grow(
                pi, mu, prices.nu, seeds=seeds, breadth=breadth, rho=prices.rho, bonus=bonus,
                worth=worth,
            )  # fmt: skip
            for _, lot in found[:COLUMNS_PER_ROUND]:
                added += _add_priced(self.master, self.inst, lot, duals, worth, lp_value)
            if self.out_of_time():
                break
        return added

    def _exact_round(
        self, prices: Prices, duals: dict[tuple, float], worth: float, lp_value: float
    ) -> tuple[int, bool, float]:
        """Greedy pricing is stuck: price exactly where the category is small enough;
        a proven reduced-cost bound for every category proves the LP. Returns the
        columns added, whether every category was priced exactly, and
        sum_c K_c max(0, rc_c)."""
        added = 0
        slack = 0.0
        proven = not self.large
        for cat_id, problem in self.exact.items():
            pi, mu, bonus = prices.of(cat_id)
            problem.set_duals(pi, mu, prices.nu, prices.rho, bonus, worth)
            limit = self.cg_deadline.limit(0.1) or 30.0
            lots, rc_bound = problem.solve(limit)
            slack = sum_up([slack, product_up(float(self.capacity_k[cat_id]), rc_bound)])
            for lot in lots:
                added += _add_priced(self.master, self.inst, lot, duals, worth, lp_value)
            if self.out_of_time():
                proven = False
                break
        return added, proven, slack

    def _large_round(
        self, prices: Prices, duals: dict[tuple, float], worth: float, lp_value: float
    ) -> int:
        """Large categories: exact pricing cannot prove anything in time, but its
        incumbents within a time share are good columns."""
        added = 0
        t = time.perf_counter()
        for cat_id in list(self.large):
            share = (self.cg_deadline.limit(0.1) or 0.1) / max(1, len(self.large))
            if cat_id not in self.columns_from_milp:
                built = time.perf_counter()
                self.columns_from_milp[cat_id] = PricingProblem(
                    self.cands, self.large[cat_id], self.ctx.options.seed
                )
                # model building is reported as building, not as search
                self.late_build += time.perf_counter() - built
            problem = self.columns_from_milp[cat_id]
            pi, mu, bonus = prices.of(cat_id)
            problem.set_duals(pi, mu, prices.nu, prices.rho, bonus, worth)
            lots, _ = problem.solve(min(share, LARGE_PRICING_SECONDS))
            for lot in lots:
                added += _add_priced(self.master, self.inst, lot, duals, worth, lp_value)
            if self.out_of_time():
                break
        self.price_time += time.perf_counter() - t
        return added

    def record_times(self, candidates_time: float) -> None:
        timings = self.ctx.timings
        timings.add_building("candidates", candidates_time)
        timings.add_building("build", self.build_time + self.late_build)
        timings.add_search("lp", self.lp_time)
        timings.add_search("pricing", self.price_time - self.late_build)

    def model_size(self, converged: bool) -> dict[str, int]:
        problems = [*self.exact.values(), *self.columns_from_milp.values()]
        return {
            "columns": len(self.master.columns),
            "master_rows": len(self.master.row_keys),
            "pricing_variables": sum(p.solver.num_cols for p in problems),
            "converged": int(converged),
        }


def solve_columns(ctx: SolveContext) -> Result:
    """Column generation, then the integer master; see the module docstring."""
    inst, options = ctx.inst, ctx.options
    started = time.perf_counter()
    cands = ctx.candidates
    known = best_feasible(inst, [ctx.start, ctx.greedy])
    known_value = None if known is None else total_net(known)
    master = Master(inst, options.seed)
    t = time.perf_counter()
    for out in initial_columns(cands, ctx.proposals) + (known or []):
        master.add(out)
    candidates_time = time.perf_counter() - t
    gen = Generation(ctx, master, started)

    if master.artificial:
        master.start_phase_one()
        first = gen.run(0.0, known_value)
        master.end_phase_one()
        if not first.reached:
            gen.record_times(candidates_time)
            size = gen.model_size(False)
            if first.proven_empty:
                gen.messages.append(
                    "phase 1 of the column generation proved that no plan keeps every lock and rule"
                )
            else:
                gen.messages.append(
                    "column generation found no lots that together keep every lock "
                    "(and could not prove none exists)"
                )
            return finish_without_plan(
                ctx,
                "columns",
                proven=first.proven_empty,
                model_size=size,
                iterations=gen.rounds,
                messages=gen.messages,
            )
    stage = gen.run(1.0, known_value)
    gen.record_times(candidates_time)

    with ctx.timings.search_stage("integer_master"):
        plan, ip_bound = master.solve_ip(ctx.deadline.limit(0.5) or 1e9, known or [])
    outcomes = _checked(inst, plan, math.isfinite(ip_bound), gen.messages)
    if known is not None and (outcomes is None or total_net(outcomes) < total_net(known)):
        outcomes = known
    size = gen.model_size(stage.converged)
    if outcomes is None:
        gen.messages.append("the integer master found no plan over the generated lots")
        return finish_without_plan(
            ctx,
            "columns",
            proven=False,
            model_size=size,
            iterations=gen.rounds,
            messages=gen.messages,
        )
    return finish(
        ctx,
        "columns",
        outcomes,
        stage.bound,
        model_size=size,
        iterations=gen.rounds,
        messages=gen.messages,
        root_bound=stage.bound if math.isfinite(stage.bound) else None,
        # the last master LP's duals of the formation rows: one more slot's worth
        slot_values={p: v for p, v in stage.prices.nu.items() if v > 1e-9},
    )


def _checked(
    inst: Instance, plan: list[LotOutcome], found: bool, messages: list[str]
) -> list[LotOutcome] | None:
    """The integer master's plan re-judged by the rules, without lots that do not
    pay (where the plan stays feasible); None when the master found none (its
    start plan may break a lock)."""
    assessment = assess_plan(inst, [o.lot for o in plan])
    if assessment.feasible:
        return without_idle_lots(inst, assessment.outcomes)
    if found:  # every column and row keeps a rule: this would be an error
        messages.append("the integer master's plan broke a rule: " + assessment.violations[0])
    return None


COLUMNS = ColumnStrategy()
