"""Three exact formulations of tier pricing for a lot's volume on an offer.

Tier k of an offer is the segment [lo_k, hi_k] of the volume axis on which
cost(V) = C_k(V) = alpha_k + pi_k V (alpha_k = 0 for all-units; for incremental
schedules alpha_k = cost(q_k) - pi_k q_k). Segments follow each other
(hi_k = lo_{k+1}); the last is cut at the lot's largest reachable volume. All three
models below give the cost of the chosen tier exactly (Croxton, Gendron and
Magnanti, Management Science 49, 2003, compare their LP relaxations).

multiple choice (``multiple_choice``)
    t_k binary, v_k >= 0:  sum_k t_k = z,  lo_k t_k <= v_k <= hi_k t_k,
    V = sum_k v_k,  cost = sum_k (alpha_k t_k + pi_k v_k).
incremental (``delta``)
    w_k binary "segment k reached" (w_0 = z), w_k <= w_{k-1};
    0 <= delta_k <= (hi_k - lo_k) w_k and delta_{k-1} >= (hi_{k-1} - lo_{k-1}) w_k
    (a segment is full before the next one starts);
    V = lo_0 z + sum_k delta_k,
    cost = C_0(lo_0) z + sum_k pi_k delta_k + sum_{k>=1} (C_k(lo_k) - C_{k-1}(hi_{k-1})) w_k
    (the last sum holds the all-units price drops; it is zero for incremental schedules).
convex combination (``convex``)
    t_k binary, lambda^L_k, lambda^R_k >= 0 with lambda^L_k + lambda^R_k = t_k,
    sum_k t_k = z,  V = sum_k (lo_k lambda^L_k + hi_k lambda^R_k),
    cost = sum_k (C_k(lo_k) lambda^L_k + C_k(hi_k) lambda^R_k).
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from consortia.formulations.compact.index import ModelIndex

TIER_FORMS = ("multiple_choice", "delta", "convex")


def add_tiers(m: pyo.ConcreteModel, idx: ModelIndex, form: str) -> None:
    """Tier variables and constraints; sets m.volume_of and m.cost_of."""
    if form not in TIER_FORMS:
        raise ValueError(f"unknown tier formulation '{form}'")
    m.tier_form = form
    {"multiple_choice": _multiple_choice, "delta": _delta, "convex": _convex}[form](m, idx)


def _multiple_choice(m: pyo.ConcreteModel, idx: ModelIndex) -> None:
    seg = idx.segment
    tiers_of = idx.tiers_of
    m.t = pyo.Var(idx.tiers, domain=pyo.Binary)
    m.v = pyo.Var(idx.tiers, domain=pyo.NonNegativeReals, bounds=lambda m, *key: (0, seg[key].hi))
    m.one_tier = pyo.Constraint(
        idx.offers,
        rule=lambda m, c, r, s: sum(m.t[c, r, s, k] for k in tiers_of[c, r, s]) == m.z[c, r, s],
    )
    m.tier_low = pyo.Constraint(
        [key for key in idx.tiers if seg[key].lo > 0],
        rule=lambda m, *key: m.v[key] >= seg[key].lo * m.t[key],
    )
    m.tier_high = pyo.Constraint(idx.tiers, rule=lambda m, *key: m.v[key] <= seg[key].hi * m.t[key])
    m.volume_of = lambda c, r, s: sum(m.v[c, r, s, k] for k in tiers_of[c, r, s])
    m.cost_of = lambda c, r, s: sum(
        seg[c, r, s, k].alpha * m.t[c, r, s, k] + seg[c, r, s, k].price * m.v[c, r, s, k]
        for k in tiers_of[c, r, s]
    )


def _delta(m: pyo.ConcreteModel, idx: ModelIndex) -> None:
    seg = idx.segment
    tiers_of = idx.tiers_of
    later = [key for key in idx.tiers if key[3] != tiers_of[key[:3]][0]]
    m.w = pyo.Var(later, domain=pyo.Binary)
    m.fill = pyo.Var(
        idx.tiers,
        domain=pyo.NonNegativeReals,
        bounds=lambda m, *key: (0, seg[key].hi - seg[key].lo),
    )

    def reached(c: str, r: str, s: str, k: int) -> Any:
        return m.z[c, r, s] if k == tiers_of[c, r, s][0] else m.w[c, r, s, k]

    def previous(key: tuple[str, str, str, int]) -> int:
        ks = tiers_of[key[:3]]
        return ks[ks.index(key[3]) - 1]

    m.reach_in_order = pyo.Constraint(
        later,
        rule=lambda m, c, r, s, k: m.w[c, r, s, k] <= reached(c, r, s, previous((c, r, s, k))),
    )
    m.fill_when_reached = pyo.Constraint(
        idx.tiers,
        rule=lambda m, c, r, s, k: (
            m.fill[c, r, s, k] <= (seg[c, r, s, k].hi - seg[c, r, s, k].lo) * reached(c, r, s, k)
        ),
    )
    m.full_before_next = pyo.Constraint(
        later,
        rule=lambda m, c, r, s, k: (
            m.fill[c, r, s, previous((c, r, s, k))]
            >= (seg[c, r, s, previous((c, r, s, k))].hi - seg[c, r, s, previous((c, r, s, k))].lo)
            * m.w[c, r, s, k]
        ),
    )

    def value(key: tuple[str, str, str, int], x: float) -> float:
        return seg[key].alpha + seg[key].price * x

    def volume(c: str, r: str, s: str) -> Any:
        ks = tiers_of[c, r, s]
        return seg[c, r, s, ks[0]].lo * m.z[c, r, s] + sum(m.fill[c, r, s, k] for k in ks)

    def cost(c: str, r: str, s: str) -> Any:
        ks = tiers_of[c, r, s]
        first = (c, r, s, ks[0])
        jumps = sum(
            (value((c, r, s, k), seg[c, r, s, k].lo) - value((c, r, s, p), seg[c, r, s, p].hi))
            * m.w[c, r, s, k]
            for p, k in zip(ks, ks[1:], strict=False)
        )
        return (
            value(first, seg[first].lo) * m.z[c, r, s]
            + sum(seg[c, r, s, k].price * m.fill[c, r, s, k] for k in ks)
            + jumps
        )

    m.volume_of = volume
    m.cost_of = cost


def _convex(m: pyo.ConcreteModel, idx: ModelIndex) -> None:
    seg = idx.segment
    tiers_of = idx.tiers_of
    m.t = pyo.Var(idx.tiers, domain=pyo.Binary)
    m.left = pyo.Var(idx.tiers, domain=pyo.NonNegativeReals)
    m.right = pyo.Var(idx.tiers, domain=pyo.NonNegativeReals)
    m.one_tier = pyo.Constraint(
        idx.offers,
        rule=lambda m, c, r, s: sum(m.t[c, r, s, k] for k in tiers_of[c, r, s]) == m.z[c, r, s],
    )
    m.weights = pyo.Constraint(
        idx.tiers, rule=lambda m, *key: m.left[key] + m.right[key] == m.t[key]
    )

    def at(key: tuple[str, str, str, int], x: float) -> float:
        return seg[key].alpha + seg[key].price * x

    m.volume_of = lambda c, r, s: sum(
        seg[c, r, s, k].lo * m.left[c, r, s, k] + seg[c, r, s, k].hi * m.right[c, r, s, k]
        for k in tiers_of[c, r, s]
    )
    m.cost_of = lambda c, r, s: sum(
        at((c, r, s, k), seg[c, r, s, k].lo) * m.left[c, r, s, k]
        + at((c, r, s, k), seg[c, r, s, k].hi) * m.right[c, r, s, k]
        for k in tiers_of[c, r, s]
    )


def encode_tiers(
    m: pyo.ConcreteModel,
    idx: ModelIndex,
    values: Any,
    c: str,
    r: str,
    s: str,
    tier: int,
    volume: float,
) -> None:
    """Set the tier variables of a lot whose volume lies in `tier` (a MIP start)."""
    ks = idx.tiers_of[c, r, s]
    seg = idx.segment[c, r, s, tier]
    if m.tier_form == "multiple_choice":
        values[m.t[c, r, s, tier]] = 1.0
        values[m.v[c, r, s, tier]] = volume
    elif m.tier_form == "delta":
        for k in ks:
            key = (c, r, s, k)
            if k < tier:
                values[m.fill[key]] = idx.segment[key].hi - idx.segment[key].lo
            elif k == tier:
                values[m.fill[key]] = volume - seg.lo
            if k != ks[0]:
                values[m.w[key]] = 1.0 if k <= tier else 0.0
    else:
        share = (volume - seg.lo) / (seg.hi - seg.lo) if seg.hi > seg.lo else 0.0
        values[m.t[c, r, s, tier]] = 1.0
        values[m.right[c, r, s, tier]] = share
        values[m.left[c, r, s, tier]] = 1.0 - share
