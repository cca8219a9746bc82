"""Coverage and the reason of every left-out demand pair (rules/coverage.py), on
hand-derived tiny instances; and the reasons against brute force on random ones."""

from __future__ import annotations

import dataclasses
import itertools
import re
from pathlib import Path
from textwrap import dedent

import pandas as pd
import pytest

from consortia import read_instance
from consortia.data.instance import Instance
from consortia.rules.coverage import (
    ABOVE_BASELINE,
    LEFT_OUT,
    MISSED,
    NO_OFFER,
    NOT_IN_TIME,
    TOO_SMALL,
    Coverage,
    binding_periods,
    coverage,
)
from consortia.rules.plan import Lot, LotOutcome, assess_plan, price_lot

COMMON = {
    "settings": "key,value\nhorizon,4\n",
    "suppliers": "supplier_id\nP\nI\nF\nD\n",
}


def build(folder: Path, **tables: str) -> Instance:
    """An instance from CSV texts (the common tables unless given)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**COMMON, **tables}.items():
        (folder / f"{name}.csv").write_text(dedent(text).strip() + "\n", encoding="utf-8")
    return read_instance(folder)


def plan(inst: Instance, lots: list[Lot]) -> list[LotOutcome]:
    assessment = assess_plan(inst, lots)
    assert assessment.feasible, assessment.violations
    return assessment.outcomes


def reasons(covered: Coverage) -> dict[tuple[str, str], tuple[str, str]]:
    return {(u.org_id, u.category_id): (u.reason, u.detail) for u in covered.uncovered}


# Reasons 1-4 (they hold for every plan). Paper: offer P serves the south only; its
# tiers are 10 from 0 and 8 from 100 units. S1 (60) and S4 (50) pool 110 units at 8.
REASONS_1_TO_4 = dict(
    organizations="""
        org_id,region,ready_period
        N1,north,1
        Z,,1
        S1,south,1
        S2,south,4
        S3,south,1
        S4,south,1
    """,
    categories="""
        category_id,base_lead,member_lead,coordination_cost
        paper,1,0,0
        ink,0,0,100
        fuel,0,0,0
        desk,0,0,0
    """,
    demand="""
        org_id,category_id,quantity,baseline_price
        N1,paper,10,12
        Z,paper,10,12
        S1,paper,60,12
        S2,paper,10,12
        S3,paper,10,7
        S4,paper,50,12
        S1,ink,1,6
        S3,fuel,5,10
        S1,desk,20,5
        S4,desk,30,5
    """,
    offers="""
        supplier_id,category_id,capacity,available_from,regions
        P,paper,,1,south
        I,ink,,1,
        F,fuel,,5,
        D,desk,25,1,
    """,
    tiers="""
        supplier_id,category_id,min_quantity,unit_price
        P,paper,0,10
        P,paper,100,8
        I,ink,0,5
        F,fuel,0,1
        D,desk,40,3
    """,
)


def test_each_of_the_first_four_reasons(tmp_path: Path) -> None:
    inst = build(tmp_path / "inst", **REASONS_1_TO_4)
    outcomes = plan(inst, [Lot("paper", "P", ("S1", "S4"), 1)])
    covered = coverage(inst, outcomes, ["L001"])
    assert covered.pairs == 10 and covered.pooled == 2
    assert covered.pooled_volume == pytest.approx(110) and covered.volume == pytest.approx(206)
    assert covered.pooled_spend == pytest.approx(1320)
    assert covered.spend == pytest.approx(120 + 120 + 720 + 120 + 70 + 600 + 6 + 50 + 100 + 150)
    got = reasons(covered)
    assert got == {
        ("N1", "paper"): (NO_OFFER, "none of the 1 offer(s) of paper serves region 'north'"),
        ("Z", "paper"): (NO_OFFER, "none of the 1 offer(s) of paper serves an empty region"),
        # ready in 4, lead 1: live in 5 > 4
        ("S2", "paper"): (
            NOT_IN_TIME,
            "ready in period 4: the earliest lot would go live in period 5 (on P), after "
            "the horizon 4",
        ),
        # 130 units reachable: 8 per unit, above its baseline 7
        ("S3", "paper"): (
            ABOVE_BASELINE,
            "its lowest reachable price, 8.00 on P (surcharge included), is above its "
            "baseline 7.00",
        ),
        # the fuel offer starts after the horizon
        ("S3", "fuel"): (
            NOT_IN_TIME,
            "ready in period 1: the earliest lot would go live in period 5 (on F), after "
            "the horizon 4",
        ),
        # 1 unit saving 1 a period for 4 periods against a coordination cost of 100
        ("S1", "ink"): (
            TOO_SMALL,
            "even at 5.00 on I from period 1, its savings to the horizon would be at most "
            "4.00, against a coordination cost of 100.00",
        ),
        # desk: capacity 25 keeps every lot below the first tier, 40; S4 alone exceeds it
        ("S1", "desk"): (
            ABOVE_BASELINE,
            "no tier is within reach: D can pool at most 25, below its first tier 40",
        ),
        ("S4", "desk"): (
            ABOVE_BASELINE,
            "no tier is within reach: D's capacity 25 is below its demand",
        ),
    }
    assert covered.counts() == {NO_OFFER: 2, NOT_IN_TIME: 2, ABOVE_BASELINE: 3, TOO_SMALL: 1}
    # the reasons hold for every plan: the empty plan gives the same ones
    empty = reasons(coverage(inst, []))
    assert {pair: empty[pair] for pair in got} == got


def test_price_above_baseline_without_individual_rationality(tmp_path: Path) -> None:
    tables = dict(REASONS_1_TO_4, settings="key,value\nhorizon,4\nindividually_rational,false\n")
    inst = build(tmp_path / "inst", **tables)
    got = reasons(coverage(inst, plan(inst, [Lot("paper", "P", ("S1", "S3", "S4"), 1)])))
    assert ("S3", "paper") not in got  # it may pay above its baseline now, and does
    covered = reasons(coverage(inst, plan(inst, [Lot("paper", "P", ("S1", "S4"), 1)])))
    assert covered[("S3", "paper")][0] == ABOVE_BASELINE  # it saves nothing at any price


# Reason 5 and 6 (about a plan). Paper: lead 1 + 1 per extra member, P's tiers 9 from 0
# and 6 from 100 units, fixed cost 20, capacity 120; ink: lead 2. One formation at a time.
# The plan: L001 = {A} on paper forming in 1 (live 2, net 3 * 50 - 20 = 130),
# L002 = {X} on ink forming in 2-3 (live 4).
REASONS_5_AND_6 = dict(
    settings="key,value\nhorizon,4\nmax_parallel_formations,1\n",
    organizations="org_id\nA\nB\nC\nD\nX\nY\n",
    categories="""
        category_id,base_lead,member_lead
        paper,1,1
        ink,2,0
    """,
    demand="""
        org_id,category_id,quantity,baseline_price
        A,paper,50,10
        B,paper,10,9.5
        C,paper,40,12
        D,paper,50,9
        Y,paper,80,12
        X,ink,10,10
    """,
    offers="""
        supplier_id,category_id,capacity,fixed_cost
        P,paper,120,20
        I,ink,,0
    """,
    tiers="""
        supplier_id,category_id,min_quantity,unit_price
        P,paper,0,9
        P,paper,100,6
        I,ink,0,5
    """,
    collaboration="org_a,org_b\nA,B\nA,D\n",
)
L001, L002 = Lot("paper", "P", ("A",), 1), Lot("ink", "I", ("X",), 2)


def test_left_out_pairs_of_a_plan(tmp_path: Path) -> None:
    inst = build(tmp_path / "inst", **REASONS_5_AND_6)
    outcomes = plan(inst, [L001, L002])
    assert [o.net for o in outcomes] == pytest.approx([130, 50])
    assert binding_periods(inst, outcomes) == [1, 2, 3]
    got = reasons(coverage(inst, outcomes, ["L001", "L002"]))
    assert got == {
        # with D: 100 units at 6, lead 2, live 3: (50 * 4 + 50 * 3) * 2 - 20 = 680, 550
        # more; but forming in 1-2 (or 2-3) meets L002's formation
        ("D", "paper"): (
            LEFT_OUT,
            "would join L001 given another formation slot (+550.00 GBP, starting in period 1)",
        ),
        # with B: 60 units at 9, live 3: (50 + 5) * 2 - 20 = 90, 40 less; alone it saves
        # 5 a period: 3 * 5 - 20 = -5
        ("B", "paper"): (
            LEFT_OUT,
            "joining any lot or forming one alone would lower the plan's value (best: form "
            "a lot of its own on P, -5.00 GBP)",
        ),
        # no link to A; alone from period 1: 3 * 40 * 3 - 20 = 340, but every start up to
        # period 3 meets a formation and one in 4 would go live after the horizon
        ("C", "paper"): (
            LEFT_OUT,
            "would form a lot of its own on P given another formation slot (+340.00 GBP, "
            "starting in period 1)",
        ),
        # 50 + 80 units exceed P's capacity 120, and Y has no link to A
        ("Y", "paper"): (
            LEFT_OUT,
            "no lot can take it: it has no collaboration link to L001's members; alone it "
            "misses a first tier, its baseline, the horizon or capacity",
        ),
    }


def test_a_pair_the_search_missed(tmp_path: Path) -> None:
    inst = build(tmp_path / "inst", **REASONS_5_AND_6)
    got = reasons(coverage(inst, plan(inst, [L002]), ["L001"]))
    # A alone, forming in 1: 3 * 50 - 20 = 130, within the formation limit
    assert got[("A", "paper")] == (
        MISSED,
        "would form a lot of its own on P within the formation limit (+130.00 GBP, starting "
        "in period 1): the search stopped before finding it",
    )


def test_without_a_formation_limit_every_gain_is_missed(tmp_path: Path) -> None:
    tables = dict(REASONS_5_AND_6, settings="key,value\nhorizon,4\n")
    inst = build(tmp_path / "inst", **tables)
    got = reasons(coverage(inst, plan(inst, [L001, L002]), ["L001", "L002"]))
    assert got[("D", "paper")][0] == MISSED and got[("C", "paper")][0] == MISSED
    assert got[("B", "paper")][0] == LEFT_OUT
    assert binding_periods(inst, plan(inst, [L001, L002])) == []


def test_a_fully_pooled_plan_leaves_nothing_out(tmp_path: Path) -> None:
    inst = build(tmp_path / "inst", **REASONS_1_TO_4)
    full = coverage(inst, plan(inst, [Lot("paper", "P", ("S1", "S4"), 1)]))
    assert full.as_dict()["demand_pairs"] == 10
    assert coverage(inst, []).pooled == 0 and coverage(inst, []).volume_share == 0.0


# --- against brute force on random tiny instances --------------------------------------

GAIN = re.compile(
    r"would (?:join (\S+)|form a lot of its own on (\S+)) .*\(\+([\d,.]+) \S+, "
    r"starting in period (\d+)\)"
)


def _possible_lots(inst: Instance, o: str, c: str) -> list[LotOutcome]:
    """Every lot containing o in c that breaks no rule of a lot on its own and fits its
    offer's capacity."""
    others = [p for (p, cat) in inst.demand_of if cat == c and p != o]
    found = []
    for k in range(len(others) + 1):
        for rest in itertools.combinations(others, k):
            for offer in inst.offers_in[c]:
                for start in range(1, inst.settings.horizon + 1):
                    out, problems = price_lot(inst, Lot(c, offer.supplier_id, (o, *rest), start))
                    if (
                        out is not None
                        and not problems
                        and out.volume <= offer.capacity * (1 + 1e-9)
                    ):
                        found.append(out)
    return found


