"""The offer-indexed model assembled directly as sparse arrays.

Same variables, constraints and coefficients as the Pyomo reference in
``offer_model.build_offer_model`` (a test compares the two row by row), built
family by family as coordinate triplets (row, column, value) and handed to HiGHS
as one CSR matrix. Pyomo spends about 15 microseconds per nonzero building and
handing over a model; this path spends well under one (``benchmarks/RESULTS.md``).

Every column and row keeps its Pyomo name — the component and the index tuple —
so plans are read back, and starting plans given, by the same keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np
import scipy.sparse as sp

from consortia.backend.highs import new_highs, scale_objective
from consortia.data.instance import Instance

if TYPE_CHECKING:
    from consortia.formulations.offers.model import OfferIndex
from consortia.formulations.candidates import Candidates

Key = tuple[Any, ...]


@dataclass
class ArrayModel:
    """max cost . x  s.t.  row_lower <= A x <= row_upper,  lower <= x <= upper.

    Columns and rows come in named blocks (Pyomo component name, index tuples)."""

    col_blocks: list[tuple[str, Sequence[Key]]] = field(default_factory=list)
    row_blocks: list[tuple[str, Sequence[Key]]] = field(default_factory=list)
    lower: list[np.ndarray] = field(default_factory=list)
    upper: list[np.ndarray] = field(default_factory=list)
    integer: list[np.ndarray] = field(default_factory=list)
    row_lower: list[np.ndarray] = field(default_factory=list)
    row_upper: list[np.ndarray] = field(default_factory=list)
    triplets: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    objective: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    num_cols: int = 0
    num_rows: int = 0

    def add_columns(
        self,
        name: str,
        keys: Sequence[Key],
        lower: float | np.ndarray,
        upper: float | np.ndarray,
        integer: bool,
    ) -> np.ndarray:
        """Append a block of columns; returns their column numbers."""
        first = self.num_cols
        self.col_blocks.append((name, keys))
        self.lower.append(_spread(lower, len(keys)))
        self.upper.append(_spread(upper, len(keys)))
        self.integer.append(np.full(len(keys), integer))
        self.num_cols += len(keys)
        return np.arange(first, self.num_cols)

    def add_rows(
        self,
        name: str,
        keys: Sequence[Key],
        lower: float | np.ndarray,
        upper: float | np.ndarray,
        terms: list[tuple[Any, Any, Any]],
    ) -> None:
        """Append a block of rows. Each term is (row position in the block, column,
        coefficient) arrays; repeated (row, column) pairs add up."""
        first = self.num_rows
        self.row_blocks.append((name, keys))
        self.row_lower.append(_spread(lower, len(keys)))
        self.row_upper.append(_spread(upper, len(keys)))
        for rows, cols, values in terms:
            rows = np.asarray(rows, dtype=np.int64)
            self.triplets.append(
                (rows + first, np.asarray(cols, dtype=np.int64), _spread(values, len(rows)))
            )
        self.num_rows += len(keys)

    def add_objective(self, cols: np.ndarray, values: Any) -> None:
        cols = np.asarray(cols, dtype=np.int64)
        self.objective.append((cols, _spread(values, len(cols))))

    @cached_property
    def matrix(self) -> sp.csr_matrix:
        rows, cols, vals = (np.concatenate(parts) for parts in zip(*self.triplets, strict=True))
        A = sp.coo_matrix((vals, (rows, cols)), shape=(self.num_rows, self.num_cols)).tocsr()
        A.sum_duplicates()
        A.eliminate_zeros()
        return A

    @cached_property
    def cost(self) -> np.ndarray:
        cost = np.zeros(self.num_cols)
        for cols, values in self.objective:
            np.add.at(cost, cols, values)
        return cost

    @cached_property
    def column(self) -> dict[str, dict[Key, int]]:
        """Component name -> index tuple -> column number."""
        out: dict[str, dict[Key, int]] = {}
        first = 0
        for name, keys in self.col_blocks:
            out[name] = {k: first + i for i, k in enumerate(keys)}
            first += len(keys)
        return out

    def row_names(self) -> list[tuple[str, Key]]:
        return [(name, k) for name, keys in self.row_blocks for k in keys]

    def col_names(self) -> list[tuple[str, Key]]:
        return [(name, k) for name, keys in self.col_blocks for k in keys]

    def to_highs(self) -> highspy.Highs:
        """A fresh Highs object holding the model (maximising)."""
        h = new_highs()
        n = self.num_cols
        h.addVars(n, np.concatenate(self.lower), np.concatenate(self.upper))
        h.changeColsCost(n, np.arange(n, dtype=np.int32), self.cost)
        scale_objective(h, self.cost)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        A = self.matrix
        if A.shape[0]:
            h.addRows(
                A.shape[0],
                np.concatenate(self.row_lower),
                np.concatenate(self.row_upper),
                A.nnz,
                A.indptr[:-1].astype(np.int32),
                A.indices.astype(np.int32),
                A.data,
            )
        integer = np.flatnonzero(np.concatenate(self.integer)).astype(np.int32)
        if len(integer):
            h.changeColsIntegrality(
                len(integer), integer, np.full(len(integer), highspy.HighsVarType.kInteger)
            )
        return h


def offer_arrays(inst: Instance, cands: Candidates, idx: OfferIndex) -> ArrayModel:
    """The offer-indexed model of ``offer_model.py`` (multiple-choice tiers) as arrays.

    `idx` is the OfferIndex of ``offer_model.build_offer_index``."""
    am = ArrayModel()
    offers = idx.offers
    offer_pos = {k: i for i, k in enumerate(offers)}
    n_offers = len(offers)
    pairs = [(c, o, s) for (c, _, s), orgs in idx.members.items() for o in orgs]
    n_pairs = len(pairs)
    sizes = np.array([len(orgs) for orgs in idx.members.values()], dtype=np.int64)
    pair_offer = np.repeat(np.array([offer_pos[k] for k in idx.members], dtype=np.int64), sizes)
    org_code = np.fromiter((inst.org_index[o] for _, o, _ in pairs), dtype=np.int64, count=n_pairs)
    cat_names = sorted({c for c, _, _ in offers})
    sup_names = sorted({s for _, _, s in offers})
    offer_cat = np.array([cat_names.index(c) for c, _, _ in offers], dtype=np.int64)
    offer_sup = np.array([sup_names.index(s) for _, _, s in offers], dtype=np.int64)
    pair_cat, pair_sup = offer_cat[pair_offer], offer_sup[pair_offer]
    quantity, baseline = _demand_arrays(inst, cat_names, pair_cat, org_code)
    extra = _surcharge_array(inst, cat_names, sup_names, pair_cat, pair_sup, org_code)
    threshold = np.fromiter(
        chain.from_iterable(idx.thresholds[k] for k in idx.members), dtype=float, count=n_pairs
    )
    gain = quantity * (baseline - extra)
    offer_coord = np.array([inst.category[c].coordination_cost for c, _, _ in offers])
    coord = offer_coord[pair_offer]
    tier_keys = idx.tiers
    tier_offer = np.array([offer_pos[k[:3]] for k in tier_keys], dtype=np.int64)
    segs = [idx.segment[k] for k in tier_keys]
    lo = np.array([seg.lo for seg in segs])
    hi = np.array([seg.hi for seg in segs])
    alpha = np.array([seg.alpha for seg in segs])
    price = np.array([seg.price for seg in segs])

    z = am.add_columns("z", list(offers), 0.0, 1.0, True)
    x = am.add_columns("x", pairs, 0.0, 1.0, True)
    t = am.add_columns("t", list(tier_keys), 0.0, 1.0, True)
    v = am.add_columns("v", list(tier_keys), 0.0, hi, False)
    n_tiers = len(tier_keys)
    tier_rows = np.arange(n_tiers)

    am.add_rows(
        "one_tier", list(offers), 0.0, 0.0, [(tier_offer, t, 1.0), (np.arange(n_offers), z, -1.0)]
    )
    low = np.flatnonzero(lo > 0)
    am.add_rows(
        "tier_low",
        [tier_keys[i] for i in low],
        0.0,
        np.inf,
        [(np.arange(len(low)), v[low], 1.0), (np.arange(len(low)), t[low], -lo[low])],
    )
    am.add_rows(
        "tier_high", list(tier_keys), -np.inf, 0.0, [(tier_rows, v, 1.0), (tier_rows, t, -hi)]
    )
    pair_rows = np.arange(n_pairs)
    am.add_rows(
        "joins_open", pairs, -np.inf, 0.0, [(pair_rows, x, 1.0), (pair_rows, z[pair_offer], -1.0)]
    )
    # one_lot: pairs grouped by (category, organization), groups of two or more
    group = pair_cat * len(inst.org_ids) + org_code
    groups, first, inverse, counts = np.unique(
        group, return_index=True, return_inverse=True, return_counts=True
    )
    several = np.flatnonzero(counts > 1)
    group_row = np.full(len(groups), -1)
    group_row[several] = np.arange(len(several))
    in_several = group_row[inverse] >= 0
    am.add_rows(
        "one_lot",
        [pairs[i][:2] for i in first[several]],
        -np.inf,
        1.0,
        [(group_row[inverse[in_several]], x[in_several], 1.0)],
    )
    am.add_rows(
        "volume",
        list(offers),
        0.0,
        0.0,
        [(tier_offer, v, 1.0), (pair_offer, x, -quantity)],
    )
    least = np.array([inst.category[c].min_members for c, _, _ in offers])
    crowd = np.flatnonzero(least > 1)
    crowd_row = np.full(n_offers, -1)
    crowd_row[crowd] = np.arange(len(crowd))
    in_crowd = crowd_row[pair_offer] >= 0
    am.add_rows(
        "min_members",
        [offers[i] for i in crowd],
        0.0,
        np.inf,
        [
            (crowd_row[pair_offer[in_crowd]], x[in_crowd], 1.0),
            (np.arange(len(crowd)), z[crowd], -least[crowd]),
        ],
    )
    first_lo = np.full(n_offers, np.inf)
    np.minimum.at(first_lo, tier_offer, lo)
    rational = np.flatnonzero(threshold > first_lo[pair_offer])
    # row i of `rational` holds every v of the pair's offer and its own x
    rational_of_offer: list[list[int]] = [[] for _ in range(n_offers)]
    for r, pair in enumerate(rational):
        rational_of_offer[pair_offer[pair]].append(r)
    tiers_of_offer: list[list[int]] = [[] for _ in range(n_offers)]
    for i, k in enumerate(tier_offer):
        tiers_of_offer[k].append(i)
    by_offer = list(zip(rational_of_offer, tiers_of_offer, strict=True))
    v_rows = [r for rs, ts in by_offer for r in rs for _ in ts]
    v_cols = [v[i] for rs, ts in by_offer for _ in rs for i in ts]
    am.add_rows(
        "rational",
        [pairs[p] for p in rational],
        0.0,
        np.inf,
        [
            (np.array(v_rows, dtype=np.int64), np.array(v_cols, dtype=np.int64), 1.0),
            (np.arange(len(rational)), x[rational], -threshold[rational]),
        ],
    )

    fixed = np.array([inst.offer[(s, c)].fixed_cost for c, _, s in offers])
    am.add_objective(z, -fixed)
    am.add_objective(x, -coord)

    def live_weight(key: Key, start: int) -> float:
        c, _, s = key
        available = inst.offer[(str(s), str(c))].available_from
        return inst.live_weight(max(start + inst.category[str(c)].base_lead, available))

    limit = inst.settings.max_parallel_formations
    if limit is None:
        weight = np.array([live_weight(k, idx.starts[k][0]) for k in offers])  # type: ignore[index]
        am.add_objective(x, weight[pair_offer] * gain)
        am.add_objective(t, -weight[tier_offer] * alpha)
        am.add_objective(v, -weight[tier_offer] * price)
        return am

    choices = [k + (p,) for k in offers for p in idx.starts[k]]
    choice_offer = np.array([offer_pos[ch[:3]] for ch in choices], dtype=np.int64)
    lowest = np.full(n_offers, np.inf)
    np.minimum.at(lowest, tier_offer, price)
    most = np.zeros(n_offers)
    np.add.at(most, pair_offer, gain - quantity * lowest[pair_offer])
    bound = np.maximum(1e-9, most)
    a = am.add_columns("a", choices, 0.0, 1.0, True)
    g = am.add_columns("g", choices, 0.0, bound[choice_offer], False)
    n_choices = len(choices)
    choice_rows = np.arange(n_choices)
    am.add_rows(
        "one_start",
        list(offers),
        0.0,
        0.0,
        [(choice_offer, a, 1.0), (np.arange(n_offers), z, -1.0)],
    )
    # g <= savings: every choice repeats its offer's savings terms
    pairs_of_offer: list[list[int]] = [[] for _ in range(n_offers)]
    for i, k in enumerate(pair_offer):
        pairs_of_offer[k].append(i)
    x_rows = [r for r, k in enumerate(choice_offer) for _ in pairs_of_offer[k]]
    x_pick = [i for k in choice_offer for i in pairs_of_offer[k]]
    t_rows = [r for r, k in enumerate(choice_offer) for _ in tiers_of_offer[k]]
    t_pick = [i for k in choice_offer for i in tiers_of_offer[k]]
    am.add_rows(
        "g_savings",
        choices,
        -np.inf,
        0.0,
        [
            (choice_rows, g, 1.0),
            (np.array(x_rows, dtype=np.int64), x[x_pick], -gain[x_pick]),
            (np.array(t_rows, dtype=np.int64), t[t_pick], alpha[t_pick]),
            (np.array(t_rows, dtype=np.int64), v[t_pick], price[t_pick]),
        ],
    )
    am.add_rows(
        "g_start",
        choices,
        -np.inf,
        0.0,
        [(choice_rows, g, 1.0), (choice_rows, a, -bound[choice_offer])],
    )
    lead = np.array([inst.category[str(ch[0])].base_lead for ch in choices])
    start = np.array([ch[3] for ch in choices])
    periods = [
        p for p in range(1, inst.settings.horizon + 1) if np.any((start <= p) & (p < start + lead))
    ]
    f_rows: list[np.ndarray] = []
    f_cols: list[np.ndarray] = []
    for r, p in enumerate(periods):
        hit = np.flatnonzero((start <= p) & (p < start + lead))
        f_rows.append(np.full(len(hit), r))
        f_cols.append(a[hit])
    am.add_rows(
        "parallel_formations",
        [(p,) for p in periods],
        -np.inf,
        float(limit),
        [(_join(f_rows), _join(f_cols), 1.0)],
    )
    weights = np.array([live_weight(ch[:3], int(ch[3])) for ch in choices])  # type: ignore[arg-type]
    am.add_objective(g, weights)
    return am


def _spread(value: Any, n: int) -> np.ndarray:
    """`value` (a number or an array of n numbers) as n floats."""
    return np.broadcast_to(np.asarray(value, dtype=float), n)


def _join(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _demand_arrays(
    inst: Instance, cats: list[str], pair_cat: np.ndarray, pair_org: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Quantity and baseline price of each (category, organization) pair."""
    d = inst.demand
    cat = d["category_id"].map({c: i for i, c in enumerate(cats)})
    keep = cat.notna().to_numpy()
    rows = cat.to_numpy()[keep].astype(np.int64)
    cols = d["org_id"].map(inst.org_index).to_numpy()[keep].astype(np.int64)
    shape = (len(cats), len(inst.org_ids))
    quantity, baseline = np.zeros(shape), np.zeros(shape)
    quantity[rows, cols] = d["quantity"].to_numpy(dtype=float)[keep]
    baseline[rows, cols] = d["baseline_price"].to_numpy(dtype=float)[keep]
    return quantity[pair_cat, pair_org], baseline[pair_cat, pair_org]


