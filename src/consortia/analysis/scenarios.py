"""What-if scenarios: named lists of changes applied to a base instance.

A scenario file is TOML (see ``instances/demo/scenarios.toml``)::

    [[scenario]]
    name = "twice the central team"
    changes = [ { kind = "setting", key = "max_parallel_formations", value = 4 } ]

Change kinds and their fields (selectors are optional; a value or a list):

- ``setting`` (key, value): set horizon, max_parallel_formations, discount_rate,
  savings_target or any other settings key.
- ``scale_demand`` (factor; sector, region, category): multiply selected quantities.
- ``scale_capacity`` (supplier, factor; category): multiply the offers' capacities
  (unlimited stays unlimited).
- ``cap_capacity`` (supplier, value; category): cap the offers' capacities.
- ``remove_offers`` (supplier; category): remove offers with their tiers and
  surcharges.
- ``delay_supplier`` (supplier, periods; category): available_from + periods.
- ``scale_lead_times`` (factor; category): base_lead (rounded) and member_lead
  times factor.
- ``shift_readiness`` (periods; sector, region, org): ready_period + periods
  (at least 1).
- ``tier_prices`` (percent; supplier, category): unit prices times
  (1 + percent / 100).
- ``add_lock`` (rule, org, category; supplier, other_org): a row of the locks
  table (spec section 12): ``join`` / ``exclude`` (supplier optional) or
  ``together`` / ``apart`` (other_org required). It gets the row after the last,
  so the base's locks keep their rows.
- ``remove_locks`` (; row, rule, org, category, supplier, other_org): remove the
  selected locks (every lock when nothing is selected); the others keep their rows.
- ``set_max_suppliers`` (value; category): the categories' ``max_suppliers``, a
  whole number ≥ 1 or ``"unlimited"`` (spec section 11).
- ``set_max_share`` (value; supplier, category): the offers' ``max_share``, a
  number in (0, 1] (1: no limit).

Fields after the semicolon are optional selectors (a value or a list).
A change that selects nothing, or a scenario whose result is not a valid instance,
is an error naming the scenario and the change.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from consortia.data.instance import Instance
from consortia.data.reader import instance_from_tables
from consortia.data.schema import LOCK_RULES, PAIR_LOCK_RULES, TABLES
from consortia.data.tables import parts_to_tables, typed_parts
from consortia.data.validation import ROW_INDEX
from consortia.errors import InvalidInstanceError, UsageError

Frames = dict[str, pd.DataFrame | None]


@dataclass(frozen=True)
class Scenario:
    name: str
    changes: tuple[dict[str, Any], ...]


class ScenarioError(UsageError):
    """A scenario file or change that cannot be applied."""


def read_scenarios(path: str | Path) -> list[Scenario]:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"no scenario file at '{path}'") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path} is not valid TOML: {exc}") from None
    unknown = set(data) - {"scenario"}
    if unknown:
        raise ScenarioError(f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))}")
    entries = data.get("scenario")
    if not isinstance(entries, list) or not entries:
        raise ScenarioError(f"{path} defines no [[scenario]]")
    out, seen = [], set()
    for i, entry in enumerate(entries, start=1):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise ScenarioError(f"{path}: scenario {i} has no name")
        if name in seen or name == "base":
            raise ScenarioError(f"{path}: scenario name '{name}' is used twice or reserved")
        seen.add(name)
        extra = set(entry) - {"name", "changes", "description"}
        if extra:
            raise ScenarioError(f"scenario '{name}': unknown key(s) {', '.join(sorted(extra))}")
        changes = entry.get("changes", [])
        if not isinstance(changes, list) or not all(isinstance(c, dict) for c in changes):
            raise ScenarioError(f"scenario '{name}': changes must be a list of tables")
        out.append(Scenario(name, tuple(changes)))
    return out


def apply_scenario(base: Instance, scenario: Scenario) -> Instance:
    """The base instance with the scenario's changes, validated."""
    settings, frames = typed_parts(base)
    for number, change in enumerate(scenario.changes, start=1):
        kind = change.get("kind")
        where = f"scenario '{scenario.name}', change {number} ({kind})"
        handler = CHANGES.get(str(kind))
        if handler is None:
            raise ScenarioError(f"{where}: unknown kind (known: {', '.join(CHANGES)})")
        fields, apply = handler
        allowed = {"kind", *fields}
        extra = set(change) - allowed
        if extra:
            raise ScenarioError(f"{where}: unknown field(s) {', '.join(sorted(extra))}")
        try:
            apply(settings, frames, change)
        except (KeyError, TypeError, ValueError) as exc:
            raise ScenarioError(f"{where}: {exc}") from None
        except ScenarioError as exc:
            raise ScenarioError(f"{where}: {exc}") from None
    try:
        inst = instance_from_tables(parts_to_tables(settings, frames), name=scenario.name)
    except InvalidInstanceError as exc:
        raise ScenarioError(
            f"scenario '{scenario.name}' gives an invalid instance: {exc}"
        ) from None
    return inst


