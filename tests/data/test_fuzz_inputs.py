"""Fuzzing the reader: valid instances corrupted in every way a file can be wrong.

Whatever the damage, ``consortia validate`` and ``consortia solve`` never show a
traceback: they exit 2 naming the table (and the row and column where a cell is
at fault) and solve writes nothing, or — when the damage happens to leave a valid
instance — exit 0 with a plan the checker accepts.

A corruption is a function of a ``Chooser`` (Hypothesis draws in the tests,
``random.Random`` in ``benchmarks/fuzz.py``); it changes an instance held as
header and rows per table, or the bytes of one written file, and returns what
must happen: the exit codes allowed and where the problem must be named.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import json
import os
import re
import string
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, INSTANCES
from consortia.cli import main
from consortia.data.generator import GeneratorOptions, generate_instance
from consortia.data.reader import instance_from_tables, load_raw_tables
from consortia.data.schema import NON_EMPTY, TABLES
from consortia.outputs.checker import check_plan
from tiny_random import random_tiny_tables

T = TypeVar("T")


class Chooser(Protocol):
    def choice(self, options: Sequence[T]) -> T: ...
    def randint(self, low: int, high: int) -> int: ...
    def text(self, max_size: int) -> str: ...


class DrawChooser:
    """Choices drawn by Hypothesis (so failures shrink)."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def choice(self, options: Sequence[T]) -> T:
        return self.data.draw(st.sampled_from(list(options)))

    def randint(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))

    def text(self, max_size: int) -> str:
        alphabet = st.characters(codec="utf-8", exclude_categories=("Cs",))
        return self.data.draw(st.text(alphabet, max_size=max_size))


Tables = dict[str, tuple[list[str], list[list[str]]]]


@dataclass
class Case:
    """A damaged instance and what consortia must do with it."""

    kind: str
    tables: Tables
    fmt: str  # "csv" or "xlsx"
    codes: frozenset[int] = frozenset({2})
    table: str | None = None  # a problem must name this table ...
    row: int | None = None  # ... and this row (as a spreadsheet shows it: header = 1) ...
    column: str | None = None  # ... and this column
    files: dict[str, bytes | None] = field(default_factory=dict)  # raw bytes; None: a folder
    book: bytes | None = None  # raw workbook bytes
    typed: bool = False  # numbers as numbers in the workbook
    cells: dict[tuple[str, int, int], Any] = field(default_factory=dict)  # workbook cells
    warns: str | None = None  # when valid, a warning must name this table


# ---------------------------------------------------------------- base instances


def _as_tables(raw: dict[str, Any]) -> Tables:
    return {
        name: ([str(c) for c in frame.columns], [[str(x) for x in r] for r in frame.values])
        for name, frame in raw.items()
    }


@cache
def base_instance(index: int) -> Tables:
    """A handful of valid instances: fixtures, the demo, tiny random, generated."""
    if index == 0:
        return _as_tables(load_raw_tables(FIXTURES / "pooling")[0])
    if index == 1:
        return _as_tables(load_raw_tables(INSTANCES / "demo")[0])
    if index < 5:
        return _as_tables(random_tiny_tables(index))
    opts = GeneratorOptions(orgs=5, categories=2, suppliers=3, periods=6, seed=index)
    return _as_tables(generate_instance(opts))


BASES = 7


def copy_tables(tables: Tables) -> Tables:
    return {name: (list(h), [list(r) for r in rows]) for name, (h, rows) in tables.items()}


# ---------------------------------------------------------------- writing files


