"""Exhaustive enumeration of plans, for tiny instances only.

Written independently of every formulation: it lists every lot (category, member
set, offer, start) that the spec's rules allow on its own and that gains money,
enumerates every packing of such lots per category (one lot per organization and
category, offer capacities respected), and combines categories under the
parallel-formation limits by dynamic programming over per-period formation counts:
the central count (rule 8) and each limited organization's own (rule 8b).
Cost grows exponentially: keep to about five organizations and a short horizon.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

from consortia.data.instance import Instance
from consortia.rules.plan import Lot, LotOutcome, assess_plan, price_lot

Profile = tuple[int, ...]


def enumerate_optimum(inst: Instance) -> tuple[float, list[LotOutcome]]:
    """The optimal net savings and one optimal plan."""
    horizon = inst.settings.horizon
    capped = sorted(inst.org_capacity)
    limit = inst.settings.max_parallel_formations
    # a profile counts lots forming per period: centrally, then per limited organization
    limits = [math.inf if limit is None else limit] * horizon
    for o in capped:
        limits += [inst.org_capacity[o]] * horizon
    combined: dict[Profile, tuple[float, list[LotOutcome]]] = {(0,) * len(limits): (0.0, [])}
    for cat_id in inst.category:
        packings = _packings(inst, cat_id, capped)
        merged: dict[Profile, tuple[float, list[LotOutcome]]] = {}
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
    value, plan = max(combined.values(), key=lambda item: item[0])
    assert assess_plan(inst, [o.lot for o in plan]).feasible
    return value, plan


def profitable_lots(inst: Instance, cat_id: str) -> list[LotOutcome]:
    """Every lot of a category that breaks no rule on its own and has net savings > 0."""
    orgs = [o for o in inst.org_ids if (o, cat_id) in inst.demand_of]
    out = []
    for size in range(1, len(orgs) + 1):
        for members in itertools.combinations(orgs, size):
            for offer in inst.offers_in[cat_id]:
                for start in range(1, inst.settings.horizon + 1):
                    lot = Lot(cat_id, offer.supplier_id, members, start)
                    outcome, problems = price_lot(inst, lot)
                    if outcome is not None and not problems and outcome.net > 1e-9:
                        out.append(outcome)
    return out


def _packings(
    inst: Instance, cat_id: str, capped: list[str]
) -> dict[Profile, tuple[float, list[LotOutcome]]]:
    """Best packing of a category's lots for each formation profile (central counts,
    then the counts of each organization in `capped`)."""
    horizon = inst.settings.horizon
    lots = profitable_lots(inst, cat_id)
    by_first: dict[str, list[LotOutcome]] = {}
    for out in lots:
        by_first.setdefault(out.lot.members[0], []).append(out)
    orgs = [o for o in inst.org_ids if (o, cat_id) in inst.demand_of]
    best: dict[Profile, tuple[float, list[LotOutcome]]] = {}
    load: defaultdict[str, float] = defaultdict(float)

    def visit(i: int, used: frozenset[str], chosen: list[LotOutcome], value: float) -> None:
        while i < len(orgs) and orgs[i] in used:
            i += 1
        if i == len(orgs):
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
            return
        visit(i + 1, used, chosen, value)  # orgs[i] stays out
        for out in by_first.get(orgs[i], []):
            if used & set(out.lot.members):
                continue
            sup = out.lot.supplier_id
            if load[sup] + out.volume > inst.offer[(sup, cat_id)].capacity * (1 + 1e-9):
                continue
            load[sup] += out.volume
            chosen.append(out)
            visit(i + 1, used | set(out.lot.members), chosen, value + out.net)
            chosen.pop()
            load[sup] -= out.volume

    visit(0, frozenset(), [], 0.0)
    return best
