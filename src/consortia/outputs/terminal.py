"""Plain-text summaries of a result for the terminal."""

from __future__ import annotations

import math
import re

from consortia.outputs.writer import plan_coverage
from consortia.rules.coverage import Coverage
from consortia.rules.savings import TARGET_MEASURE, SavingsFigures, savings_figures
from consortia.solvers.base import LIMIT_NOTE
from consortia.solvers.result import Result, lot_id

LABEL = 18  # width of the labels of the summary lines


def _members(members: tuple[str, ...], width: int = 34) -> str:
    text = ", ".join(members)
    return text if len(text) <= width else text[: width - 1] + "…"


def period_label(start: str | None, period: int) -> str:
    """'2028Q4' for period 8 from '2027Q1'; the bare number when start is not YYYYQn."""
    match = re.fullmatch(r"(\d{4})Q([1-4])", start or "")
    if not match:
        return f"period {period}"
    index = int(match.group(1)) * 4 + int(match.group(2)) - 1 + period - 1
    return f"period {period} ({index // 4}Q{index % 4 + 1})"


def plan_table(result: Result, covered: Coverage | None = None) -> str:
    """Lots (members, supplier, live period, savings), then the savings figures
    (``rules/savings.py``), quality and why the search stopped, target, coverage
    (``rules/coverage.py``; computed unless given) and timings."""
    inst = result.instance
    cur = inst.settings.currency
    start = inst.settings.period_start
    head = (
        f"{'lot':<5} {'category':<14} {'supplier':<12} {'members':<34} {'start':>5} "
        f"{'live':>4} {'saving/period':>14} {'net savings':>14}"
    )
    lines = [head, "-" * len(head)]
    for i, out in enumerate(result.outcomes):
        lot = out.lot
        lines.append(
            f"{lot_id(i):<5} {lot.category_id[:14]:<14} {lot.supplier_id[:12]:<12} "
            f"{_members(lot.members):<34} {lot.start:>5} {out.live:>4} "
            f"{out.savings_per_period:>14,.2f} {out.net:>14,.2f}"
        )
    if not result.outcomes:
        lines.append("(no lot pays: every organization keeps buying alone)")
    lines.append("-" * len(head))
    figures = savings_figures(inst, result.outcomes)
    lines += savings_lines(figures, start, result.status)
    gap = result.gap
    if math.isfinite(result.best_bound):
        lines.append(_line("Best bound", f"{_amount(result.best_bound, cur)}   gap {gap:.4%}"))
    else:
        lines.append(_line("Best bound", "none proven"))
    if result.stop_reason:
        lines.append(_line("Stopped", result.stop_reason))
    if result.slot_values:
        lines.append(_line("What binds", slot_sentence(result.slot_values, start, cur)))
    if figures.target is not None:
        period = figures.target_period
        when = "never within the horizon" if period is None else f"in {period_label(start, period)}"
        lines.append(
            _line("Target", f"{_amount(figures.target, cur)} of {TARGET_MEASURE}, reached {when}")
        )
    lines += coverage_lines(covered if covered is not None else plan_coverage(result))
    for message in result.messages:
        if message.startswith(LIMIT_NOTE):
            lines.append(_line("Note", message.removeprefix(LIMIT_NOTE)))
    t = result.timings
    lines.append(
        _line(
            "Time",
            f"model {t.build_seconds:.2f}s, solve {t.search_seconds:.2f}s ({result.formulation})",
        )
    )
    return "\n".join(lines)


def slot_sentence(values: dict[int, float], start: str | None, currency: str) -> str:
    """The three periods whose formation slot has the highest shadow price in the
    master LP: the rate at which savings would grow with slot capacity there, an
    estimate of what one more formation is worth (not a re-solve)."""
    best = sorted(values.items(), key=lambda kv: -kv[1])[:3]
    parts = [f"{period_label(start, p)} {_amount(v, currency).strip()}" for p, v in best]
    return (
        "one more formation is worth about "
        + ", ".join(parts)
        + " (shadow prices of the master LP; --slot-value re-solves)"
    )


def _line(label: str, text: str) -> str:
    return f"{label:<{LABEL}} {text}"


def _amount(value: float, currency: str) -> str:
    return f"{value:>14,.2f} {currency}"


def savings_lines(figures: SavingsFigures, start: str | None, status: str) -> list[str]:
    """Gross savings, one-off costs and net savings (undiscounted, and as the net
    present value when discounted), each labelled with the currency."""
    cur = figures.currency
    gross = figures.gross_per_period
    full = ""
    if gross and gross[-1] > 0:
        first = next(p for p, g in enumerate(gross, start=1) if g == gross[-1])
        full = f"; {gross[-1]:,.2f} {cur} a period from {period_label(start, first)}"
    lines = [
        _line("Gross savings", f"{_amount(figures.gross_cumulative, cur)} cumulative{full}"),
        _line(
            "One-off costs",
            f"{_amount(figures.one_off_costs, cur)} (fixed {figures.fixed_costs:,.2f} + "
            f"coordination {figures.coordination_costs:,.2f})",
        ),
    ]
    if figures.discounted:
        lines.append(
            _line(
                "Net savings",
                f"{_amount(figures.net_undiscounted, cur)} undiscounted (gross − one-off costs)",
            )
        )
        lines.append(
            _line(
                "Net present value",
                f"{_amount(figures.net, cur)} at {figures.discount_rate:.2%} a period   ({status})",
            )
        )
    else:
        lines.append(
            _line(
                "Net savings", f"{_amount(figures.net, cur)} (gross − one-off costs)   ({status})"
            )
        )
    return lines


def coverage_lines(covered: Coverage) -> list[str]:
    """How many demand pairs the plan pools, by count, volume and spend, and how many
    it leaves out for each reason."""
    lines = [
        _line(
            "Pooled",
            f"{covered.pooled:,} of {covered.pairs:,} organization–category pairs "
            f"({covered.volume_share:.0%} of volume, {covered.spend_share:.0%} of spend)",
        )
    ]
    counts = covered.counts()
    if counts:
        left = sum(counts.values())
        reasons = ", ".join(f"{k:,} {reason}" for reason, k in counts.items())
        lines.append(_line("Left out", f"{left:,}: {reasons}"))
    return lines
