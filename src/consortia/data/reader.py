"""Read an instance from a folder of CSV files or an .xlsx workbook (spec section 6).

Files are read cautiously: a file in the wrong encoding, with NUL bytes, separated
by semicolons, with a broken quote, more values in a row than the header names or
a column without a name is reported as a problem of its table, never a traceback.
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

SAVE_AS = "save it as CSV UTF-8 (comma delimited)"


def read_instance(path: str | Path) -> Instance:
    """Read and validate an instance; raise InvalidInstanceError listing every problem."""
    path = Path(path)
    raw, problems = load_raw_tables(path)
    if problems:
        raise InvalidInstanceError(problems)
    inst = instance_from_tables(raw, name=path.stem if path.is_file() else path.name)
    return dataclasses.replace(inst, source=str(path.resolve()))


def load_raw_tables(path: Path) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Every table as strings, from a CSV folder or a workbook; unreadable files are problems."""
    if not path.exists():
        raise UsageError(f"no instance at '{path}'")
    if path.is_dir():
        return _load_csv_folder(path)
    if path.suffix.lower() == ".xlsx":
        return _load_workbook(path)
    raise UsageError(f"'{path}' is neither a folder of CSV files nor an .xlsx workbook")


def _load_csv_folder(folder: Path) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    raw: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    files = sorted(folder.glob("*.csv"))
    for file in files:
        records, message = _read_csv_records(file)
        if message is not None:
            problems.append(Problem(file.stem, None, None, message))
            continue
        frame, frame_problems = _frame_from_records(file.stem, records, file.name)
        problems += frame_problems
        if frame is not None:
            raw[file.stem] = frame
    if not files:
        raise UsageError(f"'{folder}' holds no CSV tables")
    return raw, problems


def _line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def _read_csv_records(file: Path) -> tuple[list[list[str]], str | None]:
    """The records of a CSV file as lists of strings, or a message saying why not."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return [], f"cannot read {file.name}: {reason}"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return [], f"cannot read {file.name}: it is UTF-16 text; {SAVE_AS}"
    if b"\x00" in data:
        line = _line_of(data, data.index(b"\x00"))
        return [], (
            f"cannot read {file.name}: it holds a NUL byte on line {line} (a binary file, or text "
            f"saved as UTF-16?); {SAVE_AS}"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start + (3 if data.startswith(codecs.BOM_UTF8) else 0)
        return [], (
            f"cannot read {file.name}: it is not UTF-8 text; byte 0x{data[offset]:02x} on line "
            f"{_line_of(data, offset)} cannot be read (saved as Windows-1252 or "
            f"Latin-1?); {SAVE_AS}"
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[list[str]] = []
    try:
        for record in reader:
            if record:  # a blank line is no row, as in a spreadsheet's CSV export
                records.append(record)
    except csv.Error as exc:
        return [], f"cannot read {file.name}: line {reader.line_num}: {exc}"
    return records, None


def _column_letter(index: int) -> str:
    """The spreadsheet name of a 0-based column index (A, B, ..., Z, AA, ...)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _frame_from_records(
    table: str, records: list[list[str]], source: str
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """A table of stripped strings from its records (the first one the header).

    Empty trailing cells and unnamed empty columns are ignored; values beyond the
    header or under a column without a name are problems.
    """
    if not records:
        return None, [Problem(table, None, None, f"{source} is empty (no header row)")]
    if not any(cell.strip() for cell in records[0]):
        return None, [Problem(table, None, None, f"the header row of {source} is blank")]
    header = [cell.strip() for cell in records[0]]
    if len(header) == 1 and any(sep in header[0] for sep in (";", "\t")):
        sep = "semicolons" if ";" in header[0] else "tabs"
        return None, [
            Problem(table, None, None, f"{source} is separated by {sep}, not commas; {SAVE_AS}")
        ]
    body = [[cell.strip() for cell in record] for record in records[1:]]
    problems: list[Problem] = []
    keep = []
    for j, name in enumerate(header):
        if name:
            keep.append(j)
            continue
        held = [(i, row[j]) for i, row in enumerate(body, start=1) if j < len(row) and row[j]]
        if held:
            i, value = held[0]
            message = (
                f"column {_column_letter(j)} has no name in the header row but holds '{value}'"
            )
            problems.append(Problem(table, i, None, message))
    width = len(header)
    for i, row in enumerate(body, start=1):
        extra = [cell for cell in row[width:] if cell]
        if extra:
            message = (
                f"value '{extra[0]}' lies beyond the last column (the row has {len(row)} "
                f"values, the header names {width}; a value holding a comma needs quotes)"
            )
            problems.append(Problem(table, i, None, message))
    rows = [[row[j] if j < len(row) else "" for j in keep] for row in body]
    return pd.DataFrame(rows, columns=[header[j] for j in keep], dtype=object), problems


def _cell_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def _load_workbook(file: Path) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    try:
        sheets = pd.read_excel(  # no text is NaN: 'N/A' or 'NULL' must not read as empty
            file, sheet_name=None, header=None, dtype=str, engine="openpyxl", keep_default_na=False
        )
    except Exception as exc:  # a damaged workbook may fail anywhere inside openpyxl
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return {}, [Problem(file.name, None, None, f"cannot read workbook: {reason}")]
    raw: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for sheet, frame in sheets.items():
        name = str(sheet).strip()
        if name in raw:
            problems.append(Problem(name, None, None, f"two sheets are named '{name}'"))
            continue
        records = [[_cell_text(x) for x in row] for row in frame.itertuples(index=False)]
        table, sheet_problems = _frame_from_records(name, records, f"sheet '{name}'")
        problems += sheet_problems
        if table is not None:
            raw[name] = table
    return raw, problems


def instance_from_tables(raw: dict[str, pd.DataFrame], name: str = "instance") -> Instance:
    """Validate raw string tables and build the typed, immutable Instance."""
    problems = v.check_table_names(raw)
    rows: dict[str, list[dict[str, Any]]] = {}
    for table in TABLES:
        if table not in raw:
            rows[table] = []
            continue
        column_problems = v.check_columns(table, raw[table])
        problems += column_problems
        if any(
            p.message.startswith("required") or p.message.startswith("column appears")
            for p in column_problems
        ):
            rows[table] = []
            continue
        rows[table], cell_problems = v.parse_rows(table, raw[table])
        problems += cell_problems

    settings, setting_problems = v.check_settings(rows["settings"])
    problems += setting_problems
    problems += _check_cross_references(rows)
    problems += v.check_spend(rows["demand"], rows["tiers"], settings.get("horizon"))
    if problems:
        raise InvalidInstanceError(problems)

    frames = {t: _frame(t, rows[t]) for t in TABLES if t != "settings"}
    return Instance(
        settings=Settings(**settings),
        organizations=frames["organizations"],
        categories=frames["categories"],
        demand=frames["demand"],
        suppliers=frames["suppliers"],
        offers=frames["offers"],
        tiers=frames["tiers"],
        surcharges=frames["surcharges"],
        collaboration=frames["collaboration"] if "collaboration" in raw else None,
        name=name,
    )


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
    return problems


def _frame(table: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    columns = list(TABLES[table].column_names)
    frame = pd.DataFrame(rows, columns=columns)
    if table == "categories":
        frame["max_members"] = frame["max_members"].astype("Int64")
    return frame
