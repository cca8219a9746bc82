"""The validated, immutable problem instance (spec sections 2 and 6).

An :class:`Instance` is built only by :func:`consortia.data.reader.read_instance` (or
:func:`consortia.data.reader.instance_from_tables`), after every check has passed. It
holds the typed tables as pandas DataFrames and offers read-only lookups that the
algorithms use; it knows nothing of any modelling library.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from consortia.data.schema import TABLES, V2_DEFAULTS, V2_TABLES
from consortia.data.validation import ROW_INDEX


@dataclass(frozen=True)
class Settings:
    horizon: int
    max_parallel_formations: int | None = None
    individually_rational: bool = True
    discount_rate: float = 0.0
    savings_target: float | None = None
    currency: str = "GBP"
    period_start: str | None = None


@dataclass(frozen=True)
class Category:
    category_id: str
    base_lead: int
    member_lead: float
    min_members: int
    max_members: int | None
    coordination_cost: float


@dataclass(frozen=True)
class Offer:
    """A supplier's offer in one category, with its tiers sorted by quantity."""

    supplier_id: str
    category_id: str
    capacity: float  # math.inf when unlimited
    available_from: int
    fixed_cost: float
    discount: str  # "all_units" or "incremental"
    regions: frozenset[str]
    tiers: tuple[tuple[float, float], ...]  # (min_quantity, unit_price)
    # spec section 11: at most this share of its category's awarded volume
    max_share: float = 1.0

    @property
    def key(self) -> tuple[str, str]:
        return (self.supplier_id, self.category_id)

    def serves(self, region: str) -> bool:
        """Spec rule 4: an empty region set serves everyone; an empty region only those."""
        return not self.regions or (region != "" and region in self.regions)


@dataclass(frozen=True)
class Lock:
    """One row of the locks table (spec section 12), with its spreadsheet row.

    ``join``: (org, category) is in a lot (on ``supplier_id``'s offer, if given);
    ``exclude``: it is in no lot (no lot on that offer, if a supplier is given);
    ``together``: org and ``other_org_id`` are members of one lot of the category;
    ``apart``: they are not members of one lot of it.
    """

    row: int
    rule: str  # "join", "exclude", "together" or "apart"
    org_id: str
    category_id: str
    supplier_id: str | None = None  # join / exclude only
    other_org_id: str | None = None  # together / apart only

    @property
    def wording(self) -> str:
        """What the lock asks, in words: "join O1 in ict on S2"."""
        on = f" on {self.supplier_id}" if self.supplier_id is not None else ""
        if self.rule == "join":
            return f"join {self.org_id} in {self.category_id}{on}"
        if self.rule == "exclude":
            return f"exclude {self.org_id} from {self.category_id}{on}"
        return f"{self.rule} {self.org_id} and {self.other_org_id} in {self.category_id}"

    def __str__(self) -> str:
        return f"lock row {self.row} ({self.wording})"


