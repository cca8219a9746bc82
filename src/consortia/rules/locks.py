"""Locks (spec section 12) judged on a plan's lots.

Every lock names one category c and one organization o (and, for ``together`` and
``apart``, a second organization o2; for ``join`` and ``exclude``, perhaps a
supplier s). Only the lots of c count, and each pair (o, c) is in at most one lot
(rule 1), so a lock is a statement about o's lot in c:

- ``join``:     o's lot in c exists (and is on s, if given);
- ``exclude``:  o has no lot in c (no lot on s, if given);
- ``together``: o's lot and o2's lot in c exist and are the same lot;
- ``apart``:    o's lot and o2's lot in c are not the same lot (either may be absent).

So ``join`` and ``together`` locks make the empty plan infeasible, and locks that
contradict each other (or ask for a lot no offer can serve) leave an instance
without a feasible plan (spec section 13). Nothing here assumes a plan exists.

A lot is seen through its category, supplier and members (:class:`Grouping`),
which both ``rules.plan.Lot`` and a solver's candidate lots provide.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from consortia.data.instance import Instance, Lock


class Grouping(Protocol):
    """What the locks see of a lot."""

    @property
    def category_id(self) -> str: ...

    @property
    def supplier_id(self) -> str: ...

    @property
    def members(self) -> tuple[str, ...]: ...


def lot_name(lot: Grouping) -> str:
    """ "lot ict/S1 {O1, O2}", as the other rules name a lot."""
    return f"lot {lot.category_id}/{lot.supplier_id} {{{', '.join(lot.members)}}}"


def lock_breach(lock: Lock, lots: Iterable[Grouping]) -> str | None:
    """Why the lots break the lock (a sentence without the lock's name), or None
    when they keep it. Lots of other categories are ignored."""
    mine = [lot for lot in lots if lot.category_id == lock.category_id]
    o, c, s = lock.org_id, lock.category_id, lock.supplier_id
    own = [lot for lot in mine if o in lot.members]
    if lock.rule == "join":
        if not own:
            return f"{o} is in no lot of {c}"
        if s is not None and not any(lot.supplier_id == s for lot in own):
            others = ", ".join(sorted({lot.supplier_id for lot in own}))
            return f"{o} is in a lot of {c} on {others}, not on {s}"
        return None
    if lock.rule == "exclude":
        hit = [lot for lot in own if s is None or lot.supplier_id == s]
        return f"{o} is in {lot_name(hit[0])}" if hit else None
    o2 = lock.other_org_id
    shared = [lot for lot in own if o2 in lot.members]
    if lock.rule == "apart":
        return f"both are in {lot_name(shared[0])}" if shared else None
    if shared:
        return None
    if not own:
        return f"{o} is in no lot of {c}"
    if not any(o2 in lot.members for lot in mine):
        return f"{o2} is in no lot of {c}"
    return f"{o} and {o2} are in different lots of {c}"


def broken_locks(inst: Instance, lots: Iterable[Grouping]) -> list[str]:
    """Every lock the lots break, each named by its row in the locks table:
    "lock row 3 (join O1 in ict on S2): O1 is in no lot of ict"."""
    lots = list(lots)
    found = []
    for lock in inst.lock_records:
        why = lock_breach(lock, lots)
        if why is not None:
            found.append(f"{lock}: {why}")
    return found


def lock_forbids(lock: Lock, supplier_id: str, members: Iterable[str]) -> bool:
    """True when no plan keeping the lock holds this lot of the lock's category:
    it excludes a member (on this supplier), puts a joined member on another
    supplier than the lock's, holds both of an ``apart`` pair, or one of a
    ``together`` pair without the other (each is in at most one lot of c)."""
    held = set(members)
    o, s = lock.org_id, lock.supplier_id
    if lock.rule == "exclude":
        return o in held and (s is None or supplier_id == s)
    if lock.rule == "join":
        return o in held and s is not None and supplier_id != s
    pair = (o in held) + (lock.other_org_id in held)
    return pair == 2 if lock.rule == "apart" else pair == 1


def lock_may_need(lock: Lock, supplier_id: str, members: Iterable[str]) -> bool:
    """True when a plan keeping the lock may need this lot whatever its value: it
    holds the lock's ``join`` member (on the lock's supplier, if one is given) or
    both members of its ``together`` pair. Dropping any other lot keeps the lock."""
    held = set(members)
    if lock.rule == "join":
        return lock.org_id in held and lock.supplier_id in (None, supplier_id)
    if lock.rule == "together":
        return lock.org_id in held and lock.other_org_id in held
    return False


def members_required(locks: Iterable[Lock]) -> frozenset[str]:
    """The organizations the locks put in some lot of their category (``join`` and
    both of a ``together`` pair)."""
    required: set[str] = set()
    for lock in locks:
        if lock.rule == "join":
            required.add(lock.org_id)
        elif lock.rule == "together" and lock.other_org_id is not None:
            required |= {lock.org_id, lock.other_org_id}
    return frozenset(required)
