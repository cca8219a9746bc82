"""Turn a priced member set into master columns: the set itself, and real lots.

``plan.price_lot`` is the one judge of a lot. A member set found by pricing breaks
at most two rules: connectivity (rule 7; pricing ignores the graph) and individual
rationality under an incremental schedule (rule 9; pricing uses a necessary
filter). Such a set becomes a *relaxed* column (LP only). Repair makes real lots
from it: split it into the connected components of the collaboration graph, then
drop members that would pay more than their baseline until every member is
individually rational (the average price only rises when members leave, so the
loop is repeated until it is stable).
"""

from __future__ import annotations

from consortia.data.instance import Instance
from consortia.rules.plan import Lot, LotOutcome, price_lot
from consortia.rules.spec import within

RELAXABLE = ("not connected", "would pay more")
SHIFT = 2  # periods by which ``integer_variants`` moves a lot's start either way


def _components(inst: Instance, members: list[str]) -> list[list[str]]:
    nb = inst.neighbours
    if nb is None:
        return [members]
    left = set(members)
    out = []
    for m in members:
        if m not in left:
            continue
        left.discard(m)
        comp, stack = [m], [m]
        while stack:
            x = stack.pop()
            for y in nb[x] & left:
                left.discard(y)
                comp.append(y)
                stack.append(y)
        out.append(comp)
    return out


def _rational(inst: Instance, lot: Lot) -> tuple[LotOutcome | None, list[str]]:
    """Price a lot, dropping irrational members until none is left irrational."""
    members = list(lot.members)
    while members:
        out, problems = price_lot(
            inst, Lot(lot.category_id, lot.supplier_id, tuple(members), lot.start)
        )
        if out is None:
            return None, problems
        if not any("would pay more" in p for p in problems):
            return out, problems
        keep = [
            o
            for o in members
            if within(out.member_price[o], inst.demand_of[(o, lot.category_id)][1])
        ]
        if len(keep) == len(members) or not keep:
            return None, problems
        members = keep
    return None, []


def _connect(inst: Instance, members: list[str], pool: set[str]) -> list[str] | None:
    """Join the components of `members` by shortest paths through `pool`: start
    from the largest component and repeatedly add the nearest other component and
    the path to it (breadth-first search). None when the members are already
    connected or nothing could be joined."""
    nb = inst.neighbours
    comps = _components(inst, members)
    if nb is None or len(comps) < 2:
        return None
    comps.sort(key=len, reverse=True)
    comp_of = {o: i for i, comp in enumerate(comps) for o in comp}
    tree = set(comps[0])
    joined = {0}
    allowed = pool | set(members)
    while len(joined) < len(comps):
        parent: dict[str, str | None] = {o: None for o in tree}
        frontier = list(tree)
        hit = None
        while frontier and hit is None:
            nxt = []
            for x in frontier:
                for y in nb[x]:
                    if y in parent or y not in allowed:
                        continue
                    parent[y] = x
                    if y in comp_of and comp_of[y] not in joined:
                        hit = y
                        break
                    nxt.append(y)
                if hit is not None:
                    break
            frontier = nxt
        if hit is None:
            break
        k = comp_of[hit]
        joined.add(k)
        tree.update(comps[k])
        step = parent[hit]
        while step is not None and step not in tree:
            tree.add(step)
            step = parent[step]
    if len(joined) == 1:
        return None
    return list(tree)


def columns_from_members(
    inst: Instance,
    cat_id: str,
    supplier: str,
    members: list[str],
    start: int,
    pool: set[str] | None = None,
) -> tuple[list[tuple[LotOutcome, bool]], int]:
    """(outcome, real) columns from a member set, and 1 if the set broke a rule
    other than the relaxable ones (which would be a defect of the pricing)."""
    order = inst.org_index
    members = sorted(members, key=order.__getitem__)
    lot = Lot(cat_id, supplier, tuple(members), start)
    out, problems = price_lot(inst, lot)
    if out is None:
        return [], 1
    if not problems:
        return [(out, True)], 0
    if any(not any(key in p for key in RELAXABLE) for p in problems):
        return [], 1
    cols: list[tuple[LotOutcome, bool]] = [(out, False)]
    cat = inst.category[cat_id]
    tries = _components(inst, members)
    joined = _connect(inst, members, pool or set())
    if joined is not None:
        tries.append(joined)
    for comp in tries:
        if len(comp) < cat.min_members:
            continue
        real, probs = _rational(
            inst, Lot(cat_id, supplier, tuple(sorted(comp, key=order.__getitem__)), start)
        )
        if real is not None and not probs and real.net > 0:
            cols.append((real, True))
        elif real is not None and len(comp) > 1 and any("not connected" in p for p in probs):
            # dropping irrational members disconnected the lot: keep its largest part
            part = max(_components(inst, list(real.lot.members)), key=len)
            again, probs2 = _rational(
                inst, Lot(cat_id, supplier, tuple(sorted(part, key=order.__getitem__)), start)
            )
            if again is not None and not probs2 and again.net > 0:
                cols.append((again, True))
    return cols, 0


def integer_variants(inst: Instance, support: list[LotOutcome]) -> list[LotOutcome]:
    """Lots the integer master may need beside the LP's: each lot of the LP's support
    started up to SHIFT periods earlier or later, and without one of its members
    whose own limit binds (rule 8b); the real ones with net savings > 0.

    The LP mixes lots fractionally; a plan must stagger the lots that share a
    formation slot or a limited organization, and the pool holds each lot at the
    start pricing found it at. Measured on the final pools of three 200-organization
    runs, HiGHS proving each best plan: 330.4 -> 332.0 M on one with own limits,
    unchanged on the two others (545.5 M; 811.3 M without own limits)."""
    limited = inst.binding_org_capacity
    seen = {out.lot for out in support}
    found: list[LotOutcome] = []

    def take(lot: Lot) -> None:
        if lot in seen:
            return
        seen.add(lot)
        out, problems = price_lot(inst, lot)
        if out is not None and not problems and out.net > 0:
            found.append(out)

    for base in support:
        lot = base.lot
        for shift in range(-SHIFT, SHIFT + 1):
            if shift and lot.start + shift >= 1:
                take(Lot(lot.category_id, lot.supplier_id, lot.members, lot.start + shift))
        if len(lot.members) > 1:
            for o in lot.members:
                if o in limited:
                    rest = tuple(m for m in lot.members if m != o)
                    take(Lot(lot.category_id, lot.supplier_id, rest, lot.start))
    return found
