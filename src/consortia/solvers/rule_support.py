"""Which strategies take the supplier rules and locks (spec sections 11 and 12).

The compact model, the column generation, the category decomposition and ``auto``
take them (and prove an instance infeasible, section 13); the others refuse an
instance that sets any of them beyond its default, in a sentence naming the rule,
its section and the formulations that take it.
"""

from __future__ import annotations

from consortia.data.instance import Instance
from consortia.formulations.forced_lots import rules_in_force

TAKE_RULES = ("compact", "columns", "decompose", "auto")


def refuse_rules(inst: Instance, formulation: str) -> str | None:
    """None when the instance sets no supplier rule or lock; else why the
    `formulation` refuses it, e.g. "the lots formulation does not take locks (spec
    section 12); the compact, columns, decompose and auto formulations take them"."""
    found = rules_in_force(inst)
    if not found:
        return None
    rules = found[0] if len(found) == 1 else ", ".join(found[:-1]) + " or " + found[-1]
    takers = ", ".join(TAKE_RULES[:-1]) + " and " + TAKE_RULES[-1]
    return (
        f"the {formulation} formulation does not take {rules}; the {takers} formulations take them"
    )
