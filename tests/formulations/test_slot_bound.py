"""The slot-priced bound and the chunked plan (formulations/slot_bound.py,
formulations/regional.py chunked_lots) and the national strategy built on them."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from consortia.data.reader import instance_from_tables, read_instance
from consortia.formulations.greedy import schedule_lots
from consortia.formulations.regional import chunked_lots, member_bound, regional_lots
from consortia.formulations.slot_bound import slot_priced_bound
from consortia.rules.plan import assess_plan, total_net
from consortia.solvers.bruteforce import enumerate_optimum
from consortia.solvers.options import SolveOptions
from consortia.solvers.registry import solve
from tiny_random import random_coupled_tables, random_tiny_tables, random_v2_tables


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
            "demand": """
                org_id,category_id,quantity,baseline_price
                A,paper,10,10
                B,paper,10,10
                C,paper,10,10
                D,paper,10,10
            """,
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