def _changed(lots: list[Lot], inst: Instance, o: str, c: str, name: str, start: int) -> list[Lot]:
    if name.startswith("L"):
        i = int(name[1:]) - 1
        old = lots[i]
        return [*lots[:i], Lot(c, old.supplier_id, (*old.members, o), start), *lots[i + 1 :]]
    return [*lots, Lot(c, name, (o,), start)]


def _check_against_brute_force(inst: Instance, outcomes: list[LotOutcome]) -> None:
    lots = [out.lot for out in outcomes]
    names = [f"L{i + 1:03d}" for i in range(len(lots))]
    base = assess_plan(inst, lots)
    assert base.feasible
    unlimited = inst.organizations.assign(max_parallel_formations=pd.NA)
    free = dataclasses.replace(  # no formation limit: neither the central one nor own ones
        inst,
        settings=dataclasses.replace(inst.settings, max_parallel_formations=None),
        organizations=unlimited,
    )
    tol = 1e-6 * max(1.0, abs(base.objective))
    for u in coverage(inst, outcomes, names).uncovered:
        o, c = u.org_id, u.category_id
        where = f"{o}/{c}: {u.reason}: {u.detail}"
        if u.reason in (NO_OFFER, NOT_IN_TIME):
            assert _possible_lots(inst, o, c) == [], where
        elif u.reason == ABOVE_BASELINE:
            d, b = inst.demand_of[(o, c)]
            for out in _possible_lots(inst, o, c):
                assert out.member_price[o] > b * (1 + 1e-9), where
        elif u.reason == TOO_SMALL:
            cost = inst.category[c].coordination_cost
            for out in _possible_lots(inst, o, c):
                assert out.weight * out.member_saving[o] <= cost + 1e-6, where
        elif (m := GAIN.search(u.detail)) is not None:
            name, gain, start = (
                m.group(1) or m.group(2),
                float(m.group(3).replace(",", "")),
                int(m.group(4)),
            )
            changed = _changed(lots, inst, o, c, name, start)
            judged = assess_plan(inst if u.reason == MISSED else free, changed)
            assert judged.feasible, (where, judged.violations)
            assert judged.objective - base.objective == pytest.approx(gain, abs=0.006), where
            if u.reason == LEFT_OUT:
                assert not assess_plan(inst, changed).feasible, where
        else:  # nothing gains, even with more formation slots
            assert u.reason == LEFT_OUT, where
            ready = inst.pair_ready[(o, c)]
            tries = [
                _changed(lots, inst, o, c, names[i], max(lot.start, ready))
                for i, lot in enumerate(lots)
                if lot.category_id == c
            ] + [_changed(lots, inst, o, c, f.supplier_id, ready) for f in inst.offers_in[c]]
            for changed in tries:
                judged = assess_plan(free, changed)
                assert not judged.feasible or judged.objective <= base.objective + tol, where


