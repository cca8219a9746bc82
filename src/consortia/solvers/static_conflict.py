"""Conflicts found without a solve (spec section 13): locks and rules that cannot
hold together for a reason that fits in a sentence.

Only ``join`` and ``together`` locks ask for lots; they put organizations in
*groups* — the organizations a chain of ``together`` locks ties into one lot of a
category, and each organization a ``join`` lock names — and every group is one
lot (or part of one). Every check below is a proof about every plan of the
instance with the items given (the other items left out):

1. A group member is excluded from the category by an ``exclude`` lock.
2. Two members of a group are kept apart by an ``apart`` lock.
3. A group has more members than the category allows (rule 2).
4. The collaboration graph, restricted to the organizations with demand in the
   category, does not link two members of a group (rule 7: a lot's members are
   connected, and every member has demand in the category); or the group has as
   many members as a lot may have, so it is the lot, and is not connected.
5. ``join`` locks put members of one group on two different suppliers.
6. No offer can hold the group: for each offer, some member can be in no lot on
   it (``rules.coverage.offer_barriers``: region, readiness against the horizon,
   capacity below its demand, no reachable tier, price above the baseline at the
   best reachable tier under individual rationality), or an ``exclude`` lock
   keeps a member off it, or the offer's capacity is below the group's demand
   (rule 6), or a lot of the group's size formed when its last member is ready
   goes live after the horizon (rule 3: lead time never falls with more members),
   or a ``join`` lock puts the group on another supplier.
7. Groups that each fit only one offer need more distinct suppliers than the
   category's ``max_suppliers``.
8. The category must have a lot, but the offers that can hold any lot may carry
   less than all of its volume together: the largest ``max_suppliers`` of their
   ``max_share`` values sum to less than 1 (``V(c) = Σ V(s,c) ≤ Σ max_share ·
   V(c)`` over the offers used).

A :class:`Finding` names the items a check used; they suffice on their own.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import networkx as nx

from consortia.data.instance import Instance
from consortia.rules.coverage import offer_barriers
from consortia.rules.spec import lead_time
from consortia.solvers.variants import LOCK, SHARE, SUPPLIERS, Item, forced_categories


@dataclass(frozen=True)
class Finding:
    """Items that cannot hold together, and why."""

    items: tuple[Item, ...]
    reason: str


class StaticChecker:
    """The checks of the module for one instance; the per-offer reasons of each
    category are derived once."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self._barriers: dict[str, dict[tuple[str, str], str]] = {}
        self._components: dict[str, dict[str, int]] = {}
        self._usable: dict[str, list[str]] = {}

    def barriers(self, category_id: str) -> dict[tuple[str, str], str]:
        found = self._barriers.get(category_id)
        if found is None:
            found = self._barriers[category_id] = offer_barriers(self.inst, category_id)
        return found

    def usable(self, category_id: str) -> list[str]:
        """The suppliers of the category's offers that some organization with demand
        in it can be in a lot on (no reason of ``offer_barriers`` for it)."""
        found = self._usable.get(category_id)
        if found is None:
            barriers = self.barriers(category_id)
            orgs = [o for o, c in self.inst.demand_of if c == category_id]
            found = self._usable[category_id] = [
                f.supplier_id
                for f in sorted(
                    self.inst.offers_in.get(category_id, []), key=lambda f: f.supplier_id
                )
                if any((o, f.supplier_id) not in barriers for o in orgs)
            ]
        return found

    def component(self, category_id: str) -> dict[str, int]:
        """Each organization with demand in the category -> its component of the
        collaboration graph restricted to them (empty without a graph)."""
        found = self._components.get(category_id)
        if found is None:
            found = {}
            neighbours = self.inst.neighbours
            if neighbours is not None:
                orgs = {o for o, c in self.inst.demand_of if c == category_id}
                graph = nx.Graph()
                graph.add_nodes_from(orgs)
                graph.add_edges_from((o, n) for o in orgs for n in neighbours[o] if n in orgs)
                for k, part in enumerate(nx.connected_components(graph)):
                    found |= dict.fromkeys(part, k)
            self._components[category_id] = found
        return found

    def check(self, items: Collection[Item]) -> Finding | None:
        """A conflict among `items` found by the module's checks, or None."""
        for c in sorted(forced_categories(items)):
            mine = [i for i in items if i.category_id == c]
            found = _Category(self, c, mine).check()
            if found is not None:
                return found
        return None


