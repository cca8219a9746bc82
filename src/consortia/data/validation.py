"""Named checks of spec section 6. Each returns every problem it finds.

The checks work on raw tables (every cell a string) and on parsed rows; none stops
at the first problem, so a user sees everything wrong with an instance at once.

Rows are named as a spreadsheet shows them (spec section 8, v2): the header is row
1, the first data row is row 2. A raw table read from a file carries each record's
row (for a CSV file, the line it starts on) as its index, named ``ROW_INDEX``; any
other raw table is numbered by position from row 2. Parsed rows keep their number
under the key ``ROW``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from typing import Any

import pandas as pd

from consortia.data.schema import (
    IMPLAUSIBLE_RATIO,
    LARGEST,
    MAX_SPEND,
    NON_EMPTY,
    PAIR_LOCK_RULES,
    SETTING_COLUMNS,
    SETTING_KEYS,
    TABLES,
    Column,
)
from consortia.errors import Problem

Row = dict[str, Any]
ROW = "_row"  # a parsed row's spreadsheet row number (no column has this name)
ROW_INDEX = "row"  # the name of a raw table's index when it holds spreadsheet rows


def sheet_rows(frame: pd.DataFrame) -> list[int]:
    """The spreadsheet row of each record of a raw table: its index when a reader
    numbered the records (index named ``ROW_INDEX``), else its position from row 2."""
    if frame.index.name == ROW_INDEX:
        return [int(r) for r in frame.index]
    return list(range(2, len(frame) + 2))


def check_table_names(raw: dict[str, pd.DataFrame]) -> list[Problem]:
    """Unknown tables are errors (a typo must not pass); required tables must exist."""
    problems = [
        Problem(name, None, None, f"unknown table '{name}' (known: {', '.join(TABLES)})")
        for name in raw
        if name not in TABLES
    ]
    problems += [
        Problem(t.name, None, None, "required table is missing")
        for t in TABLES.values()
        if t.required and t.name not in raw
    ]
    return problems


def shown(text: str) -> str:
    """`text` with its control characters escaped (a line break as \\n), so that a
    message naming it stays on one line."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def check_columns(name: str, frame: pd.DataFrame) -> list[Problem]:
    """Every required column is present and no unknown or repeated column is."""
    table = TABLES[name]
    cols = [str(c) for c in frame.columns]
    known = ", ".join(table.column_names)
    problems = [
        Problem(name, None, shown(c), f"unknown column '{shown(c)}' (known: {known})")
        for c in cols
        if c not in table.column_names
    ]
    problems += [
        Problem(name, None, shown(c), "column appears more than once")
        for c in sorted({c for c in cols if cols.count(c) > 1})
    ]
    problems += [
        Problem(name, None, col.name, "required column is missing")
        for col in table.columns
        if col.required and col.name not in cols
    ]
    return problems


def parse_cell(col: Column, text: str) -> tuple[Any, str | None]:
    """Parse one cell; return (value, None) or (None, message)."""
    text = text.strip()
    if text == "":
        if col.required and (not col.nullable or col.name in NON_EMPTY):
            return None, "value is missing"
        return col.default, None
    if col.kind == "text":
        return text, None
    if col.kind == "list":
        return tuple(sorted({p.strip() for p in text.split(";") if p.strip()})), None
    if col.kind == "enum":
        if text not in col.choices:
            return None, f"'{text}' is not one of {', '.join(col.choices)}"
        return text, None
    try:
        number = float(text)
    except ValueError:
        return None, f"'{text}' is not a number"
    if not math.isfinite(number):
        return None, f"'{text}' is not a finite number"
    if col.kind == "int":
        if number != int(number):
            return None, f"'{text}' is not a whole number"
        number = int(number)
    if col.minimum is not None:
        if col.strict and not number > col.minimum:
            return None, f"'{text}' must be greater than {col.minimum:g}"
        if not col.strict and number < col.minimum:
            return None, f"'{text}' must be at least {col.minimum:g}"
    maximum = LARGEST if col.maximum is None else col.maximum
    if number > maximum:
        return None, f"'{text}' must be at most {maximum:,.0f}"
    return number, None


