"""Read the decisions of a written plan back from its files, and write the plan as a
formatted workbook (plan.xlsx)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from consortia.errors import UsageError
from consortia.outputs.numbers import CURRENCY_SYMBOLS
from consortia.outputs.periods import (
    financial_year,
    financial_year_label,
    is_quarterly,
    period_label,
    quarter_of,
)
from consortia.outputs.report_views import names_of
from consortia.rules.plan import Lot
from consortia.solvers.result import LOT_COLUMNS, MEMBER_COLUMNS, Result, lot_id


def decisions(lots: pd.DataFrame, members: pd.DataFrame) -> tuple[list[tuple[str, Lot]], list[str]]:
    """(lot_id, Lot) for every lot of lots.csv, and the mismatches between the files."""
    by_lot = {str(k): list(g["org_id"]) for k, g in members.groupby("lot_id", sort=False)}
    out: list[tuple[str, Lot]] = []
    problems: list[str] = []
    for row in lots.itertuples(index=False):
        lid = str(row.lot_id)
        if lid not in by_lot:
            problems.append(f"lot {lid} has no members in lot_members.csv")
            continue
        lot = Lot(
            str(row.category_id), str(row.supplier_id), tuple(by_lot[lid]), int(row.formation_start)
        )
        out.append((lid, lot))
    known = {lid for lid, _ in out}
    problems += [
        f"lot_members.csv names lot {lid}, which lots.csv lacks"
        for lid in sorted(set(by_lot) - known - set(lots["lot_id"].astype(str)))
    ]
    return out, problems


def read_table(path: Path, columns: list[str]) -> pd.DataFrame:
    """A plan table with its required columns, or a UsageError saying what is wrong."""
    try:
        frame = pd.read_csv(path, dtype={"lot_id": str, "org_id": str})
    except FileNotFoundError:
        raise UsageError(f"{path} is missing") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} cannot be read: {exc}") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UsageError(f"{path} lacks column(s) {', '.join(missing)}")
    return frame


def read_plan(folder: str | Path) -> list[tuple[str, Lot]]:
    """The lots of a plan folder; a UsageError if the files are missing or disagree."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"no plan folder at '{folder}'")
    lots = read_table(folder / "lots.csv", LOT_COLUMNS)
    members = read_table(folder / "lot_members.csv", MEMBER_COLUMNS)
    out, problems = decisions(lots, members)
    if problems:
        raise UsageError("; ".join(problems))
    return out


# ---------------------------------------------------------------------------
# plan.xlsx: the plan as a workbook where analysts continue

INTEGER = "#,##0"
PERIOD = "0"
QUANTITY = "#,##0.0"
PERCENT = "0.00%"
SECONDS = "0.00"
DECIMAL = "#,##0.00"
CELL_LIMIT = 32_767  # characters Excel keeps in one cell
WIDTH_SAMPLE = 2_000  # rows looked at to size a column
MIN_WIDTH, MAX_WIDTH = 8, 60

MONEY_KEYS = {
    "objective",
    "best_bound",
    "root_bound",
    "savings_target",
    "net_savings",
    "net_savings_undiscounted",
    "gross_savings_cumulative",
    "one_off_costs",
    "fixed_costs",
    "coordination_costs",
    "slot_value",
}
INTEGER_KEYS = {"lots", "iterations", "nodes", "target_period", "formation_limit"}


def money_format(currency: str, decimals: int = 2) -> str:
    """An Excel number format with thousands separators and the currency: "£"#,##0.00
    for GBP, EUR and USD symbols, else the code after the number."""
    number = "#,##0" + ("." + "0" * decimals if decimals else "")
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    if symbol:
        return f'"{symbol}"{number}'
    return f'{number} "{currency}"' if currency else number


@dataclass(frozen=True)
class SheetColumn:
    name: str
    number_format: str | None = None  # None: text or general


