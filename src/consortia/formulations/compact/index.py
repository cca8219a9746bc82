"""Index tuples of the compact model, derived once from the candidate sets."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from consortia.formulations.candidates import Candidates, Slot, TierSegment


@dataclass
class ModelIndex:
    """Sparse index sets; every tuple is a combination a feasible plan may use.

    Keys: slot (c, r); offer choice (c, r, s); membership (c, r, o, s) for o != r;
    tier (c, r, s, k); start (c, r, sigma); lead level (c, r, lead); period (c, r, p).
    """

    cands: Candidates
    slots: dict[tuple[str, str], Slot] = field(default_factory=dict)
    offers: list[tuple[str, str, str]] = field(default_factory=list)
    members: list[tuple[str, str, str, str]] = field(default_factory=list)
    tiers: list[tuple[str, str, str, int]] = field(default_factory=list)
    starts: list[tuple[str, str, int]] = field(default_factory=list)
    levels: list[tuple[str, str, int]] = field(default_factory=list)
    periods: list[tuple[str, str, int]] = field(default_factory=list)
    # (c, r, s, k) -> tier segment, its upper end cut at the lot's largest volume
    segment: dict[tuple[str, str, str, int], TierSegment] = field(default_factory=dict)
    tiers_of: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)
    # (c, o) -> slot offers (c, r, s) o may join as a non-representative
    joins: dict[tuple[str, str], list[tuple[str, str, str, str]]] = field(default_factory=dict)


def build_index(cands: Candidates) -> ModelIndex:
    idx = ModelIndex(cands)
    horizon = cands.horizon
    for slot in cands.slots:
        c, r = slot.key
        idx.slots[(c, r)] = slot
        for s, later in slot.offers.items():
            idx.offers.append((c, r, s))
            for o in later:
                key = (c, r, o, s)
                idx.members.append(key)
                idx.joins.setdefault((c, o), []).append(key)
            top = slot.max_volume[s]
            for seg in cands.segments[(s, c)]:
                if seg.lo <= top:
                    idx.tiers.append((c, r, s, seg.k))
                    idx.segment[(c, r, s, seg.k)] = replace(seg, hi=min(seg.hi, top))
                    idx.tiers_of.setdefault((c, r, s), []).append(seg.k)
        idx.starts += [(c, r, sigma) for sigma in slot.starts]
        if len(slot.lead_levels) > 1:
            idx.levels += [(c, r, lead) for lead, _, _ in slot.lead_levels]
        first = slot.starts[0] + slot.min_lead
        idx.periods += [(c, r, p) for p in range(first, horizon + 1)]
    return idx
