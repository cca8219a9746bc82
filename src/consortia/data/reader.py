"""Read an instance from a folder of CSV files or an .xlsx workbook (spec section 6).

Files are read cautiously: a file in UTF-16, with NUL bytes, separated by
semicolons, with a broken quote, more values in a row than the header names or a
column without a name, a workbook cell holding an Excel error or a formula
without a saved value, is reported as a problem of its table, never a traceback.
A CSV file that is not UTF-8 but Windows-1252 (Excel's "CSV (Comma delimited)")
is read, with a warning; a UTF-8 byte order mark is accepted silently.

Rows are named as a spreadsheet shows them: the header is row 1. For a CSV file
that is the line a record starts on (a quoted cell may span lines; blank lines are
no rows but count), for a workbook the sheet's row.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
from pathlib import Path
from typing import Any

import pandas as pd

from consortia.data import validation as v
from consortia.data.instance import Instance, Settings
from consortia.data.schema import TABLES
from consortia.errors import InvalidInstanceError, Problem, UsageError

SAVE_AS = 'save it as "CSV UTF-8 (comma delimited)"'
NO_SAVED_VALUE = "formula without a saved value: open and save the workbook in Excel"

Record = tuple[int, list[str]]  # spreadsheet row number, cells
Cell = tuple[Any, str]  # value, openpyxl data type
RawTables = dict[str, pd.DataFrame]


@dataclasses.dataclass(frozen=True)
class Reading:
    """A valid instance and the warnings about it: things that do not stop it being
    read but that a user should look at (table, row, column and message, as
    problems are named)."""

    instance: Instance
    warnings: tuple[Problem, ...] = ()


@dataclasses.dataclass
class _Loaded:
    raw: RawTables = dataclasses.field(default_factory=dict)
    problems: list[Problem] = dataclasses.field(default_factory=list)
    warnings: list[Problem] = dataclasses.field(default_factory=list)


class _Unreadable(Exception):
    """A file that cannot be read as a table; the message says why and what to do."""


def read_instance(path: str | Path) -> Instance:
    """Read and validate an instance; raise InvalidInstanceError listing every problem."""
    return read_with_warnings(path).instance


def read_with_warnings(path: str | Path) -> Reading:
    """Read and validate an instance, keeping the warnings; raise InvalidInstanceError
    listing every problem."""
    path = Path(path)
    loaded = _load(path)
    if loaded.problems:
        raise InvalidInstanceError(loaded.problems)
    built = build_instance(loaded.raw, name=path.stem if path.is_file() else path.name)
    return Reading(
        dataclasses.replace(built.instance, source=str(path.resolve())),
        tuple(sorted(loaded.warnings + list(built.warnings), key=_place)),
    )


def load_raw_tables(path: Path) -> tuple[RawTables, list[Problem]]:
    """Every table as strings, from a CSV folder or a workbook; unreadable files are
    problems. Each table's index holds the spreadsheet row of its records."""
    loaded = _load(path)
    return loaded.raw, loaded.problems


def _load(path: Path) -> _Loaded:
    if not path.exists():
        raise UsageError(f"no instance at '{path}'")
    if path.is_dir():
        return _load_csv_folder(path)
    if path.suffix.lower() == ".xlsx":
        return _load_workbook(path)
    raise UsageError(f"'{path}' is neither a folder of CSV files nor an .xlsx workbook")


def _load_csv_folder(folder: Path) -> _Loaded:
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise UsageError(f"'{folder}' holds no CSV tables")
    loaded = _Loaded()
    for file in files:
        try:
            text, note = _decode(_read_bytes(file), file.name)
            records = _csv_records(text, file.name)
        except _Unreadable as exc:
            loaded.problems.append(Problem(file.stem, None, None, str(exc)))
            continue
        if note is not None:
            loaded.warnings.append(Problem(file.stem, None, None, note))
        _add_table(loaded, file.stem, records, file.name)
    return loaded


def _add_table(loaded: _Loaded, table: str, records: list[Record], source: str) -> None:
    frame, problems = _frame_from_records(table, records, source)
    loaded.problems += problems
    if frame is not None:
        loaded.raw[table] = frame


