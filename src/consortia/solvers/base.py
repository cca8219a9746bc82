"""What every solver shares: one solve context and one finish.

A solver strategy (``registry.py``) receives a :class:`SolveContext`, which
builds the candidate sets, the compact model's index and the greedy plan at
most once per solve, whoever asks first, and holds the one :class:`Deadline`
of the solve. Every strategy ends with :func:`finish`, the only place where a
status is decided: ``optimal`` exactly when the bound was proven and the
relative gap is at most the requested one (``models/README.md``, reading 3);
:func:`stop_reason`, which it calls, is the only place where the reason the
search stopped is put into words.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import highspy

from consortia.backend.highs import stop_requested, watch_mip
from consortia.data.instance import Instance
from consortia.formulations.candidates import Candidates, build_candidates
from consortia.formulations.fill_lots import fill_lots
from consortia.formulations.greedy import proposed_lots, schedule_lots
from consortia.formulations.pool import pool_reporting
from consortia.rules.plan import Lot, LotOutcome, assess_plan, total_net
from consortia.solvers.clock import Deadline, Timings
from consortia.solvers.options import Phase, Progress, SolveOptions
from consortia.solvers.result import Result, relative_gap

if TYPE_CHECKING:
    from consortia.formulations.compact.index import ModelIndex


GREEDY_SHARE = 0.25  # of the time left, for growing the greedy proposals


@dataclass
class SolveContext:
    """One solve: the instance, the options, the starting plan, the clock, and the
    derived data every strategy may need, each built once on first use."""

    inst: Instance
    options: SolveOptions = field(default_factory=SolveOptions)
    start: list[LotOutcome] = field(default_factory=list)
    deadline: Deadline = field(default_factory=lambda: Deadline(None))
    timings: Timings = field(default_factory=Timings)

    @classmethod
    def of(
        cls,
        inst: Instance,
        options: SolveOptions | None = None,
        start: list[LotOutcome] | None = None,
    ) -> SolveContext:
        """A context whose clock starts now, with the options' time limit."""
        options = options or SolveOptions()
        return cls(inst, options, list(start or []), Deadline(options.time_limit))

    @cached_property
    def candidates(self) -> Candidates:
        phase = Phase(self.options.progress, "candidate sets")
        phase()
        with self.timings.building_stage("candidates"):
            built = build_candidates(self.inst)
        phase(force=True)
        return built

    @cached_property
    def index(self) -> ModelIndex:
        """The compact model's index sets (slots: quadratic in the organizations)."""
        from consortia.formulations.compact.index import build_index

        cands = self.candidates
        with self.timings.building_stage("candidates"):
            return build_index(cands)

    @cached_property
    def proposals(self) -> list[Lot]:
        """The lots greedy growth proposes, best first (``formulations/greedy.py``),
        grown within a quarter of the time left."""
        cands = self.candidates
        stop = self.deadline.share(GREEDY_SHARE)
        phase = self._greedy_phase

        def stopped() -> bool:
            phase()  # growth asks often: a report every two seconds
            return stop.expired()

        with self.timings.search_stage("greedy"):
            return proposed_lots(cands, stopped)

    @cached_property
    def greedy(self) -> list[LotOutcome]:
        """The greedy plan: the proposals scheduled best first."""
        proposals = self.proposals
        with self.timings.search_stage("greedy"):
            plan = schedule_lots(self.inst, proposals)
        self._greedy_phase(total_net(plan), force=True)
        return plan

    @cached_property
    def _greedy_phase(self) -> Phase:
        return Phase(self.options.progress, "greedy")

    def best_known_plan(self) -> list[LotOutcome]:
        """The better of the starting plan and the greedy plan."""
        if self.start and total_net(self.start) > total_net(self.greedy):
            return list(self.start)
        return list(self.greedy)


# Messages that begin with this say what a limit cut short; the terminal shows them.
LIMIT_NOTE = "limit: "


def report_mip(h: highspy.Highs, progress: Callable[[Progress], None], stage: str) -> None:
    """Report the incumbent and bound of every MIP search of `h` as `stage`, about
    every two seconds."""

    def forward(seconds: float, incumbent: float | None, bound: float | None) -> None:
        progress(Progress(stage, seconds, incumbent, bound))

    watch_mip(h, forward)


