"""When the rules of spec sections 11 and 12 can ask for a lot whatever its value.

Without them, dropping a lot from a feasible plan keeps it feasible, so an optimal
plan holds no lot with net savings <= 0, and a formulation may leave out every lot
whose per-period savings are negative. ``join`` and ``together`` locks and an
offer's ``max_share`` below 1 break that argument: a lock may need a lot however
much it loses, and dropping a lot lowers its category's volume, which can push
another offer over its share. Such lots stay in the model; they can lose money per
period only when rule 9 (individual rationality) is switched off.
"""

from __future__ import annotations

from collections.abc import Callable

from consortia.data.instance import Instance
from consortia.rules.plan import LotOutcome, assess_plan, total_net

FORCING_LOCKS = ("join", "together")


def forced_in(inst: Instance, cat_id: str) -> bool:
    """Whether a feasible plan may need a lot of the category that does not pay:
    a ``join`` or ``together`` lock in it, or one of its offers with max_share < 1."""
    if any(lock.rule in FORCING_LOCKS for lock in inst.locks_in.get(cat_id, ())):
        return True
    return any(offer.max_share < 1 for offer in inst.offers_in.get(cat_id, ()))


def losses_possible(inst: Instance, cat_id: str) -> bool:
    """Whether a lot of the category losing money every period may be needed: only
    without rule 9, in a category where lots can be forced (:func:`forced_in`)."""
    return not inst.settings.individually_rational and forced_in(inst, cat_id)


def empty_plan_breaks_locks(inst: Instance) -> bool:
    """Whether the instance has a ``join`` or ``together`` lock (the empty plan then
    breaks it, and an instance may have no feasible plan at all)."""
    return any(lock.rule in FORCING_LOCKS for lock in inst.lock_records)


def binding_supplier_limits(inst: Instance) -> dict[str, int]:
    """The categories whose max_suppliers is below their number of offers."""
    return {
        c: limit
        for c, limit in inst.max_suppliers.items()
        if limit < len({off.supplier_id for off in inst.offers_in.get(c, ())})
    }


def rules_in_force(inst: Instance) -> list[str]:
    """The rules of spec sections 11 and 12 the instance sets beyond their defaults,
    in words: "locks (spec section 12)", "max_share (spec section 11)",
    "max_suppliers (spec section 11)"."""
    found = []
    if inst.lock_records:
        found.append("locks (spec section 12)")
    if any(offer.max_share < 1 for offer in inst.offer.values()):
        found.append("offers.max_share (spec section 11)")
    if binding_supplier_limits(inst):
        found.append("categories.max_suppliers (spec section 11)")
    return found


def keeps_rules(inst: Instance, plan: list[LotOutcome]) -> bool:
    """Whether the plan keeps every rule (the empty plan may break a lock)."""
    return assess_plan(inst, [o.lot for o in plan]).feasible


def best_feasible(
    inst: Instance,
    plans: list[list[LotOutcome]],
    value: Callable[[list[LotOutcome]], float] = total_net,
) -> list[LotOutcome] | None:
    """The most valuable of the plans that keep every rule (None if none does)."""
    kept = [list(plan) for plan in plans if keeps_rules(inst, plan)]
    return max(kept, key=value, default=None)


def without_idle_lots(inst: Instance, outcomes: list[LotOutcome]) -> list[LotOutcome]:
    """The plan without its lots of net savings <= 0, each dropped only while the
    plan still keeps every rule (a lock or max_share may need a lot that does not
    pay, ``formulations/forced_lots.py``); least valuable first."""
    if not any(forced_in(inst, c) for c in {o.lot.category_id for o in outcomes}):
        return [o for o in outcomes if o.net > 0]
    kept = list(outcomes)
    for out in sorted(outcomes, key=lambda o: (o.net, o.lot)):
        if out.net > 0:
            break
        trial = [o for o in kept if o is not out]
        if keeps_rules(inst, trial):
            kept = trial
    return kept
