"""What the report shows, computed without any markup: names, breakdowns by
category, region and sector, spend against baseline, the Gantt rows at a level
that fits the page, the best lots, links between regions and members' shares.

Every function here is pure (instance and priced lots in, plain data out), so
the views are tested without a browser, and the page stays the same size
whether the plan has five members or forty thousand.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pandas as pd

from consortia.data.instance import Instance
from consortia.errors import UsageError
from consortia.rules.plan import LotOutcome

T = TypeVar("T")
NO_VALUE = "(none)"  # an empty region or sector

# ---------------------------------------------------------------------------
# names


@dataclass(frozen=True)
class Names:
    """Display names of organizations, categories and suppliers (the id where the
    instance gives no name)."""

    orgs: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    suppliers: dict[str, str] = field(default_factory=dict)

    def org(self, org_id: str) -> str:
        return self.orgs.get(org_id) or org_id

    def category(self, category_id: str) -> str:
        return self.categories.get(category_id) or category_id

    def supplier(self, supplier_id: str) -> str:
        return self.suppliers.get(supplier_id) or supplier_id


def _named(frame: pd.DataFrame | None, key: str) -> dict[str, str]:
    if frame is None or "name" not in frame.columns:
        return {}
    out = {}
    for k, name in zip(frame[key], frame["name"], strict=True):
        text = "" if name is None or (isinstance(name, float) and math.isnan(name)) else str(name)
        if text.strip():
            out[str(k)] = text.strip()
    return out


def names_of(inst: Instance) -> Names:
    return Names(
        _named(inst.organizations, "org_id"),
        _named(inst.categories, "category_id"),
        _named(inst.suppliers, "supplier_id"),
    )


def some_of(items: Sequence[str], limit: int = 3) -> str:
    """'A, B, C and 31 more' (all of them when there are at most `limit` + 1)."""
    if len(items) <= limit + 1:
        return ", ".join(items)
    return f"{', '.join(items[:limit])} and {len(items) - limit:,} more"


def top(items: Iterable[T], n: int, key: Callable[[T], float]) -> tuple[list[T], int]:
    """The `n` items with the largest key (stable for ties) and how many are left out."""
    ordered = sorted(items, key=lambda item: -key(item))
    return ordered[:n], max(0, len(ordered) - n)


# ---------------------------------------------------------------------------
# breakdowns by category, region and sector

GROUPINGS = ("category", "region", "sector")


@dataclass
class GroupRow:
    """One category, region or sector. Spend and saving are per period once every
    lot is live; net savings are over the horizon, discounted, after one-off costs."""

    key: str
    label: str
    organizations: int = 0  # organizations with demand here
    members: int = 0  # of them, in at least one lot here
    lots: int = 0  # lots with a member here
    baseline: float = 0.0  # all demand at baseline prices
    pooled_baseline: float = 0.0  # the pooled demand at baseline prices
    pooled_spend: float = 0.0  # the pooled demand at the lots' prices (surcharges included)
    net: float = 0.0

    @property
    def saving(self) -> float:
        return self.pooled_baseline - self.pooled_spend

    @property
    def saved_share(self) -> float | None:
        """Saving as a share of the pooled demand's baseline spend."""
        return self.saving / self.pooled_baseline if self.pooled_baseline else None


def _group_key(inst: Instance, by: str) -> Callable[[str, str], str]:
    if by == "category":
        return lambda org, cat: cat
    if by == "region":
        region = inst.region
        return lambda org, cat: region[org] or NO_VALUE
    if by == "sector":
        sector = inst.sector
        return lambda org, cat: sector[org] or NO_VALUE
    raise ValueError(f"unknown grouping {by!r}")


def member_nets(inst: Instance, outcome: LotOutcome) -> dict[str, float]:
    """Each member's part of a lot's net savings: its discounted savings, less its
    coordination cost and a volume share of the offer's fixed cost (they sum to the
    lot's net savings)."""
    lot = outcome.lot
    coordination = inst.category[lot.category_id].coordination_cost
    fixed = outcome.one_off - coordination * len(outcome.member_saving)
    demand = inst.demand_of
    return {
        org: outcome.weight * saving
        - coordination
        - fixed * demand[(org, lot.category_id)][0] / outcome.volume
        for org, saving in outcome.member_saving.items()
    }


