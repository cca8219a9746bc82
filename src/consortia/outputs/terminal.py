"""Plain-text summaries of a result for the terminal."""

from __future__ import annotations

import math
import re

from consortia.solvers.base import LIMIT_NOTE
from consortia.solvers.result import Result, lot_id


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


def plan_table(result: Result) -> str:
    """Lots (members, supplier, live period, savings), then totals and quality."""
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
    gap = result.gap
    lines.append(f"Net savings  {result.objective:,.2f} {cur}   ({result.status})")
    if math.isfinite(result.best_bound):
        lines.append(f"Best bound   {result.best_bound:,.2f} {cur}   gap {gap:.4%}")
    else:
        lines.append("Best bound   none proven")
    target = inst.settings.savings_target
    if target is not None:
        period = result.target_period
        when = "never within the horizon" if period is None else f"in {period_label(start, period)}"
        lines.append(f"Target {target:,.2f} {cur} reached {when}")
    for message in result.messages:
        if message.startswith(LIMIT_NOTE):
            lines.append(f"Note         {message.removeprefix(LIMIT_NOTE)}")
    t = result.timings
    lines.append(
        f"Time         model {t.build_seconds:.2f}s, solve {t.search_seconds:.2f}s "
        f"({result.formulation})"
    )
    return "\n".join(lines)