def _surcharge_array(
    inst: Instance,
    cats: list[str],
    sups: list[str],
    pair_cat: np.ndarray,
    pair_sup: np.ndarray,
    pair_org: np.ndarray,
) -> np.ndarray:
    """Unit surcharge of each (category, supplier, organization) pair (0 if none)."""
    out = np.zeros(len(pair_org))
    table = inst.surcharges
    if table is None or table.empty:
        return out
    cat = table["category_id"].map({c: i for i, c in enumerate(cats)})
    sup = table["supplier_id"].map({s: i for i, s in enumerate(sups)})
    keep = (cat.notna() & sup.notna()).to_numpy()
    n_org = len(inst.org_ids)
    keys = (
        cat.to_numpy()[keep].astype(np.int64) * len(sups) + sup.to_numpy()[keep].astype(np.int64)
    ) * n_org + table["org_id"].map(inst.org_index).to_numpy()[keep].astype(np.int64)
    values = table["unit_surcharge"].to_numpy(dtype=float)[keep]
    order = np.argsort(keys)
    keys, values = keys[order], values[order]
    wanted = (pair_cat * len(sups) + pair_sup) * n_org + pair_org
    at = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
    found = keys[at] == wanted if len(keys) else np.zeros(len(wanted), dtype=bool)
    out[found] = values[at[found]]
    return out
