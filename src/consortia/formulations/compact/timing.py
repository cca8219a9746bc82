"""Formation timing: start, lead time by size, readiness, live period, parallel limit.

Variables
    a[c,r,sigma] binary: formation starts in sigma;  A(p) = sum_{sigma<=p} a (started by p).
    lvl[c,r,l] binary: the lot's lead time is l (only when sizes give several leads);
        each lead level covers a range [n_lo, n_hi] of member counts.
    ended[c,r,p] in [0,1]: formation has ended by p (sigma + lead <= p).
    live[c,r,p] in [0,1]: the lot is live by p (ended and the offer available).
Constraints
    sum_sigma a = open;  sum_l lvl = open
    sum_l n_lo lvl <= size <= sum_l n_hi lvl              rule 2 and lead by size
    x[c,r,o] <= sum_{sigma >= ready(o)} a                 rule 3: readiness
    ended(p) <= A(p - l) + sum_{l' < l} lvl(l')          for every lead level l
    live(p) <= ended(p);  live(p) <= sum_{s: avail(s) <= p} z[c,r,s]
    live(T) >= open                                       rule 3: live by the horizon
    sum_{c,r} (A(p) - ended(p)) <= W                      rule 8 for every period
ended and live only have upper bounds: the objective pushes them up to the true
0/1 values, and anything lower only overstates formations and delays savings.
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from consortia.formulations.compact.index import ModelIndex
from consortia.formulations.compact.membership import is_open, size


def add_timing(m: pyo.ConcreteModel, idx: ModelIndex) -> None:
    inst = idx.cands.inst
    horizon = inst.settings.horizon
    m.a = pyo.Var(idx.starts, domain=pyo.Binary)
    m.lvl = pyo.Var(idx.levels, domain=pyo.Binary)
    m.ended = pyo.Var(idx.periods, bounds=(0, 1))
    m.live = pyo.Var(idx.periods, bounds=(0, 1))
    slots = list(idx.slots)

    m.one_start = pyo.Constraint(
        slots,
        rule=lambda m, c, r: (
            sum(m.a[c, r, p] for p in idx.slots[c, r].starts) == is_open(m, idx, c, r)
        ),
    )
    multi = [k for k in slots if len(idx.slots[k].lead_levels) > 1]
    m.one_level = pyo.Constraint(
        multi,
        rule=lambda m, c, r: (
            sum(m.lvl[c, r, lead] for lead, _, _ in idx.slots[c, r].lead_levels)
            == is_open(m, idx, c, r)
        ),
    )

    def level_terms(c: str, r: str, which: int) -> Any:
        levels = idx.slots[c, r].lead_levels
        if len(levels) == 1:
            return levels[0][which] * is_open(m, idx, c, r)
        return sum(level[which] * m.lvl[c, r, level[0]] for level in levels)

    m.size_low = pyo.Constraint(
        [k for k in slots if idx.slots[k].sizes[0] > 1],
        rule=lambda m, c, r: size(m, idx, c, r) >= level_terms(c, r, 1),
    )
    m.size_high = pyo.Constraint(
        [k for k in slots if _needs_size_cap(idx, k)],
        rule=lambda m, c, r: size(m, idx, c, r) <= level_terms(c, r, 2),
    )

    ready = inst.pair_ready
    late = [(c, r, o, s) for (c, r, o, s) in idx.members if ready[o, c] > idx.slots[c, r].starts[0]]
    m.ready_member = pyo.Constraint(
        late,
        rule=lambda m, c, r, o, s: (
            m.y[c, r, o, s] <= sum(m.a[c, r, p] for p in idx.slots[c, r].starts if p >= ready[o, c])
        ),
    )

    def started_by(c: str, r: str, p: int) -> Any:
        return sum(m.a[c, r, q] for q in idx.slots[c, r].starts if q <= p)

    level_index = [
        (c, r, p, lead) for (c, r, p) in idx.periods for lead, _, _ in idx.slots[c, r].lead_levels
    ]

    def ended_rule(m: pyo.ConcreteModel, c: str, r: str, p: int, lead: int) -> Any:
        shorter = [lv[0] for lv in idx.slots[c, r].lead_levels if lv[0] < lead]
        return m.ended[c, r, p] <= started_by(c, r, p - lead) + sum(m.lvl[c, r, s] for s in shorter)

    m.ended_by = pyo.Constraint(level_index, rule=ended_rule)

    m.live_after_end = pyo.Constraint(
        idx.periods, rule=lambda m, c, r, p: m.live[c, r, p] <= m.ended[c, r, p]
    )
    offer = inst.offer
    waits = [
        (c, r, p)
        for (c, r, p) in idx.periods
        if any(offer[s, c].available_from > p for s in idx.slots[c, r].offers)
    ]
    m.live_when_available = pyo.Constraint(
        waits,
        rule=lambda m, c, r, p: (
            m.live[c, r, p]
            <= sum(m.z[c, r, s] for s in idx.slots[c, r].offers if offer[s, c].available_from <= p)
        ),
    )
    m.live_by_horizon = pyo.Constraint(
        slots, rule=lambda m, c, r: m.live[c, r, horizon] >= is_open(m, idx, c, r)
    )

    limit = inst.settings.max_parallel_formations
    if limit is None or limit >= len(slots):
        return

    m.forming = forming_counts(m, idx)  # kept: a priced objective reuses it
    m.parallel_formations = pyo.Constraint(
        sorted(m.forming), rule=lambda m, p: m.forming[p] <= limit
    )


def add_exact_live(m: pyo.ConcreteModel, idx: ModelIndex, slots: set[tuple[str, str]]) -> None:
    """Lower bounds that make ended and live exact for `slots` (the lots that may
    lose money, ``savings.py``), for every lead level l and period p:
        ended(p) >= A(p - l) - (open - lvl(l))      (A(p - l) with a single level)
        live(p) >= ended(p) - sum_{s: avail(s) > p} z[c,r,s]
    At an integer point the first is ended(p) >= 1 exactly when the lot's level is l
    and it started by p - l (otherwise the right side is at most 0), the second
    live(p) >= 1 when it has ended and its offer is available by p."""
    if not slots:
        return
    inst = idx.cands.inst
    keys = [
        (c, r, p, lead)
        for (c, r, p) in idx.periods
        if (c, r) in slots
        for lead, _, _ in idx.slots[c, r].lead_levels
        if p - lead >= idx.slots[c, r].starts[0]
    ]

    def ended_from_start(m: pyo.ConcreteModel, c: str, r: str, p: int, lead: int) -> Any:
        slot = idx.slots[c, r]
        started = sum(m.a[c, r, q] for q in slot.starts if q <= p - lead)
        if len(slot.lead_levels) == 1:
            return m.ended[c, r, p] >= started
        return m.ended[c, r, p] >= started - is_open(m, idx, c, r) + m.lvl[c, r, lead]

    m.ended_from_start = pyo.Constraint(keys, rule=ended_from_start)
    offer = inst.offer

    def live_from_end(m: pyo.ConcreteModel, c: str, r: str, p: int) -> Any:
        late = [m.z[c, r, s] for s in idx.slots[c, r].offers if offer[s, c].available_from > p]
        return m.live[c, r, p] >= m.ended[c, r, p] - sum(late)

    m.live_from_end = pyo.Constraint(
        [(c, r, p) for (c, r, p) in idx.periods if (c, r) in slots], rule=live_from_end
    )


def forming_counts(m: pyo.ConcreteModel, idx: ModelIndex) -> dict[int, Any]:
    """F(p) = sum_{c,r} (A(p) - ended(p)), the lots in formation in period p, for
    every period in which some lot can be forming."""
    horizon = idx.cands.inst.settings.horizon
    counts: dict[int, Any] = {}
    for p in range(1, horizon + 1):
        terms = [
            slot_forming(m, idx, c, r, p) for c, r in idx.slots if idx.slots[c, r].starts[0] <= p
        ]
        if terms:
            counts[p] = sum(terms)
    return counts


def slot_forming(m: pyo.ConcreteModel, idx: ModelIndex, c: str, r: str, p: int) -> Any:
    """A(p) - ended(p): 1 when the slot's lot is in formation in period p (for p from
    the slot's first start on). Never below the truth, and at most open(c,r): ended
    has only upper bounds, and A(p) <= sum_sigma a = open."""
    starts = idx.slots[c, r].starts
    started = sum(m.a[c, r, q] for q in starts if q <= p)
    if (c, r, p) not in m.ended:
        return started
    return started - m.ended[c, r, p]


def forming_periods(idx: ModelIndex, c: str, r: str) -> range:
    """The periods in which the slot's lot can be in formation: from its first start
    to its last start plus its longest lead, and before the horizon (a lot is live
    by then, so its formation ends by T - 1)."""
    slot = idx.slots[c, r]
    longest = slot.lead_levels[-1][0]
    last = min(idx.cands.inst.settings.horizon - 1, slot.starts[-1] + longest - 1)
    return range(slot.starts[0], last + 1) if longest > 0 else range(0)


def _needs_size_cap(idx: ModelIndex, key: tuple[str, str]) -> bool:
    slot = idx.slots[key]
    most = 1 + max(len(later) for later in slot.offers.values())
    return len(slot.lead_levels) > 1 or slot.lead_levels[0][2] < most
