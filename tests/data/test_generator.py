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


# ------------------------------------------- contract expiry and specialist staff


def test_timing_columns_are_drawn_within_their_ranges() -> None:
    from consortia.data.generator import expiry_horizon

    tables = generate_instance(GeneratorOptions(400, 5, 10, 20, seed=8))
    ready = tables["demand"]["ready_period"].astype(int)
    assert ready.between(1, expiry_horizon(20)).all() and expiry_horizon(20) == 10
    # most bodies are tied into a contract at the start: about 80% of the pairs
    assert 0.72 <= (ready > 1).mean() <= 0.88
    assert set(ready) == set(range(1, 11))  # every quarter of the first 2.5 years
    orgs = tables["organizations"]
    k = orgs["max_parallel_formations"].astype(int)
    assert set(k) == {1, 2, 3}
    assert (k[orgs["sector"] == "school"] == 1).all()  # no school spends £20m
    assert (k[orgs["sector"] == "police"] >= 2).all()  # a median force spends £150m
    inst = instance_from_tables(tables)
    assert inst.org_capacity == dict(zip(orgs["org_id"], k, strict=True))
    assert {p: r for p, r in inst.pair_ready.items() if r > 1}  # some pairs must wait
    pairs = zip(tables["demand"]["org_id"], tables["demand"]["category_id"], strict=True)
    assert all(
        inst.pair_ready[pair] == max(inst.ready[pair[0]], r)
        for pair, r in zip(pairs, ready, strict=True)
    )


def test_short_horizons_keep_expiry_within_two_quarters() -> None:
    from consortia.data.generator import expiry_horizon

    assert [expiry_horizon(t) for t in (1, 2, 4, 12, 20, 32, 40)] == [2, 2, 2, 6, 10, 16, 16]
    ready = generate_instance(GeneratorOptions(30, 3, 4, 3, seed=1))["demand"]["ready_period"]
    assert set(ready.astype(int)) == {1, 2}


def test_timing_columns_are_deterministic_per_seed() -> None:
    a = generate_instance(GeneratorOptions(60, 4, 6, 12, seed=21))
    b = generate_instance(GeneratorOptions(60, 4, 6, 12, seed=21))
    c = generate_instance(GeneratorOptions(60, 4, 6, 12, seed=22))
    for table, column in (("demand", "ready_period"), ("organizations", "max_parallel_formations")):
        pd.testing.assert_series_equal(a[table][column], b[table][column])
    assert not a["demand"]["ready_period"].equals(c["demand"]["ready_period"])


def test_without_timing_limits_the_instance_is_the_version_1_one() -> None:
    drawn = generate_instance(GeneratorOptions(50, 4, 6, 12, seed=3))
    plain = generate_instance(GeneratorOptions(50, 4, 6, 12, seed=3, timing_limits=False))
    assert "ready_period" not in plain["demand"].columns
    assert "max_parallel_formations" not in plain["organizations"].columns
    # the timing draws come from a stream of their own: every other cell is the same
    for table in drawn:
        extra = {"ready_period"} if table == "demand" else {"max_parallel_formations"}
        kept = [c for c in drawn[table].columns if c not in extra]
        pd.testing.assert_frame_equal(drawn[table][kept], plain[table])
    v1 = instance_from_tables(plain)
    assert not v1.org_capacity and set(v1.pair_ready.values()) <= set(v1.ready.values())


def test_generate_command_writes_valid_instances_with_and_without_the_columns(
    tmp_path: Path,
) -> None:
    from click.testing import CliRunner

    from consortia.cli import main

    runner = CliRunner()
    for flag, folder in (([], tmp_path / "v2"), (["--no-timing-limits"], tmp_path / "v1")):
        args = ["generate", str(folder), "--orgs", "15", "--periods", "8", *flag]
        assert runner.invoke(main, args).exit_code == 0
        checked = runner.invoke(main, ["validate", str(folder)])
        assert checked.exit_code == 0 and "valid" in checked.output
    assert "ready_period" in (tmp_path / "v2" / "demand.csv").read_text().splitlines()[0]
    assert "ready_period" not in (tmp_path / "v1" / "demand.csv").read_text().splitlines()[0]
    header = (tmp_path / "v2" / "organizations.csv").read_text().splitlines()[0]
    assert header.endswith("max_parallel_formations")
    assert "max_parallel" not in (tmp_path / "v1" / "organizations.csv").read_text()
    v1, v2 = read_instance(tmp_path / "v1"), read_instance(tmp_path / "v2")
    assert v1.sha256 != v2.sha256
    assert "Default: drawn" in runner.invoke(main, ["generate", "--help"]).output
