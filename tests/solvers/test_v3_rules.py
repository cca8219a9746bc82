"""Supplier rules (spec section 11), locks (section 12) and infeasible instances
(section 13) in every formulation, against the brute-force enumerator.

Every formulation either refuses an instance that sets these rules, in a sentence
naming the rule's section, or takes it and is honest: its plan keeps every rule,
is worth no more than the optimum, its bound is no lower, it never returns a plan
for an instance without one, and it says ``infeasible`` only when none exists.
The exact ones (the compact model in its three tier forms, ``auto`` and
``decompose``, both finished by the compact model) prove the optimum, or prove
that no plan exists.
"""

from __future__ import annotations

import functools
import math

import pandas as pd
import pyomo.environ as pyo
import pytest

from conftest import INSTANCES
from consortia.data.instance import Instance
from consortia.data.reader import instance_from_tables, read_instance
from consortia.formulations.candidates import build_candidates
from consortia.formulations.compact.build import build_model
from consortia.formulations.compact.index import build_index
from consortia.formulations.compact.solution import encode_plan
from consortia.rules.plan import LotOutcome, assess_plan
from consortia.solvers.base import SolveContext
from consortia.solvers.bruteforce import optimum_or_none
from consortia.solvers.options import SolveOptions
from consortia.solvers.registry import names, strategy
from consortia.solvers.result import Result
from tiny_random import random_v3_tables

COMPACT = ("compact", "compact-delta", "compact-convex")
# exact on tiny instances: the optimum, or a proof that none exists
EXACT = (*COMPACT, "auto", "decompose")
TAKE_RULES = (*COMPACT, "columns", "decompose", "auto")
COMPACT_SEEDS = range(300)
OTHER_SEEDS = range(80)
# hand-derived optima (instances/tiny/README.md); None: no feasible plan
HAND = {
    "max_suppliers": 48,
    "max_share": 75,
    "lock_join": 6,
    "lock_exclude": 25,
    "lock_together": 30,
    "lock_apart": 10,
    "infeasible_locks": None,
}


@functools.cache
def instance(seed: int) -> Instance:
    return instance_from_tables(random_v3_tables(seed))


@functools.cache
def optimum(seed: int) -> tuple[float, list[LotOutcome]] | None:
    return optimum_or_none(instance(seed))


def coupled_tables(seed: int) -> dict[str, pd.DataFrame]:
    """A random_v3 instance with a second category copied from the first (its
    locks too), lead times of at least one period and one formation at a time:
    categories that need lots compete for the formation limit."""
    tables = {name: frame.copy() for name, frame in random_v3_tables(seed).items()}
    if len(tables["categories"]) == 1:
        for name in ("categories", "demand", "offers", "tiers", "surcharges", "locks"):
            if name in tables:
                copy = tables[name].copy()
                copy["category_id"] = "C1"
                tables[name] = pd.concat([tables[name], copy], ignore_index=True)
    cats = tables["categories"]
    cats["base_lead"] = [str(max(1, int(v))) for v in cats["base_lead"]]
    settings = tables["settings"]
    settings = settings[settings["key"] != "max_parallel_formations"]
    limit = pd.DataFrame([{"key": "max_parallel_formations", "value": "1"}])
    tables["settings"] = pd.concat([settings, limit], ignore_index=True)
    return tables


def run(inst: Instance, formulation: str) -> Result | str:
    """The formulation's result, or its refusal."""
    chosen = strategy(formulation)
    ctx = SolveContext.of(inst, SolveOptions(formulation=formulation))
    reason = chosen.supports(ctx)
    return reason if reason is not None else chosen.solve(ctx)


