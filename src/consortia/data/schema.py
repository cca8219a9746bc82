"""The instance tables of spec section 6: columns, types, defaults and bounds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "int", "real", "enum", "list"]


@dataclass(frozen=True)
class Column:
    """One column of a table.

    ``minimum`` is inclusive unless ``strict`` (then the value must exceed it).
    ``default`` applies to an empty cell or an absent optional column.
    """

    name: str
    kind: Kind = "text"
    required: bool = False
    default: object = None
    minimum: float | None = None
    strict: bool = False
    choices: tuple[str, ...] = ()
    nullable: bool = False  # a required column whose cells may still be empty
    maximum: float | None = None  # inclusive; None: LARGEST


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    required: bool = True

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


UNLIMITED = float("inf")

# spec section 12: the kinds of lock, those naming one organization (and perhaps a
# supplier), then those naming two
LOCK_RULES = ("join", "exclude", "together", "apart")
PAIR_LOCK_RULES = ("together", "apart")

# Numbers beyond these are refused: larger ones overflow the solver's arithmetic
# (HiGHS treats 1e20 as infinite) or its memory (one model column per period).
LARGEST = 1e13  # any number in a cell (a national savings target is ~1e10 GBP)
MAX_HORIZON = 1000  # periods
MAX_SPEND = 1e15  # quantity x price x horizon of one demand or tier
# A demand quantity this many times its category's median is warned about (a unit
# mix-up, such as kWh for MWh, or a typo), not refused: large buyers exist.
IMPLAUSIBLE_RATIO = 1000

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "settings",
            (Column("key", required=True), Column("value", required=True, nullable=True)),
        ),
        Table(
            "organizations",
            (
                Column("org_id", required=True),
                Column("name", default=""),
                Column("sector", default=""),
                Column("region", default=""),
                Column("ready_period", "int", default=1, minimum=1),
                # spec section 10: the body's own specialist staff (None: unlimited)
                Column("max_parallel_formations", "int", default=None, minimum=1),
            ),
        ),
        Table(
            "categories",
            (
                Column("category_id", required=True),
                Column("name", default=""),
                Column("unit", default=""),
                Column("base_lead", "int", default=0, minimum=0),
                Column("member_lead", "real", default=0.0, minimum=0),
                Column("min_members", "int", default=1, minimum=1),
                Column("max_members", "int", default=None, minimum=1),
                Column("coordination_cost", "real", default=0.0, minimum=0),
                # spec section 11: distinct suppliers of the category's lots (None: unlimited)
                Column("max_suppliers", "int", default=None, minimum=1),
            ),
        ),
        Table(
            "demand",
            (
                Column("org_id", required=True),
                Column("category_id", required=True),
                Column("quantity", "real", required=True, minimum=0, strict=True),
                Column("baseline_price", "real", required=True, minimum=0, strict=True),
                # spec section 9: the pair's current contract ends before this period
                Column("ready_period", "int", default=1, minimum=1),
            ),
        ),
        Table(
            "suppliers",
            (Column("supplier_id", required=True), Column("name", default="")),
        ),
        Table(
            "offers",
            (
                Column("supplier_id", required=True),
                Column("category_id", required=True),
                Column("capacity", "real", default=UNLIMITED, minimum=0, strict=True),
                Column("available_from", "int", default=1, minimum=1),
                Column("fixed_cost", "real", default=0.0, minimum=0),
                Column(
                    "discount", "enum", default="all_units", choices=("all_units", "incremental")
                ),
                Column("regions", "list", default=()),
                # spec section 11: the offer's volume over its category's awarded volume
                Column("max_share", "real", default=1.0, minimum=0, strict=True, maximum=1),
            ),
        ),
        Table(
            "tiers",
            (
                Column("supplier_id", required=True),
                Column("category_id", required=True),
                Column("min_quantity", "real", required=True, minimum=0),
                Column("unit_price", "real", required=True, minimum=0, strict=True),
            ),
        ),
        Table(
            "surcharges",
            (
                Column("org_id", required=True),
                Column("supplier_id", required=True),
                Column("category_id", required=True),
                Column("unit_surcharge", "real", required=True, minimum=0),
            ),
            required=False,
        ),
        Table(
            "collaboration",
            (Column("org_a", required=True), Column("org_b", required=True)),
            required=False,
        ),
        Table(
            "locks",
            (
                Column("rule", "enum", required=True, choices=LOCK_RULES),
                Column("org_id", required=True),
                Column("category_id", required=True),
                # only with join / exclude (checked in validation.check_locks)
                Column("supplier_id", default=None),
                # required with together / apart, refused otherwise
                Column("other_org_id", default=None),
            ),
            required=False,
        ),
    )
}

# Columns added in version 2 of the spec (sections 9-12), with the value that means
# "as in version 1". A column holding only that value leaves the instance's content
# hash as it was before the column existed.
V2_DEFAULTS: dict[tuple[str, str], object] = {
    ("organizations", "max_parallel_formations"): None,
    ("demand", "ready_period"): 1,
    ("categories", "max_suppliers"): None,
    ("offers", "max_share"): 1.0,
}

# Tables added in version 2: absent (or without rows), they leave the content hash
# as it was before the table existed.
V2_TABLES = frozenset({"locks"})

# Columns whose values must be present (not just the column header) where the
# column is required: an optional column of the same name (locks.supplier_id) may
# hold empty cells.
NON_EMPTY = {"key", "org_id", "category_id", "supplier_id", "org_a", "org_b"}

SETTING_KEYS = (
    "horizon",
    "max_parallel_formations",
    "individually_rational",
    "discount_rate",
    "savings_target",
    "currency",
    "period_start",
)

# The type of each setting's value (``individually_rational`` is a true/false flag).
SETTING_COLUMNS = {
    "horizon": Column("horizon", "int", required=True, minimum=1, maximum=MAX_HORIZON),
    "max_parallel_formations": Column("max_parallel_formations", "int", minimum=1),
    "discount_rate": Column("discount_rate", "real", default=0.0, minimum=0),
    "savings_target": Column("savings_target", "real", minimum=0),
    "currency": Column("currency", default="GBP"),
    "period_start": Column("period_start"),
}
