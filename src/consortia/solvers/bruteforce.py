"""Exhaustive enumeration of plans, for tiny instances only.

Written independently of every formulation: it lists every lot (category, member
set, offer, start) that the spec's rules allow on its own and that an optimal plan
may hold, enumerates every packing of such lots per category (one lot per
organization and category, offer capacities respected) that keeps the category's
supplier rules (spec section 11) and locks (section 12), and combines categories
under the parallel-formation limits by dynamic programming over per-period
formation counts: the central count (rule 8) and each limited organization's own
(rule 8b). Cost grows exponentially: keep to about five organizations and a short
horizon.

Which lots an optimal plan may hold: dropping a lot from a feasible plan keeps
every rule except a ``join`` or ``together`` lock the lot serves and the
``max_share`` of another offer of its category (the category's volume shrinks).
So a lot with net savings ≤ 0 is listed only when a lock may need it or its
category has an offer with ``max_share < 1``; every other optimal plan without it
is at least as good. Lots alike in members, offer and forming periods differ in
value only (every rule treats them alike): the best of them is kept.

With locks an instance may have no feasible plan (spec section 13):
:func:`enumerate_optimum` then raises :class:`Infeasible`;
:func:`optimum_or_none` returns None instead.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

from consortia.data.instance import Instance, Lock
from consortia.rules.locks import lock_breach, lock_forbids, lock_may_need, members_required
from consortia.rules.plan import Lot, LotOutcome, assess_plan, price_lot
from consortia.rules.suppliers import supplier_breaches

Profile = tuple[int, ...]
Packings = dict[Profile, tuple[float, list[LotOutcome]]]


class Infeasible(Exception):
    """The instance has no feasible plan (spec section 13)."""


def enumerate_optimum(inst: Instance) -> tuple[float, list[LotOutcome]]:
    """The optimal net savings and one optimal plan; raise :class:`Infeasible` when
    no plan keeps every rule (possible only with ``join`` or ``together`` locks)."""
    found = optimum_or_none(inst)
    if found is None:
        raise Infeasible(f"{inst.name} has no feasible plan")
    return found


def optimum_or_none(inst: Instance) -> tuple[float, list[LotOutcome]] | None:
    """The optimal net savings and one optimal plan, or None when the instance has
    no feasible plan."""
    horizon = inst.settings.horizon
    capped = sorted(inst.org_capacity)
    limit = inst.settings.max_parallel_formations
    # a profile counts lots forming per period: centrally, then per limited organization
    limits = [math.inf if limit is None else limit] * horizon
    for o in capped:
        limits += [inst.org_capacity[o]] * horizon
    combined: Packings = {(0,) * len(limits): (0.0, [])}
    for cat_id in inst.category:
        packings = _packings(inst, cat_id, capped)
        merged: Packings = {}
        for prof_a, (val_a, plan_a) in combined.items():
            for prof_b, (val_b, plan_b) in packings.items():
                prof = tuple(a + b for a, b in zip(prof_a, prof_b, strict=True))
                if any(k > most for k, most in zip(prof, limits, strict=True)):
                    continue
                if limit is None:
                    prof = (0,) * horizon + prof[horizon:]
                value = val_a + val_b
                if prof not in merged or value > merged[prof][0] + 1e-12:
                    merged[prof] = (value, plan_a + plan_b)
        combined = merged
    if not combined:
        return None
    value, plan = max(combined.values(), key=lambda item: item[0])
    assert assess_plan(inst, [o.lot for o in plan]).feasible
    return value, plan


def profitable_lots(inst: Instance, cat_id: str) -> list[LotOutcome]:
    """Every lot of a category that breaks no rule on its own and has net savings > 0."""
    return [out for out in _lots_alone(inst, cat_id) if out.net > 1e-9]


def candidate_lots(inst: Instance, cat_id: str) -> list[LotOutcome]:
    """The lots of a category an optimal plan may hold: each breaks no rule on its
    own, no plan keeping the category's locks is denied it, and it has net savings
    > 0 unless a lock may need it or an offer of the category has ``max_share < 1``
    (see the module docstring). Of lots alike in members, offer and forming
    periods only the best is kept."""
    locks = inst.locks_in.get(cat_id, ())
    diluting = any(off.max_share < 1 for off in inst.offers_in[cat_id])
    best: dict[tuple[tuple[str, ...], str, range], LotOutcome] = {}
    for out in _lots_alone(inst, cat_id):
        sup, members = out.lot.supplier_id, out.lot.members
        if any(lock_forbids(lock, sup, members) for lock in locks):
            continue
        if not (out.net > 1e-9 or diluting or any(lock_may_need(lk, sup, members) for lk in locks)):
            continue
        key = (members, sup, out.forming)
        if key not in best or out.net > best[key].net:
            best[key] = out
    return list(best.values())


def _lots_alone(inst: Instance, cat_id: str) -> list[LotOutcome]:
    """Every lot of a category that breaks no rule on its own."""
    orgs = [o for o in inst.org_ids if (o, cat_id) in inst.demand_of]
    out = []
    for size in range(1, len(orgs) + 1):
        for members in itertools.combinations(orgs, size):
            for offer in inst.offers_in[cat_id]:
                for start in range(1, inst.settings.horizon + 1):
                    lot = Lot(cat_id, offer.supplier_id, members, start)
                    outcome, problems = price_lot(inst, lot)
                    if outcome is not None and not problems:
                        out.append(outcome)
    return out


def _packings(inst: Instance, cat_id: str, capped: list[str]) -> Packings:
    """Best packing of a category's lots for each formation profile (central counts,
    then the counts of each organization in `capped`), among the packings that keep
    the category's supplier rules and locks; empty when none does."""
    horizon = inst.settings.horizon
    locks = inst.locks_in.get(cat_id, ())
    required = members_required(locks)
    most_suppliers = inst.max_suppliers.get(cat_id, math.inf)
    by_first: dict[str, list[LotOutcome]] = {}
    for out in candidate_lots(inst, cat_id):
        by_first.setdefault(out.lot.members[0], []).append(out)
    orgs = [o for o in inst.org_ids if (o, cat_id) in inst.demand_of]
    best: Packings = {}
    load: defaultdict[str, float] = defaultdict(float)
    suppliers: defaultdict[str, int] = defaultdict(int)  # lots per supplier so far

    def record(chosen: list[LotOutcome], value: float) -> None:
        if not _keeps_category_rules(inst, locks, chosen):
            return
        profile = [0] * (horizon * (1 + len(capped)))
        for out in chosen:
            for p in out.forming:
                profile[p - 1] += 1
                for k, o in enumerate(capped, start=1):
                    if o in out.lot.members:
                        profile[k * horizon + p - 1] += 1
        key = tuple(profile)
        if key not in best or value > best[key][0] + 1e-12:
            best[key] = (value, list(chosen))

    def visit(i: int, used: frozenset[str], chosen: list[LotOutcome], value: float) -> None:
        while i < len(orgs) and orgs[i] in used:
            i += 1
        if i == len(orgs):
            record(chosen, value)
            return
        if orgs[i] not in required:
            visit(i + 1, used, chosen, value)  # orgs[i] stays out
        for out in by_first.get(orgs[i], []):
            if used & set(out.lot.members):
                continue
            sup = out.lot.supplier_id
            if load[sup] + out.volume > inst.offer[(sup, cat_id)].capacity * (1 + 1e-9):
                continue
            if not suppliers[sup] and len([s for s, k in suppliers.items() if k]) >= most_suppliers:
                continue
            load[sup] += out.volume
            suppliers[sup] += 1
            chosen.append(out)
            visit(i + 1, used | set(out.lot.members), chosen, value + out.net)
            chosen.pop()
            suppliers[sup] -= 1
            load[sup] -= out.volume

    visit(0, frozenset(), [], 0.0)
    return best


def _keeps_category_rules(
    inst: Instance, locks: tuple[Lock, ...], chosen: list[LotOutcome]
) -> bool:
    """The packing of one category keeps the supplier rules and the category's locks
    (judged by the rules, whatever the search already pruned)."""
    awards = [(o.lot.category_id, o.lot.supplier_id, o.volume) for o in chosen]
    if supplier_breaches(inst, awards):
        return False
    lots = [o.lot for o in chosen]
    return all(lock_breach(lock, lots) is None for lock in locks)