def judge(inst: Instance, best: float | None, result: Result, exact: bool) -> str | None:
    """What is wrong with the result, given the optimum `best` (None: no plan
    exists), or None."""
    if best is None:
        if result.has_plan or result.status not in ("infeasible", "no_plan"):
            return f"{result.status} with a plan, but no plan exists"
        if exact and result.status != "infeasible":
            return f"{result.status}, not proven infeasible"
        return None
    if not result.has_plan:
        if result.status == "infeasible" or exact:
            return f"{result.status}, but the optimum is {best}"
        return None  # a heuristic that found no plan claims nothing
    assessment = assess_plan(inst, [o.lot for o in result.outcomes])
    if not assessment.feasible:
        return "plan breaks " + "; ".join(assessment.violations)
    if result.objective > best + 1e-6:
        return f"objective {result.objective} above the optimum {best}"
    if result.best_bound < best - 1e-6:
        return f"bound {result.best_bound} below the optimum {best}"
    if exact and result.status != "optimal":
        return f"{result.status} (objective {result.objective}, bound {result.best_bound})"
    if result.status == "optimal" and abs(result.objective - best) > 1e-6:
        return f"claims {result.objective} optimal, the optimum is {best}"
    return None


def assert_refusal_is_a_sentence(reason: str, sections: set[str]) -> None:
    """One line of words; for an instance that sets supplier rules or locks, it
    names their sections and the formulations that take them."""
    assert "\n" not in reason and "Traceback" not in reason, reason
    assert len(reason.split()) >= 8, reason
    if sections:
        assert all(f"spec section {k}" in reason for k in sections), reason
        assert all(name in reason for name in ("compact", "columns", "auto")), reason


def sections_set(inst: Instance) -> set[str]:
    """The sections of the rules the instance sets beyond their defaults."""
    found = set()
    if inst.lock_records:
        found.add("12")
    limited = any(k < len(inst.offers_in.get(c, ())) for c, k in inst.max_suppliers.items()) or any(
        o.max_share < 1 for o in inst.offer.values()
    )
    if limited:
        found.add("11")
    return found


def test_random_instances_exercise_every_rule_and_infeasibility() -> None:
    kinds = {lock.rule for seed in COMPACT_SEEDS for lock in instance(seed).lock_records}
    assert kinds == {"join", "exclude", "together", "apart"}
    infeasible = sum(optimum(seed) is None for seed in COMPACT_SEEDS)
    assert 30 <= infeasible <= 80
    assert any(instance(seed).max_suppliers for seed in COMPACT_SEEDS)
    assert any(o.max_share < 1 for seed in COMPACT_SEEDS for o in instance(seed).offer.values())
    # lots that lose money every period may be needed (rule 9 off, forced lots)
    assert any(
        not instance(seed).settings.individually_rational
        and (found := optimum(seed)) is not None
        and any(o.savings_per_period < 0 for o in found[1])
        for seed in COMPACT_SEEDS
    )


@pytest.mark.parametrize("formulation", COMPACT)
@pytest.mark.parametrize("chunk", range(3))
def test_compact_models_match_brute_force(formulation: str, chunk: int) -> None:
    wrong = []
    for seed in COMPACT_SEEDS[chunk::3]:
        found = optimum(seed)
        result = run(instance(seed), formulation)
        assert not isinstance(result, str), result
        why = judge(instance(seed), None if found is None else found[0], result, exact=True)
        if why is not None:
            wrong.append(f"seed {seed}: {why}")
    assert not wrong, wrong


@pytest.mark.parametrize("form", ["multiple_choice", "delta", "convex"])
def test_compact_model_holds_the_optimal_plan_at_its_value(form: str) -> None:
    """The brute-force optimum, written into the model's variables, keeps every row
    and is worth the optimum in the model: the new families cut off no plan, and
    lots that lose money are valued exactly (not only the plans HiGHS returns)."""
    checked = 0
    for seed in range(100):
        found = optimum(seed)
        if found is None:
            continue
        idx = build_index(build_candidates(instance(seed)))
        m = build_model(idx, form)
        values = encode_plan(m, idx, found[1])
        assert values is not None, seed
        for var, x in values.items():
            var.set_value(x, skip_validation=True)
        for row in m.component_data_objects(pyo.Constraint):
            body = pyo.value(row.body)
            low = None if row.lower is None else pyo.value(row.lower)
            high = None if row.upper is None else pyo.value(row.upper)
            assert low is None or body >= low - 1e-6, (seed, row.name, body, low)
            assert high is None or body <= high + 1e-6, (seed, row.name, body, high)
        assert pyo.value(m.net_savings) == pytest.approx(found[0], abs=1e-6), seed
        checked += 1
    assert checked >= 70


