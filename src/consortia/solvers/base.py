"""What every solver shares: one solve context and one finish.

A solver strategy (``registry.py``) receives a :class:`SolveContext`, which
builds the candidate sets, the compact model's index and the greedy plan at
most once per solve, whoever asks first, and holds the one :class:`Deadline`
of the solve. Every strategy ends with :func:`finish`, the only place where a
status is decided: ``optimal`` exactly when the bound was proven and the
relative gap is at most the requested one (``models/README.md``, reading 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from consortia.data.instance import Instance
from consortia.formulations.candidates import Candidates, build_candidates
from consortia.formulations.greedy import proposed_lots, schedule_lots
from consortia.rules.plan import Lot, LotOutcome, total_net
from consortia.solvers.clock import Deadline, Timings
from consortia.solvers.options import SolveOptions
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
        with self.timings.building_stage("candidates"):
            return build_candidates(self.inst)

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
        with self.timings.search_stage("greedy"):
            return proposed_lots(cands, stop.expired)

    @cached_property
    def greedy(self) -> list[LotOutcome]:
        """The greedy plan: the proposals scheduled best first."""
        proposals = self.proposals
        with self.timings.search_stage("greedy"):
            return schedule_lots(self.inst, proposals)

    def best_known_plan(self) -> list[LotOutcome]:
        """The better of the starting plan and the greedy plan."""
        if self.start and total_net(self.start) > total_net(self.greedy):
            return list(self.start)
        return list(self.greedy)


# Messages that begin with this say what a limit cut short; the terminal shows them.
LIMIT_NOTE = "limit: "


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
    value = total_net(plan) if objective is None else objective
    best_bound = max(bound, value)
    optimal = proven and relative_gap(best_bound, value) <= ctx.options.proven_gap
    return Result(
        ctx.inst,
        "optimal" if optimal else "feasible",
        value,
        best_bound,
        sorted(plan, key=lot_order),
        formulation=formulation,
        timings=ctx.timings,
        **details,  # type: ignore[arg-type]
    )