@pytest.mark.parametrize("seed", range(60))
def test_reasons_hold_against_brute_force(seed: int) -> None:
    from consortia import solve
    from consortia.data.reader import instance_from_tables
    from tiny_random import random_tiny_tables

    inst = instance_from_tables(random_tiny_tables(seed))
    _check_against_brute_force(inst, [])
    _check_against_brute_force(inst, solve(inst).outcomes)


@pytest.mark.parametrize("seed", range(40))
def test_reasons_hold_under_contract_expiry_and_own_limits(seed: int) -> None:
    """As above on instances with pair readiness (spec section 9) and organizations'
    own formation limits (section 10): 'could join within every rule' must keep
    rule 8b too."""
    from consortia import solve
    from consortia.data.reader import instance_from_tables
    from tiny_random import random_v2_tables

    inst = instance_from_tables(random_v2_tables(seed))
    _check_against_brute_force(inst, [])
    _check_against_brute_force(inst, solve(inst).outcomes)


def test_a_join_that_breaks_an_own_limit_is_not_missed() -> None:
    """instances/tiny/own_capacity with B's food lot and A's energy lot both formed in
    period 1: A joining B's lot from period 1 would gain 28 (40 - 12) but A would then
    help form two lots at once against its limit of 1 (rule 8b), so the pair is left
    out for lack of formation capacity, not missed by the search."""
    from consortia.data.reader import read_instance
    from consortia.rules.plan import assess_plan

    inst = read_instance(Path(__file__).resolve().parents[2] / "instances/tiny/own_capacity")
    lots = [Lot("food", "S1", ("B",), 1), Lot("energy", "S1", ("A",), 1)]
    judged = assess_plan(inst, lots)
    assert judged.feasible
    found = {
        (u.org_id, u.category_id): u
        for u in coverage(inst, judged.outcomes, ["L001", "L002"]).uncovered
    }
    assert found[("A", "food")].reason == LEFT_OUT, found[("A", "food")].detail


