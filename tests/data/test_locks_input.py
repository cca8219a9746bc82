"""Reading the supplier rules (spec section 11) and the locks table (section 12):
typed access, content hashes, and every bad value named by table, row and column,
in a CSV folder and in a workbook, by ``validate`` and ``solve`` (exit 2, nothing
written)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, INSTANCES
from consortia import InvalidInstanceError, read_instance
from consortia.cli import main
from consortia.data.generator import write_instance_tables
from consortia.data.instance import Lock
from consortia.data.reader import instance_from_tables, load_raw_tables
from consortia.data.tables import instance_to_tables

# The timeline fixture: D, E, F buy energy (offered by S3 only), D and F buy ict
# (offered by S4 only); E has no demand in ict.
LOCKS_HEADER = "rule,org_id,category_id,supplier_id,other_org_id"


@pytest.fixture
def timeline_copy(tmp_path: Path) -> Path:
    target = tmp_path / "timeline"
    shutil.copytree(FIXTURES / "timeline", target)
    return target


def _write(folder: Path, table: str, text: str) -> None:
    (folder / f"{table}.csv").write_text(text.strip() + "\n", encoding="utf-8")


def _locks(folder: Path, *rows: str) -> None:
    _write(folder, "locks", "\n".join([LOCKS_HEADER, *rows]))


def _as_workbook(folder: Path) -> Path:
    raw, problems = load_raw_tables(folder)
    assert not problems
    return write_instance_tables(raw, folder.parent / "inst.xlsx")


# (table, content, expected (table, row, column, part of the message))
BAD = [
    ("locks", ["pin,D,energy,,"], ("locks", 2, "rule", "'pin' is not one of")),
    ("locks", ["join,D,energy,,", ",D,energy,,"], ("locks", 3, "rule", "value is missing")),
    ("locks", ["join,Z,energy,,"], ("locks", 2, "org_id", "unknown organization 'Z'")),
    ("locks", ["join,D,tea,,"], ("locks", 2, "category_id", "unknown category 'tea'")),
    ("locks", ["join,E,ict,,"], ("locks", 2, "org_id", "'E' has no demand in category 'ict'")),
    ("locks", ["exclude,D,ict,S9,"], ("locks", 2, "supplier_id", "unknown supplier 'S9'")),
    (
        "locks",
        ["join,D,energy,S3,", "join,D,ict,S3,"],
        ("locks", 3, "supplier_id", "supplier 'S3' has no offer in category 'ict'"),
    ),
    (
        "locks",
        ["together,D,energy,S3,E"],
        ("locks", 2, "supplier_id", "a together lock names no supplier"),
    ),
    ("locks", ["together,D,ict,,"], ("locks", 2, "other_org_id", "value is missing")),
    ("locks", ["apart,D,energy,,"], ("locks", 2, "other_org_id", "value is missing")),
    (
        "locks",
        ["join,D,energy,,E"],
        ("locks", 2, "other_org_id", "a join lock names one organization"),
    ),
    (
        "locks",
        ["exclude,D,energy,S3,E"],
        ("locks", 2, "other_org_id", "an exclude lock names one organization"),
    ),
    ("locks", ["apart,D,ict,,Q"], ("locks", 2, "other_org_id", "unknown organization 'Q'")),
    (
        "locks",
        ["together,D,ict,,E"],
        ("locks", 2, "other_org_id", "'E' has no demand in category 'ict'"),
    ),
    ("locks", ["apart,D,ict,,D"], ("locks", 2, "other_org_id", "'D' is the lock's org_id too")),
    (
        "offers",
        ["supplier_id,category_id,regions,max_share", "S3,energy,north,0", "S4,ict,,0.5"],
        ("offers", 2, "max_share", "must be greater than 0"),
    ),
    (
        "offers",
        ["supplier_id,category_id,regions,max_share", "S3,energy,north,", "S4,ict,,1.5"],
        ("offers", 3, "max_share", "must be at most 1"),
    ),
    (
        "offers",
        ["supplier_id,category_id,regions,max_share", "S3,energy,north,-0.2", "S4,ict,,"],
        ("offers", 2, "max_share", "must be greater than 0"),
    ),
    (
        "offers",
        ["supplier_id,category_id,regions,max_share", "S3,energy,north,half", "S4,ict,,"],
        ("offers", 2, "max_share", "'half' is not a number"),
    ),
    (
        "categories",
        ["category_id,base_lead,member_lead,max_suppliers", "energy,2,0,0", "ict,1,1,"],
        ("categories", 2, "max_suppliers", "must be at least 1"),
    ),
    (
        "categories",
        ["category_id,base_lead,member_lead,max_suppliers", "energy,2,0,1", "ict,1,1,1.5"],
        ("categories", 3, "max_suppliers", "not a whole number"),
    ),
]


def _apply(folder: Path, table: str, rows: list[str]) -> None:
    if table == "locks":
        _locks(folder, *rows)
    else:
        _write(folder, table, "\n".join(rows))


def _named(problems, expected) -> bool:
    table, row, column, part = expected
    return any(
        p.table == table and p.row == row and p.column == column and part in p.message
        for p in problems
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("table,rows,expected", BAD, ids=[f"{b[2][2]}-{b[2][3][:24]}" for b in BAD])
def test_bad_value_is_named(timeline_copy: Path, fmt: str, table, rows, expected) -> None:
    _apply(timeline_copy, table, rows)
    path = timeline_copy if fmt == "csv" else _as_workbook(timeline_copy)
    with pytest.raises(InvalidInstanceError) as err:
        read_instance(path)
    assert _named(err.value.problems, expected), [str(p) for p in err.value.problems]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_validate_and_solve_refuse_with_exit_2(timeline_copy: Path, fmt: str) -> None:
    """Every problem is listed at once, and solve writes nothing."""
    _locks(timeline_copy, "join,E,ict,,", "together,D,ict,,", "pin,D,energy,,", "apart,D,ict,S4,F")
    _write(
        timeline_copy,
        "offers",
        "supplier_id,category_id,regions,max_share\nS3,energy,north,2\nS4,ict,,",
    )
    path = timeline_copy if fmt == "csv" else _as_workbook(timeline_copy)
    runner = CliRunner()
    validated = runner.invoke(main, ["validate", str(path)])
    assert validated.exit_code == 2 and "Traceback" not in validated.output
    for line in (
        "locks, row 2, column 'org_id': 'E' has no demand in category 'ict'",
        "locks, row 3, column 'other_org_id': value is missing",
        "locks, row 4, column 'rule': 'pin' is not one of join, exclude, together, apart",
        "locks, row 5, column 'supplier_id': an apart lock names no supplier",
        "offers, row 2, column 'max_share': '2' must be at most 1",
    ):
        assert line in validated.output, validated.output
    out = path.parent / "plan"
    solved = runner.invoke(main, ["solve", str(path), "--out", str(out), "--quiet"])
    assert solved.exit_code == 2 and not out.exists()
    assert "locks, row 2, column 'org_id'" in solved.output


def test_locks_without_a_required_column(timeline_copy: Path) -> None:
    _write(timeline_copy, "locks", "org_id,category_id\nD,energy")
    with pytest.raises(InvalidInstanceError) as err:
        read_instance(timeline_copy)
    assert _named(err.value.problems, ("locks", None, "rule", "required column is missing"))


def test_repeated_and_contradicting_locks_are_valid(timeline_copy: Path) -> None:
    """A repeated lock changes nothing and contradicting locks make an infeasible
    instance (spec section 13); neither is a validation error."""
    _locks(
        timeline_copy,
        "join,D,energy,,",
        "join,D,energy,,",
        "exclude,D,energy,,",
        "together,D,energy,,E",
        "apart,E,energy,,D",
    )
    inst = read_instance(timeline_copy)
    assert [lock.row for lock in inst.lock_records] == [2, 3, 4, 5, 6]
    assert inst.lock_records[3] == Lock(5, "together", "D", "energy", None, "E")
    assert str(inst.lock_records[3]) == "lock row 5 (together D and E in energy)"


def test_typed_access_and_defaults(timeline_copy: Path) -> None:
    base = read_instance(timeline_copy)
    assert base.locks is None and base.lock_records == () and base.locks_in == {}
    assert base.max_suppliers == {}
    assert {o.max_share for o in base.offer.values()} == {1.0}
    _write(
        timeline_copy,
        "categories",
        "category_id,base_lead,member_lead,max_suppliers\nenergy,2,0,\nict,1,1,2",
    )
    _write(
        timeline_copy,
        "offers",
        "supplier_id,category_id,regions,max_share\nS3,energy,north,0.25\nS4,ict,,",
    )
    # a blank line is no row but counts: the second lock is on row 4
    (timeline_copy / "locks.csv").write_text(
        f"{LOCKS_HEADER}\njoin,D,ict,S4,\n\nexclude,F,energy,,\n", encoding="utf-8"
    )
    inst = read_instance(timeline_copy)
    assert inst.max_suppliers == {"ict": 2}
    assert inst.offer[("S3", "energy")].max_share == 0.25
    assert inst.offer[("S4", "ict")].max_share == 1.0
    assert inst.lock_records == (
        Lock(2, "join", "D", "ict", "S4", None),
        Lock(4, "exclude", "F", "energy", None, None),
    )
    assert str(inst.lock_records[0]) == "lock row 2 (join D in ict on S4)"
    assert str(inst.lock_records[1]) == "lock row 4 (exclude F from energy)"
    assert set(inst.locks_in) == {"ict", "energy"}
    # typed tables back to raw tables keep the locks' rows
    again = instance_from_tables(instance_to_tables(inst))
    assert again.lock_records == inst.lock_records
    assert again.sha256 == inst.sha256


# the content hash of the pooling example before the supplier rules and locks existed
POOLING_SHA256 = "e1d4b2d536fdfc9310a81664c0a6da8e84122a2f974456649661b36eb72b4c64"


def test_version_1_instances_keep_their_hash(pooling_copy: Path) -> None:
    assert read_instance(pooling_copy).sha256 == POOLING_SHA256
    # the new columns at their defaults and a locks table without rows change nothing
    _write(
        pooling_copy,
        "categories",
        "category_id,name,unit,base_lead,member_lead,max_suppliers\npaper,Office paper,box,1,0.5,",
    )
    (pooling_copy / "offers.csv").write_text(
        "supplier_id,category_id,capacity,fixed_cost,discount,max_share\n"
        "S1,paper,80,5,all_units,1\nS2,paper,,20,incremental,\n",
        encoding="utf-8",
    )
    _locks(pooling_copy)
    assert read_instance(pooling_copy).sha256 == POOLING_SHA256
    _locks(pooling_copy, "join,A,paper,,")
    assert read_instance(pooling_copy).sha256 != POOLING_SHA256


@pytest.mark.parametrize("name", ["max_share", "lock_join", "infeasible_locks"])
def test_workbook_reads_as_the_folder(name: str, tmp_path: Path) -> None:
    folder = tmp_path / name
    shutil.copytree(INSTANCES / "tiny" / name, folder)
    book = read_instance(_as_workbook(folder))
    csv = read_instance(folder)
    assert book.sha256 == csv.sha256
    assert book.lock_records == csv.lock_records
    assert {k: o.max_share for k, o in book.offer.items()} == {
        k: o.max_share for k, o in csv.offer.items()
    }
