"""Random tiny instances that exercise every rule, for differential tests."""

from __future__ import annotations

import itertools
import random

import pandas as pd


def _frame(rows: list[dict[str, object]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([{c: str(r.get(c, "")) for c in columns} for r in rows], columns=columns)


def random_tiny_tables(seed: int) -> dict[str, pd.DataFrame]:
    """Raw string tables of a random instance with at most 5 organizations."""
    rng = random.Random(seed)
    horizon = rng.randint(2, 5)
    n_orgs = rng.randint(1, 4) if rng.random() < 0.8 else 5
    regions = ["north", "south", ""]
    orgs = [
        {
            "org_id": f"O{i}",
            "region": rng.choice(regions[:2]) if rng.random() < 0.85 else "",
            "ready_period": rng.choice([1, 1, 1, 2, 3]),
        }
        for i in range(n_orgs)
    ]
    n_cats = 1 if n_orgs == 5 else rng.randint(1, 2)
    cats = []
    for c in range(n_cats):
        min_m = rng.choice([1, 1, 1, 2])
        cats.append(
            {
                "category_id": f"C{c}",
                "base_lead": rng.choice([0, 1, 1, 2]),
                "member_lead": rng.choice([0, 0, 0.5, 1, 0.34]),
                "min_members": min_m,
                "max_members": rng.choice(["", "", min_m + 1, min_m + 2]),
                "coordination_cost": rng.choice([0, 0, 1, 3]),
            }
        )
    demand = []
    for o in orgs:
        for c in cats:
            if rng.random() < 0.8:
                demand.append(
                    {
                        "org_id": o["org_id"],
                        "category_id": c["category_id"],
                        "quantity": rng.choice([5, 10, 20, 30, 40]),
                        "baseline_price": rng.choice([9.5, 10, 10.5, 11, 12]),
                    }
                )
    suppliers = [{"supplier_id": f"S{s}"} for s in range(2)]
    offers, tiers, surcharges = [], [], []
    for c in cats:
        for s in suppliers:
            if rng.random() < 0.3:
                continue
            kind = rng.choice(["all_units", "incremental"])
            offers.append(
                {
                    "supplier_id": s["supplier_id"],
                    "category_id": c["category_id"],
                    "capacity": rng.choice(["", "", 50, 80, 120]),
                    "available_from": rng.choice([1, 1, 1, 2, 3]),
                    "fixed_cost": rng.choice([0, 0, 5, 20]),
                    "discount": kind,
                    "regions": rng.choice(["", "", "north", "south", "north;south"]),
                }
            )
            price = rng.choice([9.0, 10.0, 10.5, 11.5])
            q = 0 if kind == "incremental" else rng.choice([0, 0, 10, 25])
            for _ in range(rng.randint(1, 3)):
                tiers.append(
                    {
                        "supplier_id": s["supplier_id"],
                        "category_id": c["category_id"],
                        "min_quantity": q,
                        "unit_price": round(price, 2),
                    }
                )
                q += rng.choice([15, 30, 45])
                price -= rng.choice([0.3, 0.8, 1.5])
                price = max(price, 5.0)
            for o in orgs:
                if rng.random() < 0.15:
                    surcharges.append(
                        {
                            "org_id": o["org_id"],
                            "supplier_id": s["supplier_id"],
                            "category_id": c["category_id"],
                            "unit_surcharge": rng.choice([0.2, 0.5, 1.0]),
                        }
                    )
    settings = [{"key": "horizon", "value": horizon}]
    if rng.random() < 0.5:
        settings.append({"key": "max_parallel_formations", "value": rng.choice([1, 1, 2])})
    if rng.random() < 0.25:
        settings.append({"key": "individually_rational", "value": "false"})
    if rng.random() < 0.25:
        settings.append({"key": "discount_rate", "value": rng.choice([0.02, 0.1])})
    if rng.random() < 0.3:
        settings.append({"key": "savings_target", "value": rng.choice([10, 100, 500])})
    tables = {
        "settings": _frame(settings, ["key", "value"]),
        "organizations": _frame(orgs, ["org_id", "region", "ready_period"]),
        "categories": _frame(
            cats,
            [
                "category_id",
                "base_lead",
                "member_lead",
                "min_members",
                "max_members",
                "coordination_cost",
            ],
        ),
        "demand": _frame(demand, ["org_id", "category_id", "quantity", "baseline_price"]),
        "suppliers": _frame(suppliers, ["supplier_id"]),
        "offers": _frame(
            offers,
            [
                "supplier_id",
                "category_id",
                "capacity",
                "available_from",
                "fixed_cost",
                "discount",
                "regions",
            ],
        ),
        "tiers": _frame(tiers, ["supplier_id", "category_id", "min_quantity", "unit_price"]),
    }
    if surcharges:
        tables["surcharges"] = _frame(
            surcharges, ["org_id", "supplier_id", "category_id", "unit_surcharge"]
        )
    if rng.random() < 0.6:
        ids = [o["org_id"] for o in orgs]
        edges = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :] if rng.random() < 0.45]
        tables["collaboration"] = _frame(
            [{"org_a": a, "org_b": b} for a, b in edges], ["org_a", "org_b"]
        )
    return tables


