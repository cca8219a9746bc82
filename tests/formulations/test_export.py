"""Exported models solve to the same optimum in a solver reading the file."""

from __future__ import annotations

from pathlib import Path

import highspy
import pytest
from click.testing import CliRunner

from conftest import FIXTURES, INSTANCES
from consortia.cli import main


@pytest.mark.parametrize("fmt", ["lp", "mps"])
@pytest.mark.parametrize(
    "instance,optimum",
    [
        (FIXTURES / "pooling", 170.0),
        (INSTANCES / "tiny" / "incremental", 360.0),
        (INSTANCES / "tiny" / "parallel_limit", 20.0),
    ],
)
def test_exported_model_reaches_the_optimum(
    tmp_path: Path, fmt: str, instance: Path, optimum: float
) -> None:
    out = tmp_path / f"model.{fmt}"
    result = CliRunner().invoke(main, ["export", str(instance), str(out), "--format", fmt])
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary left
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(out))
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(optimum)
    if fmt == "lp":
        text = out.read_text()
        assert "z(" in text and "volume_balance" in text  # readable names


def test_export_rejects_bad_input(pooling_copy: Path, tmp_path: Path) -> None:
    (pooling_copy / "tiers.csv").write_text("supplier_id,category_id,min_quantity,unit_price\n")
    result = CliRunner().invoke(
        main, ["export", str(pooling_copy), str(tmp_path / "m.lp"), "--format", "lp"]
    )
    assert result.exit_code == 2 and not (tmp_path / "m.lp").exists()