def breakdown(inst: Instance, outcomes: Sequence[LotOutcome], by: str) -> list[GroupRow]:
    """Rows per category, region or sector, largest net savings first; every group
    with demand is listed, pooled or not."""
    key_of = _group_key(inst, by)
    demand = inst.demand
    if by == "category":
        keys = demand["category_id"].astype(str)
    else:
        lookup = inst.region if by == "region" else inst.sector
        keys = demand["org_id"].map(lambda o: lookup[o] or NO_VALUE)
    spend = demand["quantity"].astype(float) * demand["baseline_price"].astype(float)
    frame = pd.DataFrame({"key": keys.to_numpy(), "org": demand["org_id"].to_numpy()})
    frame["spend"] = spend.to_numpy()
    rows: dict[str, GroupRow] = {}
    for key, group in frame.groupby("key", sort=True):
        label = str(key)
        rows[label] = GroupRow(
            label, label, organizations=group["org"].nunique(), baseline=group["spend"].sum()
        )
    members: defaultdict[str, set[str]] = defaultdict(set)
    lots: Counter[str] = Counter()
    for outcome in outcomes:
        cat = outcome.lot.category_id
        nets = member_nets(inst, outcome)
        touched = set()
        for org, saving in outcome.member_saving.items():
            key = key_of(org, cat)
            row = rows.setdefault(key, GroupRow(key, key))
            quantity, baseline = inst.demand_of[(org, cat)]
            row.pooled_baseline += quantity * baseline
            row.pooled_spend += quantity * baseline - saving
            row.net += nets[org]
            members[key].add(org)
            touched.add(key)
        lots.update(touched)
    for key, row in rows.items():
        row.members = len(members[key])
        row.lots = lots[key]
    return sorted(rows.values(), key=lambda r: (-r.net, -r.baseline, r.key))


# ---------------------------------------------------------------------------
# spend against the baseline, period by period


@dataclass(frozen=True)
class SpendView:
    """Spend per period: every organization's demand at baseline prices against the
    plan (baseline less the savings of the lots live by then); one-off costs apart."""

    baseline: float  # per period
    savings: list[float]  # per period 1..T, undiscounted
    one_off: float  # over the plan
    net: float  # the plan's net savings (discounted, after one-off costs)

    @property
    def planned(self) -> list[float]:
        return [self.baseline - s for s in self.savings]

    @property
    def horizon_baseline(self) -> float:
        return self.baseline * len(self.savings)

    @property
    def horizon_savings(self) -> float:
        return math.fsum(self.savings)

    @property
    def horizon_planned(self) -> float:
        """Spend over the horizon under the plan, one-off costs included."""
        return self.horizon_baseline - self.horizon_savings + self.one_off

    @property
    def saved_share(self) -> float | None:
        if not self.horizon_baseline:
            return None
        return (self.horizon_baseline - self.horizon_planned) / self.horizon_baseline


def spend_view(inst: Instance, outcomes: Sequence[LotOutcome]) -> SpendView:
    demand = inst.demand
    baseline = float(
        (demand["quantity"].astype(float) * demand["baseline_price"].astype(float)).sum()
    )
    horizon = inst.settings.horizon
    per_live: defaultdict[int, float] = defaultdict(float)
    for o in outcomes:
        per_live[o.live] += o.savings_per_period
    savings, running = [], 0.0
    for p in range(1, horizon + 1):
        running += per_live.get(p, 0.0)
        savings.append(running)
    return SpendView(
        baseline,
        savings,
        math.fsum(o.one_off for o in outcomes),
        math.fsum(o.net for o in outcomes),
    )


# ---------------------------------------------------------------------------
# the Gantt chart at a level that fits


@dataclass
class GanttRow:
    """Lots of one row, counted per period by state (index p - 1)."""

    label: str
    title: str
    lots: int
    forming: list[int]
    waiting: list[int]
    live: list[int]


GANTT_MAX_ROWS = 30


def gantt_rows(
    lots: Sequence[tuple[str, LotOutcome]],
    horizon: int,
    names: Names,
    max_rows: int = GANTT_MAX_ROWS,
) -> tuple[str, list[GanttRow]]:
    """One row per lot when they fit, else per category and supplier, else per
    category. Returns the level ('lot', 'category and supplier', 'category')."""
    pairs = {(o.lot.category_id, o.lot.supplier_id) for _, o in lots}
    level = (
        "lot"
        if len(lots) <= max_rows
        else "category and supplier"
        if len(pairs) <= max_rows
        else "category"
    )
    groups: dict[tuple[str, ...], list[tuple[str, LotOutcome]]] = defaultdict(list)
    for lid, o in lots:
        if level == "lot":
            key: tuple[str, ...] = (lid,)
        elif level == "category and supplier":
            key = (o.lot.category_id, o.lot.supplier_id)
        else:
            key = (o.lot.category_id,)
        groups[key].append((lid, o))

    def order(item: tuple[tuple[str, ...], list[tuple[str, LotOutcome]]]) -> tuple:
        key, members = item
        first = min(o.lot.start for _, o in members)
        cat = members[0][1].lot.category_id
        return (names.category(cat).lower(), first, key)

    rows = []
    for key, members in sorted(groups.items(), key=order):
        forming, waiting, live = [0] * horizon, [0] * horizon, [0] * horizon
        for _, o in members:
            formed = o.lot.start + o.lead
            for p in range(o.lot.start, min(formed, horizon + 1)):
                forming[p - 1] += 1
            for p in range(formed, min(o.live, horizon + 1)):
                waiting[p - 1] += 1
            for p in range(o.live, horizon + 1):
                live[p - 1] += 1
        lot = members[0][1].lot
        cat, sup = names.category(lot.category_id), names.supplier(lot.supplier_id)
        if level == "lot":
            n = len(lot.members)
            label = f"{key[0]} {cat} · {sup}"
            title = f"{key[0]}: {cat} from {sup}, {n:,} member{'s' if n != 1 else ''}"
        elif level == "category and supplier":
            label = f"{cat} · {sup}"
            title = f"{cat} from {sup}: {len(members):,} lot{'s' if len(members) != 1 else ''}"
        else:
            label = cat
            title = f"{cat}: {len(members):,} lot{'s' if len(members) != 1 else ''}"
        rows.append(GanttRow(label, title, len(members), forming, waiting, live))
    return level, rows