@contextmanager
def reporting(ctx: SolveContext) -> Iterator[None]:
    """Within the block, the integer masters over column pools (``formulations/pool.py``)
    report to the solve's progress callback as the phase ``integer master``."""
    progress = ctx.options.progress

    def report(seconds: float, incumbent: float | None, bound: float | None) -> None:
        if progress is not None:
            progress(Progress("integer master", seconds, incumbent, bound, "pool bound"))

    with pool_reporting(None if progress is None else report):
        yield


def lot_order(out: LotOutcome) -> tuple:
    """The order in which a plan's lots are reported."""
    return (out.lot.category_id, out.live, out.lot.start, out.lot.supplier_id, out.lot.members)


def finish(
    ctx: SolveContext,
    formulation: str,
    plan: list[LotOutcome],
    bound: float,
    *,
    proven: bool = True,
    objective: float | None = None,
    **details: object,
) -> Result:
    """The result of a strategy: its plan in report order, the objective, the best
    bound (never below the plan), and the status (``optimal`` only when the bound
    is `proven` and the gap is within the requested one). `objective` overrides
    the plan's net savings (priced problems). `details` are further Result fields."""
    if (
        _empty_plan_may_break_rules(ctx.inst)
        and not assess_plan(ctx.inst, [o.lot for o in plan]).feasible
    ):
        # a strategy that ends with a plan breaking a lock or supplier rule found none
        return finish_without_plan(ctx, formulation, proven=False, **details)
    value = total_net(plan) if objective is None else objective
    if objective is None and relative_gap(max(bound, value), value) > ctx.options.proven_gap:
        plan, value = _filled(ctx, plan, value)
    best_bound = max(bound, value)
    optimal = proven and relative_gap(best_bound, value) <= ctx.options.proven_gap
    result = Result(
        ctx.inst,
        "optimal" if optimal else "feasible",
        value,
        best_bound,
        sorted(plan, key=lot_order),
        formulation=formulation,
        timings=ctx.timings,
        **details,  # type: ignore[arg-type]
    )
    result.stop_reason = stop_reason(ctx, result)
    return result


def _filled(
    ctx: SolveContext, plan: list[LotOutcome], value: float
) -> tuple[list[LotOutcome], float]:
    """The plan with left-out bodies added to its lots where that costs no formation
    time (``formulations/fill_lots.py``), if that keeps every rule and gains."""
    with ctx.timings.search_stage("fill"):
        filled = fill_lots(ctx.inst, plan)
        gained = total_net(filled)
        if gained > value and assess_plan(ctx.inst, [o.lot for o in filled]).feasible:
            return filled, gained
    return plan, value


def _empty_plan_may_break_rules(inst: Instance) -> bool:
    """Whether a strategy's plan can break a rule that the empty plan may break too:
    ``join`` and ``together`` locks and ``max_share`` (spec section 13)."""
    return any(lock.rule in ("join", "together") for lock in inst.lock_records) or any(
        offer.max_share < 1 for offer in inst.offer.values()
    )


def finish_without_plan(
    ctx: SolveContext, formulation: str, *, proven: bool, **details: object
) -> Result:
    """The result of a strategy that found no plan keeping the rules (spec section
    13): ``infeasible`` when it `proven` that none exists, else ``no_plan`` (a limit
    stopped it first). The conflict is found afterwards (``solvers.conflict``)."""
    result = Result(
        ctx.inst,
        "infeasible" if proven else "no_plan",
        math.nan,
        math.nan,
        [],
        formulation=formulation,
        timings=ctx.timings,
        **details,  # type: ignore[arg-type]
    )
    result.stop_reason = _NO_PLAN_REASONS[proven]
    return result


# why a search without a plan stopped: not proven, proven infeasible
_NO_PLAN_REASONS = (
    "stopped before a plan keeping every lock and rule was found or ruled out",
    "no plan keeps every lock and rule (proven)",
)


def restate(ctx: SolveContext, result: Result, *notes: str) -> Result:
    """A result finished earlier, with `notes` added to its messages and its stop
    reason decided again (a strategy that wraps another one, e.g. ``auto``)."""
    result.messages.extend(notes)
    result.stop_reason = stop_reason(ctx, result)
    return result


