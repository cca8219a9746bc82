"""The instances ``consortia target`` solves (spec section 14, ``models/target.md``).

- The **P-truncated** instance: horizon P, discount rate 0, every fixed cost and
  coordination cost 0. Its net savings are a plan's cumulative gross savings by
  the end of period P, so its optimum is F(P). ``formation_limit`` also sets the
  central limit W (the capacity question ``--vary max_parallel_formations``).
- The **Whitehall** instance: every lead time 0, every ready period (of an
  organization and, where the column exists, of a demand pair) and every
  ``available_from`` 1, no central limit W and no organization's own limit.

Each is built like a what-if scenario: the typed tables are changed and read
again by the reader, so it is validated like any instance.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from consortia.data.instance import Instance
from consortia.data.reader import instance_from_tables
from consortia.data.tables import parts_to_tables, typed_parts
from consortia.rules.plan import assess_plan
from consortia.rules.spec import lead_time

Frames = dict[str, pd.DataFrame | None]
KEEP = -1  # formation_limit: keep the instance's own


def rebuilt(
    inst: Instance, name: str, change: Callable[[dict[str, Any], Frames], None]
) -> Instance:
    """The instance with `change` applied to copies of its settings and tables."""
    settings, frames = typed_parts(inst)
    change(settings, frames)
    return instance_from_tables(parts_to_tables(settings, frames), name=name)


def truncated(inst: Instance, period: int, formation_limit: int | None = KEEP) -> Instance:
    """The `period`-truncated instance (with central limit `formation_limit`, None
    for none, unless KEEP)."""

    def change(settings: dict[str, Any], frames: Frames) -> None:
        settings["horizon"] = period
        settings["discount_rate"] = 0.0
        if formation_limit != KEEP:
            settings["max_parallel_formations"] = formation_limit
        offers, categories = frames["offers"], frames["categories"]
        assert offers is not None and categories is not None
        offers["fixed_cost"] = 0.0
        categories["coordination_cost"] = 0.0

    suffix = "" if formation_limit == KEEP else f", W={formation_limit or 'none'}"
    return rebuilt(inst, f"{inst.name} (by period {period}{suffix})", change)


def whitehall(inst: Instance) -> Instance:
    """The Whitehall instance: no lead times, everyone and every offer ready in
    period 1, no formation limits."""

    def change(settings: dict[str, Any], frames: Frames) -> None:
        settings["max_parallel_formations"] = None
        orgs, cats, demand, offers = (
            frames["organizations"],
            frames["categories"],
            frames["demand"],
            frames["offers"],
        )
        assert orgs is not None and cats is not None and demand is not None
        assert offers is not None
        cats["base_lead"] = 0
        cats["member_lead"] = 0.0
        orgs["ready_period"] = 1
        offers["available_from"] = 1
        # version-2 columns, where the schema has them
        if "max_parallel_formations" in orgs.columns:
            orgs["max_parallel_formations"] = None
        if "ready_period" in demand.columns:
            demand["ready_period"] = 1

    return rebuilt(inst, f"{inst.name} (Whitehall)", change)


def whitehall_scales(inst: Instance) -> bool:
    """Whether H(P) = P x H(1) may be used (``models/target.md``): every lot saves
    at least 0 a period (individual rationality), or dropping lots from a plan
    never breaks a rule (no ``locks``, no ``max_share`` below 1)."""
    if inst.settings.individually_rational:
        return True
    locks = getattr(inst, "locks", None)
    if locks is not None and len(locks):
        return False
    shares = inst.offers.get("max_share")
    return shares is None or not (shares.fillna(1.0) < 1.0).any()


def earliest_live(inst: Instance) -> int | None:
    """A period before which no lot can be live (None: no lot can exist at all).

    A lot of category c has at least min_members(c) members, so it starts no
    earlier than the min_members-th smallest readiness in c, forms for at least
    base_lead + ceil(member_lead (min_members - 1)) periods, and goes live no
    earlier than the first ``available_from`` of c's offers."""
    ready = getattr(inst, "pair_ready", None)
    readiness: dict[str, list[int]] = {}
    for o, c in inst.demand_of:
        readiness.setdefault(c, []).append(ready[(o, c)] if ready else inst.ready[o])
    earliest = math.inf
    for c, cat in inst.category.items():
        offers, periods = inst.offers_in.get(c, []), sorted(readiness.get(c, []))
        if not offers or len(periods) < cat.min_members:
            continue
        start = periods[cat.min_members - 1]
        live = max(start + lead_time(cat, cat.min_members), min(o.available_from for o in offers))
        earliest = min(earliest, live)
    return None if math.isinf(earliest) else int(earliest)


def lots_at_once(inst: Instance) -> int:
    """How many lots can be forming at once, at most: a lot holds at least
    min_members(c) of c's organizations, and only categories whose lots can take
    a period to form count. A central limit of this many never binds."""
    counts = inst.demand["category_id"].value_counts()
    total = 0
    for c, cat in inst.category.items():
        n = int(counts.get(c, 0))
        can_form = cat.base_lead > 0 or (cat.member_lead > 0 and n >= 2)
        if inst.offers_in.get(c) and can_form:
            total += n // cat.min_members
    return max(1, total)


def empty_plan_feasible(inst: Instance) -> bool:
    """Whether the plan without lots keeps every rule (it does unless a rule
    demands lots, such as a ``join`` lock)."""
    return assess_plan(inst, []).feasible
