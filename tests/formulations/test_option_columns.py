"""The relaxation over shared options by column generation
(formulations/option_columns.py): a valid bound every round, the compact LP's value
when it converges, and an exact bound on each option's pricing LP."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from consortia.data.reader import instance_from_tables, read_instance
from consortia.formulations.option_columns import Z_EPS, option_bound, price_option
from consortia.formulations.option_lp import option_lp_bound
from consortia.formulations.slot_bound import slot_prices
from consortia.solvers.bruteforce import enumerate_optimum
from tiny_random import random_coupled_tables, random_tiny_tables, random_v2_tables


def test_the_bound_is_valid_and_converges_to_the_option_lp() -> None:
    """On random tiny instances (graphs, own and central limits) the bound is at
    least the brute-force optimum, at most the slot-priced bound where no capacity is
    priced (it starts at that bound's duals; half of the masters also from an optimal
    plan's images), and equal to the compact option LP's
    bound once no option prices positive, which its master's value never exceeds; it
    is below the slot-priced bound on some."""
    cases = tighter = 0
    for make in (random_tiny_tables, random_v2_tables, random_coupled_tables):
        for seed in range(20):
            inst = instance_from_tables(make(seed))
            optimum, best = enumerate_optimum(inst)
            found = slot_prices(inst, 0.0, 0.5)
            # every other master starts from the optimal plan's images
            result = option_bound(found.relaxation, 20.0, found.prices, best if seed % 2 else None)
            bound = result.bound
            compact = option_lp_bound(inst)
            tol = 1e-6 * max(1.0, abs(optimum), abs(compact))
            # the master's columns are images in the options' polytopes
            assert result.lp <= compact + tol, (make.__name__, seed, result.lp, compact)
            assert bound >= optimum - tol, (make.__name__, seed, bound, optimum)
            assert bound == pytest.approx(compact, rel=1e-6, abs=1e-6), (make.__name__, seed)
            if not found.relaxation.caps.size:
                assert bound <= found.bound + tol, (make.__name__, seed, bound, found.bound)
            tighter += bound < found.bound - tol
            cases += 1
    assert tighter >= cases // 10, (tighter, cases)


def _connected_best(w: np.ndarray, graph: nx.Graph, most: int) -> float:
    """The largest Σ w over connected sets of 2..most members (0 for none)."""
    best = 0.0
    for size in range(2, most + 1):
        for members in itertools.combinations(range(len(w)), size):
            if nx.is_connected(graph.subgraph(members)):
                best = max(best, float(w[list(members)].sum()))
    return best


@pytest.mark.parametrize("seed", range(40))
def test_an_options_pricing_bounds_every_connected_lot(seed: int) -> None:
    """On random graphs of 8 pairs (values of both signs, some pairs unable to join)
    the pricing bound is at least every connected lot of 2..n_hi members and the point
    returned lies in P_k (count, neighbour rows, [0, 1]) and is worth at most it;
    without a graph the bound is the sum of the n_hi best positive values."""
    rng = random.Random(seed)
    n, most = 8, rng.randint(2, 5)
    graph = nx.gnp_random_graph(n, rng.uniform(0.2, 0.6), seed=seed)
    w = np.array([rng.uniform(-30, 20) for _ in range(n)])
    w[rng.sample(range(n), 2)] = -np.inf
    adjacency = sp.csr_matrix(nx.to_scipy_sparse_array(graph, nodelist=range(n)))
    bound, members, z = price_option(w, adjacency, most)
    best = _connected_best(np.where(np.isfinite(w), w, -1e9), graph, most)
    assert bound >= best - 1e-9
    assert np.all(np.isfinite(w[members]))
    assert z.sum() <= most + 1e-7 and np.all(z > Z_EPS) and np.all(z <= 1)
    full = np.zeros(n)
    full[members] = z
    assert np.all(full <= adjacency @ full + 1e-7)
    assert float(w[members] @ z) <= bound + 1e-7
    alone, chosen, _ = price_option(w, None, most)
    positive = np.sort(w[w > 0])[::-1][:most]
    assert alone == pytest.approx(positive.sum()) and len(chosen) == len(positive)


def test_a_bridge_that_costs_more_than_its_share_lowers_the_bound_by_hand(tmp_path: Path) -> None:
    """By hand: A and B buy 10 paper at 10, C buys 10 at 7.5; S1 sells at 9; lots of
    exactly two members, formed in period 1 of a horizon of 2 (one live period), one
    formation at a time. A and B are worth 10 each, C -15, and C is their only link:
    no lot pays (optimum 0). The bridge charge (15 / 2 on each) leaves 2.5 + 2.5 = 5;
    the option's LP with neighbour rows, ``max 10 a + 10 b - 15 c`` with ``a, b ≤ c``
    and ``a + b + c ≤ 2``, is 10/3 at a = b = c = 2/3, and that is the bound."""
    tables = {
        "settings": "key,value\nhorizon,2\nmax_parallel_formations,1",
        "organizations": "org_id,region\nA,north\nB,north\nC,north",
        "categories": "category_id,base_lead,min_members,max_members\npaper,1,2,2",
        "demand": "org_id,category_id,quantity,baseline_price\n"
        "A,paper,10,10\nB,paper,10,10\nC,paper,10,7.5",
        "suppliers": "supplier_id\nS1",
        "offers": "supplier_id,category_id\nS1,paper",
        "tiers": "supplier_id,category_id,min_quantity,unit_price\nS1,paper,0,9",
        "collaboration": "org_a,org_b\nA,C\nB,C",
    }
    for name, text in tables.items():
        (tmp_path / f"{name}.csv").write_text(text + "\n")
    inst = read_instance(tmp_path)
    assert enumerate_optimum(inst)[0] == 0
    found = slot_prices(inst, 0.0, 0.5)
    assert option_bound(found.relaxation, 10.0, found.prices).bound == pytest.approx(10 / 3)
    assert option_lp_bound(inst) == pytest.approx(10 / 3)
