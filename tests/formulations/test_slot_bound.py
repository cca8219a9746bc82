"""The slot-priced bound and the chunked plan (formulations/slot_bound.py,
formulations/regional.py chunked_lots) and the national strategy built on them."""

from __future__ import annotations

import math
from pathlib import Path
from textwrap import dedent

import numpy as np
import pytest

from consortia.data.reader import instance_from_tables, read_instance
from consortia.formulations.bounds import sum_up
from consortia.formulations.greedy import schedule_lots
from consortia.formulations.regional import chunked_lots, member_bound, regional_lots
from consortia.formulations.slot_bound import _Relaxation, slot_priced_bound, slot_prices
from consortia.rules.plan import assess_plan, total_net
from consortia.solvers.bruteforce import enumerate_optimum
from consortia.solvers.options import SolveOptions
from consortia.solvers.registry import solve
from tiny_random import (
    random_coupled_tables,
    random_path_graph_tables,
    random_tiny_tables,
    random_v2_tables,
)


def test_the_bound_is_never_below_the_optimum_and_often_below_the_member_bound() -> None:
    """On random tiny instances (one formation at a time on the coupled ones) every
    bound is at least the brute-force optimum, and pricing formation time makes it
    smaller than the member bound on many of them."""
    tighter = 0
    cases = 0
    for make in (random_tiny_tables, random_v2_tables, random_coupled_tables):
        for seed in range(80):
            inst = instance_from_tables(make(seed))
            optimum, _ = enumerate_optimum(inst)
            bound = slot_priced_bound(inst, 0.0, 1.0)
            assert bound >= optimum - 1e-9 * max(1.0, abs(optimum)), (make.__name__, seed)
            tighter += bound < member_bound(inst) - 1e-9
            cases += 1
    assert tighter >= cases // 3, (tighter, cases)


# four bodies of one region buy 10 paper at 10
FOUR_BODIES = """
    org_id,category_id,quantity,baseline_price
    A,paper,10,10
    B,paper,10,10
    C,paper,10,10
    D,paper,10,10
"""


def _write(folder: Path, tables: dict[str, str]) -> Path:
    folder.mkdir()
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(dedent(text).strip() + "\n")
    return folder


def _two_slots(tmp_path: Path) -> Path:
    """Four bodies of one region buy 10 paper at 10; S1 sells at 9 from 20 units (10
    below); a lot holds at most two members and forms for one period; horizon 3 and
    one formation at a time."""
    return _write(
        tmp_path / "two_slots",
        {
            "settings": "key,value\nhorizon,3\nmax_parallel_formations,1",
            "organizations": "org_id,region\nA,north\nB,north\nC,north\nD,north",
            "categories": "category_id,base_lead,max_members\npaper,1,2",
            "demand": FOUR_BODIES,
            "suppliers": "supplier_id\nS1",
            "offers": "supplier_id,category_id\nS1,paper",
            "tiers": """
                supplier_id,category_id,min_quantity,unit_price
                S1,paper,0,10
                S1,paper,20,9
            """,
        },
    )


def test_chunked_lots_pool_the_bodies_one_lot_leaves_out(tmp_path: Path) -> None:
    """By hand: one lot {A, B} formed in 1, live 2: 2 periods x 20 = 40. Chunked: also
    {C, D}, formed in 2 (one formation at a time), live 3: 20 more, 60 in all —
    the optimum (no third formation fits: a lot formed in 3 goes live after 3)."""
    inst = read_instance(_two_slots(tmp_path))
    by_hand = schedule_lots(inst, regional_lots(inst))
    chunked = schedule_lots(inst, [lot for _, lot in chunked_lots(inst)])
    assert total_net(by_hand) == 40
    assert total_net(chunked) == 60
    assert assess_plan(inst, [o.lot for o in chunked]).feasible
    assert enumerate_optimum(inst)[0] == 60


def test_formation_prices_tighten_the_bound_by_hand(tmp_path: Path) -> None:
    """On the same instance the member bound credits every body 10 a period from
    period 2: 4 x 2 x 10 = 80. Only two formations fit before the horizon, and a lot
    forming in period 2 saves at most one period, so the slot-priced bound falls
    below 80 (the optimum is 60)."""
    inst = read_instance(_two_slots(tmp_path))
    assert member_bound(inst) == 80
    bound = slot_priced_bound(inst, 60.0, 5.0)
    assert 60 <= bound < 80


def test_capacity_prices_tighten_the_bound_by_hand(tmp_path: Path) -> None:
    """Four bodies buy 10 paper at 10; S1 sells at 9 but can deliver 20 units in all,
    so two bodies save 1 a unit and the others nothing: the optimum is half the member
    bound. Pricing S1's capacity at the saving of the third body's volume closes it."""
    folder = _write(
        tmp_path / "capacity",
        {
            "settings": "key,value\nhorizon,3",
            "organizations": "org_id,region\nA,north\nB,north\nC,north\nD,north",
            "categories": "category_id,base_lead\npaper,1",
            "demand": FOUR_BODIES,
            "suppliers": "supplier_id\nS1",
            "offers": "supplier_id,category_id,capacity\nS1,paper,20",
            "tiers": "supplier_id,category_id,min_quantity,unit_price\nS1,paper,0,9",
        },
    )
    inst = read_instance(folder)
    optimum, _ = enumerate_optimum(inst)
    assert optimum > 0
    assert member_bound(inst) == pytest.approx(2 * optimum)
    assert slot_priced_bound(inst, 0.0, 1.0) == pytest.approx(optimum)


