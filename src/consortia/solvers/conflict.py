"""Why an instance has no feasible plan (spec section 13): a small set of locks and
rules that cannot hold together, each named as the instance names it (a lock by
its row), and the reason in words.

**Which categories matter.** Only the categories named by a ``join`` or
``together`` lock can make an instance infeasible. In any other category the
empty set of lots keeps every rule that concerns the category alone: its
``exclude`` and ``apart`` locks hold vacuously, ``max_suppliers`` holds with no
supplier, and ``max_share`` holds as 0 ≤ share · 0. And dropping a category's
lots from a feasible plan keeps every rule of the other categories: rules 1-7
and 9 and the locks and supplier rules judge one lot, one offer or one category
at a time, and the formation limits (rule 8 and each organization's own, rule
8b) count forming lots, whose number only falls. So the instance has a feasible
plan exactly when the instance restricted to those categories has one (a plan of
the restriction is a plan of the whole, the other categories left empty). (This
is sharper than "categories with a lock or a ``max_share`` below 1": a
``max_share`` below 1 binds only next to a lot some lock asks for.) Every test
below solves the restriction of its items only.

**Items.** The locks of those categories, their offers' ``max_share`` below 1,
their ``max_suppliers`` below their number of offers, the central formation
limit and the organizations' own limits that can bind
(``solvers.variants.rule_items``). Everything else (regions, capacities, tiers,
readiness, member limits, the collaboration graph) is data and stays.

**How the set is found.** First the checks of ``solvers.static_conflict``: when
one holds, the items it used are the start, and deletion filtering with those
checks alone (drop an item, keep it dropped while a check still holds) makes it
small without a solve. Then deletion filtering with solves: each remaining item
is dropped in turn and the rest tested — by the checks, else by a short solve
of the restricted instance — and kept dropped only when the rest is proven
infeasible. When every test was decided the set is irreducible: it cannot hold,
and dropping any one item leaves an instance with a feasible plan (a subset of
a feasible set of items is feasible: items only restrict). A test stopped by its
time limit keeps its item: the set still cannot hold (it never loses an item
without a proof), but such items may not be needed, and the conflict says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from consortia.data.instance import Instance
from consortia.solvers.base import SolveContext, finish_without_plan
from consortia.solvers.clock import Deadline
from consortia.solvers.result import Result
from consortia.solvers.static_conflict import StaticChecker
from consortia.solvers.variants import Item, forced_categories, rule_items, variant

# Decides whether an instance has a feasible plan within a time limit: True when a
# plan keeps every rule, False when proven that none does, None when undecided.
Decide = Callable[[Instance, float], bool | None]

# Without a time limit, the search for a conflict takes at most this long, and
# each of its solves at most TEST_SECONDS.
CONFLICT_SECONDS = 60.0
TEST_SECONDS = 10.0
# The least time worth giving a test solve.
MIN_TEST_SECONDS = 0.05


@dataclass(frozen=True)
class Conflict:
    """Items that cannot hold together. `reason` is the sentence of a check of
    ``solvers.static_conflict`` (None: proven by a solve); `undecided` are the
    items kept because their test was not decided in time."""

    items: tuple[Item, ...]
    reason: str | None
    undecided: tuple[Item, ...] = ()
    solves: int = 0

    @property
    def irreducible(self) -> bool:
        return not self.undecided

    def lines(self) -> list[str]:
        """The conflict in words, one line per item, then why they clash."""
        if len(self.items) == 1:
            why = self.reason or (
                "no plan keeps it (proven by a solve of the instance with no other lock or rule)"
            )
            return [f"{self.items[0]}: {why}"]
        lines = [f"{item}: {item.asks}" for item in self.items]
        if self.reason is not None:
            lines.append(f"together they cannot hold: {self.reason}")
        else:
            lines.append(
                f"together they cannot hold: the instance with only these "
                f"{len(self.items)} locks and rules has no feasible plan (proven by a solve)"
            )
        if self.undecided:
            names = ", ".join(str(i) for i in self.undecided)
            lines.append(
                f"not proven needed: {names} (the solve without each was not decided in time)"
            )
        elif len(self.items) > 1:
            lines.append("dropping any one of them leaves a feasible plan")
        return lines


class Search:
    """One search for a conflict: the instance, its items, the checks, the clock."""

    def __init__(self, inst: Instance, decide: Decide, deadline: Deadline) -> None:
        self.inst, self.decide, self.deadline = inst, decide, deadline
        self.checker = StaticChecker(inst)
        self.items = conflict_items(inst)
        self.solves = 0
        self.pending = 0  # tests still to run, to share the time among them

    def infeasible(self, kept: Sequence[Item]) -> bool | None:
        """Whether the items `kept` (the others left out) cannot hold together: True
        proven, False when a plan keeps them, None when undecided in time."""
        if self.checker.check(kept) is not None:
            return True
        categories = forced_categories(kept)
        if not categories:
            return False  # the empty plan keeps every kept item
        seconds = self._test_seconds()
        if seconds is None:
            return None
        dropped = [i for i in self.items if i not in kept]
        restricted = variant(self.inst, dropped, categories)
        self.solves += 1
        verdict = self.decide(restricted, seconds)
        return None if verdict is None else not verdict

    def _test_seconds(self) -> float | None:
        """The time of the next test: an equal share of what is left among the
        tests still to run, at most TEST_SECONDS; None when too little is left."""
        left = self.deadline.remaining()
        if self.deadline.expired():
            return None
        share = TEST_SECONDS if left is None else left / max(1, self.pending)
        seconds = min(TEST_SECONDS, share)
        return seconds if seconds >= MIN_TEST_SECONDS else None

    def statically_small(self, items: Sequence[Item]) -> list[Item]:
        """Deletion filtering with the checks alone: no solve."""
        kept = list(items)
        for item in list(kept):
            trial = [i for i in kept if i != item]
            if self.checker.check(trial) is not None:
                kept = trial
        return kept

    def filtered(self, items: Sequence[Item]) -> tuple[list[Item], list[Item]]:
        """Deletion filtering with the checks and solves: the items kept, and those
        of them kept because their test was undecided."""
        kept, undecided = list(items), []
        for k, item in enumerate(list(kept)):
            self.pending = len(items) - k
            trial = [i for i in kept if i != item]
            verdict = self.infeasible(trial)
            if verdict:
                kept = trial
            elif verdict is None:
                undecided.append(item)
        return kept, undecided


def conflict_items(inst: Instance) -> list[Item]:
    """The items that can take part in a conflict: those of ``rule_items`` in the
    categories named by ``join`` or ``together`` locks, and the formation limits."""
    items = rule_items(inst)
    categories = forced_categories(items)
    return [i for i in items if i.category_id is None or i.category_id in categories]


def find_conflict(
    inst: Instance, decide: Decide, deadline: Deadline, known_infeasible: bool
) -> Conflict | None:
    """A small set of items of `inst` that cannot hold together, or None when the
    instance is not proven infeasible (`known_infeasible`: a solve proved it)."""
    search = Search(inst, decide, deadline)
    items = search.items
    if not items:
        return None  # without join or together locks the empty plan keeps every rule
    finding = search.checker.check(items)
    if finding is not None:
        start = list(finding.items) if search.checker.check(finding.items) else items
        items = search.statically_small(start)
    elif not known_infeasible:
        search.pending = len(items) + 1
        if search.infeasible(items) is not True:
            return None
    kept, undecided = search.filtered(items)
    found = search.checker.check(kept)
    return Conflict(
        tuple(kept), None if found is None else found.reason, tuple(undecided), search.solves
    )


def conflict_deadline(deadline: Deadline) -> Deadline:
    """The time for a conflict: what is left of the solve's, or CONFLICT_SECONDS."""
    return Deadline(CONFLICT_SECONDS) if deadline.unlimited else deadline


