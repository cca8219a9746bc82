"""The synthetic generator: seeded, valid, calibrated."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from consortia.data.generator import GeneratorOptions, generate_instance, write_instance_tables
from consortia.data.reader import instance_from_tables, read_instance


def test_same_seed_same_instance() -> None:
    a = generate_instance(GeneratorOptions(40, 5, 10, 12, seed=3))
    b = generate_instance(GeneratorOptions(40, 5, 10, 12, seed=3))
    c = generate_instance(GeneratorOptions(40, 5, 10, 12, seed=4))
    for table in a:
        pd.testing.assert_frame_equal(a[table], b[table])
    assert not a["demand"].equals(c["demand"])


def test_generated_instances_are_valid_and_sized() -> None:
    for seed in range(5):
        inst = instance_from_tables(generate_instance(GeneratorOptions(25, 9, 12, 16, seed=seed)))
        assert len(inst.organizations) == 25
        assert len(inst.categories) == 9
        assert len(inst.suppliers) == 12
        assert inst.settings.horizon == 16
        assert all(len(inst.offers_in[c]) >= 1 for c in inst.category)
        for off in inst.offer.values():
            assert 2 <= len(off.tiers) <= 5
            deepest = 1 - off.tiers[-1][1] / off.tiers[0][1]
            assert 0.04 <= deepest <= 0.21


def test_sector_mix_follows_the_uk_population() -> None:
    tables = generate_instance(GeneratorOptions(2000, 3, 5, 8, seed=11))
    share = tables["organizations"]["sector"].value_counts(normalize=True)
    assert 0.40 <= share["school"] <= 0.50
    assert 0.16 <= share["council"] <= 0.24


def test_written_folder_and_workbook_read_back(tmp_path: Path) -> None:
    tables = generate_instance(GeneratorOptions(15, 3, 5, 8, seed=2))
    folder = read_instance(write_instance_tables(tables, tmp_path / "g"))
    book = read_instance(write_instance_tables(tables, tmp_path / "g.xlsx"))
    assert folder.sha256 == book.sha256


def test_large_instances_get_a_sparse_reproducible_graph() -> None:
    from consortia.data.generator import GeneratorOptions, generate_instance

    first = generate_instance(GeneratorOptions(3000, 4, 40, 12, 5))
    again = generate_instance(GeneratorOptions(3000, 4, 40, 12, 5))
    edges = first["collaboration"]
    assert edges.equals(again["collaboration"])
    ids = set(first["organizations"]["org_id"])
    assert set(edges["org_a"]) <= ids and set(edges["org_b"]) <= ids
    assert (edges["org_a"] != edges["org_b"]).all()
    assert not edges.duplicated().any()
    degree = 2 * len(edges) / len(ids)
    assert 3 < degree < 20  # a handful of partners each, not thousands
    from consortia.data.reader import instance_from_tables

    instance_from_tables(first)  # valid
