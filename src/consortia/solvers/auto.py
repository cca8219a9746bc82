"""``auto``: the default, an ordered list of strategies.

1. ``offers`` where it is exact (it says so through ``supports``);
2. otherwise ``columns``;
3. then, if a gap remains, the compact model is small enough and time is left,
   the compact model started from the plan and bound found so far.
"""

from __future__ import annotations

from consortia.errors import ModelTooLarge
from consortia.solvers.base import LIMIT_NOTE, SolveContext
from consortia.solvers.columns import ColumnStrategy
from consortia.solvers.compact import solve_compact
from consortia.solvers.offers import OfferStrategy
from consortia.solvers.result import Result

# The compact model finishes the job of another strategy only while it is small:
# its membership variables grow with the square of the organizations.
COMPACT_MEMBERSHIP_LIMIT = 5000


class AutoStrategy:
    name = "auto"
    help = "offers where exact, else columns, finished by the compact model when it is small"

    def supports(self, ctx: SolveContext) -> str | None:
        return None

    def solve(self, ctx: SolveContext) -> Result:
        offers = OfferStrategy()
        if offers.supports(ctx) is None:
            return offers.solve(ctx)
        return finish_with_compact(ctx, ColumnStrategy().solve(ctx))


def finish_with_compact(ctx: SolveContext, result: Result) -> Result:
    """`result`, or the compact model's result started from its plan and bound
    when a gap remains, the model is small and at least a second is left."""
    if result.status == "optimal" or ctx.deadline.expired(1.0):
        return result
    if len(ctx.index.members) > COMPACT_MEMBERSHIP_LIMIT:
        return result
    try:
        done = solve_compact(
            ctx,
            start=result.outcomes,
            known_bound=result.best_bound,
            formulation=f"{result.formulation}+compact",
        )
    except ModelTooLarge as exc:
        result.messages.append(f"{LIMIT_NOTE}compact finish skipped: {exc}")
        return result
    done.messages = result.messages + done.messages
    return done


AUTO = AutoStrategy()
