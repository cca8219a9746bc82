"""Period labels and UK financial years.

When ``settings.period_start`` is a calendar quarter such as ``2027Q1``, period p
is the (p-1)-th quarter after it and has a label (``2028Q4``); quarters roll up
into UK financial years, April to March: FY2027-28 is 2027Q2 .. 2028Q1. Any other
``period_start`` (or none) leaves the periods numbered.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

QUARTER = re.compile(r"(\d{4})Q([1-4])")


def quarter_of(start: str | None, period: int) -> tuple[int, int] | None:
    """(year, quarter) of `period` when period 1 is the quarter `start`, else None."""
    match = QUARTER.fullmatch((start or "").strip())
    if not match:
        return None
    index = int(match.group(1)) * 4 + int(match.group(2)) - 1 + period - 1
    return index // 4, index % 4 + 1


def is_quarterly(start: str | None) -> bool:
    return quarter_of(start, 1) is not None


def period_label(start: str | None, period: int) -> str:
    """'2028Q4' for period 8 from '2027Q1'; the bare number otherwise."""
    quarter = quarter_of(start, period)
    return str(period) if quarter is None else f"{quarter[0]}Q{quarter[1]}"


def period_labels(start: str | None, horizon: int) -> list[str]:
    """Labels of periods 1..horizon."""
    return [period_label(start, p) for p in range(1, horizon + 1)]


def financial_year(year: int, quarter: int) -> int:
    """The year a UK financial year starts in (April): 2028Q1 is in FY2027-28."""
    return year if quarter >= 2 else year - 1


def financial_year_label(first_year: int) -> str:
    """'FY2027-28'."""
    return f"FY{first_year}-{(first_year + 1) % 100:02d}"


@dataclass(frozen=True)
class PeriodGroup:
    """Consecutive periods reported together (a financial year, or a block of periods)."""

    label: str
    first: int  # first period, 1-based
    last: int  # last period, inclusive
    complete: bool  # a whole financial year (always true for numbered blocks)

    @property
    def periods(self) -> range:
        return range(self.first, self.last + 1)


def financial_years(start: str | None, horizon: int) -> list[PeriodGroup] | None:
    """The UK financial years the horizon touches (None unless periods are quarters).

    A year cut by the start or the end of the horizon is marked incomplete.
    """
    if not is_quarterly(start):
        return None
    groups: list[PeriodGroup] = []
    current: int | None = None
    first = 1
    for p in range(1, horizon + 1):
        quarter = quarter_of(start, p)
        assert quarter is not None
        fy = financial_year(*quarter)
        if current is not None and fy != current:
            groups.append(_year(current, first, p - 1))
            first = p
        current = fy
    if current is not None:
        groups.append(_year(current, first, horizon))
    return groups


def _year(fy: int, first: int, last: int) -> PeriodGroup:
    return PeriodGroup(financial_year_label(fy), first, last, last - first + 1 == 4)


def period_blocks(horizon: int, most: int = 20) -> list[PeriodGroup]:
    """At most `most` blocks of equal length (the last may be shorter) covering 1..horizon."""
    size = max(1, -(-horizon // most))
    blocks = []
    for first in range(1, horizon + 1, size):
        last = min(horizon, first + size - 1)
        label = f"period {first}" if first == last else f"periods {first}–{last}"
        blocks.append(PeriodGroup(label, first, last, True))
    return blocks


def report_years(start: str | None, horizon: int, most: int = 30) -> list[PeriodGroup]:
    """Financial years for quarters (runs of whole years when there are more than
    `most`), else at most `most` blocks of periods."""
    years = financial_years(start, horizon)
    if years is None:
        return period_blocks(horizon, most)
    if len(years) <= most:
        return years
    size = -(-len(years) // most)
    merged = []
    for k in range(0, len(years), size):
        run = years[k : k + size]
        label = run[0].label if len(run) == 1 else f"{run[0].label} to {run[-1].label}"
        merged.append(PeriodGroup(label, run[0].first, run[-1].last, all(y.complete for y in run)))
    return merged


def group_sums(values: Sequence[float], groups: Sequence[PeriodGroup]) -> list[float]:
    """Sum of values[p - 1] over each group's periods."""
    return [math.fsum(values[p - 1] for p in g.periods) for g in groups]
