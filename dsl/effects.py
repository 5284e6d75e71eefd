"""What the effects of the fired rules add up to (SPEC §4.3): the one place
the decision rule is written.

Every rule is evaluated and every rule that holds fires; the decision depends
only on which effects fired, never on their order or count.
"""
from __future__ import annotations

from typing import Iterable

EFFECTS = ("reject", "require", "warn")
DECISIONS = ("admit", "conditional", "reject")


def combine(effects: Iterable[str]) -> str:
    """The decision for the effects of the fired rules.

    Any ``reject`` ⇒ ``reject``; else any ``require`` ⇒ ``conditional``; else
    ``admit`` (``warn`` never changes a decision). A rejection overrides every
    requirement as a forbid overrides any permit in Cedar's authorizer: no
    rule can admit what another rejects.
    """
    fired = set(effects)
    if "reject" in fired:
        return "reject"
    if "require" in fired:
        return "conditional"
    return "admit"


# The compiled engine keeps the set of effects that fired as bits, one
# ``effects |= REJECT`` per fired rule, and reads the decision from this table,
# which ``combine`` fills: the hot path costs one table index per decision and
# the rule itself stays written once, above.
EFFECT_BIT = {kind: 1 << i for i, kind in enumerate(EFFECTS)}
DECISION_OF = tuple(combine(kind for kind, bit in EFFECT_BIT.items() if fired & bit)
                    for fired in range(1 << len(EFFECTS)))