def parse_rows(name: str, frame: pd.DataFrame) -> tuple[list[Row], list[Problem]]:
    """Type every cell of a table; absent optional columns take their default."""
    table = TABLES[name]
    present = [c for c in table.columns if c.name in frame.columns]
    absent = [c for c in table.columns if c.name not in frame.columns]
    rows: list[Row] = []
    problems: list[Problem] = []
    records = frame.to_dict("records")
    for i, record in zip(sheet_rows(frame), records, strict=True):
        row: Row = {ROW: i, **{c.name: c.default for c in absent}}
        for col in present:
            value, message = parse_cell(col, str(record[col.name]))
            if message:
                problems.append(Problem(name, i, col.name, message))
            row[col.name] = value
        rows.append(row)
    return rows, problems


def check_unique(name: str, rows: list[Row], key: tuple[str, ...]) -> list[Problem]:
    """Ids (or id pairs) appear once in a table."""
    seen: dict[tuple, int] = {}
    problems = []
    for row in rows:
        i, k = row[ROW], tuple(row[c] for c in key)
        if any(v is None for v in k):
            continue
        if k in seen:
            shown = ", ".join(f"'{v}'" for v in k)
            problems.append(
                Problem(name, i, key[-1], f"{shown} repeats row {seen[k]} (must be unique)")
            )
        else:
            seen[k] = i
    return problems


def check_known(
    name: str, rows: list[Row], column: str, known: Iterable[str], what: str
) -> list[Problem]:
    """Every id in a column refers to a row of another table."""
    known = set(known)
    return [
        Problem(name, row[ROW], column, f"unknown {what} '{row[column]}'")
        for row in rows
        if row[column] is not None and row[column] not in known
    ]


def check_known_offer(name: str, rows: list[Row], offers: set[tuple[str, str]]) -> list[Problem]:
    """A (supplier, category) pair names an existing offer."""
    return [
        Problem(
            name,
            row[ROW],
            "category_id",
            f"supplier '{row['supplier_id']}' has no offer in category '{row['category_id']}'",
        )
        for row in rows
        if row["supplier_id"] is not None
        and row["category_id"] is not None
        and (row["supplier_id"], row["category_id"]) not in offers
    ]


def check_member_limits(rows: list[Row]) -> list[Problem]:
    """max_members is at least min_members."""
    return [
        Problem(
            "categories",
            row[ROW],
            "max_members",
            f"{row['max_members']} is less than min_members {row['min_members']}",
        )
        for row in rows
        if row["max_members"] is not None
        and row["min_members"] is not None
        and row["max_members"] < row["min_members"]
    ]


def check_tiers(tier_rows: list[Row], offer_rows: list[Row]) -> list[Problem]:
    """Per offer: at least one tier, strictly increasing quantities, non-increasing
    prices (in quantity order), and an incremental schedule starting at 0."""
    by_offer: dict[tuple[str, str], list[tuple[int, Row]]] = {}
    for row in tier_rows:
        by_offer.setdefault((row["supplier_id"], row["category_id"]), []).append((row[ROW], row))
    problems = []
    for offer in offer_rows:
        j, key = offer[ROW], (offer["supplier_id"], offer["category_id"])
        tiers = [
            (i, r)
            for i, r in by_offer.get(key, [])
            if r["min_quantity"] is not None and r["unit_price"] is not None
        ]
        if not by_offer.get(key):
            problems.append(Problem("offers", j, "supplier_id", f"offer {key} has no tiers"))
            continue
        tiers.sort(key=lambda t: t[1]["min_quantity"])
        for (_, prev), (i, cur) in zip(tiers, tiers[1:], strict=False):
            if cur["min_quantity"] == prev["min_quantity"]:
                problems.append(
                    Problem(
                        "tiers",
                        i,
                        "min_quantity",
                        f"{cur['min_quantity']:g} repeats a tier of offer {key} "
                        "(quantities must be strictly increasing)",
                    )
                )
            elif cur["unit_price"] > prev["unit_price"]:
                problems.append(
                    Problem(
                        "tiers",
                        i,
                        "unit_price",
                        f"{cur['unit_price']:g} is higher than {prev['unit_price']:g} at a "
                        f"lower quantity of offer {key} (prices must not increase)",
                    )
                )
        if offer["discount"] == "incremental" and tiers and tiers[0][1]["min_quantity"] != 0:
            i, first = tiers[0]
            problems.append(
                Problem(
                    "tiers",
                    i,
                    "min_quantity",
                    f"incremental offer {key} must start at 0, not {first['min_quantity']:g}",
                )
            )
    return problems