# ---------------------------------------------------------------------------
# regions linked by lots


@dataclass
class RegionNode:
    region: str
    organizations: int
    members: int
    lots: int


def region_links(
    inst: Instance, outcomes: Sequence[LotOutcome]
) -> tuple[list[RegionNode], dict[tuple[str, str], int]]:
    """Regions (organizations, members in lots, lots) and, for each pair of regions,
    the members linked across them: in every lot with members of both regions, the
    members of either (a member counts once per lot)."""
    region = inst.region
    organizations = Counter(region[o] or NO_VALUE for o in inst.org_ids)
    members: defaultdict[str, set[str]] = defaultdict(set)
    lots: Counter[str] = Counter()
    links: Counter[tuple[str, str]] = Counter()
    for o in outcomes:
        counts = Counter(region[m] or NO_VALUE for m in o.lot.members)
        for m in o.lot.members:
            members[region[m] or NO_VALUE].add(m)
        lots.update(counts.keys())
        present = sorted(counts)
        for i, a in enumerate(present):
            for b in present[i + 1 :]:
                links[(a, b)] += counts[a] + counts[b]
    nodes = [
        RegionNode(r, organizations[r], len(members[r]), lots[r])
        for r in sorted(organizations, key=lambda r: (-len(members[r]), -organizations[r], r))
    ]
    return nodes, dict(links)


# ---------------------------------------------------------------------------
# members' shares (a `consortia share` folder)


@dataclass(frozen=True)
class SharesView:
    rules: list[str]
    table: pd.DataFrame  # lot_id, org_id, share_<rule> ..., in_core_<rule> ...
    source: Path

    def by_member(self) -> pd.DataFrame:
        """Each member's shares summed over its lots (org_id, lots, share_<rule> ...)."""
        columns = [f"share_{r}" for r in self.rules]
        grouped = self.table.groupby("org_id", sort=False)
        out = grouped[columns].sum()
        out.insert(0, "lots", grouped["lot_id"].nunique())
        return out.reset_index()

    def by(self, key_of: dict[str, str]) -> pd.DataFrame:
        """Shares summed by a key of the member (its sector, region ...; empty: (none))."""
        columns = [f"share_{r}" for r in self.rules]
        frame = self.table[["org_id", *columns]].copy()
        frame["key"] = frame["org_id"].map(lambda org: key_of.get(org) or NO_VALUE)
        return frame.groupby("key")[columns].sum().reset_index()

    def outside_core(self, rule: str) -> int:
        """Lots whose split by `rule` is outside the core (as the share command found)."""
        column = f"in_core_{rule}"
        if column not in self.table.columns:
            return 0
        flags = self.table[column].fillna("").astype(str)
        return int(self.table.loc[flags.str.startswith("no"), "lot_id"].nunique())


def read_shares(folder: str | Path, lots: Sequence[tuple[str, LotOutcome]]) -> SharesView:
    """The shares a `consortia share` run wrote for this plan, or a UsageError
    saying why they cannot be shown with it."""
    folder = Path(folder)
    path = folder / "shares.csv" if folder.is_dir() else folder
    try:
        table = pd.read_csv(path, dtype={"lot_id": str, "org_id": str})
    except FileNotFoundError:
        raise UsageError(f"no shares at '{path}': pass a `consortia share` output folder") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} cannot be read: {exc}") from None
    rules = [c.removeprefix("share_") for c in table.columns if c.startswith("share_")]
    missing = [c for c in ("lot_id", "org_id") if c not in table.columns]
    if missing or not rules:
        raise UsageError(f"{path} is not a `consortia share` file (no lot_id, org_id, share_*)")
    plan = {lid: o for lid, o in lots}
    pairs = {(lid, org) for lid, o in lots for org in o.lot.members}
    found = set(zip(table["lot_id"], table["org_id"], strict=True))
    strangers = sorted(found - pairs)
    if strangers or {lid for lid, _ in found} != set(plan):
        what = (
            f"{strangers[0][1]} in lot {strangers[0][0]} is not in this plan"
            if strangers
            else "they do not cover the same lots"
        )
        raise UsageError(f"the shares in {path} are not for this plan: {what}")
    if "lot_value" in table.columns:
        for lid, value in zip(table["lot_id"], table["lot_value"], strict=True):
            net = plan[lid].net
            if abs(float(value) - net) > 1e-6 * max(1.0, abs(net)):
                raise UsageError(
                    f"the shares in {path} are not for this plan: lot {lid} is worth "
                    f"{net:,.2f} here and {float(value):,.2f} there"
                )
    for rule in rules:
        table[f"share_{rule}"] = pd.to_numeric(table[f"share_{rule}"], errors="coerce")
    return SharesView(rules, table, path)
