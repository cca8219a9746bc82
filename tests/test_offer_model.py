"""The offer model's restricted first pass: which offers it keeps, and that the
full model after it stays exact."""

from __future__ import annotations

import pytest

import consortia.offer_model as offer_model
from consortia.bruteforce import enumerate_optimum
from consortia.candidates import build_candidates
from consortia.reader import instance_from_tables
from consortia.solve import solve
from consortia.solve_options import SolveOptions
from test_differential import _merge_friendly
from tiny_random import random_tiny_tables


def test_restricted_keeps_each_organizations_best_offers() -> None:
    for seed in range(60):
        inst = instance_from_tables(_merge_friendly(random_tiny_tables(seed)))
        cands = build_candidates(inst)
        narrow = offer_model.restricted(cands, 1)
        assert set(narrow.threshold) <= set(cands.threshold)
        by_pair: dict[tuple[str, str], list[str]] = {}
        for o, s, c in narrow.threshold:
            by_pair.setdefault((o, c), []).append(s)
        for (o, c), kept in by_pair.items():
            assert len(kept) == 1
            margin = {
                s: inst.demand_of[(o, c)][1] - inst.surcharge.get((o, s, c), 0.0)
                for (oo, s, cc) in cands.threshold
                if (oo, cc) == (o, c)
            }
            assert margin[kept[0]] == max(margin.values())
        assert {(o, c) for o, _, c in narrow.threshold} == {(o, c) for o, _, c in cands.threshold}


def test_full_model_after_a_restricted_pass_is_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(offer_model, "RESTRICT_MIN_PAIRS", 0)
    monkeypatch.setattr(offer_model, "RESTRICTED_OFFERS", 1)
    passes = 0
    for seed in range(80):
        inst = instance_from_tables(_merge_friendly(random_tiny_tables(seed)))
        expected, _ = enumerate_optimum(inst)
        result = solve(inst, SolveOptions(formulation="offers"))
        passes += any("restricted pass" in m for m in result.messages)
        assert result.status == "optimal", seed
        assert result.objective == pytest.approx(expected, abs=1e-6 * max(1.0, abs(expected)))
    assert passes >= 10