def infeasible_by_checks(ctx: SolveContext, decide: Decide) -> Result | None:
    """The result of an instance that a check of ``solvers.static_conflict`` proves
    infeasible, before any solve: ``infeasible`` with its conflict; None when no
    check holds (or nothing asks for a lot)."""
    items = conflict_items(ctx.inst)
    if not forced_categories(items) or StaticChecker(ctx.inst).check(items) is None:
        return None
    note = "proven infeasible before any search, by the checks of solvers/static_conflict.py"
    result = finish_without_plan(ctx, ctx.options.formulation, proven=True, messages=[note])
    return with_conflict(ctx, result, decide)


def with_conflict(ctx: SolveContext, result: Result, decide: Decide) -> Result:
    """A result without a plan, with the conflict filled in: its status becomes
    ``infeasible`` when the conflict proves what a limit left undecided
    (``no_plan``). A result whose infeasibility stays unproven keeps ``no_plan``
    and an empty conflict."""
    began = time.perf_counter()
    found = find_conflict(
        ctx.inst, decide, conflict_deadline(ctx.deadline), result.status == "infeasible"
    )
    if found is None:
        result.timings.add_search("conflict", time.perf_counter() - began)
        return result
    if result.status != "infeasible":
        note = "the search for a conflict proved that no plan keeps every lock and rule"
        result = finish_without_plan(
            ctx,
            result.formulation,
            proven=True,
            messages=[*result.messages, note],
            model_size=result.model_size,
        )
    result.conflict = found.lines()
    result.timings.add_search("conflict", time.perf_counter() - began)
    return result
