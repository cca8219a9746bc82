"""Numbers as a reader sees them: money, compact figures and "nice" axis ticks."""

from __future__ import annotations

import math

CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def nice_step(span: float, count: int = 5) -> float:
    """The smallest step of the form 1, 2 or 5 x 10^k that cuts `span` into at most
    `count` intervals (1 for an empty span)."""
    if not math.isfinite(span) or span <= 0:
        return 1.0
    raw = span / max(1, count)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for multiple in (1.0, 2.0, 5.0, 10.0):
        if multiple * magnitude >= raw * (1 - 1e-12):
            return multiple * magnitude
    return 10.0 * magnitude  # pragma: no cover - the loop always returns


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Ticks at multiples of a nice step (1, 2, 5 x 10^k) covering [low, high].

    The first tick is at or below `low`, the last at or above `high`; there are at
    most `count` + 1 of them (a step a little larger is taken when rounding the ends
    outwards would add one).
    """
    if low > high:
        low, high = high, low
    if high == low:
        high = low + (abs(low) or 1.0)
    step = nice_step(high - low, count)
    while True:
        first = math.floor(low / step + 1e-9) * step
        last = math.ceil(high / step - 1e-9) * step
        intervals = round((last - first) / step)
        if intervals <= count:
            break
        step = _next_step(step)
    digits = max(0, 1 - math.floor(math.log10(step)))
    return [round(first + k * step, digits) + 0.0 for k in range(intervals + 1)]


def _next_step(step: float) -> float:
    """The nice step after `step`: 1 -> 2 -> 5 -> 10 (x 10^k)."""
    magnitude = 10.0 ** math.floor(math.log10(step) + 1e-9)
    multiple = round(step / magnitude)
    return (2.0 if multiple < 2 else 5.0 if multiple < 5 else 10.0) * magnitude


def compact(value: float) -> str:
    """1.25bn, 350k, 12.5m, 940: three significant digits, no trailing zeros."""
    sign = "−" if value < 0 else ""
    size = abs(value)
    for limit, suffix in ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if size >= limit * (1 - 5e-4):
            return sign + _three(size / limit) + suffix
    return sign + _three(size)


def _three(value: float) -> str:
    """Three significant digits at most (more only left of the point), no trailing zeros."""
    decimals = 2 if value < 9.995 else 1 if value < 99.95 else 0
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(value: float, currency: str, short: bool = False, decimals: int = 0) -> str:
    """£1,234 / £1.2m (short) / 1,234 SEK — the currency's symbol where one is known."""
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    sign = "−" if value < 0 else ""
    body = compact(abs(value)) if short else f"{abs(value):,.{decimals}f}"
    if symbol:
        return f"{sign}{symbol}{body}"
    return f"{sign}{body} {currency}".rstrip()


def percent(share: float | None, decimals: int = 1) -> str:
    """'12.3%' ('—' when there is nothing to divide)."""
    if share is None or not math.isfinite(share):
        return "—"
    return f"{share:.{decimals}%}"


def ratio(part: float, whole: float) -> float | None:
    """part / whole, None when whole is 0."""
    return part / whole if whole else None