@dataclass(frozen=True)
class Instance:
    settings: Settings
    organizations: pd.DataFrame
    categories: pd.DataFrame
    demand: pd.DataFrame
    suppliers: pd.DataFrame
    offers: pd.DataFrame
    tiers: pd.DataFrame
    surcharges: pd.DataFrame
    collaboration: pd.DataFrame | None = None
    # spec section 12; indexed by spreadsheet row when read from files
    locks: pd.DataFrame | None = None
    name: str = field(default="instance")
    source: str = field(default="")  # where the instance was read from, if from a file

    # --- read-only lookups -------------------------------------------------
    @cached_property
    def org_ids(self) -> tuple[str, ...]:
        return tuple(self.organizations["org_id"])

    @cached_property
    def org_index(self) -> dict[str, int]:
        return {o: i for i, o in enumerate(self.org_ids)}

    @cached_property
    def region(self) -> dict[str, str]:
        return dict(zip(self.organizations["org_id"], self.organizations["region"], strict=True))

    @cached_property
    def sector(self) -> dict[str, str]:
        return dict(zip(self.organizations["org_id"], self.organizations["sector"], strict=True))

    @cached_property
    def ready(self) -> dict[str, int]:
        orgs = self.organizations
        return dict(zip(orgs["org_id"], (int(v) for v in orgs["ready_period"]), strict=True))

    @cached_property
    def pair_ready(self) -> dict[tuple[str, str], int]:
        """r(o,c) = max(ready(o), demand.ready_period(o,c)): the first period in which
        o can start forming a lot in c (spec section 9)."""
        d, ready = self.demand, self.ready
        return {
            (o, c): max(ready[o], int(r))
            for o, c, r in zip(d["org_id"], d["category_id"], d["ready_period"], strict=True)
        }

    @cached_property
    def org_capacity(self) -> dict[str, int]:
        """k(o) for the organizations with a limit of their own on the lots they help
        form at once (spec section 10); an organization not listed has none."""
        orgs = self.organizations
        return {
            o: int(k)
            for o, k in zip(orgs["org_id"], orgs["max_parallel_formations"], strict=True)
            if not pd.isna(k)
        }

    @cached_property
    def binding_org_capacity(self) -> dict[str, int]:
        """The organizations of ``org_capacity`` whose limit can bind: it is below the
        number of categories they have demand in (an organization is in at most one
        lot per category, so a larger limit never binds)."""
        counts = self.demand["org_id"].value_counts()
        return {o: k for o, k in self.org_capacity.items() if k < int(counts.get(o, 0))}

    @cached_property
    def category(self) -> dict[str, Category]:
        out = {}
        for row in self.categories.itertuples(index=False):
            mx = None if pd.isna(row.max_members) else int(row.max_members)
            out[row.category_id] = Category(
                row.category_id,
                int(row.base_lead),
                float(row.member_lead),
                int(row.min_members),
                mx,
                float(row.coordination_cost),
            )
        return out

    @cached_property
    def max_suppliers(self) -> dict[str, int]:
        """The categories with a limit on the distinct suppliers of their lots (spec
        section 11); a category not listed has none."""
        cats = self.categories
        return {
            c: int(k)
            for c, k in zip(cats["category_id"], cats["max_suppliers"], strict=True)
            if not pd.isna(k)
        }

    @cached_property
    def lock_records(self) -> tuple[Lock, ...]:
        """The locks in table order (spec section 12). Rows are the spreadsheet rows
        of the locks table (its index); a table built in memory without them is
        numbered from row 2."""
        locks = self.locks
        if locks is None or locks.empty:
            return ()
        rows = locks.index if locks.index.name == ROW_INDEX else range(2, len(locks) + 2)
        return tuple(
            Lock(int(i), rule, o, c, _given(s), _given(other))
            for i, rule, o, c, s, other in zip(
                rows,
                locks["rule"],
                locks["org_id"],
                locks["category_id"],
                locks["supplier_id"],
                locks["other_org_id"],
                strict=True,
            )
        )

    @cached_property
    def locks_in(self) -> dict[str, tuple[Lock, ...]]:
        """The locks of each category (every lock names one); categories without a
        lock are not listed."""
        out: dict[str, list[Lock]] = {}
        for lock in self.lock_records:
            out.setdefault(lock.category_id, []).append(lock)
        return {c: tuple(locks) for c, locks in out.items()}

    @cached_property
    def demand_of(self) -> dict[tuple[str, str], tuple[float, float]]:
        """(org, category) -> (quantity per period, baseline unit price)."""
        d = self.demand
        return {
            (o, c): (float(q), float(b))
            for o, c, q, b in zip(
                d["org_id"], d["category_id"], d["quantity"], d["baseline_price"], strict=True
            )
        }

    @cached_property
    def offer(self) -> dict[tuple[str, str], Offer]:
        tiers: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for s, c, q, p in zip(
            self.tiers["supplier_id"],
            self.tiers["category_id"],
            self.tiers["min_quantity"],
            self.tiers["unit_price"],
            strict=True,
        ):
            tiers.setdefault((s, c), []).append((float(q), float(p)))
        out = {}
        for row in self.offers.itertuples(index=False):
            key = (row.supplier_id, row.category_id)
            out[key] = Offer(
                row.supplier_id,
                row.category_id,
                float(row.capacity),
                int(row.available_from),
                float(row.fixed_cost),
                row.discount,
                frozenset(row.regions),
                tuple(sorted(tiers.get(key, []))),
                float(row.max_share),
            )
        return out

    @cached_property
    def offers_in(self) -> dict[str, list[Offer]]:
        out: dict[str, list[Offer]] = {c: [] for c in self.category}
        for off in self.offer.values():
            out[off.category_id].append(off)
        return out

    @cached_property
    def surcharge(self) -> dict[tuple[str, str, str], float]:
        """(org, supplier, category) -> unit surcharge; missing pairs are 0."""
        s = self.surcharges
        return {
            (o, sup, c): float(h)
            for o, sup, c, h in zip(
                s["org_id"], s["supplier_id"], s["category_id"], s["unit_surcharge"], strict=True
            )
        }

    @cached_property
    def edges(self) -> tuple[tuple[str, str], ...] | None:
        """Collaboration edges, or None when no graph is given (no restriction)."""
        if self.collaboration is None:
            return None
        return tuple(zip(self.collaboration["org_a"], self.collaboration["org_b"], strict=True))

    @cached_property
    def neighbours(self) -> dict[str, frozenset[str]] | None:
        if self.edges is None:
            return None
        adj: dict[str, set[str]] = {o: set() for o in self.org_ids}
        for a, b in self.edges:
            adj[a].add(b)
            adj[b].add(a)
        return {o: frozenset(n) for o, n in adj.items()}

    def delta(self, period: int) -> float:
        """Discount factor of a period: (1 + r)^-(p - 1)."""
        return (1.0 + self.settings.discount_rate) ** (-(period - 1))

    def live_weight(self, live: int) -> float:
        """M(live) = sum of discount factors from the live period to the horizon."""
        horizon = self.settings.horizon
        if live > horizon:
            return 0.0
        if self.settings.discount_rate == 0:
            return float(horizon - live + 1)
        return self._live_weights[max(live, 1)]

    @cached_property
    def _live_weights(self) -> tuple[float, ...]:
        """M(p) for p = 0..horizon (index 0 unused), each summed once."""
        horizon = self.settings.horizon
        return (0.0,) + tuple(
            math.fsum(self.delta(p) for p in range(live, horizon + 1))
            for live in range(1, horizon + 1)
        )

    @cached_property
    def sha256(self) -> str:
        """Hash of the instance content, the same for a CSV folder and a workbook."""
        h = hashlib.sha256()
        s = self.settings
        h.update(repr(sorted(vars(s).items())).encode())
        for name in TABLES:
            if name == "settings":
                continue
            table = getattr(self, name)
            if name in V2_TABLES and (table is None or table.empty):
                continue  # as before the table existed
            h.update(f"\n#{name}\n".encode())
            if table is not None:
                h.update(_without_v1_defaults(name, table).to_csv(index=False).encode())
        return h.hexdigest()


def _given(value: object) -> str | None:
    """An optional text cell: None when empty (None, NaN or "")."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    return str(value)


def _without_v1_defaults(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """The table without the version-2 columns that hold only their default, so that
    a version-1 instance keeps its content hash."""
    idle = []
    for (table_name, column), default in V2_DEFAULTS.items():
        if table_name != name or column not in table.columns:
            continue
        values = table[column]
        if (
            default is None
            and values.isna().all()
            or default is not None
            and (values == default).all()
        ):
            idle.append(column)
    return table.drop(columns=idle) if idle else table