@dataclass
class _Group:
    """Organizations that must share one lot, the ``together`` locks that tie them
    (a spanning tree) and, for a group of one, the ``join`` lock that asks for it."""

    members: list[str]
    ties: list[Item] = field(default_factory=list)

    def forcing(self, joins: dict[str, list[Item]]) -> list[Item]:
        """The items that make the group a lot: its ties, else a join of its member."""
        return list(self.ties) if self.ties else joins[self.members[0]][:1]


class _Category:
    """The checks on one category with a given set of its items."""

    def __init__(self, checker: StaticChecker, category_id: str, items: list[Item]) -> None:
        self.checker, self.inst, self.c = checker, checker.inst, category_id
        self.barriers = checker.barriers(category_id)
        self.suppliers = sorted(f.supplier_id for f in self.inst.offers_in.get(category_id, []))
        locks = [i for i in items if i.kind == LOCK and i.lock is not None]
        self.joins: dict[str, list[Item]] = defaultdict(list)
        self.excludes: dict[str, list[Item]] = defaultdict(list)
        self.aparts: list[Item] = []
        self.ties: list[Item] = []
        for item in locks:
            lock = item.lock
            assert lock is not None
            if lock.rule == "join":
                self.joins[lock.org_id].append(item)
            elif lock.rule == "exclude":
                self.excludes[lock.org_id].append(item)
            elif lock.rule == "apart":
                self.aparts.append(item)
            else:
                self.ties.append(item)
        self.shares = {i.supplier_id: i for i in items if i.kind == SHARE}
        self.limit = next((i for i in items if i.kind == SUPPLIERS), None)
        self.tree = nx.Graph()
        self.groups = self._groups()

    # --- groups -----------------------------------------------------------------

    def _groups(self) -> list[_Group]:
        """The groups, each with a spanning tree of its ``together`` locks."""
        parent: dict[str, str] = {}

        def root(o: str) -> str:
            while parent.setdefault(o, o) != o:
                o = parent[o]
            return o

        for o in self.joins:
            root(o)
        for item in self.ties:
            assert item.lock is not None and item.lock.other_org_id is not None
            a, b = item.lock.org_id, item.lock.other_org_id
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[ra] = rb
                self.tree.add_edge(a, b, item=item)
        members: dict[str, list[str]] = defaultdict(list)
        for o in sorted(parent):
            members[root(o)].append(o)
        groups = [_Group(m) for m in members.values()]
        for g in groups:
            if len(g.members) > 1:
                g.ties = [d["item"] for _, _, d in self.tree.subgraph(g.members).edges(data=True)]
        return groups

    def path(self, a: str, b: str) -> list[Item]:
        """The ``together`` locks tying a to b (none when a is b)."""
        if a == b:
            return []
        nodes = nx.shortest_path(self.tree, a, b)
        return [self.tree.edges[u, v]["item"] for u, v in zip(nodes, nodes[1:], strict=False)]

    def check(self) -> Finding | None:
        for group in self.groups:
            for test in (
                self._excluded_member,
                self._apart_inside,
                self._too_many_members,
                self._not_linked,
                self._two_suppliers,
                self._no_offer,
            ):
                found = test(group)
                if found is not None:
                    return found
        return self._too_many_suppliers() or self._shares_below_one()

    # --- checks 1-6, per group -------------------------------------------------------

    def _excluded_member(self, g: _Group) -> Finding | None:
        for o in g.members:
            for ex in self.excludes.get(o, []):
                assert ex.lock is not None
                if ex.lock.supplier_id is None:
                    forcing = self._forcing_of(g, o)
                    return Finding(
                        (*forcing, ex),
                        f"{o} must be in a lot of {self.c}, but it is also excluded from {self.c}",
                    )
        return None

    def _forcing_of(self, g: _Group, o: str) -> list[Item]:
        """An item that puts o in a lot: a join of o, or a tie of its group at o."""
        if self.joins.get(o):
            return self.joins[o][:1]
        return [d["item"] for _, _, d in list(self.tree.edges(o, data=True))[:1]]

    def _apart_inside(self, g: _Group) -> Finding | None:
        inside = set(g.members)
        for item in self.aparts:
            assert item.lock is not None and item.lock.other_org_id is not None
            a, b = item.lock.org_id, item.lock.other_org_id
            if a in inside and b in inside:
                return Finding(
                    (*self.path(a, b), item),
                    f"{a} and {b} must be in one lot of {self.c} and must not be",
                )
        return None

    def _too_many_members(self, g: _Group) -> Finding | None:
        most = self.inst.category[self.c].max_members
        if most is None or len(g.members) <= most:
            return None
        return Finding(
            tuple(g.ties),
            f"{_names(g.members)} must share one lot of {self.c}, but a lot of {self.c} "
            f"has at most {most} member(s) (rule 2)",
        )

    def _not_linked(self, g: _Group) -> Finding | None:
        part = self.checker.component(self.c)
        if not part:
            return None
        most = self.inst.category[self.c].max_members
        neighbours = self.inst.neighbours
        if most == len(g.members) and neighbours is not None:
            graph = nx.Graph()
            graph.add_nodes_from(g.members)
            graph.add_edges_from((o, n) for o in g.members for n in neighbours[o])
            if not nx.is_connected(graph.subgraph(g.members)):
                return Finding(
                    tuple(g.ties),
                    f"{_names(g.members)} must share one lot of {self.c}, which can have no "
                    f"other member (at most {most}), but the collaboration graph does not "
                    "connect them (rule 7)",
                )
        first = g.members[0]
        for o in g.members[1:]:
            if part[o] != part[first]:
                return Finding(
                    tuple(self.path(first, o)),
                    f"{first} and {o} must share one lot of {self.c}, but no organizations "
                    f"with demand in {self.c} link them in the collaboration graph (rule 7)",
                )
        return None

    def _joined_suppliers(self, g: _Group) -> dict[str, tuple[str, Item]]:
        """supplier -> (member, join lock) for the joins of the group naming one."""
        found: dict[str, tuple[str, Item]] = {}
        for o in g.members:
            for item in self.joins.get(o, []):
                assert item.lock is not None
                if item.lock.supplier_id is not None:
                    found.setdefault(item.lock.supplier_id, (o, item))
        return found

    def _two_suppliers(self, g: _Group) -> Finding | None:
        named = self._joined_suppliers(g)
        if len(named) < 2:
            return None
        (s1, (o1, j1)), (s2, (o2, j2)) = sorted(named.items())[:2]
        if o1 == o2:
            why = f"{o1} must be on {s1} and on {s2}, but it is in at most one lot of {self.c}"
        else:
            why = f"{o1} must be on {s1} and {o2} on {s2}, but they must share one lot of {self.c}"
        return Finding((*self.path(o1, o2), j1, j2), why)

    def _no_offer(self, g: _Group) -> Finding | None:
        offers, used, on = self._offers_for(g)
        if offers:
            return None
        if not self.suppliers:
            return Finding(tuple(used), f"category {self.c} has no offers")
        reasons = "; ".join(self._refusals(g, on))
        if len(g.members) > 1:
            return Finding(
                tuple(used),
                f"{_names(g.members)} must share one lot of {self.c}{on}, but {reasons}",
            )
        o = g.members[0]
        region = self.inst.region[o]
        if not on and not any(self.inst.offer[(s, self.c)].serves(region) for s in self.suppliers):
            where = f"region '{region}'" if region else "an empty region"
            return Finding(tuple(used), f"no offer of {self.c} serves {where} (rule 4)")
        return Finding(tuple(used), f"no lot of {self.c}{on} can hold {o}: {reasons}")

    def _candidates(self, g: _Group) -> tuple[list[str], list[Item], str]:
        """The suppliers a join of the group allows (all without one), the items
        that make the group a lot and restrict it so, and " on S" when restricted."""
        forcing = g.forcing(self.joins)
        named = self._joined_suppliers(g)
        if named:
            s, (_, item) = next(iter(sorted(named.items())))
            return [s], [*forcing, *([item] if item not in forcing else [])], f" on {s}"
        return list(self.suppliers), list(forcing), ""

    def _offers_for(self, g: _Group) -> tuple[list[str], list[Item], str]:
        """The offers that may hold the group's lot, the items that restrict them
        (its forcing items, a join's supplier, the exclusions used) and " on S"."""
        candidates, used, on = self._candidates(g)
        left = []
        for s in candidates:
            if self._group_barrier(g, s) is not None:
                continue
            excluded = self._exclusion(g, s)
            if excluded is not None:
                used.append(excluded)
            else:
                left.append(s)
        return left, used, on

    def _exclusion(self, g: _Group, s: str) -> Item | None:
        for o in g.members:
            for item in self.excludes.get(o, []):
                assert item.lock is not None
                if item.lock.supplier_id == s:
                    return item
        return None

    def _refusals(self, g: _Group, on: str) -> list[str]:
        candidates = [on[4:]] if on else self.suppliers
        out = []
        for s in candidates:
            barrier = self._group_barrier(g, s)
            excluded = self._exclusion(g, s)
            if barrier is not None:
                out.append(barrier)
            elif excluded is not None and excluded.lock is not None:
                out.append(f"a lock excludes {excluded.lock.org_id} from {s}")
        return out

    def _group_barrier(self, g: _Group, s: str) -> str | None:
        """Why no lot on offer s can hold every member of the group, or None."""
        for o in g.members:
            why = self.barriers.get((o, s))
            if why is not None:
                return why if len(g.members) == 1 else f"for {o}, {why}"
        if len(g.members) == 1:
            return None
        inst, offer = self.inst, self.inst.offer[(s, self.c)]
        demand = math.fsum(inst.demand_of[(o, self.c)][0] for o in g.members)
        if demand > offer.capacity * (1 + 1e-9):
            return f"{s}'s capacity {offer.capacity:g} is below their demand {demand:g} (rule 6)"
        cat = inst.category[self.c]
        ready = max(inst.pair_ready[(o, self.c)] for o in g.members)
        size = max(len(g.members), cat.min_members)
        live = max(ready + lead_time(cat, size), offer.available_from)
        if live > inst.settings.horizon:
            return (
                f"ready in period {ready}, a lot of {size} members on {s} would go live in "
                f"period {live}, after the horizon {inst.settings.horizon} (rule 3)"
            )
        return None

    # --- checks 7 and 8, per category --------------------------------------------------

    def _too_many_suppliers(self) -> Finding | None:
        if self.limit is None:
            return None
        single: dict[str, list[Item]] = {}
        for g in self.groups:
            offers, used, _ = self._offers_for(g)
            if len(offers) == 1 and offers[0] not in single:
                single[offers[0]] = used
        if len(single) <= self.limit.value:
            return None
        chosen = sorted(single)[: int(self.limit.value) + 1]
        items = [item for s in chosen for item in single[s]]
        return Finding(
            (*dict.fromkeys(items), self.limit),
            f"the locks need lots of {self.c} on {_names(chosen)}, but its lots may use "
            f"at most {self.limit.value:g} supplier(s)",
        )

    def _shares_below_one(self) -> Finding | None:
        usable = self.checker.usable(self.c)
        share = {s: self.shares[s].value if s in self.shares else 1.0 for s in usable}
        most = len(usable) if self.limit is None else int(self.limit.value)
        top = sorted(share.values(), reverse=True)[:most]
        if math.fsum(top) >= 1 - 1e-9:
            return None
        forcing = self.groups[0].forcing(self.joins)
        items = [*forcing, *(self.shares[s] for s in usable if s in self.shares)]
        if most < len(usable) and self.limit is not None:
            items.append(self.limit)
        limited = "" if most >= len(usable) else f", and at most {most} of them may be used"
        offers = f"its offers that can hold a lot ({_names(usable)})" if usable else "no offer"
        return Finding(
            tuple(items),
            f"{self.c} must have a lot, but {offers} may carry at most "
            f"{math.fsum(top):g} of its volume together{limited} (max_share, spec section 11)",
        )


def _names(names: Iterable[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    items = list(names)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