def _read_bytes(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        raise _Unreadable(
            f"cannot read {file.name}: {exc.strerror or type(exc).__name__}"
        ) from None


def _line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def _decode(data: bytes, name: str) -> tuple[str, str | None]:
    """The text of a CSV file, and a note when it was read as Windows-1252 (it is not
    UTF-8); raise _Unreadable when it is neither."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _Unreadable(f"cannot read {name}: it is UTF-16 text; {SAVE_AS}")
    if b"\x00" in data:
        line = _line_of(data, data.index(b"\x00"))
        raise _Unreadable(
            f"cannot read {name}: it holds a NUL byte on line {line} (a binary file, or text "
            f"saved as UTF-16?); {SAVE_AS}"
        )
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        first = exc.start
    try:
        text = body.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise _Unreadable(
            f"cannot read {name}: it is neither UTF-8 nor Windows-1252 text; byte "
            f"0x{body[exc.start]:02x} on line {_line_of(body, exc.start)} cannot be read; "
            f"{SAVE_AS}"
        ) from None
    note = (
        f"{name} is not UTF-8 (byte 0x{body[first]:02x} on line {_line_of(body, first)}); "
        'it was read as Windows-1252, as Excel\'s "CSV (Comma delimited)" saves it: check '
        f"its accented letters and symbols, or {SAVE_AS}"
    )
    return text, note


def _csv_records(text: str, name: str) -> list[Record]:
    """The records of a CSV text with the line each starts on; blank lines are skipped
    (no row, as in a spreadsheet's CSV export) but counted."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[Record] = []
    line = 0
    try:
        for record in reader:
            if record:
                records.append((line + 1, record))
            line = reader.line_num
    except csv.Error as exc:
        raise _Unreadable(f"cannot read {name}: line {reader.line_num}: {exc}") from None
    return records


def _column_letter(index: int) -> str:
    """The spreadsheet name of a 0-based column index (A, B, ..., Z, AA, ...)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _frame_from_records(
    table: str, records: list[Record], source: str
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """A table of stripped strings from its records (the first one the header),
    indexed by their spreadsheet rows.

    Empty trailing cells and unnamed empty columns are ignored; values beyond the
    header or under a column without a name are problems.
    """
    if not records:
        return None, [Problem(table, None, None, f"{source} is empty (no header row)")]
    if not any(cell.strip() for cell in records[0][1]):
        return None, [Problem(table, None, None, f"the header row of {source} is blank")]
    header = [cell.strip() for cell in records[0][1]]
    if len(header) == 1 and any(sep in header[0] for sep in (";", "\t")):
        sep = "semicolons" if ";" in header[0] else "tabs"
        return None, [
            Problem(table, None, None, f"{source} is separated by {sep}, not commas; {SAVE_AS}")
        ]
    body = [(i, [cell.strip() for cell in cells]) for i, cells in records[1:]]
    problems = _unnamed_column_values(table, header, body) + _values_beyond(table, header, body)
    keep = [j for j, name in enumerate(header) if name]
    rows = [[cells[j] if j < len(cells) else "" for j in keep] for _, cells in body]
    index = pd.Index([i for i, _ in body], name=v.ROW_INDEX, dtype="int64")
    frame = pd.DataFrame(rows, columns=[header[j] for j in keep], index=index, dtype=object)
    return frame, problems


def _unnamed_column_values(table: str, header: list[str], body: list[Record]) -> list[Problem]:
    """The first value under each column whose header cell is empty."""
    problems = []
    for j, name in enumerate(header):
        if name:
            continue
        held = [(i, cells[j]) for i, cells in body if j < len(cells) and cells[j]]
        if held:
            i, value = held[0]
            message = (
                f"column {_column_letter(j)} has no name in the header row but holds '{value}'"
            )
            problems.append(Problem(table, i, None, message))
    return problems


def _values_beyond(table: str, header: list[str], body: list[Record]) -> list[Problem]:
    """Rows holding a value to the right of the last named column."""
    width = len(header)
    problems = []
    for i, cells in body:
        extra = [cell for cell in cells[width:] if cell]
        if extra:
            message = (
                f"value '{extra[0]}' lies beyond the last column (the row has {len(cells)} "
                f"values, the header names {width}; a value holding a comma needs quotes)"
            )
            problems.append(Problem(table, i, None, message))
    return problems


# ---------------------------------------------------------------- workbooks


def _load_workbook(file: Path) -> _Loaded:
    try:
        sheets = _workbook_cells(file)
    except Exception as exc:  # a damaged workbook may fail anywhere inside openpyxl
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _Loaded(problems=[Problem(file.name, None, None, f"cannot read workbook: {reason}")])
    loaded = _Loaded()
    for title, rows in sheets:
        name = title.strip()
        if name in loaded.raw:
            loaded.problems.append(Problem(name, None, None, f"two sheets are named '{name}'"))
            continue
        records, bad = _sheet_records(rows)
        loaded.problems += _bad_cell_problems(name, records, bad)
        _add_table(loaded, name, records, f"sheet '{name}'")
    return loaded


def _workbook_cells(file: Path) -> list[tuple[str, list[list[Cell]]]]:
    """Each sheet's title and cells, row by row from row 1. A formula cell holds its
    saved value; one without a saved value is (None, "f")."""
    sheets = _sheet_cells(file, data_only=False)
    if not any(kind == "f" for _, rows in sheets for row in rows for _, kind in row):
        return sheets
    saved = dict(_sheet_cells(file, data_only=True))
    return [(title, _with_saved_values(rows, saved[title])) for title, rows in sheets]


def _sheet_cells(file: Path, data_only: bool) -> list[tuple[str, list[list[Cell]]]]:
    """Each sheet's title and (value, data type) cells; without `data_only` a formula
    cell is its formula (type "f"), with it the value Excel saved (None if none)."""
    from openpyxl import load_workbook

    book = load_workbook(file, read_only=True, data_only=data_only, keep_links=False)
    try:
        sheets = []
        for sheet in book.worksheets:
            sheet.reset_dimensions()  # a sheet's declared size may be wrong
            rows = [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]
            sheets.append((sheet.title, rows))
        return sheets
    finally:
        book.close()


def _with_saved_values(rows: list[list[Cell]], saved: list[list[Cell]]) -> list[list[Cell]]:
    """`rows` with each formula replaced by its saved cell; a formula whose saved cell
    is empty (no value, not an empty text) stays (None, "f")."""

    def cell(i: int, j: int, value: Any, kind: str) -> Cell:
        if kind != "f":
            return value, kind
        found = saved[i][j] if i < len(saved) and j < len(saved[i]) else (None, "n")
        return (None, "f") if found == (None, "n") else found

    return [[cell(i, j, *c) for j, c in enumerate(row)] for i, row in enumerate(rows)]


def _sheet_records(rows: list[list[Cell]]) -> tuple[list[Record], list[tuple[int, int, str]]]:
    """The non-blank rows of a sheet as text records, and its cells that hold no
    readable value: (row, 0-based column, what is wrong)."""
    records: list[Record] = []
    bad: list[tuple[int, int, str]] = []
    for i, row in enumerate(rows, start=1):
        for j, (value, kind) in enumerate(row):
            if kind == "f":
                bad.append((i, j, NO_SAVED_VALUE))
            elif kind == "e":
                bad.append((i, j, f"Excel error {value}: correct the formula or type the value"))
        texts = [_cell_text(value) if kind not in ("e", "f") else "" for value, kind in row]
        if any(text.strip() for text in texts):
            records.append((i, texts))
    return records, bad


def _bad_cell_problems(
    table: str, records: list[Record], bad: list[tuple[int, int, str]]
) -> list[Problem]:
    """A problem for each unreadable cell, naming its row, its column (when it lies
    under a named header cell) and the cell."""
    header_row, header = records[0] if records else (0, [])
    problems = []
    for i, j, message in bad:
        name = header[j].strip() if i > header_row and j < len(header) else ""
        where = f" (cell {_column_letter(j)}{i})"
        problems.append(Problem(table, i, name or None, message + where))
    return problems


def _cell_text(value: Any) -> str:
    """A workbook value as the text a CSV file would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    return str(value)


# ---------------------------------------------------------------- typed instance


def instance_from_tables(raw: RawTables, name: str = "instance") -> Instance:
    """Validate raw string tables and build the typed, immutable Instance."""
    return build_instance(raw, name).instance


def build_instance(raw: RawTables, name: str = "instance") -> Reading:
    """Validate raw string tables; the typed, immutable Instance and the warnings
    about it. Raise InvalidInstanceError listing every problem."""
    problems = v.check_table_names(raw)
    rows: dict[str, list[dict[str, Any]]] = {}
    for table in TABLES:
        rows[table], table_problems = _parse_table(table, raw.get(table))
        problems += table_problems

    settings, setting_problems = v.check_settings(rows["settings"])
    problems += setting_problems
    problems += _check_cross_references(rows)
    problems += v.check_spend(rows["demand"], rows["tiers"], settings.get("horizon"))
    if problems:
        raise InvalidInstanceError(problems)

    frames = {t: _frame(t, rows[t]) for t in TABLES if t != "settings"}
    instance = Instance(
        settings=Settings(**settings),
        organizations=frames["organizations"],
        categories=frames["categories"],
        demand=frames["demand"],
        suppliers=frames["suppliers"],
        offers=frames["offers"],
        tiers=frames["tiers"],
        surcharges=frames["surcharges"],
        collaboration=frames["collaboration"] if "collaboration" in raw else None,
        locks=frames["locks"] if "locks" in raw else None,
        name=name,
    )
    return Reading(instance, tuple(sorted(v.check_plausible(rows["demand"]), key=_place)))


def _place(p: Problem) -> tuple[str, int, str, str]:
    return (p.table, p.row or 0, p.column or "", p.message)


def _parse_table(table: str, frame: pd.DataFrame | None) -> tuple[list[v.Row], list[Problem]]:
    """The typed rows of a table (none when it is absent or its columns are unusable)."""
    if frame is None:
        return [], []
    problems = v.check_columns(table, frame)
    if any(
        p.message.startswith("required") or p.message.startswith("column appears") for p in problems
    ):
        return [], problems
    rows, cell_problems = v.parse_rows(table, frame)
    return rows, problems + cell_problems


def _check_cross_references(rows: dict[str, list[dict[str, Any]]]) -> list[Problem]:
    orgs = {r["org_id"] for r in rows["organizations"]}
    cats = {r["category_id"] for r in rows["categories"]}
    sups = {r["supplier_id"] for r in rows["suppliers"]}
    offers = {(r["supplier_id"], r["category_id"]) for r in rows["offers"]}
    problems = v.check_unique("organizations", rows["organizations"], ("org_id",))
    problems += v.check_unique("categories", rows["categories"], ("category_id",))
    problems += v.check_unique("suppliers", rows["suppliers"], ("supplier_id",))
    problems += v.check_unique("demand", rows["demand"], ("org_id", "category_id"))
    problems += v.check_unique("offers", rows["offers"], ("supplier_id", "category_id"))
    problems += v.check_unique(
        "surcharges", rows["surcharges"], ("org_id", "supplier_id", "category_id")
    )
    problems += v.check_member_limits(rows["categories"])
    problems += v.check_known("demand", rows["demand"], "org_id", orgs, "organization")
    problems += v.check_known("demand", rows["demand"], "category_id", cats, "category")
    problems += v.check_known("offers", rows["offers"], "supplier_id", sups, "supplier")
    problems += v.check_known("offers", rows["offers"], "category_id", cats, "category")
    problems += v.check_known_offer("tiers", rows["tiers"], offers)
    problems += v.check_known("surcharges", rows["surcharges"], "org_id", orgs, "organization")
    problems += v.check_known_offer("surcharges", rows["surcharges"], offers)
    problems += v.check_known("collaboration", rows["collaboration"], "org_a", orgs, "organization")
    problems += v.check_known("collaboration", rows["collaboration"], "org_b", orgs, "organization")
    problems += v.check_collaboration(rows["collaboration"])
    problems += v.check_tiers(rows["tiers"], rows["offers"])
    demand = {(r["org_id"], r["category_id"]) for r in rows["demand"]}
    problems += v.check_locks(rows["locks"], orgs, cats, sups, offers, demand)
    return problems


def _frame(table: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A typed table. The locks keep their spreadsheet rows as the index (messages
    name a lock by its row, spec section 13)."""
    columns = list(TABLES[table].column_names)
    frame = pd.DataFrame(rows, columns=columns)
    if table == "categories":
        frame["max_members"] = frame["max_members"].astype("Int64")
        frame["max_suppliers"] = frame["max_suppliers"].astype("Int64")
    if table == "organizations":
        frame["max_parallel_formations"] = frame["max_parallel_formations"].astype("Int64")
    if table == "locks":
        frame.index = pd.Index([r[v.ROW] for r in rows], name=v.ROW_INDEX, dtype="int64")
    return frame