def write_plan_workbook(
    result: Result, path: Path, summary: Mapping[str, object] | None = None
) -> None:
    """plan.xlsx: sheets summary, lots, members and timeline, each with a frozen,
    filterable header row, sized columns and number formats (currency with
    thousands separators, whole numbers, percentages); organization, category and
    supplier names beside their ids; quarter labels (2027Q1) and UK financial years
    beside the period numbers when ``period_start`` is a quarter. `summary` is the
    summary.json written beside it (default the result's own)."""
    from openpyxl import Workbook

    inst = result.instance
    money = money_format(inst.settings.currency)
    book = Workbook(write_only=True)
    sheets = [
        ("summary", *_summary_sheet(result, summary, money), "A2"),
        ("lots", *_lots_sheet(result, money), "B2"),
        ("members", *_members_sheet(result, money), "C2"),
        ("timeline", *_timeline_sheet(result, money), "B2"),
    ]
    for title, columns, rows, formats, freeze in sheets:
        _write_sheet(book, title, columns, rows, formats, freeze)
    book.save(path)


def _summary_sheet(
    result: Result, summary: Mapping[str, object] | None, money: str
) -> tuple[list[SheetColumn], list[list[object]], list[list[str | None]]]:
    source = summary if summary is not None else result.summary()
    start = result.instance.settings.period_start
    rows: list[list[object]] = []
    formats: list[list[str | None]] = []
    for key, raw in source.items():
        if isinstance(raw, dict):
            continue
        value = "; ".join(map(str, raw)) if isinstance(raw, list) else _plain(raw)
        rows.append([key, value])
        formats.append([None, _summary_format(key, value, money)])
        if key == "target_period" and isinstance(value, int) and is_quarterly(start):
            rows.append(["target_period_label", period_label(start, value)])
            formats.append([None, None])
    return [SheetColumn("key"), SheetColumn("value")], rows, formats


def _summary_format(key: str, value: object, money: str) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if key in MONEY_KEYS:
        return money
    if key == "gap" or key == "discount_rate" or key.endswith("_share"):
        return PERCENT
    if key.endswith("_seconds"):
        return SECONDS
    if key in INTEGER_KEYS or isinstance(value, int):
        return INTEGER
    return DECIMAL


def _plain(value: object) -> object:
    """A cell value: None for NaN and infinities (an empty cell), numpy scalars as Python."""
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _lots_sheet(
    result: Result, money: str
) -> tuple[list[SheetColumn], list[list[object]], list[list[str | None]]]:
    inst = result.instance
    names = names_of(inst)
    start = inst.settings.period_start
    quarters = is_quarterly(start)
    columns = [
        SheetColumn("lot_id"),
        SheetColumn("category_id"),
        SheetColumn("category"),
        SheetColumn("supplier_id"),
        SheetColumn("supplier"),
        SheetColumn("formation_start", PERIOD),
        *([SheetColumn("start_quarter")] if quarters else []),
        SheetColumn("live_period", PERIOD),
        *([SheetColumn("live_quarter")] if quarters else []),
        SheetColumn("members", INTEGER),
        SheetColumn("member_names"),
        SheetColumn("volume", QUANTITY),
        SheetColumn("unit_price", money),
        SheetColumn("savings_per_period", money),
        SheetColumn("net_savings", money),
    ]
    rows = []
    for i, o in enumerate(result.outcomes):
        lot = o.lot
        row: list[object] = [
            lot_id(i),
            lot.category_id,
            names.category(lot.category_id),
            lot.supplier_id,
            names.supplier(lot.supplier_id),
            lot.start,
        ]
        if quarters:
            row.append(period_label(start, lot.start))
        row.append(o.live)
        if quarters:
            row.append(period_label(start, o.live))
        row += [
            len(lot.members),
            join_names([names.org(m) for m in lot.members]),
            o.volume,
            o.unit_price,
            o.savings_per_period,
            o.net,
        ]
        rows.append(row)
    return columns, rows, [[c.number_format for c in columns]] * len(rows)


def join_names(items: list[str]) -> str:
    """'a; b; c', cut to what one Excel cell holds ('… and 1,234 more')."""
    text = "; ".join(items)
    if len(text) <= CELL_LIMIT:
        return text
    kept: list[str] = []
    size = 0
    for item in items:
        if size + len(item) + 2 > CELL_LIMIT - 40:
            break
        kept.append(item)
        size += len(item) + 2
    return "; ".join(kept) + f" … and {len(items) - len(kept):,} more"


