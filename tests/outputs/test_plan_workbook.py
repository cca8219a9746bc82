"""plan.xlsx as an analyst opens it: sheets, frozen and filterable headers, number
formats, names beside ids, quarter labels beside period numbers, column widths."""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pytest

from conftest import INSTANCES
from consortia import read_instance, solve
from consortia.outputs.plan_files import (
    CELL_LIMIT,
    MAX_WIDTH,
    join_names,
    money_format,
    write_plan_workbook,
)
from consortia.solvers.result import Result

GBP = '"£"#,##0.00'


@pytest.fixture(scope="module")
def demo_result() -> Result:
    return solve(read_instance(INSTANCES / "demo"))


@pytest.fixture(scope="module")
def book(demo_result: Result, tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("xlsx") / "plan.xlsx"
    write_plan_workbook(demo_result, path)
    return openpyxl.load_workbook(path)


def _columns(sheet) -> dict[str, int]:
    return {cell.value: cell.column for cell in sheet[1]}


def _row(sheet, row: int) -> dict[str, object]:
    return {name: sheet.cell(row, col) for name, col in _columns(sheet).items()}


def test_sheets_headers_and_filters(book) -> None:
    assert book.sheetnames == ["summary", "lots", "members", "timeline"]
    sizes = {"summary": None, "lots": 3, "members": 10, "timeline": 8}
    for name, rows in sizes.items():
        sheet = book[name]
        assert sheet.freeze_panes in ("A2", "B2", "C2")  # the header row (and the ids) stay
        last = sheet.cell(1, sheet.max_column).column_letter
        assert sheet.auto_filter.ref == f"A1:{last}{sheet.max_row}"
        assert all(cell.font.bold for cell in sheet[1])
        if rows is not None:
            assert sheet.max_row == rows + 1
        for col in range(1, sheet.max_column + 1):
            width = sheet.column_dimensions[sheet.cell(1, col).column_letter].width
            assert len(str(sheet.cell(1, col).value)) + 2 <= width <= MAX_WIDTH
    assert book["lots"].freeze_panes == "B2" and book["summary"].freeze_panes == "A2"


def test_lots_sheet_has_names_labels_and_formats(book) -> None:
    lots = book["lots"]
    columns = list(_columns(lots))
    assert columns[columns.index("formation_start") + 1] == "start_quarter"
    assert columns[columns.index("live_period") + 1] == "live_quarter"
    row = _row(lots, 3)  # L002
    assert row["lot_id"].value == "L002"
    assert (
        row["category"].value == "Electricity" and row["supplier"].value == "Central Energy Buying"
    )
    assert row["formation_start"].value == 3 and row["start_quarter"].value == "2027Q3"
    assert row["live_period"].value == 7 and row["live_quarter"].value == "2028Q3"
    assert row["members"].value == 5 and row["members"].number_format == "#,##0"
    assert row["member_names"].value == (
        "Kent County Council; Kent Academies Trust; East Kent Hospitals NHS Trust; "
        "Kent Fire and Rescue Service; London Borough of Bexley"
    )
    assert row["volume"].number_format == "#,##0.0"
    for money in ("unit_price", "savings_per_period", "net_savings"):
        assert row[money].number_format == GBP
    assert math.isclose(row["net_savings"].value, 158_120.84957505995)
    assert row["formation_start"].number_format == "0"


def test_members_sheet_names_every_member(book) -> None:
    members = book["members"]
    names = {members.cell(r, 3).value for r in range(2, members.max_row + 1)}
    assert "Kent County Council" in names and "London Borough of Bexley" in names
    row = _row(members, 2)
    assert row["org_id"].value == "MBC" and row["name"].value == "Maidstone Borough Council"
    assert row["sector"].value == "council" and row["region"].value == "south_east"
    assert row["saved"].number_format == "0.00%"
    assert math.isclose(row["saved"].value, (158 - 152) / 158)
    assert row["baseline_price"].number_format == GBP
    assert row["quantity"].number_format == "#,##0.0"


def test_timeline_has_quarters_and_financial_years(book) -> None:
    timeline = book["timeline"]
    assert list(_columns(timeline))[:3] == ["period", "quarter", "financial_year"]
    assert [timeline.cell(r, 2).value for r in (2, 3, 9)] == ["2027Q1", "2027Q2", "2028Q4"]
    assert [timeline.cell(r, 3).value for r in (2, 3, 6, 7)] == [
        "FY2026-27",
        "FY2027-28",
        "FY2027-28",
        "FY2028-29",
    ]
    row = _row(timeline, 9)
    assert row["cumulative_savings"].number_format == GBP
    assert math.isclose(row["cumulative_savings"].value, 279_800.0)
    assert row["live_lots"].value == 3 and row["live_lots"].number_format == "#,##0"


def test_summary_formats_money_percentages_and_labels(book) -> None:
    summary = book["summary"]
    rows = {summary.cell(r, 1).value: summary.cell(r, 2) for r in range(2, summary.max_row + 1)}
    assert rows["status"].value == "optimal"
    assert rows["objective"].number_format == GBP
    assert math.isclose(rows["objective"].value, 189_343.66620107525)
    assert rows["best_bound"].number_format == GBP
    assert rows["gap"].number_format == "0.00%"
    assert rows["lots"].value == 3 and rows["lots"].number_format == "#,##0"
    assert rows["target_period"].value == 8 and rows["target_period_label"].value == "2028Q4"
    assert rows["solve_seconds"].number_format == "0.00"


def test_other_currencies_and_numbered_periods(demo_copy: Path, tmp_path: Path) -> None:
    settings = demo_copy / "settings.csv"
    text = settings.read_text().replace("currency,GBP", "currency,SEK")
    settings.write_text(text.replace("period_start,2027Q1\n", ""))
    result = solve(read_instance(demo_copy))
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(result, path, {"objective": result.objective, "best_bound": math.inf})
    book = openpyxl.load_workbook(path)
    assert "start_quarter" not in _columns(book["lots"])
    assert list(_columns(book["timeline"]))[:2] == ["period", "forming_lots"]
    assert _row(book["lots"], 2)["net_savings"].number_format == '#,##0.00 "SEK"'
    summary = {book["summary"].cell(r, 1).value: book["summary"].cell(r, 2).value for r in (2, 3)}
    assert summary["best_bound"] is None  # no proven bound: an empty cell, not inf


def test_money_formats() -> None:
    assert money_format("GBP") == GBP
    assert money_format("EUR", 0) == '"€"#,##0'
    assert money_format("usd") == '"$"#,##0.00'
    assert money_format("CHF") == '#,##0.00 "CHF"'


def test_member_names_fit_in_one_cell() -> None:
    names = [f"Organization with a fairly long name number {i}" for i in range(5_000)]
    text = join_names(names)
    assert len(text) <= CELL_LIMIT and text.endswith("more") and text.startswith(names[0])
    assert join_names(["a", "b"]) == "a; b"
