"""Files as Excel writes them (issue #14): rows named as a spreadsheet shows them,
Windows-1252 and BOM CSV files, semicolons, workbook formulas and error cells,
implausible quantities, and generated workbooks that hold numbers."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from conftest import FIXTURES
from consortia import InvalidInstanceError, read_instance
from consortia.data.generator import write_instance_tables
from consortia.data.reader import load_raw_tables, read_with_warnings

DEMAND = "org_id,category_id,quantity,baseline_price\n"


def _problems(path: Path) -> list[str]:
    with pytest.raises(InvalidInstanceError) as err:
        read_instance(path)
    return [str(p) for p in err.value.problems]


def _workbook(folder: Path, target: Path) -> Path:
    raw, problems = load_raw_tables(folder)
    assert not problems
    return write_instance_tables(raw, target)


# ---------------------------------------------------------------- row numbers


def test_csv_rows_are_line_numbers_counting_blank_lines_and_quoted_newlines(
    pooling_copy: Path,
) -> None:
    (pooling_copy / "organizations.csv").write_text(
        'org_id,name\n\nA,"Ashford\nBorough"\nB,Bexley\r\nC,x\nA,again\n', encoding="utf-8"
    )
    # line 1 header, 2 blank, 3-4 A (a name over two lines), 5 B, 6 C, 7 A again
    assert "organizations, row 7, column 'org_id': 'A' repeats row 3 (must be unique)" in (
        _problems(pooling_copy)
    )


def test_first_data_row_is_row_2(pooling_copy: Path) -> None:
    (pooling_copy / "demand.csv").write_text(DEMAND + "A,paper,x,10\n", encoding="utf-8")
    assert _problems(pooling_copy) == ["demand, row 2, column 'quantity': 'x' is not a number"]


def test_workbook_rows_are_sheet_rows_across_blank_rows(pooling_copy: Path, tmp_path: Path) -> None:
    book_path = _workbook(pooling_copy, tmp_path / "inst.xlsx")
    book = load_workbook(book_path)
    sheet = book["demand"]
    sheet.insert_rows(3)  # a blank row 3: A stays on row 2, B moves to row 4
    sheet["C4"] = "lots"
    book.save(book_path)
    assert _problems(book_path) == ["demand, row 4, column 'quantity': 'lots' is not a number"]


# ---------------------------------------------------------------- CSV encodings


def test_windows_1252_csv_is_read_with_a_warning_naming_the_file(pooling_copy: Path) -> None:
    data = b"org_id,name\r\nA,Caf\xe9 \xa3 Ltd\r\nB,Bexley\r\nC,Canterbury\r\n"
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    (pooling_copy / "organizations.csv").write_bytes(data)
    reading = read_with_warnings(pooling_copy)
    names = reading.instance.organizations.set_index("org_id")["name"]
    assert names["A"] == "Café £ Ltd"
    [warning] = reading.warnings
    assert warning.table == "organizations" and warning.row is None
    assert "organizations.csv is not UTF-8 (byte 0xe9 on line 2)" in warning.message
    assert "Windows-1252" in warning.message


def test_bytes_neither_utf8_nor_windows_1252_are_refused(pooling_copy: Path) -> None:
    (pooling_copy / "organizations.csv").write_bytes(b"org_id,name\nA,x\x81y\nB,b\nC,c\n")
    [problem] = _problems(pooling_copy)
    assert problem.startswith("organizations: cannot read organizations.csv: it is neither")
    assert "byte 0x81 on line 2" in problem and '"CSV UTF-8 (comma delimited)"' in problem


def test_utf8_bom_is_accepted_silently(pooling_copy: Path) -> None:
    text = (pooling_copy / "organizations.csv").read_text(encoding="utf-8")
    (pooling_copy / "organizations.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    reading = read_with_warnings(pooling_copy)
    assert reading.warnings == ()
    assert reading.instance.sha256 == read_instance(FIXTURES / "pooling").sha256


def test_semicolon_separated_csv_is_refused_saying_how_to_save_it(pooling_copy: Path) -> None:
    (pooling_copy / "demand.csv").write_bytes(
        b"org_id;category_id;quantity;baseline_price\r\nA;paper;40;10,0\r\n"
    )
    assert _problems(pooling_copy) == [
        "demand: demand.csv is separated by semicolons, not commas; "
        'save it as "CSV UTF-8 (comma delimited)"'
    ]


# ---------------------------------------------------------------- workbook cells


def _with_cells(pooling_copy: Path, tmp_path: Path, cells: dict[str, object]) -> Path:
    """The pooling instance as a workbook with these demand cells set."""
    book_path = _workbook(pooling_copy, tmp_path / "inst.xlsx")
    book = load_workbook(book_path)
    for ref, value in cells.items():
        book["demand"][ref] = value
    book.save(book_path)
    return book_path


def _save_values(book_path: Path, sheet: str, values: dict[str, tuple[str, str]]) -> None:
    """Give formula cells the value Excel would have saved, as (cell type, value):
    openpyxl writes formulas without one."""
    index = load_workbook(book_path).sheetnames.index(sheet) + 1
    member = f"xl/worksheets/sheet{index}.xml"
    with zipfile.ZipFile(book_path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    xml = parts[member].decode("utf-8")
    for ref, (kind, value) in values.items():
        xml, n = re.subn(
            rf'<c r="{ref}"([^>]*)><f>(.*?)</f>(<v\s*/>|<v></v>)?</c>',
            rf'<c r="{ref}"\1 t="{kind}"><f>\2</f><v>{value}</v></c>',
            xml,
        )
        assert n == 1, ref
    parts[member] = xml.encode("utf-8")
    with zipfile.ZipFile(book_path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_formula_without_a_saved_value_names_its_cell(pooling_copy: Path, tmp_path: Path) -> None:
    book_path = _with_cells(pooling_copy, tmp_path, {"C3": "=C2-10"})
    assert _problems(book_path) == [
        "demand, row 3, column 'quantity': formula without a saved value: open and save "
        "the workbook in Excel (cell C3)"
    ]


def test_formula_with_a_saved_value_reads_the_value(pooling_copy: Path, tmp_path: Path) -> None:
    book_path = _with_cells(pooling_copy, tmp_path, {"C3": "=C2-10", "D3": "=D2+0.5"})
    _save_values(book_path, "demand", {"C3": ("n", "30"), "D3": ("n", "10.5")})
    assert read_instance(book_path).sha256 == read_instance(FIXTURES / "pooling").sha256


def test_formula_that_saved_an_error_names_its_cell(pooling_copy: Path, tmp_path: Path) -> None:
    book_path = _with_cells(pooling_copy, tmp_path, {"C3": "=C2/0"})
    _save_values(book_path, "demand", {"C3": ("e", "#DIV/0!")})
    assert _problems(book_path) == [
        "demand, row 3, column 'quantity': Excel error #DIV/0!: correct the formula or "
        "type the value (cell C3)"
    ]


@pytest.mark.parametrize("error", ["#N/A", "#DIV/0!", "#VALUE!", "#REF!"])
def test_excel_error_cells_are_errors_not_empty(
    pooling_copy: Path, tmp_path: Path, error: str
) -> None:
    # capacity may be empty (unlimited): an error there must not pass as empty
    book_path = _workbook(pooling_copy, tmp_path / "inst.xlsx")
    book = load_workbook(book_path)
    book["offers"]["C3"] = error
    assert book["offers"]["C3"].data_type == "e"
    book.save(book_path)
    assert _problems(book_path) == [
        f"offers, row 3, column 'capacity': Excel error {error}: correct the formula or "
        "type the value (cell C3)"
    ]


def test_unreadable_cells_outside_named_columns_name_the_cell(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "settings"
    sheet.append(["key", "value"])
    sheet.append(["horizon", 4])
    sheet["D2"] = "#N/A"
    book.save(tmp_path / "inst.xlsx")
    problems = _problems(tmp_path / "inst.xlsx")
    assert "settings, row 2: Excel error #N/A: correct the formula or type the value (cell D2)" in (
        problems
    )


# ---------------------------------------------------------------- implausible numbers


def test_quantity_far_above_its_category_median_is_a_warning(pooling_copy: Path) -> None:
    (pooling_copy / "demand.csv").write_text(
        DEMAND + "A,paper,40,10\nB,paper,30,10.5\nC,paper,50000,11\n", encoding="utf-8"
    )
    reading = read_with_warnings(pooling_copy)
    assert [str(w) for w in reading.warnings] == [
        "demand, row 4, column 'quantity': 50000 is over 1,000 times the median quantity 40 "
        "of category 'paper' (a unit mix-up or a typo?)"
    ]


def test_quantity_at_1000_times_the_median_passes_quietly(pooling_copy: Path) -> None:
    (pooling_copy / "demand.csv").write_text(
        DEMAND + "A,paper,40,10\nB,paper,30,10.5\nC,paper,40000,11\n", encoding="utf-8"
    )
    assert read_with_warnings(pooling_copy).warnings == ()


@pytest.mark.parametrize(
    "table,content,column",
    [
        ("demand", DEMAND + "A,paper,2e13,10\nB,paper,30,10.5\nC,paper,20,11", "quantity"),
        ("demand", DEMAND + "A,paper,40,1.5e13\nB,paper,30,10.5\nC,paper,20,11", "baseline_price"),
        ("settings", "key,value\nhorizon,4\nsavings_target,20000000000000", "value"),
        ("offers", "supplier_id,category_id,fixed_cost\nS1,paper,1e14\nS2,paper,0", "fixed_cost"),
    ],
)
def test_numbers_too_large_for_cent_accuracy_are_errors(
    pooling_copy: Path, table: str, content: str, column: str
) -> None:
    (pooling_copy / f"{table}.csv").write_text(content + "\n", encoding="utf-8")
    problems = _problems(pooling_copy)
    assert any(
        p.startswith(f"{table}, row 2, column '{column}'")
        and "must be at most" in p
        or p.startswith(f"{table}, row 3, column '{column}'")
        and "must be at most" in p
        for p in problems
    ), problems


# ---------------------------------------------------------------- generated workbooks


def test_generated_workbook_stores_numbers_as_numbers(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from consortia.cli import main

    out = tmp_path / "gen.xlsx"
    result = CliRunner().invoke(main, ["generate", str(out), "--orgs", "8", "--seed", "3"])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    header = {ws.title: [c.value for c in ws[1]] for ws in book.worksheets}
    for name, column in [
        ("demand", "quantity"),
        ("demand", "baseline_price"),
        ("tiers", "min_quantity"),
        ("tiers", "unit_price"),
        ("organizations", "ready_period"),
        ("categories", "base_lead"),
        ("offers", "available_from"),
    ]:
        j = header[name].index(column) + 1
        cells = [row[0] for row in book[name].iter_rows(min_row=2, min_col=j, max_col=j)]
        assert cells and all(c.data_type == "n" for c in cells), (name, column)
        assert all(isinstance(c.value, (int, float)) for c in cells), (name, column)
    settings = {r[0].value: r[1] for r in book["settings"].iter_rows(min_row=2)}
    assert settings["horizon"].data_type == "n" and settings["horizon"].value == 12
    assert settings["currency"].data_type == "s"
    ids = [row[0] for row in book["organizations"].iter_rows(min_row=2, max_col=1)]
    assert all(c.data_type == "s" for c in ids)
    assert read_instance(out).sha256 == read_instance(_csv_twin(tmp_path)).sha256


def _csv_twin(tmp_path: Path) -> Path:
    from click.testing import CliRunner

    from consortia.cli import main

    out = tmp_path / "gen"
    result = CliRunner().invoke(main, ["generate", str(out), "--orgs", "8", "--seed", "3"])
    assert result.exit_code == 0, result.output
    return out
