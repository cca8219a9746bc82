"""Solve the compact MILP: candidate sets, model build, hand-off, search, read-back.

Each step is timed separately. HiGHS always receives a starting plan (the greedy
plan, or the best plan so far), so a time-limited run returns a plan. Lots that
come back disconnected in the collaboration graph get exact separator cuts and the
model is solved again; every plan returned is re-priced and checked by the spec
rules in :mod:`consortia.rules.plan`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping

import highspy
import numpy as np

from consortia.backend.highs import (
    SolverModel,
    add_row,
    objective_scale,
    run,
    solution_consistent,
    to_highs,
)
from consortia.data.instance import Instance
from consortia.errors import ModelTooLarge
from consortia.formulations.compact.build import build_model
from consortia.formulations.compact.connectivity import separator_terms
from consortia.formulations.compact.index import ModelIndex
from consortia.formulations.compact.own_formation_limits import add_involvement, exposure
from consortia.formulations.compact.size import ModelEstimate, estimate_compact
from consortia.formulations.compact.solution import decode_plan, encode_plan
from consortia.formulations.compact.timing import forming_counts
from consortia.formulations.forced_lots import best_feasible, keeps_rules, without_idle_lots
from consortia.rules.connectivity import component as reachable
from consortia.rules.plan import Lot, LotOutcome, assess_plan, total_net
from consortia.solvers.base import (
    LIMIT_NOTE,
    SolveContext,
    finish,
    finish_without_plan,
    report_mip,
)
from consortia.solvers.clock import Deadline
from consortia.solvers.options import Phase
from consortia.solvers.resources import room_gib
from consortia.solvers.result import Result

# HiGHS accepts solutions whose rows are violated by up to its MIP feasibility
# tolerance (1e-6): a solution that decodes to the plan can then be worth a little
# more in the model than the plan (e.g. g = 1e-6 in a period the lot is not live).
# A difference up to this much (relative, at least absolute) is that noise, and is
# taken off HiGHS's bound along with its incumbent (proven optimal plans worth 0
# otherwise keep a bound of 1e-6 above them).
MODEL_NOISE = 1e-6


class CompactStrategy:
    """``compact`` (and its tier variants): one MILP of the whole problem."""

    def __init__(self, name: str, tiers: str, help: str):
        self.name, self.tiers, self.help = name, tiers, help

    def supports(self, ctx: SolveContext) -> str | None:
        return None

    def solve(self, ctx: SolveContext) -> Result:
        """The compact model's plan; when the model cannot fit in the time left, the
        best plan known so far, without a bound (the message says why)."""
        try:
            return solve_compact(ctx, self.tiers, formulation=self.name)
        except ModelTooLarge as exc:
            if exc.resource == "memory":
                raise
            note = [f"{LIMIT_NOTE}compact model not built: {exc}"]
            best = best_feasible(ctx.inst, [ctx.start, ctx.greedy])
            if best is None:
                return finish_without_plan(ctx, self.name, proven=False, messages=note)
            return finish(ctx, self.name, best, math.inf, proven=False, messages=note)


def solve_compact(
    ctx: SolveContext,
    tiers: str = "multiple_choice",
    start: list[LotOutcome] | None = None,
    known_bound: float = math.inf,
    formation_price: Mapping[int, float] | None = None,
    formulation: str = "compact",
    own_price: Mapping[tuple[str, int], float] | None = None,
) -> Result:
    """The savings-maximising plan by the compact MILP, with a proven bound.

    `tiers` is the tier model (``models/tiers.md``); `start` a feasible plan to
    start from (better than the greedy one) and `known_bound` an upper bound
    proven elsewhere; the result keeps the better of each.

    `formation_price` (lambda_p >= 0 by period) turns the objective into the
    Lagrangian one of ``models/decomposition.md``: net savings minus
    sum_p lambda_p F(p), F(p) the lots in formation in p; `own_price` (rho_op >= 0
    by organization and period) further subtracts sum_{o,p} rho_op I(o,p), I(o,p)
    the lots with o as a member in formation in p (spec section 10). The result's
    objective and bound are then in those priced terms; its plan is a plan of the
    instance.
    """
    inst, options, deadline = ctx.inst, ctx.options, ctx.deadline
    idx = ctx.index
    check_fits(ctx, estimate_compact(idx))
    Phase(options.progress, "compact model build")()
    with ctx.timings.building_stage("build"):
        model = build_model(idx, tiers)
        price = {p: v for p, v in (formation_price or {}).items() if v > 0}
        if price:
            counts = getattr(model, "forming", None) or forming_counts(model, idx)
            model.net_savings.expr = model.net_savings.expr - sum(
                v * counts[p] for p, v in price.items() if p in counts
            )
        own = {key: v for key, v in (own_price or {}).items() if v > 0}
        if own:
            rows = exposure(idx, {o for o, _ in own})
            priced = add_involvement(
                model, idx, {k: slots for k, slots in rows.items() if k in own}, "own_priced"
            )
            model.net_savings.expr = model.net_savings.expr - sum(
                own[key] * term for key, term in priced.items()
            )
    _total = functools.partial(priced_value, price, own)
    if not idx.slots:
        if keeps_rules(inst, []):
            return finish(ctx, formulation, [], 0.0)
        return finish_without_plan(
            ctx, formulation, proven=True, messages=["no lot keeps the single-lot rules"]
        )
    with ctx.timings.building_stage("handoff"):
        sm = to_highs(model)
    known = [ctx.start, ctx.greedy] + ([list(start)] if start is not None else [])
    best = best_feasible(inst, known, _total)
    if best is not None and _total(best) < 0 and keeps_rules(inst, []):
        best = []  # possible with formation prices; the empty plan is worth 0

    h = sm.highs
    h.setOptionValue("mip_rel_gap", max(options.gap, 0.0))
    h.setOptionValue("random_seed", int(options.seed))
    root: list[float] = []
    _watch_root_bound(h, root)
    _stop_lps_at(h, deadline)
    if options.progress is not None:
        report_mip(h, options.progress, "compact MILP")
    bound = known_bound
    proven = infeasible = False
    iterations = 0
    nodes = 0
    messages: list[str] = []
    while True:
        iterations += 1
        deadline.apply(h)
        _give_start(sm, model, idx, best or [])
        with ctx.timings.search_stage("solve"):
            run(h)
            if not solution_consistent(sm):
                # HiGHS can report the objective of a presolved MIP start while
                # returning other column values; solve again without the start.
                messages.append(
                    "solver returned a solution inconsistent with its objective; re-solved"
                )
                h.clearSolver()
                deadline.apply(h)
                run(h)
        with ctx.timings.search_stage("readback"):
            info = h.getInfo()
            nodes += int(max(info.mip_node_count, 0))
            status = h.getModelStatus()
            dual = float(info.mip_dual_bound)
            if math.isfinite(dual):
                bound = min(bound, dual)
            col_value = np.asarray(h.getSolution().col_value)
            if status == highspy.HighsModelStatus.kInfeasible:
                # the cuts added so far hold for every plan: none exists
                infeasible = True
                break
            if info.primal_solution_status == 0 or len(col_value) != sm.num_cols:
                break
            lots = decode_plan(model, idx, functools.partial(_value, sm, col_value))
            islands = _disconnected(inst, lots)
            for lot, component in islands:
                _cut_island(sm, model, idx, lot, component)
            candidate = _repaired(inst, lots, islands)
            if candidate is not None and (best is None or _total(candidate) > _total(best) + 1e-9):
                best = candidate
        if not islands:
            proven = status == highspy.HighsModelStatus.kOptimal
            if proven and math.isfinite(dual) and candidate is not None:
                noise = float(info.objective_function_value) - _total(candidate)
                if 0 < noise <= MODEL_NOISE * max(1.0, abs(_total(candidate))):
                    bound = min(bound, dual - noise)
            break
        messages.append(f"added {len(islands)} connectivity cut(s)")
        if deadline.expired():
            break
    size = {
        "variables": sm.num_cols,
        "binaries": sm.binaries,
        "constraints": sm.num_rows,
        "nonzeros": sm.nonzeros,
    }
    if best is None:
        if infeasible:
            messages.append("the compact model is infeasible: no plan keeps every lock and rule")
        return finish_without_plan(
            ctx,
            formulation,
            proven=infeasible,
            model_size=size,
            iterations=iterations,
            nodes=nodes,
            messages=messages,
        )
    return finish(
        ctx,
        formulation,
        best,
        bound,
        proven=proven or math.isfinite(known_bound),
        objective=_total(best),
        model_size=size,
        iterations=iterations,
        nodes=nodes,
        messages=messages,
        root_bound=root[0] if root else None,
    )


def check_fits(ctx: SolveContext, size: ModelEstimate) -> None:
    """Raise ModelTooLarge when the model would not fit in the memory left under
    the limit, or could not be built and its root LP solved in the time left."""
    room = room_gib(ctx.options.memory_limit)
    if size.gib > room:
        raise ModelTooLarge(
            f"the compact model would need about {size.gib:.1f} GiB "
            f"({size.nonzeros:,} nonzeros estimated), more than the {room:.1f} GiB left "
            "under the memory limit (--memory-limit)",
            "memory",
        )
    left = ctx.deadline.remaining()
    needed = size.build_seconds + size.root_lp_seconds
    if left is not None and needed > left:
        raise ModelTooLarge(
            f"the compact model ({size.nonzeros:,} nonzeros estimated) would need about "
            f"{needed:.0f} s to build and to solve its root LP; {left:.0f} s are left",
            "time",
        )


def _stop_lps_at(h: highspy.Highs, deadline: Deadline) -> None:
    """Interrupt the LPs inside the search (the root LP above all, which HiGHS's
    own time limit does not stop) when the deadline passes."""

    def on_event(event: object) -> None:
        if deadline.expired():
            event.data_in.user_interrupt = True  # type: ignore[attr-defined]

    h.cbSimplexInterrupt.subscribe(on_event)
    h.cbIpmInterrupt.subscribe(on_event)


def _watch_root_bound(h: highspy.Highs, root: list[float]) -> None:
    """Keep the first finite dual bound HiGHS reports: the root bound (in the
    model's units: callbacks report the objective scaled by ``scale_objective``)."""

    def on_event(event: object) -> None:
        if not root:
            bound = float(event.data_out.mip_dual_bound)  # type: ignore[attr-defined]
            if math.isfinite(bound):
                root.append(bound / objective_scale(h))

    h.cbMipInterrupt.subscribe(on_event)


def priced_value(
    price: Mapping[int, float],
    own_price: Mapping[tuple[str, int], float],
    outcomes: list[LotOutcome],
) -> float:
    """Net savings of a plan minus sum_p price_p * (its lots in formation in p) minus
    sum_{o,p} own_price_op * (its lots with member o in formation in p)."""
    charge = math.fsum(price.get(p, 0.0) for o in outcomes for p in o.forming)
    own = math.fsum(
        own_price.get((m, p), 0.0) for o in outcomes for m in o.lot.members for p in o.forming
    )
    return total_net(outcomes) - charge - own


def _value(sm: SolverModel, col_value: np.ndarray, var: object) -> float:
    col = sm.column.get(id(var))
    return 0.0 if col is None else float(col_value[col])


def _give_start(sm: SolverModel, model: object, idx: ModelIndex, plan: list[LotOutcome]) -> None:
    if not plan:
        return
    values = encode_plan(model, idx, plan)  # type: ignore[arg-type]
    if values is None:
        return
    cols = [(sm.column[id(v)], x) for v, x in values.items() if id(v) in sm.column]
    index = np.array([c for c, _ in cols], dtype=np.int32)
    value = np.array([x for _, x in cols], dtype=float)
    sm.highs.setSolution(len(index), index, value)


def _disconnected(inst: Instance, lots: list[Lot]) -> list[tuple[Lot, set[str]]]:
    """Lots whose members are not connected, with the representative's component."""
    if inst.neighbours is None:
        return []
    out = []
    for lot in lots:
        members = set(lot.members)
        part = reachable(lot.members[0], members, inst.neighbours)
        if len(part) < len(members):
            out.append((lot, part))
    return out


def _cut_island(
    sm: SolverModel, model: object, idx: ModelIndex, lot: Lot, component: set[str]
) -> None:
    c, s, r = lot.category_id, lot.supplier_id, lot.members[0]
    separator = separator_terms(idx, c, r, s, component)
    for j in lot.members:
        if j in component:
            continue
        terms = [(model.y[c, r, j, s], 1.0)]  # type: ignore[attr-defined]
        terms += [(model.y[key], -1.0) for key in separator]  # type: ignore[attr-defined]
        add_row(sm, -math.inf, 0.0, terms)


def _repaired(
    inst: Instance, lots: list[Lot], islands: list[tuple[Lot, set[str]]]
) -> list[LotOutcome] | None:
    """The plan with every lot cut down to its representative's component; lots that
    then break a rule are dropped. None if the plan is still infeasible."""
    shrunk = {lot: comp for lot, comp in islands}
    fixed = []
    for lot in lots:
        if lot in shrunk:
            keep = tuple(o for o in lot.members if o in shrunk[lot])
            lot = Lot(lot.category_id, lot.supplier_id, keep, lot.start)
        fixed.append(lot)
    assessment = assess_plan(inst, fixed)
    if not assessment.feasible:
        kept = [o.lot for o in assessment.outcomes if not _breaks(inst, o.lot)]
        assessment = assess_plan(inst, kept)
        if not assessment.feasible:
            return None
    return without_idle_lots(inst, assessment.outcomes)


def _breaks(inst: Instance, lot: Lot) -> bool:
    return bool(assess_plan(inst, [lot]).violations)


COMPACT = CompactStrategy(
    "compact", "multiple_choice", "one MILP of the whole problem (multiple-choice tiers)"
)
COMPACT_DELTA = CompactStrategy(
    "compact-delta", "delta", "the compact MILP with the incremental tier model"
)
COMPACT_CONVEX = CompactStrategy(
    "compact-convex", "convex", "the compact MILP with the convex-combination tier model"
)