# --- change kinds ---------------------------------------------------------------


def _values(change: dict[str, Any], key: str) -> set[str] | None:
    value = change.get(key)
    if value is None:
        return None
    return {str(v) for v in (value if isinstance(value, list) else [value])}


def _number(change: dict[str, Any], key: str) -> float:
    if key not in change:
        raise KeyError(f"'{key}' is missing")
    value = change[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"'{key}' must be a number, not {value!r}")
    return float(value)


def _require(mask: pd.Series, what: str) -> None:
    if not mask.any():
        raise ScenarioError(f"selects no {what}")


def _org_mask(frames: Frames, change: dict[str, Any], org_column: pd.Series) -> pd.Series:
    orgs = frames["organizations"]
    assert orgs is not None
    keep = pd.Series(True, index=orgs.index)
    for field, column in (("sector", "sector"), ("region", "region"), ("org", "org_id")):
        chosen = _values(change, field)
        if chosen is not None:
            keep &= orgs[column].isin(chosen)
    return org_column.isin(set(orgs.loc[keep, "org_id"]))


def _offer_mask(frame: pd.DataFrame, change: dict[str, Any], need_supplier: bool) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    suppliers = _values(change, "supplier")
    if suppliers is None and need_supplier:
        raise KeyError("'supplier' is missing")
    if suppliers is not None:
        mask &= frame["supplier_id"].isin(suppliers)
    categories = _values(change, "category")
    if categories is not None:
        mask &= frame["category_id"].isin(categories)
    return mask


def _selected_offers(frames: Frames, change: dict[str, Any]) -> tuple[pd.DataFrame, pd.Series]:
    """The offers table and the mask of the offers a supplier change selects."""
    offers = frames["offers"]
    assert offers is not None
    mask = _offer_mask(offers, change, need_supplier=True)
    _require(mask, "offer")
    return offers, mask


def _setting(settings: dict[str, Any], frames: Frames, change: dict[str, Any]) -> None:
    key = change.get("key")
    if key not in settings:
        raise KeyError(f"unknown setting '{key}' (known: {', '.join(settings)})")
    settings[key] = change.get("value")


def _scale_demand(settings: dict[str, Any], frames: Frames, change: dict[str, Any]) -> None:
    factor = _number(change, "factor")
    demand = frames["demand"]
    assert demand is not None
    mask = _org_mask(frames, change, demand["org_id"])
    categories = _values(change, "category")
    if categories is not None:
        mask &= demand["category_id"].isin(categories)
    _require(mask, "demand")
    demand.loc[mask, "quantity"] = demand.loc[mask, "quantity"] * factor


def _scale_capacity(settings: dict[str, Any], frames: Frames, change: dict[str, Any]) -> None:
    factor = _number(change, "factor")
    offers, mask = _selected_offers(frames, change)
    offers.loc[mask, "capacity"] = offers.loc[mask, "capacity"] * factor


