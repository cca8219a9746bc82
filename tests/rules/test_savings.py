"""The savings vocabulary (rules/savings.py): the figures add up."""

from __future__ import annotations

import math

import pytest

from conftest import FIXTURES, INSTANCES
from consortia import read_instance, solve
from consortia.rules.plan import Lot, assess_plan, timeline
from consortia.rules.savings import TARGET_MEASURE, savings_figures


def test_demo_figures_add_up_and_the_objective_is_a_present_value() -> None:
    inst = read_instance(INSTANCES / "demo")  # discount rate 0.9% a period
    result = solve(inst)
    f = savings_figures(inst, result.outcomes)
    assert f.discounted and f.net_measure == "net present value"
    assert f.net == pytest.approx(result.objective, rel=1e-12)
    assert f.gross_per_period == tuple(r["savings"] for r in timeline(inst, result.outcomes))
    assert f.gross_cumulative == pytest.approx(
        timeline(inst, result.outcomes)[-1]["cumulative_savings"]
    )
    assert f.fixed_costs + f.coordination_costs == pytest.approx(f.one_off_costs)
    assert f.net_undiscounted == pytest.approx(f.gross_cumulative - f.one_off_costs)
    # undiscounted, the same lots are worth more than their present value
    assert f.net_undiscounted > f.net
    assert f.target == 250_000 and f.target_period == result.target_period


def test_demo_figures_by_hand() -> None:
    """The demo's plan: L001 MBC on KPW (live 3), L002 five members on CEB and L003 four
    on DGF (both live 7), over 8 periods."""
    inst = read_instance(INSTANCES / "demo")
    lots = [
        Lot("energy", "KPW", ("MBC",), 1),
        Lot("energy", "CEB", ("KCC", "KAT", "EKH", "KFR", "LBB"), 3),
        Lot("ict", "DGF", ("KCC", "MBC", "EKH", "KFR"), 3),
    ]
    outcomes = assess_plan(inst, lots).outcomes
    f = savings_figures(inst, outcomes)
    assert f.gross_per_period == pytest.approx((0, 0, 3600, 3600, 3600, 3600, 132_700, 132_700))
    assert f.gross_cumulative == pytest.approx(4 * 3600 + 2 * 132_700)  # 279,800
    # fixed: KPW 8,000 + CEB 20,000 + DGF 15,000; coordination: 2,000 * 6 + 5,000 * 4
    assert f.fixed_costs == pytest.approx(43_000) and f.coordination_costs == pytest.approx(32_000)
    assert f.net_undiscounted == pytest.approx(279_800 - 75_000)


def test_without_discounting_net_savings_are_the_objective() -> None:
    inst = read_instance(FIXTURES / "pooling")
    assert inst.settings.discount_rate == 0
    result = solve(inst)
    f = savings_figures(inst, result.outcomes)
    assert not f.discounted and f.net_measure == "net savings"
    assert f.net == pytest.approx(result.objective, rel=1e-12)
    assert f.net_undiscounted == pytest.approx(result.objective, rel=1e-12)
    assert f.gross_cumulative - f.one_off_costs == pytest.approx(result.objective, rel=1e-12)


def test_summary_keys() -> None:
    inst = read_instance(FIXTURES / "pooling")
    figures = savings_figures(inst, solve(inst).outcomes).as_dict()
    assert set(figures) == {
        "discount_rate",
        "gross_savings_per_period",
        "gross_savings_cumulative",
        "one_off_costs",
        "fixed_costs",
        "coordination_costs",
        "net_savings",
        "net_savings_measure",
        "net_savings_undiscounted",
        "savings_target_measure",
    }
    assert figures["savings_target_measure"] == TARGET_MEASURE == "cumulative gross savings"
    assert len(figures["gross_savings_per_period"]) == inst.settings.horizon  # type: ignore[arg-type]


def test_the_empty_plan() -> None:
    inst = read_instance(FIXTURES / "pooling")
    f = savings_figures(inst, [])
    assert f.net == 0 and f.one_off_costs == 0 and f.gross_cumulative == 0
    assert f.target_period is None and not math.isnan(f.net_undiscounted)
