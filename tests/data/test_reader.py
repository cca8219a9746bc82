"""Reading instances: typed tables, defaults, CSV <-> xlsx round trips, every bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import FIXTURES, INSTANCES
from consortia import InvalidInstanceError, UsageError, read_instance, solve
from consortia.data.generator import write_instance_tables
from consortia.data.reader import load_raw_tables


def test_defaults_are_applied() -> None:
    inst = read_instance(FIXTURES / "pooling")
    assert inst.settings.horizon == 4
    assert inst.settings.max_parallel_formations is None
    assert inst.settings.individually_rational is True
    assert inst.settings.currency == "GBP"
    assert inst.ready["A"] == 1
    s2 = inst.offer[("S2", "paper")]
    assert s2.capacity == float("inf") and s2.available_from == 1 and s2.regions == frozenset()
    assert inst.category["paper"].max_members is None
    assert inst.edges is None  # no collaboration table: no restriction


def _workbook(folder: Path, target: Path) -> Path:
    raw, problems = load_raw_tables(folder)
    assert not problems
    return write_instance_tables(raw, target)


@pytest.mark.parametrize("folder", [FIXTURES / "timeline", INSTANCES / "demo"])
def test_csv_xlsx_round_trip(folder: Path, tmp_path: Path) -> None:
    csv_inst = read_instance(folder)
    book = _workbook(folder, tmp_path / "inst.xlsx")
    xlsx_inst = read_instance(book)
    assert xlsx_inst.sha256 == csv_inst.sha256
    for table in ("organizations", "demand", "offers", "tiers", "categories"):
        pd.testing.assert_frame_equal(getattr(csv_inst, table), getattr(xlsx_inst, table))
    back = write_instance_tables(load_raw_tables(book)[0], tmp_path / "again")
    assert read_instance(back).sha256 == csv_inst.sha256
    assert solve(xlsx_inst).objective == pytest.approx(solve(csv_inst).objective)


def _problems(folder: Path) -> list:
    with pytest.raises(InvalidInstanceError) as err:
        read_instance(folder)
    return err.value.problems


def _write(folder: Path, table: str, text: str) -> None:
    (folder / f"{table}.csv").write_text(text.strip() + "\n", encoding="utf-8")


BAD = [
    # (table, new content, expected (table, row, column, message part))
    (
        "demand",
        "org_id,category_id,quantity\nA,paper,40",
        ("demand", None, "baseline_price", "required column is missing"),
    ),
    (
        "demand",
        "org_id,category_id,quantity,baseline_price,colour\nA,paper,40,10,red",
        ("demand", None, "colour", "unknown column 'colour'"),
    ),
    (
        "demand",
        "org_id,category_id,quantity,baseline_price\nA,paper,40,10\nZ,paper,3,10",
        ("demand", 3, "org_id", "unknown organization 'Z'"),
    ),
    (
        "demand",
        "org_id,category_id,quantity,baseline_price\nA,paper,-4,10",
        ("demand", 2, "quantity", "must be greater than 0"),
    ),
    (
        "demand",
        "org_id,category_id,quantity,baseline_price\nA,paper,lots,10",
        ("demand", 2, "quantity", "'lots' is not a number"),
    ),
    (
        "demand",
        "org_id,category_id,quantity,baseline_price\nA,paper,nan,10",
        ("demand", 2, "quantity", "not a finite number"),
    ),
    (
        "demand",
        "org_id,category_id,quantity,baseline_price\nA,paper,inf,10",
        ("demand", 2, "quantity", "not a finite number"),
    ),
    (
        "demand",
        "org_id,category_id,quantity,baseline_price\nA,paper,4,10\nA,paper,5,10",
        ("demand", 3, "category_id", "repeats row 2"),
    ),
    (
        "demand",
        "org_id,category_id,quantity,baseline_price\nA,,4,10",
        ("demand", 2, "category_id", "value is missing"),
    ),
    (
        "organizations",
        "org_id,ready_period\nA,1.5\nB,0\nC,1",
        ("organizations", 2, "ready_period", "not a whole number"),
    ),
    (
        "organizations",
        "org_id,ready_period\nA,1\nB,0\nC,1",
        ("organizations", 3, "ready_period", "must be at least 1"),
    ),
    ("organizations", "org_id\nA\nB\nC\nA", ("organizations", 5, "org_id", "repeats row 2")),
    (
        "tiers",
        "supplier_id,category_id,min_quantity,unit_price\nS1,paper,0,10.2\nS1,paper,50,10.5\n"
        "S1,paper,80,9.0\nS2,paper,0,10.0\nS2,paper,60,8.0",
        ("tiers", 3, "unit_price", "prices must not increase"),
    ),
    (
        "tiers",
        "supplier_id,category_id,min_quantity,unit_price\nS1,paper,0,10.2\nS1,paper,0,9.5\n"
        "S2,paper,0,10.0",
        ("tiers", 3, "min_quantity", "strictly increasing"),
    ),
    (
        "tiers",
        "supplier_id,category_id,min_quantity,unit_price\nS1,paper,0,10.2\nS2,paper,10,10.0",
        ("tiers", 3, "min_quantity", "must start at 0"),
    ),
    (
        "tiers",
        "supplier_id,category_id,min_quantity,unit_price\nS1,paper,0,10.2",
        ("offers", 3, "supplier_id", "has no tiers"),
    ),
    (
        "tiers",
        "supplier_id,category_id,min_quantity,unit_price\nS1,paper,0,10.2\nS2,paper,0,10\n"
        "S3,paper,0,9",
        ("tiers", 4, "category_id", "supplier 'S3' has no offer"),
    ),
    (
        "offers",
        "supplier_id,category_id,discount\nS1,paper,bulk\nS2,paper,incremental",
        ("offers", 2, "discount", "'bulk' is not one of"),
    ),
    (
        "categories",
        "category_id,min_members,max_members\npaper,3,2",
        ("categories", 2, "max_members", "less than min_members"),
    ),
    ("settings", "key,value\nhorizon,4\nhorizn,5", ("settings", 3, "key", "unknown key 'horizn'")),
    (
        "settings",
        "key,value\nperiod_start,2010Q1",
        ("settings", None, "key", "'horizon' is missing"),
    ),
    ("settings", "key,value\nhorizon,four", ("settings", 2, "value", "'four' is not a number")),
    (
        "settings",
        "key,value\nhorizon,4\nindividually_rational,maybe",
        ("settings", 3, "value", "not true or false"),
    ),
    ("collaboration", "org_a,org_b\nA,A", ("collaboration", 2, "org_b", "linked to itself")),
    (
        "surcharges",
        "org_id,supplier_id,category_id,unit_surcharge\nA,S1,paper,-1",
        ("surcharges", 2, "unit_surcharge", "must be at least 0"),
    ),
    ("extras", "a,b\n1,2", ("extras", None, None, "unknown table 'extras'")),
]


@pytest.mark.parametrize(
    "table,content,expected", BAD, ids=[f"{b[2][0]}-{b[2][3][:18]}" for b in BAD]
)
def test_bad_input_is_named(pooling_copy: Path, table: str, content: str, expected) -> None:
    _write(pooling_copy, table, content)
    problems = _problems(pooling_copy)
    table_name, row, column, part = expected
    assert any(
        p.table == table_name and p.row == row and p.column == column and part in p.message
        for p in problems
    ), [str(p) for p in problems]


def test_missing_table(pooling_copy: Path) -> None:
    (pooling_copy / "tiers.csv").unlink()
    assert any(p.table == "tiers" and "missing" in p.message for p in _problems(pooling_copy))


def test_every_problem_is_collected(pooling_copy: Path) -> None:
    _write(
        pooling_copy,
        "demand",
        "org_id,category_id,quantity,baseline_price\nA,paper,x,10\nQ,paper,3,-1\nB,tea,3,10",
    )
    _write(pooling_copy, "settings", "key,value\nhorizon,0")
    found = {(p.table, p.row, p.column) for p in _problems(pooling_copy)}
    assert {
        ("demand", 2, "quantity"),
        ("demand", 3, "org_id"),
        ("demand", 3, "baseline_price"),
        ("demand", 4, "category_id"),
        ("settings", 2, "value"),
    } <= found


def test_corrupt_csv(pooling_copy: Path) -> None:
    (pooling_copy / "demand.csv").write_bytes(b"org_id,category_id\n\xff\xfe\x00bad")
    assert any(p.table == "demand" and "cannot read" in p.message for p in _problems(pooling_copy))


def test_empty_csv(pooling_copy: Path) -> None:
    (pooling_copy / "demand.csv").write_text("")
    assert any(p.table == "demand" and "empty" in p.message for p in _problems(pooling_copy))


def test_corrupt_workbook(tmp_path: Path) -> None:
    book = tmp_path / "broken.xlsx"
    book.write_bytes(b"this is not a zip file")
    with pytest.raises(InvalidInstanceError) as err:
        read_instance(book)
    assert "cannot read workbook" in str(err.value)


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        read_instance(tmp_path / "nowhere")


def test_things_that_take_no_part_are_valid(pooling_copy: Path) -> None:
    _write(pooling_copy, "categories", "category_id,base_lead,member_lead\npaper,1,0.5\nunused,0,0")
    _write(pooling_copy, "organizations", "org_id,region,ready_period\nA,,1\nB,,1\nC,,1\nIDLE,,99")
    _write(pooling_copy, "collaboration", "org_a,org_b")
    inst = read_instance(pooling_copy)
    result = solve(inst)
    # An empty collaboration table is a graph without edges: single-member lots only.
    assert all(len(o.lot.members) == 1 for o in result.outcomes)
