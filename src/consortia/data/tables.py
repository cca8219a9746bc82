"""Turn a typed Instance back into the string tables of the files."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from consortia.data.instance import Instance
from consortia.data.schema import TABLES
from consortia.data.validation import ROW_INDEX


def _cell(value: Any) -> str:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        return repr(value)
    if isinstance(value, (tuple, list, frozenset, set)):
        return ";".join(sorted(str(v) for v in value))
    return str(value)


def typed_parts(inst: Instance) -> tuple[dict[str, Any], dict[str, pd.DataFrame | None]]:
    """Copies of the settings and typed tables, to change and turn back into files."""
    s = inst.settings
    settings = {
        "horizon": s.horizon,
        "max_parallel_formations": s.max_parallel_formations,
        "individually_rational": s.individually_rational,
        "discount_rate": s.discount_rate,
        "savings_target": s.savings_target,
        "currency": s.currency,
        "period_start": s.period_start,
    }
    frames = {
        name: (None if getattr(inst, name) is None else getattr(inst, name).copy())
        for name in TABLES
        if name != "settings"
    }
    return settings, frames


def instance_to_tables(inst: Instance) -> dict[str, pd.DataFrame]:
    """The instance as raw string tables, as a reader would load them from files."""
    return parts_to_tables(*typed_parts(inst))


def parts_to_tables(
    settings: dict[str, Any], frames: dict[str, pd.DataFrame | None]
) -> dict[str, pd.DataFrame]:
    tables = {
        "settings": pd.DataFrame(
            {"key": list(settings), "value": [_cell(v) for v in settings.values()]}
        )
    }
    for name, frame in frames.items():
        if frame is None:
            continue
        tables[name] = pd.DataFrame(
            {col: [_cell(v) for v in frame[col].tolist()] for col in frame.columns},
            columns=list(frame.columns),
            # spreadsheet rows, as read (the locks are named by them)
            index=frame.index if frame.index.name == ROW_INDEX else None,
        )
    return tables
