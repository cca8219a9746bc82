"""Atomic writing of plans."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, INSTANCES
from consortia import read_instance, solve, write_result


def test_failed_verification_writes_nothing_and_keeps_the_old_plan(tmp_path: Path) -> None:
    inst = read_instance(FIXTURES / "pooling")
    result = solve(inst)
    target = tmp_path / "plan"
    write_result(result, target)
    previous = (target / "lots.csv").read_text()
    (target / "lots.csv").write_text(previous + "# kept\n")

    def refuse(folder: Path) -> None:
        assert (folder / "lots.csv").exists()  # verification sees the full plan
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        write_result(result, target, verify=refuse)
    assert (target / "lots.csv").read_text() == previous + "# kept\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plan"]


def test_written_plan_round_trips_through_the_checker(tmp_path: Path) -> None:
    from consortia import check_plan

    inst = read_instance(FIXTURES / "timeline")
    result = solve(inst)
    folder = write_result(result, tmp_path / "a" / "b" / "plan")
    report = check_plan(inst, folder)
    assert report.ok and report.objective == pytest.approx(result.objective)
    assert folder.stat().st_mode & 0o777 != 0o700  # not the private mode of a temp dir


def test_summary_keeps_every_key_and_adds_the_savings_and_coverage_figures(
    tmp_path: Path,
) -> None:
    import json

    inst = read_instance(FIXTURES / "pooling")
    result = solve(inst)
    folder = write_result(result, tmp_path / "plan")
    summary = json.loads((folder / "summary.json").read_text())
    assert set(result.summary()) <= set(summary)  # every key other code reads is kept
    added = {
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
        "demand_pairs",
        "demand_pairs_pooled",
        "pooled_volume_share",
        "pooled_spend_share",
        "left_out_reasons",
        "formation_limit",
        "formation_limit_binding_periods",
        "slot_value",
    }
    assert added <= set(summary)
    assert summary["net_savings"] == pytest.approx(summary["objective"])
    assert summary["net_savings_measure"] == "net savings"  # no discount rate
    assert summary["gross_savings_cumulative"] - summary["one_off_costs"] == pytest.approx(
        summary["net_savings_undiscounted"]
    )
    assert summary["slot_value"] is None and summary["formation_limit"] is None


def test_uncovered_csv_is_written_listed_in_the_mark_and_atomic(tmp_path: Path) -> None:
    import json

    import pandas as pd

    from consortia.folders import MARK_FILE
    from consortia.outputs.writer import plan_coverage

    inst = read_instance(INSTANCES / "demo")
    result = solve(inst)
    seen: list[str] = []

    def look(folder: Path) -> None:  # the checker's turn: every file is already there
        seen.extend(sorted(p.name for p in folder.iterdir()))

    folder = write_result(result, tmp_path / "plan", verify=look)
    assert "uncovered.csv" in seen
    mark = json.loads((folder / MARK_FILE).read_text())
    assert "uncovered.csv" in mark["files"]
    table = pd.read_csv(folder / "uncovered.csv")
    assert list(table.columns) == [
        "org_id",
        "category_id",
        "quantity",
        "baseline_spend",
        "reason",
        "detail",
    ]
    covered = plan_coverage(result)
    assert len(table) == len(covered.uncovered) == covered.pairs - covered.pooled
    # the demo leaves KAT's devices out: 120 a period would save at most 4,569.43 by the
    # horizon at the best price (780), against its coordination cost of 5,000
    assert table.to_dict("records") == [
        {
            "org_id": "KAT",
            "category_id": "ict",
            "quantity": 120.0,
            "baseline_spend": 94_800.0,
            "reason": "too small to pay its coordination cost",
            "detail": "even at 780.00 on DGF from period 5, its savings to the horizon would "
            "be at most 4,569.43, against a coordination cost of 5,000.00",
        }
    ]
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["left_out_reasons"] == {"too small to pay its coordination cost": 1}
    assert summary["demand_pairs"] == 11 and summary["demand_pairs_pooled"] == 10

    # a refused write leaves the previous folder, uncovered.csv included, as it was
    before = (folder / "uncovered.csv").read_text()

    def refuse(tmp: Path) -> None:
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        write_result(solve(read_instance(FIXTURES / "pooling")), folder, verify=refuse)
    assert (folder / "uncovered.csv").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]


def test_an_empty_uncovered_csv_keeps_its_header(tmp_path: Path) -> None:
    from consortia.outputs.writer import plan_coverage

    inst = read_instance(FIXTURES / "pooling")
    result = solve(inst)
    assert plan_coverage(result).uncovered == []  # A, B and C pool
    folder = write_result(result, tmp_path / "plan")
    assert (folder / "uncovered.csv").read_text().splitlines() == [
        "org_id,category_id,quantity,baseline_spend,reason,detail"
    ]
