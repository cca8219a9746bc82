"""The relaxation over shared options (formulations/option_lp.py): a valid bound,
and its link and neighbour rows only ever lower it."""

from __future__ import annotations

from pathlib import Path

import pytest

from consortia.data.reader import instance_from_tables, read_instance
from consortia.formulations.option_lp import option_lp_bound
from consortia.solvers.bruteforce import enumerate_optimum
from tiny_random import random_coupled_tables, random_tiny_tables, random_v2_tables


def test_the_option_lp_is_never_below_the_optimum_and_its_rows_bite() -> None:
    """On random tiny instances (a collaboration graph on many, own and central
    formation limits on the coupled and v2 ones) the bound with every family of rows
    is at least the brute-force optimum and at most the bound with the pair rows
    alone (the slot-priced bound's relaxation), and strictly below it on some."""
    lower = 0
    cases = 0
    for make in (random_tiny_tables, random_v2_tables, random_coupled_tables):
        for seed in range(60):
            inst = instance_from_tables(make(seed))
            optimum, _ = enumerate_optimum(inst)
            full = option_lp_bound(inst)
            shares = option_lp_bound(inst, {"pair"})
            tol = 1e-6 * max(1.0, abs(optimum))
            assert full >= optimum - tol, (make.__name__, seed, full, optimum)
            assert full <= shares + 1e-6 * max(1.0, abs(shares)), (make.__name__, seed)
            lower += full < shares - tol
            cases += 1
    assert lower >= cases // 10, (lower, cases)  # 27 of 180 when written


def test_neighbour_rows_close_the_bound_where_no_lot_is_connected(tmp_path: Path) -> None:
    """By hand: A and B buy 10 paper at 10, S1 sells at 9, lots of two members at
    least, formed in one period of a horizon of 3 (live in 2: two periods). Each
    body alone is worth 2 x 10 x 1 = 20, so the slot shares credit 40; but A and B
    are linked only through C, who buys no paper, so no lot is connected: the
    optimum and the bound with neighbour rows are 0."""
    tables = {
        "settings": "key,value\nhorizon,3",
        "organizations": "org_id,region\nA,north\nB,north\nC,north",
        "categories": "category_id,base_lead,min_members\npaper,1,2",
        "demand": "org_id,category_id,quantity,baseline_price\nA,paper,10,10\nB,paper,10,10",
        "suppliers": "supplier_id\nS1",
        "offers": "supplier_id,category_id\nS1,paper",
        "tiers": "supplier_id,category_id,min_quantity,unit_price\nS1,paper,0,9",
        "collaboration": "org_a,org_b\nA,C\nB,C",
    }
    folder = tmp_path / "apart"
    folder.mkdir()
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text + "\n")
    inst = read_instance(folder)
    assert enumerate_optimum(inst)[0] == 0
    assert option_lp_bound(inst, {"pair"}) == pytest.approx(40)
    assert option_lp_bound(inst) == pytest.approx(0, abs=1e-6)