def test_national_strategy_keeps_the_better_plan_and_the_smaller_bound(tmp_path: Path) -> None:
    inst = read_instance(_two_slots(tmp_path))
    result = solve(inst, SolveOptions(formulation="national"))
    assert result.objective == 60
    assert 60 <= result.best_bound < 80
    assert "slot-priced" in result.stop_reason or result.status == "optimal"


def test_national_strategy_keeps_a_join_lock_at_a_loss() -> None:
    """instances/tiny/lock_join: B must buy from S2 at a loss; the empty plan breaks
    the lock, so the national plan is the lock-keeping one, worth 6 (README)."""
    inst = read_instance(Path(__file__).resolve().parents[2] / "instances/tiny/lock_join")
    result = solve(inst, SolveOptions(formulation="national"))
    assert result.has_plan
    assert assess_plan(inst, [o.lot for o in result.outcomes]).feasible
    assert abs(result.objective - 6) < 1e-9


def _bridge(tmp_path: Path) -> Path:
    """A and C buy 100 paper at 10 and reach the 8 tier (from 150) only together; B,
    who buys 1, is their only link (A - B - C). Coordination costs 30 a member; a
    lot of two or three forms for two periods (base 1, half a period per extra
    member), a single member for one; horizon 4."""
    return _write(
        tmp_path / "bridge",
        {
            "settings": "key,value\nhorizon,4",
            "organizations": "org_id,region\nA,north\nB,north\nC,north",
            "categories": ("category_id,base_lead,member_lead,coordination_cost\npaper,1,0.5,30"),
            "demand": """
                org_id,category_id,quantity,baseline_price
                A,paper,100,10
                B,paper,1,10
                C,paper,100,10
            """,
            "suppliers": "supplier_id\nS1",
            "offers": "supplier_id,category_id\nS1,paper",
            "tiers": """
                supplier_id,category_id,min_quantity,unit_price
                S1,paper,0,10
                S1,paper,150,8
            """,
            "collaboration": "org_a,org_b\nA,B\nB,C",
        },
    )


def test_the_bridge_a_lot_needs_is_charged_by_hand(tmp_path: Path) -> None:
    """The lot {A, B, C} formed in 1 goes live in 3: 2 periods x 201 x 2 - 3 x 30 =
    714, the optimum. Without the graph the bound credits A and C 2 x 100 x 2 - 30 =
    370 each (740) and B nothing. A and C have no neighbour worth anything: each
    pays half of what B loses in a lot (2 x 1 x 2 - 30 = -26), so the bound is 714."""
    inst = read_instance(_bridge(tmp_path))
    assert enumerate_optimum(inst)[0] == 714
    assert slot_priced_bound(inst, 0.0, 1.0) == 714


def test_the_bridged_bound_is_never_below_the_optimum_on_sparse_graphs() -> None:
    """On random tiny instances with path graphs the bound (bridge charge included)
    is at least the brute-force optimum, and the charge lowers it on some."""
    lowered = 0
    for seed in range(80):
        inst = instance_from_tables(random_path_graph_tables(seed))
        optimum, _ = enumerate_optimum(inst)
        found = slot_prices(inst, 0.0, 1.0)
        assert found.bound >= optimum - 1e-9 * max(1.0, abs(optimum)), seed
        plain, _ = found.relaxation.evaluate(found.prices)
        lowered += found.bound < sum_up(plain) - 1e-9
    assert lowered >= 5, lowered


def test_option_values_are_the_bracket_pair_by_pair() -> None:
    """Each option's values are the module docstring's bracket, computed pair by
    pair and start by start: M(live) A_o - κ - C(σ)/n - the pair's own charge over
    the formation, -inf before the pair's readiness (random formation and own
    prices)."""
    rng = np.random.default_rng(7)
    checked = 0
    for seed in range(10):
        inst = instance_from_tables(random_v2_tables(seed))
        rel = _Relaxation(inst)
        prices = rng.uniform(0.0, 50.0, rel.size)
        prices[prices.size - rel.caps.size :] = 0.0  # one best offer per option
        nu, mu = rel.split(prices)
        charges = rel.charges(prices)
        mine = {org: row for org, row in zip(rel.own_orgs, mu, strict=True)}
        for cat in rel.categories:
            for opt in cat.options:
                found = rel.option_values(cat, opt, charges)
                if found is None:
                    continue
                starts, value, _ = found
                for o, org in enumerate(cat.orgs):
                    for k, start in enumerate(starts.tolist()):
                        if start < cat.ready[o]:
                            assert value[o, k] == -math.inf
                            continue
                        forming = range(start - 1, start - 1 + opt.lead)
                        live = max(start + opt.lead, opt.available)
                        own = sum(mine[org][p] for p in forming) if org in mine else 0.0
                        expected = (
                            rel.weights[live] * opt.saving[o]
                            - cat.coordination
                            - sum(nu[p] for p in forming) / opt.members
                            - own
                        )
                        assert value[o, k] == pytest.approx(expected, rel=1e-9, abs=1e-6)
                        checked += 1
    assert checked > 60, checked