def _cap_capacity(settings: dict[str, Any], frames: Frames, change: dict[str, Any]) -> None:
    value = _number(change, "value")
    offers, mask = _selected_offers(frames, change)
    offers.loc[mask, "capacity"] = offers.loc[mask, "capacity"].clip(upper=value)


def _remove_offers(settings: dict[str, Any], frames: Frames, change: dict[str, Any]) -> None:
    offers, mask = _selected_offers(frames, change)
    gone = set(zip(offers.loc[mask, "supplier_id"], offers.loc[mask, "category_id"], strict=True))
    frames["offers"] = offers[~mask].reset_index(drop=True)
    for name in ("tiers", "surcharges"):
        frame = frames[name]
        if frame is not None and len(frame):
            keys = list(zip(frame["supplier_id"], frame["category_id"], strict=True))
            frames[name] = frame[[k not in gone for k in keys]].reset_index(drop=True)


def _delay_supplier(settings: dict[str, Any], frames: Frames, change: dict[str, Any]) -> None:
    periods = int(_number(change, "periods"))
    offers, mask = _selected_offers(frames, change)
    offers.loc[mask, "available_from"] = (offers.loc[mask, "available_from"] + periods).clip(
        lower=1
    )


def _scale_lead_times(settings: dict[str, Any], frames: Frames, change: dict[str, Any]) -> None:
    factor = _number(change, "factor")
    cats = frames["categories"]
    assert cats is not None
    chosen = _values(change, "category")
    mask = pd.Series(True, index=cats.index) if chosen is None else cats["category_id"].isin(chosen)
    _require(mask, "category")
    cats.loc[mask, "base_lead"] = (cats.loc[mask, "base_lead"] * factor).round().astype(int)
    cats.loc[mask, "member_lead"] = cats.loc[mask, "member_lead"] * factor


def _shift_readiness(settings: dict[str, Any], frames: Frames, change: dict[str, Any]) -> None:
    periods = int(_number(change, "periods"))
    orgs = frames["organizations"]
    assert orgs is not None
    mask = _org_mask(frames, change, orgs["org_id"])
    _require(mask, "organization")
    orgs.loc[mask, "ready_period"] = (orgs.loc[mask, "ready_period"] + periods).clip(lower=1)


def _tier_prices(settings: dict[str, Any], frames: Frames, change: dict[str, Any]) -> None:
    percent = _number(change, "percent")
    tiers = frames["tiers"]
    assert tiers is not None
    mask = _offer_mask(tiers, change, need_supplier=False)
    _require(mask, "tier")
    tiers.loc[mask, "unit_price"] = tiers.loc[mask, "unit_price"] * (1 + percent / 100)


def _locks_frame(frames: Frames) -> pd.DataFrame:
    """The locks table, created empty when the base has none; indexed by row."""
    locks = frames.get("locks")
    if locks is None:
        columns = list(TABLES["locks"].column_names)
        locks = pd.DataFrame(columns=columns, index=pd.Index([], name=ROW_INDEX, dtype="int64"))
        frames["locks"] = locks
    return locks


def _text(change: dict[str, Any], key: str) -> str | None:
    value = change.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ValueError(f"'{key}' must be an id (text), not {value!r}")
    return value


def _known(frames: Frames, table: str, column: str, value: str | None, what: str) -> None:
    frame = frames[table]
    assert frame is not None
    if value is not None and value not in set(frame[column]):
        raise ValueError(f"unknown {what} '{value}'")