def _members_sheet(
    result: Result, money: str
) -> tuple[list[SheetColumn], list[list[object]], list[list[str | None]]]:
    inst = result.instance
    names = names_of(inst)
    columns = [
        SheetColumn("lot_id"),
        SheetColumn("org_id"),
        SheetColumn("name"),
        SheetColumn("sector"),
        SheetColumn("region"),
        SheetColumn("category_id"),
        SheetColumn("supplier_id"),
        SheetColumn("quantity", QUANTITY),
        SheetColumn("baseline_price", money),
        SheetColumn("unit_price", money),
        SheetColumn("saved", PERCENT),
        SheetColumn("savings_per_period", money),
    ]
    rows = []
    for i, o in enumerate(result.outcomes):
        lot = o.lot
        for org in lot.members:
            quantity, baseline = inst.demand_of[(org, lot.category_id)]
            price = o.member_price[org]
            rows.append(
                [
                    lot_id(i),
                    org,
                    names.org(org),
                    inst.sector[org],
                    inst.region[org],
                    lot.category_id,
                    lot.supplier_id,
                    quantity,
                    baseline,
                    price,
                    (baseline - price) / baseline,
                    o.member_saving[org],
                ]
            )
    return columns, rows, [[c.number_format for c in columns]] * len(rows)


def _timeline_sheet(
    result: Result, money: str
) -> tuple[list[SheetColumn], list[list[object]], list[list[str | None]]]:
    start = result.instance.settings.period_start
    quarters = is_quarterly(start)
    columns = [
        SheetColumn("period", PERIOD),
        *([SheetColumn("quarter"), SheetColumn("financial_year")] if quarters else []),
        SheetColumn("forming_lots", INTEGER),
        SheetColumn("live_lots", INTEGER),
        SheetColumn("savings", money),
        SheetColumn("cumulative_savings", money),
    ]
    rows = []
    for r in result.timeline_table().itertuples(index=False):
        p = int(r.period)
        row: list[object] = [p]
        if quarters:
            year = quarter_of(start, p)
            assert year is not None
            row += [period_label(start, p), financial_year_label(financial_year(*year))]
        row += [int(r.forming_lots), int(r.live_lots), float(r.savings)]
        row.append(float(r.cumulative_savings))
        rows.append(row)
    return columns, rows, [[c.number_format for c in columns]] * len(rows)


def _shown_width(value: object, number_format: str | None) -> int:
    """About how many characters a value takes as Excel shows it."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        return len(str(value))
    if number_format == PERCENT:
        return len(f"{value:.2%}")
    decimals = 0 if number_format in (INTEGER, PERIOD, None) and isinstance(value, int) else 2
    extra = 5 if number_format and '"' in number_format else 0  # the currency
    return len(f"{value:,.{decimals}f}") + extra


def _write_sheet(
    book: Any,
    title: str,
    columns: list[SheetColumn],
    rows: list[list[object]],
    formats: list[list[str | None]],
    freeze: str,
) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    for j, column in enumerate(columns):
        sample = (
            _shown_width(row[j], fmt[j])
            for row, fmt in zip(rows[:WIDTH_SAMPLE], formats[:WIDTH_SAMPLE], strict=True)
        )
        widest = max([len(column.name) + 3, *sample])  # + 3: the filter button
        sheet.column_dimensions[get_column_letter(j + 1)].width = min(
            MAX_WIDTH, max(MIN_WIDTH, widest + 2)
        )
    sheet.freeze_panes = freeze
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="F2F2F2")
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.name)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center")
        header.append(cell)
    sheet.append(header)
    for row, fmt in zip(rows, formats, strict=True):
        cells: list[object] = []
        for value, number_format in zip(row, fmt, strict=True):
            value = _plain(value)
            if number_format is None or value is None:
                cells.append("" if value is None else value)
                continue
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = number_format
            cells.append(cell)
        sheet.append(cells)