def csv_bytes(header: list[str], rows: list[list[str]], delimiter: str = ",", **kw: Any) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n", **kw)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _number(text: str) -> Any:
    try:
        value = float(text)
    except ValueError:
        return text
    if value != value or value in (float("inf"), float("-inf")):
        return text
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def workbook_bytes(case: Case) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, (header, rows) in case.tables.items():
        sheet = book.create_sheet(name)
        for i, values in enumerate([header, *rows], start=1):
            for j, value in enumerate(values, start=1):
                cell: Any = _ILLEGAL_XLSX.sub("", value)
                if case.typed and i > 1:
                    cell = _number(cell)
                sheet.cell(i, j, cell)
        for (table, i, j), value in case.cells.items():
            if table == name:
                sheet.cell(i, j, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_case(case: Case, folder: Path) -> Path:
    """The damaged instance on disk: a CSV folder or a workbook."""
    if case.fmt == "xlsx":
        path = folder / "inst.xlsx"
        path.write_bytes(case.book if case.book is not None else workbook_bytes(case))
        return path
    path = folder / "inst"
    path.mkdir()
    for name, (header, rows) in case.tables.items():
        if name not in case.files:
            (path / f"{name}.csv").write_bytes(csv_bytes(header, rows))
    for file, data in case.files.items():
        target = path / (file if "." in file else f"{file}.csv")
        if data is None:
            target.mkdir()
        else:
            target.write_bytes(data)
    return path


# ---------------------------------------------------------------- corruptions

NUMERIC = {
    name: [c.name for c in t.columns if c.kind in ("int", "real")] for name, t in TABLES.items()
}
REQUIRED = {
    name: [c.name for c in t.columns if (c.required and not c.nullable) or c.name in NON_EMPTY]
    for name, t in TABLES.items()
}
UNIQUE_KEYED = {"settings", "organizations", "categories", "suppliers", "demand", "offers"}
V2_COLUMNS = {
    "demand": "ready_period",
    "organizations": "max_parallel_formations",
    "categories": "max_suppliers",
    "offers": "max_share",
}
NOT_NUMBERS = ["x", "abc", "1,5", "£5", "N/A", "--1", "1e", "0x1F", "one", "5 units", "1.2.3"]
HUGE = ["1e14", "1e20", "1e300", "1e400", "9" * 400, str(10**20), "-1e300", "-1"]

Corruption = Callable[[Chooser, Tables, str], Case]


def _cell_place(ch: Chooser, tables: Tables, columns: dict[str, list[str]]) -> tuple[str, int, int]:
    """A (table, data row index, column index) whose column is one of `columns`."""
    places = [
        (name, j)
        for name, (header, rows) in tables.items()
        for j, col in enumerate(header)
        if col in columns.get(name, []) and rows
    ]
    name, j = ch.choice(places)
    i = ch.randint(0, len(tables[name][1]) - 1)
    return name, i, j


def _set_cell(tables: Tables, name: str, i: int, j: int, value: str) -> None:
    tables[name][1][i][j] = value


def bad_number(ch: Chooser, t: Tables, fmt: str) -> Case:
    name, i, j = _cell_place(ch, t, NUMERIC)
    col = t[name][0][j]
    whole = next(c for c in TABLES[name].columns if c.name == col).kind == "int"
    _set_cell(t, name, i, j, ch.choice(NOT_NUMBERS + HUGE + ["1.5"] * whole))
    return Case("bad_number", t, fmt, table=name, row=i + 2, column=col)


def bad_setting(ch: Chooser, t: Tables, fmt: str) -> Case:
    header, rows = t["settings"]
    i = next(k for k, r in enumerate(rows) if r[header.index("key")] == "horizon")
    rows[i][header.index("value")] = ch.choice(NOT_NUMBERS + HUGE + ["0", "1.5", "1001"])
    return Case("bad_setting", t, fmt, table="settings", row=i + 2, column="value")


def empty_required(ch: Chooser, t: Tables, fmt: str) -> Case:
    name, i, j = _cell_place(ch, t, REQUIRED)
    _set_cell(t, name, i, j, ch.choice(["", " ", "  \t"]))
    if fmt == "xlsx" and not any(c.strip() for c in t[name][1][i]):
        # a blank row is no row in a workbook: the instance is then valid (e.g. a
        # supplier without offers), or another table names what is missing
        return Case("empty_required", t, fmt, codes=frozenset({0, 2}))
    return Case("empty_required", t, fmt, table=name, row=i + 2, column=t[name][0][j])


def any_cell(ch: Chooser, t: Tables, fmt: str) -> Case:
    columns = {name: header for name, (header, _) in t.items()}
    name, i, j = _cell_place(ch, t, columns)
    value = ch.choice([ch.text(30), ch.text(30), "", '"', "=SUM(A1:A3)", "\r\n", "a\nb", "NULL"])
    _set_cell(t, name, i, j, value)
    return Case("any_cell", t, fmt, codes=frozenset({0, 2}))


def huge_text(ch: Chooser, t: Tables, fmt: str) -> Case:
    columns = {name: header for name, (header, _) in t.items()}
    name, i, j = _cell_place(ch, t, columns)
    _set_cell(t, name, i, j, ch.choice(string.ascii_letters) * ch.choice([5_000, 200_000]))
    return Case("huge_text", t, fmt, codes=frozenset({0, 2}))


def drop_column(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = ch.choice(sorted(t))
    header, rows = t[name]
    j = ch.randint(0, len(header) - 1)
    col = header.pop(j)
    for r in rows:
        r.pop(j)
    if col in [c.name for c in TABLES[name].columns if c.required]:
        # with no column left the file has no header row: the table is named alone
        return Case("drop_column", t, fmt, table=name, column=col if header else None)
    return Case("drop_column", t, fmt, codes=frozenset({0, 2}))


def unknown_column(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = ch.choice(sorted(t))
    header, rows = t[name]
    col = ch.choice(["colour", "notes", "Org_ID", "quantity2", "x" + ch.text(8).strip()])
    col = "".join(c for c in col if c.isprintable())
    if col in header or not col.strip() or col.strip() in header or col.strip() != col:
        col = "unknown_col"
    j = ch.randint(0, len(header))
    header.insert(j, col)
    for r in rows:
        r.insert(j, ch.choice(["", "1", "x"]))
    return Case("unknown_column", t, fmt, table=name, column=col)


def duplicate_column(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = ch.choice(sorted(t))
    header, rows = t[name]
    j = ch.randint(0, len(header) - 1)
    header.append(header[j])
    for r in rows:
        r.append(r[j])
    return Case("duplicate_column", t, fmt, table=name, column=header[j])


def rename_column_case(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = ch.choice(sorted(t))
    header, _ = t[name]
    j = ch.randint(0, len(header) - 1)
    header[j] = header[j].upper()
    return Case("rename_column_case", t, fmt, table=name, column=header[j])


def blank_header(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = ch.choice(sorted(t))
    header, rows = t[name]
    j = ch.randint(0, len(header) - 1)
    header[j] = ""
    if any(r[j].strip() for r in rows):
        return Case("blank_header", t, fmt, table=name)
    return Case("blank_header", t, fmt, codes=frozenset({0, 2}))


def drop_row(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = ch.choice(sorted(n for n in t if t[n][1]))
    rows = t[name][1]
    rows.pop(ch.randint(0, len(rows) - 1))
    return Case("drop_row", t, fmt, codes=frozenset({0, 2}))


def duplicate_row(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = ch.choice(sorted(n for n in t if t[n][1]))
    rows = t[name][1]
    rows.append(list(ch.choice(rows)))
    if name in UNIQUE_KEYED:
        return Case("duplicate_row", t, fmt, table=name, row=len(rows) + 1)
    return Case("duplicate_row", t, fmt, codes=frozenset({0, 2}))


def extra_values(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = ch.choice(sorted(n for n in t if t[n][1]))
    rows = t[name][1]
    i = ch.randint(0, len(rows) - 1)
    rows[i] += [""] * ch.randint(0, 2) + [ch.choice(["x", "1", "extra"])]
    return Case("extra_values", t, fmt, table=name, row=i + 2)


def reorder(ch: Chooser, t: Tables, fmt: str) -> Case:
    """Columns and rows in another order: still valid."""
    for name, (header, rows) in list(t.items()):
        order = list(range(len(header)))
        k = ch.randint(0, len(order) - 1)
        order = order[k:] + order[:k]
        rows = [[r[j] for j in order] for r in rows]
        t[name] = ([header[j] for j in order], rows[::-1] if ch.choice([0, 1]) else rows)
    return Case("reorder", t, fmt, codes=frozenset({0}))


def pad_whitespace(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = ch.choice(sorted(t))
    header, rows = t[name]
    pad = ch.choice([" ", "  ", "\t"])
    t[name] = ([pad + h + pad for h in header], [[pad + c + pad for c in r] for r in rows])
    return Case("pad_whitespace", t, fmt, codes=frozenset({0}))


def remove_table(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = ch.choice(sorted(t))
    del t[name]
    if TABLES[name].required:
        return Case("remove_table", t, fmt, table=name)
    return Case("remove_table", t, fmt, codes=frozenset({0}))


def unknown_table(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = ch.choice(["extras", "Settings", "setting", "demand_2", "Sheet1", "locks"])
    if name.lower() in {n.lower() for n in t}:  # sheet names ignore case
        name = "extras"
    t[name] = (["a", "b"], [["1", "2"]] if ch.choice([0, 1]) else [])
    return Case("unknown_table", t, fmt, codes=frozenset({2}), table=name)


def rename_table(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = ch.choice(sorted(t))
    new = ch.choice([name.title(), name[:-1], name + "_old", name.upper()])
    t[new] = t.pop(name)
    return Case("rename_table", t, fmt, table=new)


def empty_table(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = ch.choice(sorted(t))
    t[name] = (t[name][0], [])
    return Case("empty_table", t, fmt, codes=frozenset({0, 2}))


def v2_junk(ch: Chooser, t: Tables, fmt: str) -> Case:
    """v2 columns and tables with values nobody can read."""
    if ch.choice([0, 1]):
        t["locks"] = (["lot", "what"], [["?", ch.choice(NOT_NUMBERS)]])
        return Case("v2_junk", t, fmt, table="locks")
    name = ch.choice(sorted(n for n in V2_COLUMNS if n in t and t[n][1]))
    header, rows = t[name]
    header.append(V2_COLUMNS[name])
    for r in rows:
        r.append(ch.choice(["x", "-1", "1e400", "abc"]))
    return Case("v2_junk", t, fmt, table=name, column=V2_COLUMNS[name])


def v2_plausible(ch: Chooser, t: Tables, fmt: str) -> Case:
    """v2 columns with sensible values: refused as unknown until v2 is read, then valid."""
    name = ch.choice(sorted(n for n in V2_COLUMNS if n in t))
    header, rows = t[name]
    header.append(V2_COLUMNS[name])
    for r in rows:
        r.append(ch.choice(["", "1", "2"]))
    return Case("v2_plausible", t, fmt, codes=frozenset({0, 2}))


def _one_file(ch: Chooser, t: Tables) -> str:
    return ch.choice(sorted(t))


def _file_bytes(t: Tables, name: str) -> bytes:
    return csv_bytes(*t[name])


def encoding_cp1252(ch: Chooser, t: Tables, fmt: str) -> Case:
    """Excel's "CSV (Comma delimited)": read as Windows-1252, with a warning."""
    name, i, j = _cell_place(ch, t, {n: h for n, (h, _) in t.items()})
    cell = t[name][1][i][j]
    k = ch.randint(0, len(cell))
    t[name][1][i][j] = cell[:k] + ch.choice("£éüñ€") + cell[k:]
    data = csv_bytes(*t[name]).decode("utf-8").encode("cp1252")
    return Case("encoding_cp1252", t, fmt, frozenset({0, 2}), files={name: data}, warns=name)


def utf16(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = _one_file(ch, t)
    data = _file_bytes(t, name).decode("utf-8").encode(ch.choice(["utf-16", "utf-16-le"]))
    return Case("utf16", t, fmt, table=name, files={name: data})


def bom(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = _one_file(ch, t)
    return Case(
        "bom", t, fmt, codes=frozenset({0}), files={name: codecs.BOM_UTF8 + _file_bytes(t, name)}
    )


def nul_byte(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = _one_file(ch, t)
    data = _file_bytes(t, name)
    k = ch.randint(0, len(data))
    return Case("nul_byte", t, fmt, table=name, files={name: data[:k] + b"\x00" + data[k:]})


def truncate(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = _one_file(ch, t)
    data = _file_bytes(t, name)
    return Case(
        "truncate",
        t,
        fmt,
        codes=frozenset({0, 2}),
        files={name: data[: ch.randint(0, len(data) - 1)]},
    )


def line_endings(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = _one_file(ch, t)
    data = _file_bytes(t, name).replace(b"\n", ch.choice([b"\r\n", b"\r", b"\n\n"]))
    return Case("line_endings", t, fmt, codes=frozenset({0}), files={name: data})


def quote_all(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = _one_file(ch, t)
    data = csv_bytes(*t[name], quoting=csv.QUOTE_ALL)
    return Case("quote_all", t, fmt, codes=frozenset({0}), files={name: data})


def separator(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = _one_file(ch, t)
    data = csv_bytes(*t[name], delimiter=ch.choice([";", "\t"]))
    if len(t[name][0]) > 1:
        return Case("separator", t, fmt, table=name, files={name: data})
    return Case("separator", t, fmt, codes=frozenset({0, 2}), files={name: data})


def empty_file(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = _one_file(ch, t)
    data = ch.choice([b"", b"\n", b"\r\n\r\n", codecs.BOM_UTF8, b",,\n"])
    return Case("empty_file", t, fmt, table=name, files={name: data})


def random_bytes(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = _one_file(ch, t)
    data = bytes(ch.randint(0, 255) for _ in range(ch.randint(1, 64)))
    return Case("random_bytes", t, fmt, codes=frozenset({0, 2}), files={name: data})


def unclosed_quote(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = _one_file(ch, t)
    data = _file_bytes(t, name)
    cut = [m.start() + 1 for m in re.finditer(rb"[,\n]", data)][:-1] or [0]
    k = ch.choice(cut)
    broken = data[:k] + b'"' + data[k:]
    if b'"' in data:
        return Case("unclosed_quote", t, fmt, codes=frozenset({0, 2}), files={name: broken})
    return Case("unclosed_quote", t, fmt, table=name, files={name: broken})


def folder_as_file(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = _one_file(ch, t)
    return Case("folder_as_file", t, fmt, table=name, files={name: None})


def stray_files(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = ch.choice(["notes.txt", "README.md", "~$settings.xlsx", ".DS_Store"])
    return Case("stray_files", t, fmt, codes=frozenset({0}), files={name: b"\xff\x00junk"})


def xlsx_typed(ch: Chooser, t: Tables, fmt: str) -> Case:
    return Case("xlsx_typed", t, fmt, codes=frozenset({0}), typed=True)


def _spot(ch: Chooser, size: int) -> int:
    """A byte position in 0..size-1 drawn as a fraction: a saved workbook's length
    varies by a byte or so between saves (its timestamps compress differently), and
    the drawing must not depend on it or Hypothesis cannot replay a case."""
    return ch.randint(0, 1_000_000) * (size - 1) // 1_000_000


def xlsx_bytes(ch: Chooser, t: Tables, fmt: str) -> Case:
    case = Case("xlsx_bytes", t, fmt, table="inst.xlsx")
    data = workbook_bytes(case)
    how = ch.choice(["truncate", "flip", "text", "empty"])
    if how == "truncate":
        case.book = data[: _spot(ch, len(data))]
    elif how == "flip":
        k = _spot(ch, len(data))
        case.book = data[:k] + bytes([data[k] ^ ch.randint(1, 255)]) + data[k + 1 :]
        case.codes, case.table = frozenset({0, 2}), None
    elif how == "text":
        case.book = _file_bytes(t, "settings")
    else:
        case.book = b""
    return case


def xlsx_sheet_name(ch: Chooser, t: Tables, fmt: str) -> Case:
    name = ch.choice(sorted(t))
    how = ch.choice(["space", "dup"])
    if how == "space":
        t[" " + name + " "] = t.pop(name)
        return Case("xlsx_sheet_name", t, fmt, codes=frozenset({0}))
    t[name + " "] = copy_tables({name: t[name]})[name]
    return Case("xlsx_sheet_name", t, fmt, table=name)


def xlsx_cell_type(ch: Chooser, t: Tables, fmt: str) -> Case:
    """A date, a flag, a formula without a saved value or an Excel error in a number
    column: each named by its cell, none read as empty."""
    name, i, j = _cell_place(ch, t, NUMERIC)
    value = ch.choice([datetime.datetime(2010, 1, 1), True, "=1/0", "#DIV/0!", "#N/A"])
    case = Case("xlsx_cell_type", t, fmt, table=name, row=i + 2, column=t[name][0][j])
    case.cells[(name, i + 2, j + 1)] = value
    return case


STRUCTURE: dict[str, Corruption] = {
    f.__name__: f
    for f in (
        bad_number,
        bad_setting,
        empty_required,
        any_cell,
        huge_text,
        drop_column,
        unknown_column,
        duplicate_column,
        rename_column_case,
        blank_header,
        drop_row,
        duplicate_row,
        extra_values,
        reorder,
        pad_whitespace,
        remove_table,
        unknown_table,
        rename_table,
        empty_table,
        v2_junk,
        v2_plausible,
    )
}
CSV_ONLY: dict[str, Corruption] = {
    f.__name__: f
    for f in (
        encoding_cp1252,
        utf16,
        bom,
        nul_byte,
        truncate,
        line_endings,
        quote_all,
        separator,
        empty_file,
        random_bytes,
        unclosed_quote,
        folder_as_file,
        stray_files,
    )
}
XLSX_ONLY: dict[str, Corruption] = {
    f.__name__: f for f in (xlsx_typed, xlsx_bytes, xlsx_sheet_name, xlsx_cell_type)
}
KINDS = [*STRUCTURE, *CSV_ONLY, *XLSX_ONLY]


def make_case(ch: Chooser, kind: str) -> Case:
    tables = copy_tables(base_instance(ch.randint(0, BASES - 1)))
    if kind in CSV_ONLY:
        return CSV_ONLY[kind](ch, tables, "csv")
    if kind in XLSX_ONLY:
        return XLSX_ONLY[kind](ch, tables, "xlsx")
    return STRUCTURE[kind](ch, tables, ch.choice(["csv", "csv", "xlsx"]))


# ---------------------------------------------------------------- the property

PROBLEM = re.compile(r"^  - (?P<table>[^,:]+)(, row (?P<row>\d+))?(, column '(?P<col>.*?)')?: .")


def _problems(output: str) -> list[tuple[str, int | None, str | None]]:
    found = []
    for line in output.splitlines():
        if line.startswith("  - "):
            m = PROBLEM.match(line)
            assert m, f"a problem that names no table: {line!r}"
            row = int(m["row"]) if m["row"] else None
            found.append((m["table"].strip(), row, m["col"]))
    return found


def run_cli(*args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    exc = result.exception
    if isinstance(exc, SystemExit):
        exc = None
    return result.exit_code, result.output, exc


def check_case(case: Case, workdir: Path, time_limit: float = 5) -> int:
    """Run validate and solve on the damaged instance; assert the contract; return
    the exit code."""
    path = write_case(case, workdir)
    code, out, exc = run_cli("validate", path)
    where = f"[{case.kind}] validate"
    assert exc is None and "Traceback" not in out, f"{where}: {exc!r}\n{out}"
    assert code in case.codes, f"{where}: exit {code}, expected {set(case.codes)}\n{out}"
    if code == 0 and case.warns is not None:
        assert f"Warning: {case.warns}: " in out, f"{where}: no warning names {case.warns}\n{out}"
    if code == 2:
        assert out.startswith(("Invalid instance:", "Error:")), f"{where}:\n{out}"
        problems = _problems(out)
        if case.table is not None:
            assert any(
                t == case.table
                and (case.row is None or r == case.row)
                and (case.column is None or c == case.column)
                for t, r, c in problems
            ), f"{where}: nothing names {case.table, case.row, case.column}\n{out}"

    plan = workdir / "plan"
    before = set(workdir.iterdir())
    s_code, s_out, s_exc = run_cli(
        "solve", path, "--out", plan, "--time-limit", time_limit, "--quiet"
    )
    where = f"[{case.kind}] solve"
    assert s_exc is None and "Traceback" not in s_out, f"{where}: {s_exc!r}\n{s_out}"
    assert s_code == code, f"{where}: exit {s_code}, validate gave {code}\n{s_out}"
    if code == 2:
        assert set(workdir.iterdir()) == before, f"{where} wrote something"
        assert _problems(s_out) == _problems(out), f"{where}: other messages"
    else:
        from consortia.data.reader import read_instance

        report = check_plan(read_instance(path), plan)
        assert report.ok, f"{where}: the plan fails its check: {report.violations}"
        assert json.loads((plan / "summary.json").read_text())["status"] in (
            "optimal",
            "feasible",
        )
    return code


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "200")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(kind=st.sampled_from(KINDS), data=st.data())
def test_damaged_instances_are_named_never_crash(kind: str, data: st.DataObject) -> None:
    case = make_case(DrawChooser(data), kind)
    with tempfile.TemporaryDirectory() as tmp:
        check_case(case, Path(tmp))


def test_every_base_instance_is_valid() -> None:
    import pandas as pd

    for index in range(BASES):
        tables = base_instance(index)
        raw = {n: pd.DataFrame(rows, columns=h, dtype=object) for n, (h, rows) in tables.items()}
        instance_from_tables(raw)


def test_workbook_text_that_pandas_calls_missing_is_read(tmp_path: Path) -> None:
    """'N/A', 'NULL' or 'nan' in a workbook cell are that text, not an empty cell
    that silently takes the column's default."""
    tables = copy_tables(base_instance(0))
    header, rows = tables["offers"]
    rows[0][header.index("fixed_cost")] = "N/A"
    case = Case("na_text", tables, "xlsx", table="offers", row=2, column="fixed_cost")
    assert check_case(case, tmp_path) == 2