def test_a_join_behind_many_unlinked_lots_is_found(tmp_path: Path) -> None:
    """With a collaboration graph a left-out pair is tried only in the lots that hold
    a neighbour (and the first lots, for the refusals it reports): X links to A5 alone,
    whose lot is the plan's fifth, and joining it gains 4 periods x 10 x (12 - 10) =
    80 with no fixed cost, against 75 alone (fixed cost 5)."""
    orgs = ["A1", "A2", "A3", "A4", "A5", "X"]
    inst = build(
        tmp_path / "inst",
        organizations="org_id\n" + "\n".join(orgs),
        categories="category_id\npaper\n",
        demand="org_id,category_id,quantity,baseline_price\n"
        + "\n".join(f"{o},paper,10,12" for o in orgs),
        offers="supplier_id,category_id,fixed_cost\nP,paper,5\n",
        tiers="supplier_id,category_id,min_quantity,unit_price\nP,paper,0,10\n",
        collaboration="org_a,org_b\nA1,A2\nA5,X\n",
    )
    lots = [Lot("paper", "P", (o,), 1) for o in orgs[:5]]
    names = [f"L{i + 1:03d}" for i in range(5)]
    got = reasons(coverage(inst, plan(inst, lots), names))
    assert got[("X", "paper")] == (
        MISSED,
        "would join L005 within the formation limit (+80.00 GBP, starting in period 1): "
        "the search stopped before finding it",
    )
