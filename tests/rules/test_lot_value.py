"""The value of one lot is computed once (consortia.rules.spec.lot_value, used by
price_lot); the fast paths — greedy growth, greedy pricing's running sums, the
sharing game's stand-alone values — must agree with price_lot on random lots."""

from __future__ import annotations

import functools
import math
import random

import pytest

from consortia.analysis.sharing.game import LotGame
from consortia.data.instance import Instance
from consortia.data.reader import instance_from_tables
from consortia.formulations.candidates import build_candidates
from consortia.formulations.columns.greedy_pricing import CategoryPricer, _LotState, reduced_cost
from consortia.formulations.greedy import growth_value
from consortia.rules.plan import Lot, member_terms, price_lot
from consortia.rules.spec import lot_value, tier_cost
from tiny_random import random_tiny_tables

SEEDS = range(300)


@functools.cache
def _instance(seed: int) -> Instance:
    return instance_from_tables(random_tiny_tables(seed))


# problems the fast paths leave to their callers (their lots are grown along edges
# from members the offer serves), so the comparisons ignore them
LEFT_TO_CALLER = ("not connected", "does not serve")


def _close(a: float, b: float) -> bool:
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _random_lots(inst: Instance, rng: random.Random, per_offer: int = 4) -> list[Lot]:
    lots = []
    for c in inst.category:
        orgs = [o for o in inst.org_ids if (o, c) in inst.demand_of]
        if not orgs:
            continue
        for off in inst.offers_in[c]:
            for _ in range(per_offer):
                members = tuple(rng.sample(orgs, rng.randint(1, len(orgs))))
                start = rng.randint(1, inst.settings.horizon)
                lots.append(Lot(c, off.supplier_id, members, start))
    return lots


def _alone(inst: Instance, lot: Lot, capacity_tol: float) -> float:
    """price_lot's net of a lot judged alone (-inf if it breaks a rule of its own
    or exceeds its offer's capacity by itself)."""
    outcome, problems = price_lot(inst, lot)
    problems = [p for p in problems if not any(s in p for s in LEFT_TO_CALLER)]
    if outcome is None or problems:
        return -math.inf
    if outcome.volume > inst.offer[(lot.supplier_id, lot.category_id)].capacity * (
        1 + capacity_tol
    ):
        return -math.inf
    return outcome.net


@pytest.mark.parametrize("chunk", range(2))
def test_price_lot_is_the_factored_value(chunk: int) -> None:
    for seed in SEEDS[chunk::2]:
        inst = _instance(seed)
        rng = random.Random(seed)
        for lot in _random_lots(inst, rng):
            outcome, problems = price_lot(inst, lot)
            assert outcome is not None
            cat = inst.category[lot.category_id]
            off = inst.offer[(lot.supplier_id, lot.category_id)]
            value = lot_value(
                cat,
                off,
                member_terms(inst, lot.category_id, lot.supplier_id, lot.members),
                lot.start,
            )
            terms = value.terms
            assert (outcome.volume, outcome.cost, outcome.lead, outcome.live) == (
                terms.volume,
                terms.cost,
                terms.lead,
                terms.live,
            )
            assert outcome.one_off == terms.one_off
            assert tuple(outcome.member_price.values()) == value.prices
            assert tuple(outcome.member_saving.values()) == value.savings
            assert outcome.net == value.net(inst.live_weight(terms.live))
            # the spec's own words, independently of the factoring
            cost = tier_cost(off, outcome.volume)
            assert terms.below_first_tier == (cost is None)
            assert any("below the first tier" in p for p in problems) == (cost is None)
            irrational = any("more than its baseline" in p for p in problems)
            assert irrational == (inst.settings.individually_rational and bool(value.irrational))
            s_equiv = (
                math.fsum(
                    d * (b - h)
                    for d, b, h in member_terms(inst, lot.category_id, lot.supplier_id, lot.members)
                )
                - terms.cost
            )
            assert _close(outcome.savings_per_period, s_equiv)


@pytest.mark.parametrize("chunk", range(2))
def test_greedy_value_is_price_lot(chunk: int) -> None:
    for seed in SEEDS[chunk::2]:
        inst = _instance(seed)
        rng = random.Random(seed)
        for lot in _random_lots(inst, rng):
            cat = inst.category[lot.category_id]
            members = list(lot.members)
            got = growth_value(inst, lot.category_id, lot.supplier_id, members)
            if cat.max_members is not None and len(members) > cat.max_members:
                assert got == -math.inf
                continue
            start = max(inst.ready[o] for o in members)
            early = Lot(lot.category_id, lot.supplier_id, lot.members, start)
            outcome, problems = price_lot(inst, early)
            assert outcome is not None
            # greedy growth also values lots still below min_members
            problems = [p for p in problems if "members outside" not in p]
            problems = [p for p in problems if not any(s in p for s in LEFT_TO_CALLER)]
            capacity = inst.offer[(lot.supplier_id, lot.category_id)].capacity
            if problems or outcome.volume > capacity * (1 + 1e-9):
                expected = -math.inf
            else:
                expected = outcome.net
            assert _close(got, expected), (seed, lot, got, expected)


