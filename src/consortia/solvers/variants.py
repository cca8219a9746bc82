"""Locks and rules as items that can be left out of an instance (spec sections 10-12).

An :class:`Item` is one restriction an analyst set that can be dropped on its own:
a row of the locks table, an offer's ``max_share`` below 1, a category's
``max_suppliers``, the central ``max_parallel_formations`` and an organization's
own ``max_parallel_formations``. Dropping an item only relaxes the instance:
every plan that keeps the rules with the item keeps them without it. (The other
data — regions, capacities, tiers, readiness, member limits, the collaboration
graph — describe the world and are never dropped.)

:func:`variant` builds the instance with some items dropped, and optionally only
some categories, through the reader (``data.reader.instance_from_tables``): the
Instance is immutable, and every variant is validated like a file. Lock rows keep
their numbers, so a variant names each lock as the base instance does.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

import pandas as pd

from consortia.data.instance import Instance, Lock
from consortia.data.reader import instance_from_tables
from consortia.data.tables import parts_to_tables, typed_parts

LOCK = "lock"
SHARE = "max_share"
SUPPLIERS = "max_suppliers"
CENTRAL = "central limit"
OWN = "own limit"
KINDS = (LOCK, SHARE, SUPPLIERS, CENTRAL, OWN)


@dataclass(frozen=True)
class Item:
    """One lock or rule. `lock` for a lock; `category_id` for a lock, a share and a
    category's supplier limit; `supplier_id` for a share; `org_id` for an own
    formation limit; `value` the share or the limit."""

    kind: str
    lock: Lock | None = None
    category_id: str | None = None
    supplier_id: str | None = None
    org_id: str | None = None
    value: float = 0.0

    def __str__(self) -> str:
        """How a reader finds it: "lock row 3 (join O1 in ict)", "offer S1/ict
        max_share 0.5", "category ict max_suppliers 1", "max_parallel_formations 2
        (settings)", "organization O1 max_parallel_formations 1"."""
        if self.lock is not None:
            return str(self.lock)
        if self.kind == SHARE:
            return f"offer {self.supplier_id}/{self.category_id} max_share {self.value:g}"
        if self.kind == SUPPLIERS:
            return f"category {self.category_id} max_suppliers {self.value:g}"
        if self.kind == CENTRAL:
            return f"max_parallel_formations {self.value:g} (settings)"
        return f"organization {self.org_id} max_parallel_formations {self.value:g}"

    @property
    def asks(self) -> str:
        """What it asks of a plan, in words."""
        if self.lock is not None:
            return lock_asks(self.lock)
        k = f"{self.value:g}"
        if self.kind == SHARE:
            return (
                f"{self.supplier_id} carries at most {100 * self.value:g}% of the volume "
                f"awarded in {self.category_id}"
            )
        if self.kind == SUPPLIERS:
            return f"the lots of {self.category_id} use at most {k} supplier(s)"
        if self.kind == CENTRAL:
            return f"at most {k} lot(s) are forming at once"
        return f"{self.org_id} helps form at most {k} lot(s) at once"


def lock_asks(lock: Lock) -> str:
    """What a lock asks of a plan: "O1 is in a lot of ict on S2"."""
    o, c, o2 = lock.org_id, lock.category_id, lock.other_org_id
    on = f" on {lock.supplier_id}" if lock.supplier_id is not None else ""
    if lock.rule == "join":
        return f"{o} is in a lot of {c}{on}"
    if lock.rule == "exclude":
        return f"{o} is in no lot of {c}{on}"
    if lock.rule == "together":
        return f"{o} and {o2} are in one lot of {c}"
    return f"{o} and {o2} are not in one lot of {c}"


def rule_items(inst: Instance) -> list[Item]:
    """The items in force that can restrict a plan, in this order: every lock (by
    row), every offer's ``max_share`` below 1, every ``max_suppliers`` below the
    number of offers of its category, the central formation limit, and each
    organization's own limit below the number of categories it buys in (a larger
    one never binds: an organization is in at most one lot per category)."""
    items = [Item(LOCK, lock=lock, category_id=lock.category_id) for lock in inst.lock_records]
    items += [
        Item(SHARE, category_id=c, supplier_id=s, value=offer.max_share)
        for (s, c), offer in sorted(inst.offer.items())
        if offer.max_share < 1
    ]
    items += [
        Item(SUPPLIERS, category_id=c, value=k)
        for c, k in sorted(inst.max_suppliers.items())
        if k < len(inst.offers_in.get(c, []))
    ]
    limit = inst.settings.max_parallel_formations
    if limit is not None:
        items.append(Item(CENTRAL, value=limit))
    items += [Item(OWN, org_id=o, value=k) for o, k in sorted(inst.binding_org_capacity.items())]
    return items


def forced_categories(items: Iterable[Item]) -> set[str]:
    """The categories named by ``join`` or ``together`` locks among `items`: the
    only ones where the empty set of lots may break a lock (``solvers.conflict``)."""
    return {
        i.lock.category_id
        for i in items
        if i.lock is not None and i.lock.rule in ("join", "together")
    }


def variant(
    inst: Instance,
    dropped: Collection[Item] = (),
    categories: Collection[str] | None = None,
    name: str | None = None,
) -> Instance:
    """The instance without the `dropped` items and, when `categories` is given,
    with only those categories (their demand, offers, tiers, surcharges and locks);
    validated by the reader."""
    settings, frames = typed_parts(inst)
    kinds = {i.kind for i in dropped}
    if CENTRAL in kinds:
        settings["max_parallel_formations"] = None
    rows = {i.lock.row for i in dropped if i.lock is not None}
    locks = frames.get("locks")
    if locks is not None:
        keep = ~locks.index.isin(sorted(rows))
        if categories is not None:
            keep &= locks["category_id"].isin(list(categories))
        frames["locks"] = locks[keep]
    _drop_shares(frames, {(i.supplier_id, i.category_id) for i in dropped if i.kind == SHARE})
    _drop_limits(frames, "categories", "category_id", "max_suppliers", _ids(dropped, SUPPLIERS))
    _drop_limits(frames, "organizations", "org_id", "max_parallel_formations", _ids(dropped, OWN))
    if categories is not None:
        _only_categories(frames, set(categories))
    return instance_from_tables(parts_to_tables(settings, frames), name=name or inst.name)


def _ids(items: Collection[Item], kind: str) -> set[str]:
    return {str(i.category_id if kind == SUPPLIERS else i.org_id) for i in items if i.kind == kind}


def _drop_shares(
    frames: dict[str, pd.DataFrame | None], offers: set[tuple[str | None, ...]]
) -> None:
    table = frames["offers"]
    if table is None or not offers:
        return
    keys = list(zip(table["supplier_id"], table["category_id"], strict=True))
    table.loc[[k in offers for k in keys], "max_share"] = 1.0


def _drop_limits(
    frames: dict[str, pd.DataFrame | None], table: str, key: str, column: str, ids: set[str]
) -> None:
    frame = frames[table]
    if frame is None or not ids:
        return
    frame.loc[frame[key].isin(sorted(ids)), column] = pd.NA


def _only_categories(frames: dict[str, pd.DataFrame | None], categories: set[str]) -> None:
    for table in ("categories", "demand", "offers", "tiers", "surcharges", "locks"):
        frame = frames.get(table)
        if frame is not None:
            frames[table] = frame[frame["category_id"].isin(sorted(categories))]
