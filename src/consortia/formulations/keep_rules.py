"""The greedy plan under supplier rules and locks (spec sections 11 and 12).

Three steps keep a plan built lot by lot within the rules that span lots of a
category:

- before a proposed lot is priced, :func:`without_forbidden_members` drops the
  members a lock keeps out of it (``exclude``, a ``join`` on another supplier, the
  second of an ``apart`` pair, one of a ``together`` pair without the other);
- after scheduling, :func:`within_shares` drops the smallest lots of an offer over
  its ``max_share`` until every offer is within its share (the empty category is);
- :func:`honour_locks` then tries, lock by lock, to meet each unmet ``join`` and
  ``together`` lock: the locked members added to a lot of the category, or in a lot
  of their own, taking them out of other lots first; a change is kept only when
  the whole plan breaks no rule it did not break before and meets the lock.

It is a heuristic: a plan that still breaks a ``join`` or ``together`` lock is
not a plan; the exact formulations decide whether one exists.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from consortia.data.instance import Instance, Lock
from consortia.rules.locks import lock_breach, lock_forbids
from consortia.rules.plan import Lot, LotOutcome, assess_plan, price_lot
from consortia.rules.spec import within


def without_forbidden_members(inst: Instance, lot: Lot) -> Lot:
    """The lot without the members that a lock of its category keeps out of it."""
    members = list(lot.members)
    for lock in inst.locks_in.get(lot.category_id, ()):
        if not lock_forbids(lock, lot.supplier_id, members):
            continue
        if lock.rule in ("exclude", "join"):
            drop = {lock.org_id}
        elif lock.rule == "apart":
            drop = {lock.other_org_id or ""}
        else:  # together: the one of the pair that is in the lot
            drop = {lock.org_id, lock.other_org_id or ""}
        members = [o for o in members if o not in drop]
    return Lot(lot.category_id, lot.supplier_id, tuple(members), lot.start)


def supplier_allowed(inst: Instance, used: set[str], lot: Lot) -> bool:
    """Whether one more lot on this supplier keeps its category within max_suppliers,
    given the suppliers `used` by the category's lots so far."""
    limit = inst.max_suppliers.get(lot.category_id)
    return limit is None or lot.supplier_id in used or len(used) < limit


def within_shares(inst: Instance, plan: list[LotOutcome]) -> list[LotOutcome]:
    """The plan without the smallest lots of each offer over its max_share, dropped
    one at a time (a dropped lot also lowers its category's volume, so each drop
    is followed by a fresh look at every offer of the category)."""
    if all(offer.max_share >= 1 for offer in inst.offer.values()):
        return plan
    kept = list(plan)
    while True:
        over = _offer_over_share(inst, kept)
        if over is None:
            return kept
        smallest = min(
            (o for o in kept if (o.lot.supplier_id, o.lot.category_id) == over),
            key=lambda o: (o.volume, o.lot),
        )
        kept.remove(smallest)


def _offer_over_share(inst: Instance, plan: list[LotOutcome]) -> tuple[str, str] | None:
    by_offer: defaultdict[tuple[str, str], float] = defaultdict(float)
    by_category: defaultdict[str, float] = defaultdict(float)
    for out in plan:
        by_offer[(out.lot.supplier_id, out.lot.category_id)] += out.volume
        by_category[out.lot.category_id] += out.volume
    for key, volume in sorted(by_offer.items()):
        share = inst.offer[key].max_share
        if share < 1 and not within(volume, share * by_category[key[1]]):
            return key
    return None


def honour_locks(inst: Instance, plan: list[LotOutcome]) -> list[LotOutcome]:
    """The plan changed, lock by lock, to meet unmet ``join`` and ``together`` locks
    where a change breaks nothing new (see the module docstring)."""
    for lock in inst.lock_records:
        if lock.rule not in ("join", "together"):
            continue
        if lock_breach(lock, [o.lot for o in plan]) is None:
            continue
        before = set(assess_plan(inst, [o.lot for o in plan]).violations)
        best: tuple[float, list[LotOutcome]] | None = None
        for lots in _changes(inst, lock, plan):
            judged = assess_plan(inst, lots)
            if lock_breach(lock, lots) is not None or not set(judged.violations) <= before:
                continue
            if best is None or judged.objective > best[0]:
                best = (judged.objective, judged.outcomes)
        if best is not None:
            plan = best[1]
    return plan


def _changes(inst: Instance, lock: Lock, plan: list[LotOutcome]) -> Iterator[list[Lot]]:
    """Plans meeting `lock` by construction: its members added to each lot of the
    category on an allowed supplier, or alone on each such offer from each start;
    the members leave every other lot of the category first."""
    c = lock.category_id
    need = (lock.org_id,) if lock.rule == "join" else (lock.org_id, lock.other_org_id or "")
    others: list[Lot] = []
    for out in plan:
        lot = out.lot
        if lot.category_id == c and set(need) & set(lot.members):
            lot = Lot(c, lot.supplier_id, tuple(o for o in lot.members if o not in need), lot.start)
            if not lot.members:
                continue
        others.append(lot)
    suppliers = [
        off.supplier_id
        for off in inst.offers_in.get(c, [])
        if lock.supplier_id in (None, off.supplier_id)
    ]
    ready = max(inst.pair_ready[(o, c)] for o in need)
    for i, lot in enumerate(others):
        if lot.category_id != c or lot.supplier_id not in suppliers:
            continue
        grown = Lot(c, lot.supplier_id, lot.members + need, max(lot.start, ready))
        yield [*others[:i], grown, *others[i + 1 :]]
    horizon = inst.settings.horizon
    for sup in suppliers:
        for start in range(ready, horizon + 1):
            alone = Lot(c, sup, need, start)
            outcome, _ = price_lot(inst, alone)
            if outcome is None or outcome.live > horizon:
                break
            yield [*others, alone]