def random_coupled_tables(seed: int) -> dict[str, pd.DataFrame]:
    """A random tiny instance whose categories compete for formation capacity:
    at least two categories (the first one copied when there is one), every lead
    time at least one period and at most one formation at a time."""
    tables = _two_categories(random_tiny_tables(seed))
    tables["categories"]["base_lead"] = [
        str(max(1, int(v))) for v in tables["categories"]["base_lead"]
    ]
    settings = tables["settings"]
    settings = settings[settings["key"] != "max_parallel_formations"]
    extra = pd.DataFrame([{"key": "max_parallel_formations", "value": "1"}])
    tables["settings"] = pd.concat([settings, extra], ignore_index=True)
    return tables


def _two_categories(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Copies of the tables with at least two categories (the first one copied as C1
    when there is only one)."""
    tables = {name: frame.copy() for name, frame in tables.items()}
    if len(tables["categories"]) == 1:
        for name in ("categories", "demand", "offers", "tiers", "surcharges"):
            if name in tables:
                copy = tables[name].copy()
                copy["category_id"] = "C1"
                tables[name] = pd.concat([tables[name], copy], ignore_index=True)
    return tables


def random_v2_tables(seed: int) -> dict[str, pd.DataFrame]:
    """A random tiny instance with the version-2 timing rules: contract expiry per
    demand pair (spec section 9) and organizations' own formation limits (section
    10), on at least two categories with lead times, so that the limits can bind."""
    rng = random.Random(10_000 + seed)
    tables = _two_categories(random_tiny_tables(seed))
    cats = tables["categories"]
    cats["base_lead"] = [
        str(max(1, int(v))) if rng.random() < 0.7 else v for v in cats["base_lead"]
    ]
    demand = tables["demand"]
    demand["ready_period"] = [str(rng.choice([1, 1, 1, 2, 3])) for _ in range(len(demand))]
    orgs = tables["organizations"]
    orgs["max_parallel_formations"] = [str(rng.choice(["", 1, 1, 1, 2])) for _ in range(len(orgs))]
    return tables


def random_path_graph_tables(seed: int) -> dict[str, pd.DataFrame]:
    """A random tiny instance whose organizations are linked along a path (in a
    random order), with coordination costs: small members then cost their lot money
    and bridges matter."""
    rng = random.Random(20_000 + seed)
    tables = random_tiny_tables(seed)
    ids = list(tables["organizations"]["org_id"])
    rng.shuffle(ids)
    tables["collaboration"] = pd.DataFrame({"org_a": ids[:-1], "org_b": ids[1:]}, dtype=str)
    cats = tables["categories"]
    cats["coordination_cost"] = [str(rng.choice([1, 3, 10])) for _ in range(len(cats))]
    return tables


def merge_friendly(tables):
    """Tables changed so that the offer-indexed model is exact (formulations/offers/model.py)."""
    tables = dict(tables)
    tables.pop("collaboration", None)
    cats = tables["categories"].copy()
    cats["member_lead"] = "0"
    cats["max_members"] = ""
    tables["categories"] = cats
    orgs = tables["organizations"].copy()
    orgs["ready_period"] = "1"
    tables["organizations"] = orgs
    return tables


def random_v3_tables(seed: int) -> dict[str, pd.DataFrame]:
    """A random tiny instance with the supplier rules (spec section 11) and locks
    (section 12): random ``max_suppliers`` and ``max_share``, and a few valid locks
    of each kind. ``join`` and ``together`` locks mostly name organizations that
    some lot can hold (most pairs of a random instance can be in no lot at all);
    locks are drawn independently, so some contradict each other or the other
    rules: about one instance in six has no feasible plan."""
    rng = random.Random(20_000 + seed)
    tables = {name: frame.copy() for name, frame in random_tiny_tables(seed).items()}
    cats = tables["categories"]
    cats["max_suppliers"] = [rng.choice(["", "", "", "1", "2"]) for _ in range(len(cats))]
    offers = tables["offers"]
    offers["max_share"] = [rng.choice(["", "", "", "0.5", "0.7", "1"]) for _ in range(len(offers))]
    held = _held_together(tables)
    demand = list(zip(tables["demand"]["org_id"], tables["demand"]["category_id"], strict=True))
    pairs = list(zip(offers["supplier_id"], offers["category_id"], strict=True))
    locks: list[dict[str, object]] = []
    for rule in ("join", "exclude", "together", "apart"):
        for _ in range(rng.choice(LOCKS_PER_RULE)):
            lock = _random_lock(rng, rule, demand, pairs, held)
            locks += [lock] if lock else []
    if locks or rng.random() < 0.2:  # sometimes an empty locks table
        tables["locks"] = _frame(
            locks, ["rule", "org_id", "category_id", "supplier_id", "other_org_id"]
        )
    return tables


LOCKS_PER_RULE = [0, 0, 0, 0, 0, 0, 1, 1, 2, 3]


def _held_together(tables: dict[str, pd.DataFrame]) -> set[tuple[str, str, str, str]]:
    """(org, org2, category, supplier) for the members of every lot that breaks no
    rule on its own, its offer's capacity included (org == org2 for each member
    alone)."""
    from consortia.data.reader import instance_from_tables
    from consortia.rules.plan import Lot, price_lot

    inst = instance_from_tables(tables)
    held = set()
    for c in inst.category:
        orgs = [o for o in inst.org_ids if (o, c) in inst.demand_of]
        for size in range(1, len(orgs) + 1):
            for members in itertools.combinations(orgs, size):
                # the earliest start is the only one to try: a later one goes live later
                start = max(inst.pair_ready[(o, c)] for o in members)
                for off in inst.offers_in[c]:
                    outcome, problems = price_lot(inst, Lot(c, off.supplier_id, members, start))
                    if outcome and not problems and outcome.volume <= off.capacity:
                        held |= {(a, b, c, off.supplier_id) for a in members for b in members}
    return held


def _random_lock(
    rng: random.Random,
    rule: str,
    demand: list[tuple[str, str]],
    offers: list[tuple[str, str]],
    held: set[tuple[str, str, str, str]],
) -> dict[str, object] | None:
    """One valid lock of this rule, or None. A ``join`` or ``together`` lock names,
    19 times in 20, members of a lot that breaks no rule on its own (None when
    the instance has no such lot)."""
    lock: dict[str, object] = {"rule": rule}
    if rule in ("join", "together") and rng.random() < 0.95:
        fits = sorted(h for h in held if (h[0] == h[1]) == (rule == "join"))
        if not fits:
            return None
        org, other, cat, sup = rng.choice(fits)
        lock |= {"org_id": org, "category_id": cat}
        if rule == "together":
            lock["other_org_id"] = other
        elif rng.random() < 0.5:
            lock["supplier_id"] = sup
        return lock
    if not demand:
        return None
    org, cat = rng.choice(demand)
    lock |= {"org_id": org, "category_id": cat}
    if rule in ("join", "exclude"):
        suppliers = [s for s, c in offers if c == cat]
        if suppliers and rng.random() < 0.5:
            lock["supplier_id"] = rng.choice(suppliers)
        return lock
    others = sorted({o for o, c in demand if c == cat and o != org})
    if not others:
        return None
    lock["other_org_id"] = rng.choice(others)
    return lock