def test_sharing_game_stand_alone_is_price_lot() -> None:
    checked = 0
    for seed in SEEDS:
        inst = _instance(seed)
        rng = random.Random(seed)
        for lot in _random_lots(inst, rng, per_offer=1):
            if len(lot.members) < 2:
                continue
            outcome, _ = price_lot(inst, lot)
            assert outcome is not None
            game = LotGame(inst, outcome)
            for mask in range(1, game.full):
                group = tuple(o for i, o in enumerate(game.members) if mask >> i & 1)
                start = max(inst.ready[o] for o in group)
                best = 0.0
                for off in inst.offers_in[lot.category_id]:
                    if off.available_from > inst.settings.horizon:
                        continue
                    alone = Lot(lot.category_id, off.supplier_id, group, start)
                    out, problems = price_lot(inst, alone)
                    if out is None or problems or out.volume > off.capacity * (1 + 1e-12):
                        continue
                    best = max(best, out.net)
                assert _close(game.value(mask), best), (seed, lot, group)
                checked += 1
    assert checked > 500


def _rc(inst: Instance, lot: Lot, pi, mu, nu) -> float:  # type: ignore[no-untyped-def]
    """Reduced cost of a lot from price_lot's outcome, connectivity and regions aside."""
    net = _alone(inst, lot, 1e-9)
    outcome, _ = price_lot(inst, lot)
    assert outcome is not None
    return (
        net
        - sum(pi.get(o, 0.0) for o in lot.members)
        - mu.get(lot.supplier_id, 0.0) * outcome.volume
        - sum(nu.get(p, 0.0) for p in outcome.forming)
    )


def _duals(
    inst: Instance, rng: random.Random, cat_id: str
) -> tuple[dict[str, float], dict[str, float], dict[int, float]]:
    if rng.random() < 0.3:
        return {}, {}, {}
    pi = {o: rng.choice([0.0, 0.0, 5.0, 40.0]) for o in inst.org_ids}
    mu = {off.supplier_id: rng.choice([0.0, 0.0, 0.5]) for off in inst.offers_in[cat_id]}
    nu = {p: rng.choice([0.0, 0.0, 3.0]) for p in range(1, inst.settings.horizon + 1)}
    return pi, mu, nu


@pytest.mark.parametrize("chunk", range(2))
def test_greedy_pricing_running_sums_are_price_lot(chunk: int) -> None:
    """_LotState's O(horizon) evaluation picks the start price_lot values best, and
    reports the reduced cost price_lot gives that lot."""
    finite = 0
    for seed in SEEDS[chunk::2]:
        inst = _instance(seed)
        cands = build_candidates(inst)
        rng = random.Random(seed)
        for cat_id in inst.category:
            pricer = CategoryPricer(cands, cat_id)
            for s, pool in pricer.pool.items():
                for _ in range(4):
                    pi, mu, nu = _duals(inst, rng, cat_id)
                    members = rng.sample(pool, rng.randint(1, len(pool)))
                    state = _LotState(pricer, s, pi, mu, nu)
                    for o in members[:-1]:
                        state.add(o)
                    via_extra = state.evaluate(extra=members[-1])
                    state.add(members[-1])
                    rc, lot = state.evaluate()
                    assert _close(via_extra[0], rc) and via_extra[1] == lot

                    ordered = tuple(sorted(members, key=inst.org_index.__getitem__))
                    best = -math.inf
                    for start in range(1, inst.settings.horizon + 1):
                        best = max(best, _rc(inst, Lot(cat_id, s, ordered, start), pi, mu, nu))
                    assert _close(rc, best), (seed, cat_id, s, members, rc, best)
                    if lot is None:
                        assert rc == -math.inf
                        continue
                    finite += 1
                    assert lot.members == ordered
                    assert _close(_rc(inst, lot, pi, mu, nu), best)
                    if not price_lot(inst, lot)[1]:
                        assert _rc(inst, lot, pi, mu, nu) == reduced_cost(inst, lot, pi, mu, nu)
    assert finite > 200


def test_greedy_pricing_reports_price_lot_reduced_costs() -> None:
    for seed in SEEDS[:100]:
        inst = _instance(seed)
        cands = build_candidates(inst)
        rng = random.Random(seed)
        for cat_id in inst.category:
            pricer = CategoryPricer(cands, cat_id)
            pi, mu, nu = _duals(inst, rng, cat_id)
            for rc, lot in pricer.grow(pi, mu, nu):
                outcome, problems = price_lot(inst, lot)
                assert outcome is not None and not problems
                assert rc == reduced_cost(inst, lot, pi, mu, nu) > 1e-9