def check_collaboration(rows: list[Row]) -> list[Problem]:
    """An edge joins two different organizations."""
    return [
        Problem("collaboration", row[ROW], "org_b", f"'{row['org_b']}' is linked to itself")
        for row in rows
        if row["org_a"] is not None and row["org_a"] == row["org_b"]
    ]


def check_settings(rows: list[Row]) -> tuple[dict[str, Any], list[Problem]]:
    """Known keys once each, typed values, a horizon; returns the parsed values."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for row in rows:
        i, key, text = row[ROW], row["key"], row["value"] or ""
        if key is None:
            continue
        if key not in SETTING_KEYS:
            problems.append(
                Problem(
                    "settings", i, "key", f"unknown key '{key}' (known: {', '.join(SETTING_KEYS)})"
                )
            )
            continue
        if key in seen:
            problems.append(Problem("settings", i, "key", f"'{key}' repeats row {seen[key]}"))
            continue
        seen[key] = i
        if key == "individually_rational":
            flag = text.strip().lower()
            if flag in ("", "true"):
                values[key] = True
            elif flag == "false":
                values[key] = False
            else:
                problems.append(Problem("settings", i, "value", f"'{text}' is not true or false"))
            continue
        value, message = parse_cell(SETTING_COLUMNS[key], text)
        if message:
            problems.append(Problem("settings", i, "value", f"{key}: {message}"))
        elif value is not None:
            values[key] = value
    if "horizon" not in seen:
        problems.append(Problem("settings", None, "key", "required key 'horizon' is missing"))
    return values, problems


def check_spend(demand: list[Row], tiers: list[Row], horizon: int | None) -> list[Problem]:
    """Money over the horizon stays within what the solver computes exactly: per
    demand row quantity x baseline price x horizon, per tier its unit price on the
    whole demand of its category over the horizon, at most MAX_SPEND."""
    if not horizon:
        return []
    volume: dict[str, float] = {}
    problems = []
    for row in demand:
        i = row[ROW]
        if row["quantity"] is None or row["baseline_price"] is None:
            continue
        volume[row["category_id"]] = volume.get(row["category_id"], 0.0) + row["quantity"]
        spend = row["quantity"] * row["baseline_price"] * horizon
        if spend > MAX_SPEND:
            problems.append(
                Problem(
                    "demand",
                    i,
                    "quantity",
                    f"quantity {row['quantity']:g} at baseline_price {row['baseline_price']:g} "
                    f"over {horizon} periods is {spend:.3g}, more than {MAX_SPEND:.0e} "
                    "(choose larger units)",
                )
            )
    for row in tiers:
        i = row[ROW]
        if row["unit_price"] is None:
            continue
        spend = volume.get(row["category_id"], 0.0) * row["unit_price"] * horizon
        if spend > MAX_SPEND:
            problems.append(
                Problem(
                    "tiers",
                    i,
                    "unit_price",
                    f"unit_price {row['unit_price']:g} on the {volume[row['category_id']]:g} "
                    f"units of category '{row['category_id']}' over {horizon} periods is "
                    f"{spend:.3g}, more than {MAX_SPEND:.0e} (choose larger units)",
                )
            )
    return problems


def check_plausible(demand: list[Row]) -> list[Problem]:
    """Warnings, not errors: a demand quantity over IMPLAUSIBLE_RATIO times the
    median quantity of its category (a unit mix-up or a typo, most likely)."""
    by_category: dict[str, list[float]] = {}
    for row in demand:
        if row["quantity"] is not None:
            by_category.setdefault(row["category_id"], []).append(row["quantity"])
    medians = {c: statistics.median(q) for c, q in by_category.items()}
    return [
        Problem(
            "demand",
            row[ROW],
            "quantity",
            f"{row['quantity']:g} is over {IMPLAUSIBLE_RATIO:,} times the median quantity "
            f"{medians[row['category_id']]:g} of category '{row['category_id']}' "
            "(a unit mix-up or a typo?)",
        )
        for row in demand
        if row["quantity"] is not None
        and row["quantity"] > IMPLAUSIBLE_RATIO * medians[row["category_id"]]
    ]


def check_locks(
    rows: list[Row],
    orgs: set[str],
    categories: set[str],
    suppliers: set[str],
    offers: set[tuple[str, str]],
    demand: set[tuple[str, str]],
) -> list[Problem]:
    """Every lock names what its rule needs (spec section 12): known ids, organizations
    with demand in the category, a supplier (only with join / exclude) with an offer
    in it, and with together / apart a second organization, not the first. A lock
    repeating or contradicting another is no problem here (the instance is then
    infeasible, spec section 13)."""
    problems: list[Problem] = []
    for row in rows:
        problems += _lock_org_problems(row, "org_id", orgs, categories, demand)
        problems += _lock_supplier_problems(row, suppliers, categories, offers)
        problems += _lock_other_org_problems(row, orgs, categories, demand)
    problems += check_known("locks", rows, "category_id", categories, "category")
    return problems


def _lock_org_problems(
    row: Row, column: str, orgs: set[str], categories: set[str], demand: set[tuple[str, str]]
) -> list[Problem]:
    """An organization of a lock is known and has demand in the lock's category."""
    org, cat = row[column], row["category_id"]
    if org is None:
        return []
    if org not in orgs:
        return [Problem("locks", row[ROW], column, f"unknown organization '{org}'")]
    if cat in categories and (org, cat) not in demand:
        return [Problem("locks", row[ROW], column, f"'{org}' has no demand in category '{cat}'")]
    return []