# A search that used at least this share of its time was stopped by the time
# limit, whatever else it says: strategies give their phases shares of the time
# (column generation 70-90%, the integer master most of the rest) and end a phase
# that runs out of its share like one that finds nothing more.
TIME_USED = 0.88
# What strategies' messages say when time or memory cut a phase short, or when
# column generation found nothing more without proving that nothing is left.
_TIME_WORDS = ("time share", "s are left")
_MEMORY_WORDS = ("memory limit",)
_STALL_WORDS = ("could not prove none exists",)


def stop_reason(ctx: SolveContext, result: Result) -> str:
    """Why the search of `result` stopped, in one short sentence (the terminal's
    ``Stopped`` line and ``stop_reason`` in summary.json).

    In order: proven optimal (within the gap asked); stopped by Ctrl-C (or
    SIGTERM); a model left out for memory (``--memory-limit``); the time limit
    (the deadline passed, a strategy's messages say a phase ran out of its share
    of the time, or the search used ``TIME_USED`` of its time); the by-hand plan,
    which does not search; column generation stalled without a proof; column
    generation converged but the integer master's plan stays below the bound;
    otherwise the search ended by itself with the gap it reached (or without the
    proof of a plan that meets its bound)."""
    options, deadline = ctx.options, ctx.deadline
    messages = result.messages
    asked = _number(options.gap)
    if not result.has_plan:
        return _NO_PLAN_REASONS[result.status == "infeasible"]
    if result.status == "optimal":
        if result.model_size.get("converged") == 1:
            return "column generation converged; the integer master proved the plan optimal"
        return f"proven optimal within the gap asked ({asked})"
    held = _quality(result)
    if stop_requested():
        return f"stopped by Ctrl-C {held}"
    if _says(messages, _MEMORY_WORDS):
        return f"memory limit: a model that did not fit was left out; stopped {held}"
    if not deadline.unlimited and (
        deadline.expired(0.05) or _says(messages, _TIME_WORDS) or _used(deadline) >= TIME_USED
    ):
        limit = "" if options.time_limit is None else f" ({_number(options.time_limit)} s)"
        return f"time limit reached{limit} {held}"
    if "regional" in result.formulation:
        gap = _percent(result.gap)
        return f"the by-hand plan, no search: the member bound leaves a gap of {gap}"
    if "national" in result.formulation:
        gap = _percent(result.gap)
        return (
            "lots grown at the formation prices and a MIP over them, without a proof: "
            f"the slot-priced and member bounds leave a gap of {gap}"
        )
    if _says(messages, _STALL_WORDS):
        return (
            "search stalled: no improving lot found and the bound could not be closed "
            f"(gap {_percent(result.gap)})"
        )
    if result.model_size.get("converged") == 1:
        return (
            "column generation converged; the integer master's best plan over its "
            f"columns stays {_percent(result.gap)} below the bound"
        )
    if result.gap <= options.proven_gap:
        return "the plan meets the bound, but the search stopped before proving it"
    return f"the search ended {held}, above the gap asked ({asked})"


def _quality(result: Result) -> str:
    if not math.isfinite(result.best_bound):
        return "with a plan but no proven bound"
    return f"with a plan and a proven gap of {_percent(result.gap)}"


def _says(messages: list[str], words: tuple[str, ...]) -> bool:
    return any(w in m for m in messages for w in words)


def _used(deadline: Deadline) -> float:
    """The share of its time a limited solve has used (0 without a limit)."""
    if deadline.end is None or deadline.end <= deadline.started:
        return 0.0
    return deadline.elapsed() / (deadline.end - deadline.started)


def _number(value: float) -> str:
    """1e-06 as '1e-6', 120.0 as '120', 0.05 as '0.05'."""
    return f"{value:g}".replace("e-0", "e-").replace("e+0", "e+")


def _percent(gap: float) -> str:
    """A gap as a percentage with about three significant figures."""
    if not math.isfinite(gap):
        return "unknown"
    if gap >= 0.1:
        return f"{gap:.1%}"
    return f"{100 * gap:.3g}%"
