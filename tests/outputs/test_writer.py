"""Atomic writing of plans."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES
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