@pytest.mark.parametrize("formulation", [n for n in names() if n not in COMPACT])
def test_every_other_formulation_takes_the_rules_honestly_or_refuses(formulation: str) -> None:
    wrong = []
    refused = taken = 0
    for seed in OTHER_SEEDS:
        inst = instance(seed)
        found = optimum(seed)
        result = run(inst, formulation)
        if isinstance(result, str):
            assert formulation not in TAKE_RULES, result
            assert_refusal_is_a_sentence(result, sections_set(inst))
            refused += 1
            continue
        taken += 1
        best = None if found is None else found[0]
        why = judge(inst, best, result, exact=formulation in EXACT)
        if why is not None:
            wrong.append(f"seed {seed}: {why}")
    assert not wrong, wrong
    if formulation in TAKE_RULES:
        assert refused == 0 and taken == len(OTHER_SEEDS)


def test_column_generation_proves_infeasibility() -> None:
    """Phase 1 of the column generation proves (nearly) every infeasible instance
    infeasible by itself, where exact pricing covers every category."""
    infeasible = [seed for seed in COMPACT_SEEDS if optimum(seed) is None]
    proven = [seed for seed in infeasible if run(instance(seed), "columns").status == "infeasible"]
    assert len(proven) >= 0.9 * len(infeasible), sorted(set(infeasible) - set(proven))
    hand = read_instance(INSTANCES / "tiny" / "infeasible_locks")
    assert run(hand, "columns").status == "infeasible"


@pytest.mark.parametrize("formulation", ["decompose", "auto", "columns"])
def test_categories_competing_for_formations_under_locks(formulation: str) -> None:
    """Two categories with the same locks and one formation at a time: the category
    problems can each be feasible while no plan keeps the limit and both categories'
    join locks; the decomposition (and auto) still prove infeasibility or the optimum."""
    wrong = []
    for seed in range(40):
        inst = instance_from_tables(coupled_tables(seed))
        found = optimum_or_none(inst)
        result = run(inst, formulation)
        assert not isinstance(result, str), result
        best = None if found is None else found[0]
        why = judge(inst, best, result, exact=formulation in EXACT)
        if why is not None:
            wrong.append(f"seed {seed}: {why}")
    assert not wrong, wrong


@pytest.mark.parametrize("formulation", names())
@pytest.mark.parametrize("name", sorted(HAND))
def test_hand_checked_instances(name: str, formulation: str) -> None:
    inst = read_instance(INSTANCES / "tiny" / name)
    result = run(inst, formulation)
    if isinstance(result, str):
        assert formulation not in TAKE_RULES, result
        assert_refusal_is_a_sentence(result, sections_set(inst))
        pytest.skip(f"{formulation} refuses {name}: {result}")
    why = judge(inst, HAND[name], result, exact=formulation in EXACT)
    assert why is None, why


def test_no_plan_is_never_a_feasible_empty_plan() -> None:
    """A compact model too large for the time left falls back to the best known
    plan: on an instance whose join lock the greedy plan cannot meet, that is no
    plan at all (``no_plan``), not an empty plan called feasible."""
    inst = read_instance(INSTANCES / "tiny" / "infeasible_locks")
    ctx = SolveContext.of(inst, SolveOptions(formulation="compact", time_limit=1e-9))
    result = strategy("compact").solve(ctx)
    assert result.status == "no_plan" and not result.has_plan
    assert math.isnan(result.objective) and not result.outcomes
