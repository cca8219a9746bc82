"""Small self-contained SVG charts for the HTML report (no scripts, no network).

Every chart has a viewBox (it scales down to the page or the printed sheet), axis
titles, "nice" ticks (1, 2, 5 x 10^k) and labels that fit: a label longer than
its room is cut with an ellipsis and keeps its full text as a tooltip. Text
widths are estimated with the advance widths of DejaVu Sans, the widest of the
common sans-serif faces, so a label measured to fit does fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from consortia.outputs.numbers import compact, nice_ticks
from consortia.outputs.report_views import GanttRow

PALETTE = [
    "#1b6ca8",
    "#e07a1f",
    "#2e9d5b",
    "#c23b3b",
    "#7d52b0",
    "#8c6b45",
    "#d4569b",
    "#6d6d6d",
    "#a3a31f",
    "#1fa3a3",
]
FORMING, WAITING, LIVE = PALETTE[1], "#b8b8b8", PALETTE[0]
FONT = 11  # px, labels and ticks
TITLE_FONT = 12  # px, axis titles

# Advance widths (em) of DejaVu Sans by character; others count as 1 em.
_WIDTHS: dict[str, float] = {}
for _chars, _em in (
    ("ijlI'J", 0.3),
    (" ,.:;|!·/\\ft", 0.4),
    ("()[]r-", 0.42),
    ('"*_`–', 0.5),
    ("sz?", 0.53),
    ("ckvxyLy", 0.6),
    ("0123456789$£€{}aeobdghnpquFPSTY", 0.64),
    ("ABEKRVXZ", 0.69),
    ("CDGHNOQU", 0.79),
    ("w&M", 0.87),
    ("#+<=>^~−%mW@—…", 1.0),
):
    for _ch in _chars:
        _WIDTHS[_ch] = _em


def text_width(text: str, size: float = FONT) -> float:
    """Estimated rendered width in px (a little more than DejaVu Sans needs)."""
    return 1.03 * size * sum(_WIDTHS.get(ch, 1.0) for ch in text)


def fit(text: str, room: float, size: float = FONT) -> str:
    """`text`, or its longest prefix with an ellipsis that fits in `room` px."""
    if text_width(text, size) <= room:
        return text
    cut = len(text)
    while cut > 0 and text_width(text[:cut].rstrip() + "…", size) > room:
        cut -= 1
    return text[:cut].rstrip() + "…" if cut else ""


def label(
    x: float,
    y: float,
    text: str,
    room: float,
    size: float = FONT,
    anchor: str = "start",
    extra: str = "",
    tooltip: str | None = None,
) -> str:
    """An SVG text cut to `room` px; a cut label keeps its full text as a tooltip
    (`tooltip`, when given, is shown whether cut or not)."""
    shown = fit(text, room, size)
    tip = tooltip if tooltip is not None else text if shown != text else ""
    tip = f"<title>{escape(tip)}</title>" if tip else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{extra}>'
        f"{escape(shown)}{tip}</text>"
    )


def _open(width: float, height: float, aria: str, cls: str = "chart") -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{cls}" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="{escape(aria)}">'
    )


def _y_title(x: float, y: float, text: str, room: float) -> str:
    shown = fit(text, room, TITLE_FONT)
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{TITLE_FONT}" text-anchor="middle" '
        f'transform="rotate(-90 {x:.1f} {y:.1f})" class="axis-title">{escape(shown)}</text>'
    )


def thin(labels: Sequence[str], room_each: float, size: float = FONT) -> int:
    """Show every k-th of `labels` placed `room_each` px apart, k so that they never
    touch (k is 1, 2, 4 or a multiple of 4, to keep quarters aligned)."""
    widest = max((text_width(t, size) for t in labels), default=0.0) + 8
    k = max(1, math.ceil(widest / max(room_each, 1e-9)))
    if k <= 2:
        return k
    return 4 * math.ceil(k / 4)


# ---------------------------------------------------------------------------


def line_chart(
    series: dict[str, list[float]],
    labels: list[str],
    target: float | None = None,
    y_title: str = "",
    x_title: str = "",
    money: Callable[[float], str] = compact,
    width: int = 760,
    height: int = 320,
) -> str:
    """Lines over periods with a y axis of nice ticks and an optional target line (each
    line's name is its tooltip; a legend, where wanted, is the caller's)."""
    values = [v for ys in series.values() for v in ys] + ([target] if target else [])
    ticks = nice_ticks(min([0.0, *values]), max([0.0, *values]) or 1.0)
    tick_text = [money(t) for t in ticks]
    n = max(len(labels), 2)
    ends = [text_width(labels[0]) / 2, text_width(labels[-1]) / 2] if labels else [0.0, 0.0]
    left = max(30 + max(text_width(t) for t in tick_text) + 8, ends[0] + 4)
    right, top, bottom = max(16.0, ends[1] + 4), 14, 50
    span = width - left - right
    lo, hi = ticks[0], ticks[-1]

    def x(i: int) -> float:
        return left + i * span / (n - 1)

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - (v - lo) / (hi - lo))

    parts = [_open(width, height, y_title or "line chart")]
    for t, text in zip(ticks, tick_text, strict=True):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
            f'stroke="{"#999" if t == 0 else "#e3e3e3"}"/>'
        )
        parts.append(
            label(left - 6, y(t) + 4, text, left - 26, anchor="end", extra=' class="tick"')
        )
    step = thin(labels, span / (n - 1))
    for i, text in enumerate(labels):
        if i % step == 0:
            parts.append(
                label(
                    x(i), height - bottom + 19, text, span, anchor="middle", extra=' class="tick"'
                )
            )
    parts.append(_y_title(14, top + (height - top - bottom) / 2, y_title, height - top - bottom))
    parts.append(label(left + span / 2, height - 8, x_title, span, TITLE_FONT, "middle"))
    if target:
        ty = y(target)
        above = ty - 6 > top + 10
        text = f"target {money(target)}"
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" '
            'stroke="#c23b3b" stroke-dasharray="6 4"/>'
        )
        parts.append(
            label(
                left + 6,
                ty - 6 if above else ty + 15,
                text,
                span - 12,
                anchor="start",
                extra=' fill="#c23b3b"',
            )
        )
    for k, (name, ys) in enumerate(series.items()):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(ys))
        colour = PALETTE[k % len(PALETTE)]
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" '
            f'points="{points}"><title>{escape(name)}</title></polyline>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    items: Sequence[tuple[str, float]],
    x_title: str = "",
    money: Callable[[float], str] = compact,
    width: int = 520,
    bar: int = 22,
    label_room: int = 170,
) -> str:
    """Horizontal bars with their values, on an axis of nice ticks."""
    values = [v for _, v in items] or [0.0]
    ticks = nice_ticks(min(0.0, *values), max(0.0, *values) or 1.0, 4)
    value_text = [money(v) for _, v in items]
    room = min(label_room, max([text_width(t) for t, _ in items] + [20.0]) + 4)
    left = room + 10
    right = max([text_width(t) for t in value_text] + [text_width(money(ticks[-1])) / 2]) + 14
    top, axis = 6, 40
    height = top + bar * max(1, len(items)) + axis
    span = width - left - right
    lo, hi = ticks[0], ticks[-1]

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * span

    parts = [_open(width, height, x_title or "bar chart")]
    base = top + bar * max(1, len(items))
    for t in ticks:
        parts.append(
            f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top}" y2="{base}" '
            f'stroke="{"#999" if t == 0 else "#e3e3e3"}"/>'
        )
        parts.append(
            label(
                x(t), base + 14, money(t), 2 * (right - 4), anchor="middle", extra=' class="tick"'
            )
        )
    parts.append(label(left + span / 2, height - 6, x_title, width - 8, TITLE_FONT, "middle"))
    for i, ((name, value), text) in enumerate(zip(items, value_text, strict=True)):
        yy = top + i * bar
        a, b = sorted((x(0.0), x(value)))
        parts.append(label(left - 8, yy + bar * 0.68, name, room, anchor="end"))
        parts.append(
            f'<rect x="{a:.1f}" y="{yy + 3}" width="{b - a:.1f}" height="{bar - 6}" '
            f'fill="{PALETTE[0] if value >= 0 else PALETTE[3]}">'
            f"<title>{escape(name)}: {escape(text)}</title></rect>"
        )
        parts.append(label(max(b, x(0.0)) + 5, yy + bar * 0.68, text, right - 6))
    parts.append("</svg>")
    return "".join(parts)


def capacity_chart(
    items: Sequence[tuple[str, float, float]],
    x_title: str = "share of capacity used",
    width: int = 760,
    bar: int = 22,
) -> str:
    """Per offer, the volume used as a share of its capacity (offers in different
    categories count different units, so each is measured against its own capacity);
    an offer without a capacity has no bar, only its volume."""
    ticks = nice_ticks(0.0, 1.0, 5)
    texts = [
        f"{compact(v)} of {compact(c)} ({v / c:.0%})"
        if math.isfinite(c)
        else f"{compact(v)}, no limit"
        for _, v, c in items
    ]
    room = min(250, max([text_width(t) for t, _, _ in items] + [20.0]) + 4)
    left = room + 10
    right = max([text_width(t) for t in texts] + [40.0]) + 14
    top, axis = 6, 40
    base = top + bar * max(1, len(items))
    height = base + axis
    span = width - left - right

    def x(share: float) -> float:
        return left + min(1.0, share) * span

    parts = [_open(width, height, "supplier volume against capacity")]
    for t in ticks:
        parts.append(
            f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top}" y2="{base}" '
            f'stroke="{"#c23b3b" if t == 1 else "#e3e3e3"}"/>'
        )
        parts.append(label(x(t), base + 14, f"{t:.0%}", 40, anchor="middle", extra=' class="tick"'))
    parts.append(label(left + span / 2, height - 6, x_title, width - 8, TITLE_FONT, "middle"))
    for i, ((name, volume, cap), text) in enumerate(zip(items, texts, strict=True)):
        yy = top + i * bar
        parts.append(label(left - 8, yy + bar * 0.68, name, room, anchor="end"))
        if math.isfinite(cap):
            parts.append(
                f'<rect x="{left}" y="{yy + 3}" width="{x(volume / cap) - left:.1f}" '
                f'height="{bar - 6}" fill="{PALETTE[2]}"><title>{escape(name)}: '
                f"{escape(text)}</title></rect>"
            )
        parts.append(label(left + span + 8, yy + bar * 0.68, text, right - 10))
    parts.append("</svg>")
    return "".join(parts)


def gantt(
    rows: Sequence[GanttRow],
    labels: Sequence[str],
    x_title: str = "",
    year_starts: Sequence[int] = (),
    width: int = 760,
    bar: int = 20,
) -> str:
    """Rows of lots over periods: the share of each row's lots forming (orange),
    waiting for the supplier (grey) and live (blue), stacked in each period."""
    horizon = len(labels)
    room = min(300, max([text_width(r.label) for r in rows] + [20.0]) + 4)
    left, right, top = room + 10, 12, 4
    base = top + bar * max(1, len(rows))
    height = base + 44
    span = width - left - right
    cell = span / max(1, horizon)
    parts = [_open(width, height, "formation and live periods", "chart gantt")]
    for p in year_starts:
        xx = left + (p - 1) * cell
        parts.append(f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{top}" y2="{base}" stroke="#ddd"/>')
    step = thin(labels, cell)
    for p, text in enumerate(labels, start=1):
        if (p - 1) % step == 0:
            parts.append(
                label(
                    left + (p - 0.5) * cell,
                    base + 14,
                    text,
                    max(cell * step - 4, 10),
                    anchor="middle",
                    extra=' class="tick"',
                )
            )
    parts.append(label(left + span / 2, height - 6, x_title, width - 8, TITLE_FONT, "middle"))
    for i, row in enumerate(rows):
        yy = top + i * bar
        parts.append(
            label(left - 8, yy + bar * 0.7, row.label, room, anchor="end", tooltip=row.title)
        )
        p = 1
        while p <= horizon:
            state = (row.forming[p - 1], row.waiting[p - 1], row.live[p - 1])
            q = p
            while q < horizon and (row.forming[q], row.waiting[q], row.live[q]) == state:
                q += 1
            if any(state):
                parts.append(_gantt_run(row, state, p, q, labels, left, cell, yy, bar))
            p = q + 1
    parts.append("</svg>")
    return "".join(parts)


def _gantt_run(
    row: GanttRow,
    state: tuple[int, int, int],
    p: int,
    q: int,
    labels: Sequence[str],
    left: float,
    cell: float,
    yy: float,
    bar: int,
) -> str:
    """Periods p..q of a row in one state, as stacked bars with one tooltip."""
    forming, waiting, live = state
    when = labels[p - 1] if p == q else f"{labels[p - 1]}–{labels[q - 1]}"
    if row.lots == 1:
        what = "forming" if forming else "waiting for the supplier" if waiting else "live"
    else:
        said = [
            f"{n:,} {word}"
            for n, word in ((live, "live"), (waiting, "waiting"), (forming, "forming"))
            if n
        ]
        what = ", ".join(said) + f" of {row.lots:,} lots"
    x0, w = left + (p - 1) * cell, (q - p + 1) * cell
    inner = bar - 4
    bottom = yy + 2 + inner
    parts = [f"<g><title>{escape(row.title)} — {escape(when)}: {escape(what)}</title>"]
    for n, colour in ((live, LIVE), (waiting, WAITING), (forming, FORMING)):
        if n:
            h = inner * n / row.lots
            bottom -= h
            parts.append(
                f'<rect x="{x0:.1f}" y="{bottom:.2f}" width="{w:.1f}" height="{h:.2f}" '
                f'fill="{colour}"/>'
            )
    parts.append("</g>")
    return "".join(parts)


def network(
    positions: dict[str, tuple[float, float]],
    edges: list[tuple[str, str]],
    lot_edges: list[tuple[str, str, int]],
    member_colour: dict[str, int],
    names: dict[str, str] | None = None,
    width: int = 760,
    height: int = 460,
    labels: bool = True,
) -> str:
    """The collaboration graph; edges inside a lot drawn thick in the lot's colour.
    Positions (any scale) are stretched to fill the frame; labels stay inside it."""
    names = names or {}
    pad_x, pad_y = 20.0, 22.0
    xs = [p[0] for p in positions.values()] or [0.0]
    ys = [p[1] for p in positions.values()] or [0.0]
    x_lo, x_hi, y_lo, y_hi = min(xs), max(xs), min(ys), max(ys)

    def at(node: str) -> tuple[float, float]:
        px, py = positions[node]
        fx = 0.5 if x_hi == x_lo else (px - x_lo) / (x_hi - x_lo)
        fy = 0.5 if y_hi == y_lo else (py - y_lo) / (y_hi - y_lo)
        return pad_x + fx * (width - 2 * pad_x), pad_y + fy * (height - 2 * pad_y)

    parts = [_open(width, height, "consortia on the collaboration graph", "chart network")]
    for a, b in edges:
        (x1, y1), (x2, y2) = at(a), at(b)
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            'stroke="#cccccc" stroke-width="1"/>'
        )
    for a, b, k in lot_edges:
        (x1, y1), (x2, y2) = at(a), at(b)
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{PALETTE[k % len(PALETTE)]}" stroke-width="3"/>'
        )
    for node in positions:
        x, y = at(node)
        lot = member_colour.get(node)
        fill = "#ffffff" if lot is None else PALETTE[lot % len(PALETTE)]
        name = names.get(node) or node
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{fill}" stroke="#333">'
            f"<title>{escape(name)}{'' if name == node else f' ({escape(node)})'}</title></circle>"
        )
        if labels:
            on_left = x > width / 2
            ly = y - 8 if y > 20 else y + 17
            lx = x - 8 if on_left else x + 8
            room = min(200.0, (lx - 2) if on_left else (width - lx - 2))
            parts.append(label(lx, ly, name, room, 10, "end" if on_left else "start"))
    parts.append("</svg>")
    return "".join(parts)


def region_network(
    nodes: Sequence[tuple[str, int, int]],
    links: dict[tuple[str, str], int],
    width: int = 760,
    height: int = 440,
) -> str:
    """Regions on a circle (area: members in lots), joined by the members linked
    across them in lots (width)."""
    n = len(nodes)
    cx, cy = width / 2, height / 2
    radius = min(width, height) / 2 - 60
    most = max([m for _, _, m in nodes] + [1])
    heaviest = max([*links.values(), 1])
    at: dict[str, tuple[float, float, float]] = {}
    for i, (region, _, _members) in enumerate(nodes):
        angle = -math.pi / 2 + 2 * math.pi * i / max(n, 1)
        at[region] = (cx + radius * math.cos(angle), cy + radius * math.sin(angle), angle)
    parts = [_open(width, height, "regions linked by lots", "chart regions")]
    for (a, b), weight in sorted(links.items(), key=lambda kv: kv[1]):
        if a not in at or b not in at:
            continue
        (x1, y1, _), (x2, y2, _) = at[a], at[b]
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{PALETTE[1]}" '
            f'stroke-opacity="0.7" stroke-width="{1 + 7 * weight / heaviest:.1f}">'
            f"<title>{escape(a)} – {escape(b)}: {weight:,} members linked</title></line>"
        )
    for region, organizations, members in nodes:
        x, y, angle = at[region]
        r = 4 + 18 * math.sqrt(members / most)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{PALETTE[0]}" '
            f'fill-opacity="0.8" stroke="#333"><title>{escape(region)}: {members:,} of '
            f"{organizations:,} organizations in lots</title></circle>"
        )
        dx, dy = math.cos(angle), math.sin(angle)
        anchor = "start" if dx > 0.3 else "end" if dx < -0.3 else "middle"
        lx, ly = x + dx * (r + 6), y + dy * (r + 6) + (4 if abs(dy) < 0.9 else 12 * dy / abs(dy))
        room = (
            width - lx - 4
            if anchor == "start"
            else lx - 4
            if anchor == "end"
            else 2 * min(lx, width - lx) - 8
        )
        parts.append(label(lx, ly, f"{region} ({members:,})", min(room, 200), 11, anchor))
    parts.append("</svg>")
    return "".join(parts)


def frontier_chart(
    whitehall: Sequence[float | None],
    bound: Sequence[float | None],
    plan: Sequence[float | None],
    target: float | None,
    span: tuple[int, int | None],
    labels: Sequence[str],
    y_title: str = "cumulative savings",
    x_title: str = "period",
    money: Callable[[float], str] = compact,
    width: int = 760,
    height: int = 340,
) -> str:
    """When is the target reached (``consortia target``): by each period, the
    Whitehall figure (dashed grey), the proven bound (orange) and the best plan
    found (blue), with the target line and the earliest period marked — a line
    when it is decided (span lo = hi), a shaded band over the periods still
    possible otherwise. A missing value (no plan, no bound) breaks its curve."""
    n = len(labels)
    # the bound is drawn wide and pale under the plan: where they meet, both show
    curves = [
        ("Whitehall figure: everyone could join at once", whitehall, "#8a8a8a", "6 4", 2.5),
        ("proven bound: no plan can save more", bound, "#f0b27a", "", 6.0),
        ("best plan found (checked)", plan, PALETTE[0], "", 2.5),
    ]
    values = [v for _, ys, _, _, _ in curves for v in ys if v is not None and math.isfinite(v)]
    values += [target] if target is not None else []
    ticks = nice_ticks(min([0.0, *values]), max([0.0, *values]) or 1.0)
    tick_text = [money(t) for t in ticks]
    legend_h = 18 * len(curves) + 6
    left = 30 + max(text_width(t) for t in tick_text) + 8
    right = max(16.0, text_width(labels[-1]) / 2 + 4) if labels else 16.0
    top, bottom = 14, 50 + legend_h
    plot_h = height - top - bottom
    span_x = width - left - right
    lo_v, hi_v = ticks[0], ticks[-1]

    def x(p: float) -> float:
        return left + (p - 1) * span_x / max(n - 1, 1)

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - lo_v) / (hi_v - lo_v))

    parts = [_open(width, height, "savings frontier: earliest period reaching the target")]
    lo, hi = span
    if n >= 1 and lo <= n and (hi is None or lo < hi):
        end = n if hi is None else hi
        a, b = x(lo) - 0.5 * span_x / max(n - 1, 1), x(end) + 0.5 * span_x / max(n - 1, 1)
        a, b = max(a, left), min(b, width - right)
        parts.append(
            f'<rect x="{a:.1f}" y="{top}" width="{b - a:.1f}" height="{plot_h:.1f}" '
            f'fill="#f3e7c9"><title>earliest period still open: {escape(labels[lo - 1])}'
            f"{'' if hi is None else ' to ' + escape(labels[hi - 1])}</title></rect>"
        )
        text = f"earliest still open: {labels[lo - 1]}" + (
            "" if hi is None else f"–{labels[hi - 1]}"
        )
        room = width - right - a - 4
        anchor = "start" if room > text_width(text) else "end"
        parts.append(
            label(
                a + 4 if anchor == "start" else b - 4,
                top + 12,
                text,
                max(room, b - left - 4),
                anchor=anchor,
                extra=' fill="#8a6d1f"',
            )
        )
    for t, text in zip(ticks, tick_text, strict=True):
        parts.append(
            f'<line x1="{left:.1f}" x2="{width - right:.1f}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
            f'stroke="{"#999" if t == 0 else "#e3e3e3"}"/>'
        )
        parts.append(
            label(left - 6, y(t) + 4, text, left - 26, anchor="end", extra=' class="tick"')
        )
    step = thin(list(labels), span_x / max(n - 1, 1))
    for i, text in enumerate(labels):
        if i % step == 0:
            parts.append(
                label(
                    x(i + 1),
                    top + plot_h + 19,
                    text,
                    span_x,
                    anchor="middle",
                    extra=' class="tick"',
                )
            )
    parts.append(_y_title(14, top + plot_h / 2, y_title, plot_h))
    parts.append(label(left + span_x / 2, top + plot_h + 40, x_title, span_x, TITLE_FONT, "middle"))
    if target is not None:
        ty = y(target)
        parts.append(
            f'<line x1="{left:.1f}" x2="{width - right:.1f}" y1="{ty:.1f}" y2="{ty:.1f}" '
            'stroke="#c23b3b" stroke-dasharray="6 4"/>'
        )
        parts.append(
            label(
                left + 6,
                ty - 6 if ty - 6 > top + 10 else ty + 15,
                f"target {money(target)}",
                span_x - 12,
                extra=' fill="#c23b3b"',
            )
        )
    if hi is not None and hi == lo and 1 <= hi <= n:
        mx = x(hi)
        parts.append(
            f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{top}" y2="{top + plot_h:.1f}" '
            'stroke="#c23b3b" stroke-width="1.5"/>'
        )
        text = f"earliest: {labels[hi - 1]}"
        room = width - right - mx - 6
        anchor = "start" if room > text_width(text) else "end"
        parts.append(
            label(
                mx + (4 if anchor == "start" else -4),
                top + 12,
                text,
                max(room, mx - left),
                anchor=anchor,
                extra=' fill="#c23b3b"',
            )
        )
    for name, ys, colour, dash, stroke in curves:
        runs: list[list[str]] = [[]]
        for i, v in enumerate(ys):
            if v is None or not math.isfinite(v):
                runs.append([])
            else:
                runs[-1].append(f"{x(i + 1):.1f},{y(v):.1f}")
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        for points in runs:
            if len(points) == 1:
                cx, cy = points[0].split(",")
                parts.append(
                    f'<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}">'
                    f"<title>{escape(name)}</title></circle>"
                )
            elif points:
                parts.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="{stroke}"{dashed} '
                    f'points="{" ".join(points)}"><title>{escape(name)}</title></polyline>'
                )
    for k, (name, _, colour, dash, stroke) in enumerate(curves):
        ly = height - legend_h + 8 + 18 * k
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{left:.1f}" x2="{left + 28:.1f}" y1="{ly:.1f}" y2="{ly:.1f}" '
            f'stroke="{colour}" stroke-width="{stroke}"{dashed}/>'
        )
        parts.append(label(left + 36, ly + 4, name, span_x - 40))
    parts.append("</svg>")
    return "".join(parts)
