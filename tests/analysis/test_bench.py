"""consortia bench: tables, summary rows and the performance profile."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import INSTANCES
from consortia.analysis.bench import shifted_geometric_mean
from consortia.analysis.ledger import Ledger
from consortia.cli import main


def test_shifted_geometric_mean() -> None:
    assert shifted_geometric_mean([0.0, 0.0]) == pytest.approx(0.0)
    assert shifted_geometric_mean([10.0, 30.0], shift=10) == pytest.approx((20 * 40) ** 0.5 - 10)


def test_bench_command(tmp_path: Path) -> None:
    bench_set = tmp_path / "set"
    for name in ("capacity", "incremental"):
        shutil.copytree(INSTANCES / "tiny" / name, bench_set / name)
    out = tmp_path / "out"
    ledger = tmp_path / "runs.sqlite"
    result = CliRunner().invoke(
        main,
        [
            "bench",
            str(bench_set),
            "--formulations",
            "compact,compact-delta",
            "--time-limit",
            "20",
            "--out",
            str(out),
            "--ledger",
            str(ledger),
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "results.csv")
    assert len(table) == 4 and set(table["status"]) == {"optimal"}
    assert sorted(table["objective"]) == pytest.approx([60, 60, 360, 360])
    assert {"root_bound", "build_s", "solve_s", "nodes", "peak_mib"} <= set(table.columns)
    summary = (out / "results.md").read_text()
    assert "| compact | 2 | 2 |" in summary and "shifted geometric mean" in summary
    assert (out / "profile.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(Ledger(ledger).runs()) == 4


def test_bench_refuses_unknown_formulations_and_empty_sets(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(main, ["bench", str(INSTANCES / "tiny"), "--formulations", "magic"])
    assert bad.exit_code == 2 and "unknown formulation" in bad.output
    (tmp_path / "empty").mkdir()
    empty = runner.invoke(main, ["bench", str(tmp_path / "empty")])
    assert empty.exit_code == 2 and "holds no instances" in empty.output


def test_bench_reproduces_published_cflp_optima(tmp_path: Path) -> None:
    bench_set = tmp_path / "cflp"
    for name in ("delmaire-p1", "holmberg-p1"):
        shutil.copytree(INSTANCES / "cflp" / name, bench_set / name)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "bench",
            str(bench_set),
            "--gap",
            "1e-9",
            "--out",
            str(out),
            "--ledger",
            str(tmp_path / "runs.sqlite"),
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "results.csv")
    assert list(table["status"]) == ["optimal", "optimal"]
    assert list(table["published"]) == [2014.0, 8848.0]
    assert list(table["reproduced"]) == [True, True]
    assert "2 are reported optimal, and 2 of those reproduce it" in result.output


def test_every_cflp_set_instance_has_a_published_optimum() -> None:
    import json

    folders = [p for p in (INSTANCES / "cflp").iterdir() if p.is_dir()]
    assert len(folders) == 9
    for folder in folders:
        meta = json.loads((folder / "cflp.json").read_text())
        assert meta["published"] > 0 and meta["offset"] > meta["published"]
