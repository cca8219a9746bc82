"""The timing columns of spec sections 9 and 10 in instance files: contract expiry
(``demand.ready_period``) and each body's specialist staff
(``organizations.max_parallel_formations``). Bad values are refused by ``validate``
and ``solve`` with exit 2, named by table, spreadsheet row and column, nothing
written; empty cells are the defaults; columns holding only defaults keep a
version-1 instance's content hash."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import FIXTURES
from consortia import read_instance
from consortia.cli import main
from consortia.data.generator import write_instance_tables
from consortia.data.reader import load_raw_tables

BAD_READY = ["0", "-1", "1.5", "soon"]
BAD_CAPACITY = ["0", "2.5", "two"]
EMPTY = ("", "", "")


def _instance(
    tmp_path: Path, ready: tuple[str, ...], capacity: tuple[str, ...], kind: str = "csv"
) -> Path:
    """The pooling fixture (A, B, C buying paper: rows 2, 3, 4 of both tables) with
    the column ``demand.ready_period`` set to `ready` and
    ``organizations.max_parallel_formations`` to `capacity`, as a CSV folder or
    (kind ``xlsx``) a workbook whose number cells are numbers."""
    folder = tmp_path / "csv"
    shutil.copytree(FIXTURES / "pooling", folder)
    for table, column, values in (
        ("demand", "ready_period", ready),
        ("organizations", "max_parallel_formations", capacity),
    ):
        frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
        assert list(frame["org_id"]) == ["A", "B", "C"]
        frame[column] = list(values)
        frame.to_csv(folder / f"{table}.csv", index=False)
    if kind == "csv":
        return folder
    raw, problems = load_raw_tables(folder)
    assert not problems
    return write_instance_tables(raw, tmp_path / "inst.xlsx")


def _run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def _named(output: str, table: str, row: int, column: str) -> bool:
    return re.search(rf"{table}, row {row}, column '{column}'", output) is not None


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("bad", BAD_READY)
def test_bad_contract_expiry_is_refused_and_named(tmp_path: Path, kind: str, bad: str) -> None:
    # the bad value in row 3 (B); row 2 empty (default), row 4 a valid period
    source = _instance(tmp_path, ("", bad, "4"), EMPTY, kind)
    _refused(tmp_path, source, "demand", 3, "ready_period", bad)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("bad", BAD_CAPACITY)
def test_bad_specialist_staff_is_refused_and_named(tmp_path: Path, kind: str, bad: str) -> None:
    source = _instance(tmp_path, EMPTY, ("2", "", bad), kind)
    _refused(tmp_path, source, "organizations", 4, "max_parallel_formations", bad)


def _refused(tmp_path: Path, source: Path, table: str, row: int, column: str, bad: str) -> None:
    """validate and solve exit 2 naming exactly this one problem; solve writes nothing."""
    code, out = _run("validate", source)
    assert code == 2 and _named(out, table, row, column), out
    assert bad in out and "1 problem" in out, out
    plan = tmp_path / "plan"
    code, out = _run("solve", source, "--out", plan, "--quiet")
    assert code == 2 and _named(out, table, row, column), out
    assert "Traceback" not in out
    assert not plan.exists()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_empty_cells_are_the_defaults(tmp_path: Path, kind: str) -> None:
    source = _instance(tmp_path, ("", "3", ""), ("", "1", ""), kind)
    inst = read_instance(source)
    assert inst.pair_ready == {("A", "paper"): 1, ("B", "paper"): 3, ("C", "paper"): 1}
    assert inst.org_capacity == {"B": 1}  # A and C: unlimited


def test_effective_readiness_is_the_later_of_body_and_contract(tmp_path: Path) -> None:
    folder = _instance(tmp_path, ("2", "2", ""), EMPTY)
    orgs = pd.read_csv(folder / "organizations.csv", dtype=str, keep_default_na=False)
    orgs.assign(ready_period=["3", "1", "2"]).to_csv(folder / "organizations.csv", index=False)
    inst = read_instance(folder)
    assert inst.pair_ready == {("A", "paper"): 3, ("B", "paper"): 2, ("C", "paper"): 2}


@pytest.mark.parametrize(
    "ready,capacity",
    [(("", "", ""), ("", "", "")), (("1", "", "1"), ("", "", "")), (("1", "1", "1"), ("", "", ""))],
)
def test_columns_holding_only_defaults_keep_the_version_1_hash(
    tmp_path: Path, ready: tuple[str, ...], capacity: tuple[str, ...]
) -> None:
    v1 = read_instance(FIXTURES / "pooling").sha256
    for kind in ("csv", "xlsx"):
        work = tmp_path / kind
        work.mkdir()
        assert read_instance(_instance(work, ready, capacity, kind)).sha256 == v1


@pytest.mark.parametrize(
    "ready,capacity", [(("", "2", ""), ("", "", "")), (("", "", ""), ("", "", "3"))]
)
def test_a_value_other_than_the_default_changes_the_hash(
    tmp_path: Path, ready: tuple[str, ...], capacity: tuple[str, ...]
) -> None:
    changed = read_instance(_instance(tmp_path, ready, capacity))
    assert changed.sha256 != read_instance(FIXTURES / "pooling").sha256
