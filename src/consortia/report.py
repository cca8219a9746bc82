"""Plain-text summaries of a result for the terminal."""

from __future__ import annotations

from consortia.result import Result, lot_id


def _members(members: tuple[str, ...], width: int = 34) -> str:
    text = ", ".join(members)
    return text if len(text) <= width else text[: width - 1] + "…"


def plan_table(result: Result) -> str:
    """Lots (members, supplier, live period, savings), then totals and quality."""
    inst = result.instance
    cur = inst.settings.currency
    start = inst.settings.period_start
    head = f"{'lot':<5} {'category':<14} {'supplier':<12} {'members':<34} {'start':>5} " \
           f"{'live':>4} {'saving/period':>14} {'net savings':>14}"
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
    lines.append(f"Best bound   {result.best_bound:,.2f} {cur}   gap {gap:.4%}")
    target = inst.settings.savings_target
    if target is not None:
        period = result.target_period
        when = "never within the horizon" if period is None else f"in period {period}"
        label = f" (period 1 = {start})" if start else ""
        lines.append(f"Target {target:,.2f} {cur} reached {when}{label}")
    t = result.timings
    lines.append(
        "Time         build {:.2f}s, hand-off {:.2f}s, solve {:.2f}s".format(
            t.get("candidates", 0) + t.get("build", 0), t.get("handoff", 0), t.get("solve", 0)
        )
    )
    return "\n".join(lines)
