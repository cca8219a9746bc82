"""Synthetic instances calibrated to the UK public sector (``consortia generate``).

Calibration (figures are rounded public ones; the generator samples N bodies):

* About 44,000 public bodies buy separately, spending about £175bn a year (HM
  Treasury, Operational Efficiency Programme: Collaborative Procurement, 2009).
  Sector shares follow that population: schools ~45%, local councils ~20%
  (counties, districts, unitaries, town and parish councils), NHS bodies ~10%,
  central government departments and agencies ~8%, colleges and universities ~6%,
  housing and other local bodies ~9%, police ~1%, fire and rescue ~1%.
* Sizes are heavy-tailed: annual spend is log-normal per sector (a median school
  spends hundreds of thousands, a median NHS trust hundreds of millions).
* Regions: the nine English regions plus Scotland, Wales and Northern Ireland,
  weighted by population (ONS mid-year estimates).
* Categories are those of the collaborative-procurement programme: ICT, energy,
  professional services, fleet, travel, office solutions, facilities management,
  food, construction. A framework agreement takes 2-4 quarters to set up, plus
  specification time per extra member (0.05-0.25 quarters each).
* Suppliers are national (serve every region) or regional (one to three regions);
  each offers 2-5 volume tiers, all-units or incremental, worth roughly 5-20% off
  the list price at full volume. About half the offers have a capacity, set
  between 30% and 150% of the category's demand, so capacity binds sometimes.
  National suppliers charge a delivery surcharge in the remote nations.
* Readiness is spread over the first third of the horizon; the collaboration graph
  links bodies of the same region (often) or the same sector (sometimes) plus a
  few random links.
* Contract expiry (spec section 9, ``demand.ready_period``): most bodies are tied
  into a contract in each category when the plan starts (``TIED_SHARE``, 80% of
  the pairs); a call-off contract runs two to four years (a framework agreement
  at most four, Public Contracts Regulations 2015, reg. 33), so the quarter in
  which a tied pair's contract ends is uniform over quarters 2 ..
  ``expiry_horizon(T)`` = min(16, max(2, T // 2)): the first years of the
  horizon, leaving time to form and go live. One expiry per pair: a contract that
  ends is not renewed within the horizon. The other pairs are free from period 1.
* Specialist staff (spec section 10, ``organizations.max_parallel_formations``):
  a body takes part in as many formations at once as it has procurement
  specialists for, by size: 1 below £20m annual spend (every school, most
  councils and housing bodies), 2 from £20m, 3 from £200m (``SPECIALIST_SPEND``).

Both are drawn from a random stream of their own (``TIMING_STREAM``), after the
rest, so an instance generated without them (``timing_limits=False``, ``consortia
generate --no-timing-limits``) is the version-1 instance of the same seed.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from consortia.data.schema import SETTING_COLUMNS, TABLES

SECTORS = {  # share of bodies, log-normal median annual spend (GBP), sigma
    "school": (0.45, 0.6e6, 0.6),
    "council": (0.20, 8e6, 1.6),
    "nhs": (0.10, 60e6, 1.0),
    "central": (0.08, 40e6, 1.4),
    "college": (0.06, 15e6, 0.8),
    "housing": (0.09, 5e6, 1.0),
    "police": (0.01, 150e6, 0.6),
    "fire": (0.01, 40e6, 0.5),
}
REGIONS = {  # population, millions
    "north_east": 2.7,
    "north_west": 7.5,
    "yorkshire": 5.5,
    "east_midlands": 4.9,
    "west_midlands": 6.0,
    "east": 6.4,
    "london": 8.9,
    "south_east": 9.3,
    "south_west": 5.7,
    "wales": 3.1,
    "scotland": 5.5,
    "northern_ireland": 1.9,
}
REMOTE = {"scotland", "northern_ireland", "wales"}
CATEGORIES = {  # share of spend, list unit price, base lead (quarters), sectors that buy it
    "ict": (0.16, 1000.0, 3, None),
    "energy": (0.14, 150.0, 2, None),
    "professional_services": (0.12, 700.0, 2, None),
    "fleet": (0.06, 25000.0, 3, {"council", "nhs", "police", "fire", "central", "housing"}),
    "travel": (0.04, 300.0, 2, {"council", "nhs", "police", "central", "college"}),
    "office_solutions": (0.06, 40.0, 2, None),
    "facilities": (0.14, 500.0, 3, None),
    "food": (0.10, 3.0, 2, {"school", "nhs", "college", "police", "central"}),
    "construction": (0.18, 2000.0, 4, {"council", "nhs", "central", "housing", "college"}),
}


# Contract expiry and specialist staff (see the module docstring).
TIED_SHARE = 0.8  # pairs tied into a contract when the plan starts
LONGEST_REMAINING_TERM = 16  # quarters: a four-year contract just signed
SPECIALIST_SPEND = (20e6, 200e6)  # annual spend (GBP) from which a body has 2, 3
TIMING_STREAM = 910  # the numpy stream of these draws, apart from the others


@dataclass(frozen=True)
class GeneratorOptions:
    orgs: int = 20
    categories: int = 3
    suppliers: int = 6
    periods: int = 12
    seed: int = 1
    # draw demand.ready_period and organizations.max_parallel_formations (spec
    # sections 9 and 10); False writes a version-1 instance
    timing_limits: bool = True


def expiry_horizon(horizon: int) -> int:
    """The latest quarter in which a tied pair's contract ends: min(16, max(2, T // 2))."""
    return min(LONGEST_REMAINING_TERM, max(2, horizon // 2))


def contract_expiry(gen: np.random.Generator, pairs: int, horizon: int) -> np.ndarray:
    """``demand.ready_period`` of `pairs` demand pairs: 1 for a free pair (probability
    1 - ``TIED_SHARE``), else uniform on 2 .. ``expiry_horizon(horizon)``."""
    tied = gen.random(pairs) < TIED_SHARE
    ends = gen.integers(2, expiry_horizon(horizon), size=pairs, endpoint=True)
    return np.where(tied, ends, 1)


def specialist_capacity(spend: np.ndarray) -> np.ndarray:
    """``organizations.max_parallel_formations`` by annual spend: 1, plus one for each
    threshold of ``SPECIALIST_SPEND`` reached (so 1, 2 or 3)."""
    return 1 + (spend[:, None] >= np.array(SPECIALIST_SPEND)).sum(axis=1)


def _timing_stream(seed: int) -> np.random.Generator:
    """The seeded stream of the timing draws, independent of every other draw (a
    negative seed is taken modulo 2**64, as numpy takes no negative entropy)."""
    return np.random.default_rng([seed % 2**64, TIMING_STREAM])


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# Up to this many organizations every pair is drawn (the sets in instances/ were
# made so); beyond it, each body draws a few partners, so that the graph stays
# sparse (a council works with a handful of neighbours, not with thousands) and
# generating the country takes seconds, not hours.
PAIRWISE_MAX_ORGS = 1000
# expected partners each body draws: same region and sector, same region, same
# sector elsewhere, anyone
PARTNERS = (2.0, 1.5, 0.5, 0.2)


def _pairwise_edges(rng: random.Random, orgs: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """Every pair linked with a probability by region and sector."""
    edges = set()
    for a in range(len(orgs)):
        for b in range(a + 1, len(orgs)):
            oa, ob = orgs[a], orgs[b]
            p = 0.005
            if oa["region"] == ob["region"]:
                p = 0.35 if oa["sector"] == ob["sector"] else 0.12
            elif oa["sector"] == ob["sector"]:
                p = 0.05
            if rng.random() < p:
                edges.add((oa["org_id"], ob["org_id"]))
    return edges


def _sparse_edges(opt: GeneratorOptions, orgs: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """Each body draws Poisson-many partners within its region and sector, its
    region, its sector and anywhere (``PARTNERS``); vectorised, O(organizations)."""
    gen = np.random.default_rng(opt.seed)
    n = len(orgs)
    region = pd.factorize(pd.Series([o["region"] for o in orgs]))[0]
    sector = pd.factorize(pd.Series([o["sector"] for o in orgs]))[0]
    groupings = [region * (sector.max() + 1) + sector, region, sector, np.zeros(n, dtype=int)]
    sources, targets = [], []
    for keys, rate in zip(groupings, PARTNERS, strict=True):
        order = np.argsort(keys, kind="stable")
        starts = np.searchsorted(keys[order], keys[order], side="left")
        ends = np.searchsorted(keys[order], keys[order], side="right")
        counts = gen.poisson(rate, n)
        who = np.repeat(np.arange(n), counts)
        pos = np.empty(n, dtype=int)
        pos[order] = np.arange(n)
        lo, hi = starts[pos[who]], ends[pos[who]]
        picks = order[lo + (gen.random(len(who)) * (hi - lo)).astype(int)]
        sources.append(who)
        targets.append(picks)
    a, b = np.concatenate(sources), np.concatenate(targets)
    keep = a != b
    low, high = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    pairs = np.unique(low.astype(np.int64) * n + high)
    ids = [o["org_id"] for o in orgs]
    return {(ids[int(p // n)], ids[int(p % n)]) for p in pairs}


def generate_instance(opt: GeneratorOptions) -> dict[str, pd.DataFrame]:
    """Tables (strings, as in the files) of a seeded synthetic instance."""
    rng = random.Random(opt.seed)
    horizon = opt.periods
    cat_ids = list(CATEGORIES)[: opt.categories]
    if opt.categories > len(CATEGORIES):
        raise ValueError(f"at most {len(CATEGORIES)} categories")

    # A small instance is a local consortium: it draws from fewer regions.
    region_count = min(len(REGIONS), max(2, opt.orgs // 16))
    region_pool = {r: REGIONS[r] for r in rng.sample(list(REGIONS), region_count)}
    orgs: list[dict[str, Any]] = []
    for i in range(opt.orgs):
        sector = _weighted(rng, {s: v[0] for s, v in SECTORS.items()})
        _, median, sigma = SECTORS[sector]
        spend = median * math.exp(rng.gauss(0, sigma))
        ready = 1 + min(int(rng.expovariate(3.0 / max(1, horizon // 3))), max(0, horizon // 3))
        orgs.append(
            {
                "org_id": f"{sector[:3].upper()}{i + 1:04d}",
                "name": f"{sector.title()} body {i + 1}",
                "sector": sector,
                "region": _weighted(rng, region_pool),
                "ready_period": ready,
                "spend": spend,
            }
        )

    categories: list[dict[str, Any]] = []
    demand: list[dict[str, Any]] = []
    for c in cat_ids:
        share, price, base, buyers = CATEGORIES[c]
        categories.append(
            {
                "category_id": c,
                "name": c.replace("_", " ").title(),
                "unit": "unit",
                "base_lead": max(0, min(base, horizon - 2)),
                "member_lead": rng.choice([0.05, 0.1, 0.15, 0.25]),
                "min_members": 1,
                "max_members": rng.choice(["", "", 25, 40]),
                "coordination_cost": round(rng.uniform(0.5, 3.0) * 1000, 0),
            }
        )
        for o in orgs:
            if buyers is not None and o["sector"] not in buyers:
                continue
            if rng.random() < 0.25:
                continue
            quarterly = o["spend"] * share / 4 * rng.uniform(0.5, 1.5)
            # Large bodies already negotiate keener prices on their own.
            scale = 1.08 - 0.03 * math.log10(max(o["spend"], 1e5) / 1e5)
            baseline = price * min(1.10, max(0.92, scale)) * rng.uniform(0.97, 1.03)
            demand.append(
                {
                    "org_id": o["org_id"],
                    "category_id": c,
                    "quantity": round(max(1.0, quarterly / baseline), 1),
                    "baseline_price": round(baseline, 2),
                }
            )

    buying = {(d["org_id"], d["category_id"]) for d in demand}
    total = {c: sum(float(d["quantity"]) for d in demand if d["category_id"] == c) for c in cat_ids}
    typical = {
        c: sorted(float(d["quantity"]) for d in demand if d["category_id"] == c) or [1.0]
        for c in cat_ids
    }
    median_demand = {c: q[len(q) // 2] for c, q in typical.items()}
    suppliers: list[dict[str, Any]] = []
    offers: list[dict[str, Any]] = []
    tiers: list[dict[str, Any]] = []
    surcharges: list[dict[str, Any]] = []
    regions = list(region_pool)
    for j in range(opt.suppliers):
        national = rng.random() < 0.4
        sid = f"SUP{j + 1:03d}"
        suppliers.append(
            {
                "supplier_id": sid,
                "name": f"{'National' if national else 'Regional'} supplier {j + 1}",
            }
        )
        served = [] if national else rng.sample(regions, min(len(regions), rng.randint(1, 3)))
        offered = rng.sample(cat_ids, min(len(cat_ids), rng.choice([1, 1, 2, 3])))
        if j < len(cat_ids):  # every category gets at least one offer
            offered = list(dict.fromkeys([cat_ids[j], *offered]))
        for c in offered:
            _, price, _, _ = CATEGORIES[c]
            kind = rng.choice(["all_units", "incremental"])
            k = rng.randint(2, 5)
            deepest = rng.uniform(0.05, 0.20)
            start_price = price * rng.uniform(1.0, 1.05)
            # Volume breaks at multiples of a typical body's demand, so that deep
            # discounts need pooling.
            multiples = sorted(rng.sample([2, 4, 8, 15, 30, 60], k - 1))
            qs = [
                0.0 if kind == "incremental" else round(median_demand[c] * rng.uniform(0.0, 0.5), 1)
            ]
            qs += [round(median_demand[c] * f, 1) for f in multiples]
            for t, q in enumerate(qs):
                off = deepest * t / (k - 1)
                tiers.append(
                    {
                        "supplier_id": sid,
                        "category_id": c,
                        "min_quantity": q,
                        "unit_price": round(start_price * (1 - off), 2),
                    }
                )
            offers.append(
                {
                    "supplier_id": sid,
                    "category_id": c,
                    # at least 0.1: one-decimal rounding of a tiny total must not give 0
                    "capacity": max(0.1, round(total[c] * rng.uniform(0.3, 1.5), 1))
                    if rng.random() < 0.5
                    else "",
                    "available_from": 1
                    if rng.random() < 0.7
                    else rng.randint(2, max(2, horizon // 3)),
                    "fixed_cost": round(rng.uniform(5, 40) * 1000, 0),
                    "discount": kind,
                    "regions": ";".join(sorted(served)),
                }
            )
            if national:
                surcharges += [
                    {
                        "org_id": o["org_id"],
                        "supplier_id": sid,
                        "category_id": c,
                        "unit_surcharge": round(price * rng.uniform(0.01, 0.03), 2),
                    }
                    for o in orgs
                    if o["region"] in REMOTE and (o["org_id"], c) in buying
                ]

    edges = (
        _pairwise_edges(rng, orgs) if len(orgs) <= PAIRWISE_MAX_ORGS else _sparse_edges(opt, orgs)
    )

    baseline_total = sum(float(d["quantity"]) * float(d["baseline_price"]) for d in demand)
    settings = [
        ("horizon", horizon),
        ("max_parallel_formations", max(2, opt.orgs // 60 + len(cat_ids) // 3)),
        ("individually_rational", "true"),
        ("discount_rate", 0.009),
        ("savings_target", round(0.03 * baseline_total * horizon / 2, 0)),
        ("currency", "GBP"),
        ("period_start", "2027Q1"),
    ]

    def frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame([{c: str(r[c]) for c in columns} for r in rows], columns=columns)

    org_table = frame(orgs, ["org_id", "name", "sector", "region", "ready_period"])
    demand_table = frame(demand, ["org_id", "category_id", "quantity", "baseline_price"])
    if opt.timing_limits:
        gen = _timing_stream(opt.seed)
        spends = np.array([o["spend"] for o in orgs], dtype=float)
        org_table["max_parallel_formations"] = specialist_capacity(spends).astype(str)
        demand_table["ready_period"] = contract_expiry(gen, len(demand), horizon).astype(str)
    return {
        "settings": pd.DataFrame([{"key": k, "value": str(v)} for k, v in settings]),
        "organizations": org_table,
        "categories": frame(
            categories,
            [
                "category_id",
                "name",
                "unit",
                "base_lead",
                "member_lead",
                "min_members",
                "max_members",
                "coordination_cost",
            ],
        ),
        "demand": demand_table,
        "suppliers": frame(suppliers, ["supplier_id", "name"]),
        "offers": frame(
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
        "tiers": frame(tiers, ["supplier_id", "category_id", "min_quantity", "unit_price"]),
        "surcharges": frame(surcharges, ["org_id", "supplier_id", "category_id", "unit_surcharge"]),
        "collaboration": pd.DataFrame(sorted(edges), columns=["org_a", "org_b"]),
    }


def write_instance_tables(
    tables: dict[str, pd.DataFrame],
    out: str | Path,
    command: str = "generate",
    extra: dict[str, str] | None = None,
) -> Path:
    """Write tables as a CSV folder, or as one workbook when `out` ends in .xlsx.

    Written to a temporary name first and renamed, so nothing is half-written;
    `out` must be new or a previous output of `command` (``outputs_guard``).
    `extra` names further text files to write into the folder.
    """
    from consortia.folders import mark_text, output_dir, write_output_file

    out = Path(out)
    if out.suffix.lower() == ".xlsx":

        def workbook(path: Path) -> None:
            with pd.ExcelWriter(path, engine="openpyxl") as xl:
                for table, frame in tables.items():
                    _with_numbers(table, frame).to_excel(xl, sheet_name=table, index=False)
                xl.book.properties.description = mark_text(command)

        return write_output_file(out, command, workbook)
    with output_dir(out, command) as tmp:
        for table, frame in tables.items():
            frame.to_csv(tmp / f"{table}.csv", index=False)
        for name, text in (extra or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
    return out


def _with_numbers(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A string table with the cells of its number columns (and the values of number
    settings) as numbers, so that a workbook stores numbers, not text; text that is
    no finite number stays text."""
    out = frame.copy()
    if table == "settings" and {"key", "value"} <= set(frame.columns):
        keys = {k for k, c in SETTING_COLUMNS.items() if c.kind in ("int", "real")}
        out["value"] = [
            _number(value) if str(key).strip() in keys else value
            for key, value in zip(frame["key"], frame["value"], strict=True)
        ]
        return out
    known = TABLES.get(table)
    for column in known.columns if known else ():
        if column.kind in ("int", "real") and column.name in out.columns:
            out[column.name] = [_number(value) for value in frame[column.name]]
    return out


def _number(cell: Any) -> Any:
    """The number a cell's text holds (an int when whole), or the cell unchanged."""
    try:
        value = float(cell)
    except (TypeError, ValueError):
        return cell
    if not math.isfinite(value):
        return cell
    return int(value) if value.is_integer() and abs(value) < 2**53 else value