def _add_lock(settings: dict[str, Any], frames: Frames, change: dict[str, Any]) -> None:
    rule = change.get("rule")
    if rule not in LOCK_RULES:
        raise ValueError(f"'rule' must be one of {', '.join(LOCK_RULES)}, not {rule!r}")
    org, cat = _text(change, "org"), _text(change, "category")
    if org is None or cat is None:
        raise ValueError("'org' and 'category' are required")
    supplier, other = _text(change, "supplier"), _text(change, "other_org")
    if (other is None) == (rule in PAIR_LOCK_RULES):
        raise ValueError(
            f"'other_org' is {'required' if other is None else 'only'} for together and apart"
        )
    if supplier is not None and rule in PAIR_LOCK_RULES:
        raise ValueError("'supplier' is only for join and exclude")
    _known(frames, "organizations", "org_id", org, "organization")
    _known(frames, "organizations", "org_id", other, "organization")
    _known(frames, "categories", "category_id", cat, "category")
    _known(frames, "suppliers", "supplier_id", supplier, "supplier")
    locks = _locks_frame(frames)
    row = int(locks.index.max()) + 1 if len(locks) else 2
    locks.loc[row] = {
        "rule": rule,
        "org_id": org,
        "category_id": cat,
        "supplier_id": supplier,
        "other_org_id": other,
    }


def _remove_locks(settings: dict[str, Any], frames: Frames, change: dict[str, Any]) -> None:
    locks = _locks_frame(frames)
    mask = pd.Series(True, index=locks.index)
    rows = _values(change, "row")
    if rows is not None:
        mask &= locks.index.astype(str).isin(rows)
    for field, column in (
        ("rule", "rule"),
        ("org", "org_id"),
        ("category", "category_id"),
        ("supplier", "supplier_id"),
        ("other_org", "other_org_id"),
    ):
        chosen = _values(change, field)
        if chosen is not None:
            mask &= locks[column].isin(chosen)
    _require(mask, "lock")
    frames["locks"] = locks[~mask]


def _set_max_suppliers(settings: dict[str, Any], frames: Frames, change: dict[str, Any]) -> None:
    cats = frames["categories"]
    assert cats is not None
    value = change.get("value")
    if value == "unlimited":
        limit: object = pd.NA
    else:
        number = _number(change, "value")
        if number < 1 or number != int(number):
            raise ValueError(f"'value' must be a whole number >= 1 or \"unlimited\", not {value!r}")
        limit = int(number)
    chosen = _values(change, "category")
    mask = pd.Series(True, index=cats.index) if chosen is None else cats["category_id"].isin(chosen)
    _require(mask, "category")
    cats.loc[mask, "max_suppliers"] = limit


def _set_max_share(settings: dict[str, Any], frames: Frames, change: dict[str, Any]) -> None:
    value = _number(change, "value")
    if not 0 < value <= 1:
        raise ValueError(f"'value' must be in (0, 1], not {value!r}")
    offers = frames["offers"]
    assert offers is not None
    mask = _offer_mask(offers, change, need_supplier=False)
    _require(mask, "offer")
    offers.loc[mask, "max_share"] = value


Change = Callable[[dict[str, Any], Frames, dict[str, Any]], None]
CHANGES: dict[str, tuple[tuple[str, ...], Change]] = {
    "setting": (("key", "value"), _setting),
    "scale_demand": (("factor", "sector", "region", "category"), _scale_demand),
    "scale_capacity": (("supplier", "factor", "category"), _scale_capacity),
    "cap_capacity": (("supplier", "value", "category"), _cap_capacity),
    "remove_offers": (("supplier", "category"), _remove_offers),
    "delay_supplier": (("supplier", "periods", "category"), _delay_supplier),
    "scale_lead_times": (("factor", "category"), _scale_lead_times),
    "shift_readiness": (("periods", "sector", "region", "org"), _shift_readiness),
    "tier_prices": (("percent", "supplier", "category"), _tier_prices),
    "add_lock": (("rule", "org", "category", "supplier", "other_org"), _add_lock),
    "remove_locks": (
        ("row", "rule", "org", "category", "supplier", "other_org"),
        _remove_locks,
    ),
    "set_max_suppliers": (("value", "category"), _set_max_suppliers),
    "set_max_share": (("value", "supplier", "category"), _set_max_share),
}
