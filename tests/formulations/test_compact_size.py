"""The size estimate of the compact model is never below the model built."""

from __future__ import annotations

import pytest

from conftest import INSTANCES
from consortia.backend.highs import to_highs
from consortia.data.reader import instance_from_tables, read_instance
from consortia.formulations.candidates import build_candidates
from consortia.formulations.compact.build import build_model
from consortia.formulations.compact.index import build_index
from consortia.formulations.compact.size import estimate_compact
from tiny_random import random_tiny_tables


@pytest.mark.parametrize(
    "path",
    [INSTANCES / "demo", INSTANCES / "small" / "s20-seed1", INSTANCES / "small" / "s20-seed4"],
)
def test_estimate_covers_the_built_model(path) -> None:
    idx = build_index(build_candidates(read_instance(path)))
    built = to_highs(build_model(idx)).nonzeros
    estimate = estimate_compact(idx).nonzeros
    assert built <= estimate <= 4 * built + 1000


def test_estimate_covers_random_tiny_models() -> None:
    for seed in range(40):
        idx = build_index(build_candidates(instance_from_tables(random_tiny_tables(seed))))
        if not idx.slots:
            continue
        assert to_highs(build_model(idx)).nonzeros <= estimate_compact(idx).nonzeros, seed