def _lock_supplier_problems(
    row: Row, suppliers: set[str], categories: set[str], offers: set[tuple[str, str]]
) -> list[Problem]:
    """A lock's supplier is only given with join / exclude, is known and has an offer
    in the lock's category."""
    sup, cat, rule = row["supplier_id"], row["category_id"], row["rule"]
    if sup is None:
        return []
    i = row[ROW]
    if rule in PAIR_LOCK_RULES:
        message = f"{_a(rule)} lock names no supplier (supplier_id is for join and exclude locks)"
        return [Problem("locks", i, "supplier_id", message)]
    if sup not in suppliers:
        return [Problem("locks", i, "supplier_id", f"unknown supplier '{sup}'")]
    if cat in categories and (sup, cat) not in offers:
        message = f"supplier '{sup}' has no offer in category '{cat}'"
        return [Problem("locks", i, "supplier_id", message)]
    return []


def _lock_other_org_problems(
    row: Row, orgs: set[str], categories: set[str], demand: set[tuple[str, str]]
) -> list[Problem]:
    """other_org_id is given exactly with together / apart, and names another
    organization with demand in the lock's category."""
    other, rule, i = row["other_org_id"], row["rule"], row[ROW]
    if rule is None:
        return []
    if rule not in PAIR_LOCK_RULES:
        if other is None:
            return []
        message = f"{_a(rule)} lock names one organization (other_org_id is for together and apart)"
        return [Problem("locks", i, "other_org_id", message)]
    if other is None:
        message = f"value is missing ({_a(rule)} lock names two organizations)"
        return [Problem("locks", i, "other_org_id", message)]
    if other == row["org_id"]:
        return [Problem("locks", i, "other_org_id", f"'{other}' is the lock's org_id too")]
    return _lock_org_problems(row, "other_org_id", orgs, categories, demand)


def _a(rule: str) -> str:
    """The rule with its article: "a join", "an apart"."""
    return f"an {rule}" if rule[0] in "aeiou" else f"a {rule}"
