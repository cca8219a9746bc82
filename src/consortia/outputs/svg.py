"""Small self-contained SVG charts for the HTML report (no scripts, no network)."""

from __future__ import annotations

from html import escape

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


def _fmt(value: float) -> str:
    for limit, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:,.1f}{suffix}"
    return f"{value:,.0f}"


def line_chart(
    series: dict[str, list[float]],
    labels: list[str],
    target: float | None,
    width: int = 720,
    height: int = 300,
) -> str:
    """Lines over periods, with an optional horizontal target line."""
    left, right, top, bottom = 70, 20, 20, 40
    values = [v for ys in series.values() for v in ys] + ([target] if target else [])
    top_value = max(values + [1.0])
    n = max(len(labels), 2)

    def x(i: int) -> float:
        return left + i * (width - left - right) / (n - 1)

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - v / top_value)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="cumulative savings">'
    ]
    for k in range(5):
        v = top_value * k / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            'stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="11" '
            f'text-anchor="end">{_fmt(v)}</text>'
        )
    step = max(1, len(labels) // 12)
    for i, label in enumerate(labels):
        if i % step == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 16}" font-size="11" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    if target:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(target):.1f}" '
            f'y2="{y(target):.1f}" stroke="#c23b3b" stroke-dasharray="6 4"/>'
        )
        parts.append(
            f'<text x="{width - right}" y="{y(target) - 5:.1f}" font-size="11" '
            f'text-anchor="end" fill="#c23b3b">target {_fmt(target)}</text>'
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


def bar_chart(items: list[tuple[str, float]], width: int = 520, bar: int = 22) -> str:
    """Horizontal bars with values."""
    left, right = 170, 90
    height = max(bar, bar * len(items)) + 10
    top_value = max([v for _, v in items] + [1.0])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">'
    ]
    for i, (label, value) in enumerate(items):
        w = max(0.0, value) / top_value * (width - left - right)
        yy = 5 + i * bar
        parts.append(
            f'<text x="{left - 6}" y="{yy + bar * 0.65:.1f}" font-size="12" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{left}" y="{yy + 3}" width="{w:.1f}" height="{bar - 6}" '
            f'fill="{PALETTE[0]}"><title>{escape(label)}: {value:,.2f}</title></rect>'
        )
        parts.append(
            f'<text x="{left + w + 6:.1f}" y="{yy + bar * 0.65:.1f}" '
            f'font-size="12">{_fmt(value)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def capacity_chart(items: list[tuple[str, float, float]], width: int = 520, bar: int = 22) -> str:
    """Volume per offer against its capacity (a bar and a marker)."""
    left, right = 170, 130
    height = max(bar, bar * len(items)) + 10
    finite = [c for _, _, c in items if c != float("inf")]
    top_value = max([v for _, v, _ in items] + finite + [1.0])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">'
    ]
    span = width - left - right
    for i, (label, volume, cap) in enumerate(items):
        yy = 5 + i * bar
        w = volume / top_value * span
        parts.append(
            f'<text x="{left - 6}" y="{yy + bar * 0.65:.1f}" font-size="12" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{left}" y="{yy + 3}" width="{w:.1f}" height="{bar - 6}" '
            f'fill="{PALETTE[2]}"/>'
        )
        text = f"{_fmt(volume)} / " + ("unlimited" if cap == float("inf") else _fmt(cap))
        if cap != float("inf"):
            cx = left + cap / top_value * span
            parts.append(
                f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{yy}" y2="{yy + bar}" '
                'stroke="#c23b3b" stroke-width="2"/>'
            )
        parts.append(
            f'<text x="{left + span + 6}" y="{yy + bar * 0.65:.1f}" font-size="12">{text}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def gantt(
    rows: list[tuple[str, int, int, int]], horizon: int, width: int = 720, bar: int = 20
) -> str:
    """Per lot: formation (start .. start+lead-1), waiting for the supplier, live."""
    left, right = 190, 20
    height = bar * len(rows) + 30
    cell = (width - left - right) / horizon
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'role="img" aria-label="formation and live periods">'
    ]
    for p in range(1, horizon + 1):
        xx = left + (p - 1) * cell
        parts.append(
            f'<text x="{xx + cell / 2:.1f}" y="{height - 8}" font-size="10" '
            f'text-anchor="middle">{p}</text>'
        )
    for i, (label, start, formed, live) in enumerate(rows):
        yy = 4 + i * bar
        parts.append(
            f'<text x="{left - 6}" y="{yy + bar * 0.7:.1f}" font-size="11" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        spans = [
            (start, formed, PALETTE[1], "forming"),
            (formed, live, "#bbbbbb", "waiting"),
            (live, horizon + 1, PALETTE[0], "live"),
        ]
        for a, b, colour, what in spans:
            if b > a:
                parts.append(
                    f'<rect x="{left + (a - 1) * cell:.1f}" y="{yy + 2}" '
                    f'width="{(b - a) * cell:.1f}" height="{bar - 4}" fill="{colour}">'
                    f"<title>{escape(label)}: {what} {a}-{b - 1}</title></rect>"
                )
    parts.append("</svg>")
    return "".join(parts)


def network(
    positions: dict[str, tuple[float, float]],
    edges: list[tuple[str, str]],
    lot_edges: list[tuple[str, str, int]],
    member_colour: dict[str, int],
    width: int = 720,
    height: int = 480,
    labels: bool = True,
) -> str:
    """The collaboration graph; edges inside a lot drawn thick in the lot's colour."""
    pad = 30

    def at(node: str) -> tuple[float, float]:
        px, py = positions[node]
        return pad + (px + 1) / 2 * (width - 2 * pad), pad + (py + 1) / 2 * (height - 2 * pad)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'role="img" aria-label="consortia on the collaboration graph">'
    ]
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
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{fill}" stroke="#333">'
            f"<title>{escape(node)}</title></circle>"
        )
        if labels:
            parts.append(
                f'<text x="{x + 8:.1f}" y="{y - 6:.1f}" font-size="10">{escape(node)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
